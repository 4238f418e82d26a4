/**
 * Storage benchmark: append throughput through a real relay (commit before
 * relay, as in production) and load time of a large document, for the
 * memory, SQLite and PostgreSQL backends. See bench/README.md.
 *
 *   node --import tsx bench/storage.ts [--quick]
 *
 * PostgreSQL: BENCH_DATABASE_URL, else TEST_DATABASE_URL, else
 * postgres://postgres@127.0.0.1:5432/test; a fresh schema is created and
 * dropped. If it is unreachable its row says so and the others still run.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import pg from 'pg'
import WebSocket from 'ws'
import * as Y from 'yjs'
import { serveRelay } from '../dist/node/server/http/serve.js'
import { BENCH_RELAY_LIMITS, BENCH_SERVE_OPTIONS } from './unlimited.ts'
import { createRelay } from '../dist/node/server/relay/relay.js'
import { loadDocument } from '../dist/node/server/relay/room-load.js'
import { DEFAULT_LIMITS } from '../dist/node/server/relay/limits.js'
import { createMemoryStorage } from '../dist/node/server/storage/memory.js'
import { createPostgresStorage } from '../dist/node/server/storage/postgres.js'
import { createSqliteStorage } from '../dist/node/server/storage/sqlite.js'
import type { DocumentStorage } from '../server/storage/types.ts'
import { MessageType, SyncStep, encodeUpdate } from '../shared/protocol.ts'
import { roomNameToPath } from '../shared/room-name.ts'
import { loadTrace, replay, type Replayed } from './trace.ts'
import { machineInfo } from './machine.ts'

const quick = process.argv.includes('--quick')
/** Sizes: `--quick` finishes in seconds; the full run in under 3 minutes on 2 cores. */
const params = {
  /** Burst: updates sent into one room, and into each of the ten. */
  singleRoomUpdates: quick ? 5_000 : 30_000,
  updatesPerRoom: quick ? 1_000 : 6_000,
  /** Lockstep: the same, one update in flight per writer. */
  lockstepUpdates: quick ? 500 : 3_000,
  lockstepUpdatesPerRoom: quick ? 100 : 1_000,
  /** Each throughput figure is the median of this many runs. */
  throughputRepeats: quick ? 1 : 3,
  /** Trace transactions in the document loaded (all of them: the 100k-character paper). */
  loadTxns: quick ? 20_000 : Infinity,
  loadRepeats: quick ? 1 : 3,
  compactedRepeats: quick ? 5 : 41,
}
/** A stuck measurement fails the run instead of hanging it. */
const MEASUREMENT_TIMEOUT_MS = 120_000
const PG_URL = process.env.BENCH_DATABASE_URL || process.env.TEST_DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/test'
const ROOM_COUNT = 10
const RESULTS_DIR = fileURLToPath(new URL('./results/', import.meta.url))
const quiet = { info() {}, warn() {}, error() {} }

interface Backend {
  name: string
  /** A new storage handle on the backend's one database (each measurement closes its own). */
  open(): Promise<DocumentStorage>
  dispose(): Promise<void>
}

function memoryBackend(): Backend {
  return { name: 'memory', open: async () => createMemoryStorage(), dispose: async () => {} }
}

function sqliteBackend(): Backend {
  const dir = mkdtempSync(join(tmpdir(), 'collab-bench-'))
  const file = join(dir, 'bench.sqlite')
  return {
    name: 'sqlite',
    open: async () => createSqliteStorage({ file }),
    dispose: async () => rmSync(dir, { recursive: true, force: true }),
  }
}

async function postgresBackend(): Promise<Backend> {
  const schema = `bench_${Math.random().toString(36).slice(2, 10)}`
  const admin = new pg.Client({ connectionString: PG_URL })
  await admin.connect()
  await admin.end()
  return {
    name: 'postgres',
    open: () => createPostgresStorage({ connectionString: PG_URL, schema }),
    async dispose() {
      const dropper = new pg.Client({ connectionString: PG_URL })
      await dropper.connect()
      try {
        await dropper.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`)
      } finally {
        await dropper.end()
      }
    },
  }
}

/** A raw socket that has joined its room (the relay's first frame is its sync step 1). */
async function joinRoom(wsUrl: string, room: string): Promise<WebSocket> {
  const ws = new WebSocket(`${wsUrl}/${roomNameToPath(room)}`, { perMessageDeflate: false })
  await new Promise<void>((resolve, reject) => {
    ws.once('message', () => resolve())
    ws.once('error', reject)
    ws.once('close', (code) => reject(new Error(`closed with ${code} before joining ${room}`)))
  })
  return ws
}

/** Resolves once `ws` has received `count` relayed update frames; `onEach` gets the running count. */
function countUpdates(ws: WebSocket, count: number, onEach?: (received: number) => void): Promise<void> {
  let received = 0
  return new Promise((resolve, reject) => {
    ws.on('message', (data: Buffer) => {
      if (data[0] !== MessageType.SYNC || data[1] !== SyncStep.UPDATE) return
      if (++received === count) resolve()
      else onEach?.(received)
    })
    ws.once('close', (code) => reject(new Error(`observer closed with ${code} after ${received}/${count} updates`)))
  })
}

async function withTimeout<T>(promise: Promise<T>, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} took over ${MEASUREMENT_TIMEOUT_MS} ms`)), MEASUREMENT_TIMEOUT_MS)
  })
  try {
    return await Promise.race([promise, timeout])
  } finally {
    clearTimeout(timer)
  }
}

let roomSerial = 0

/** Throughput, and how the updates were batched: the batch sizes explain the rate. */
interface Throughput {
  updatesPerSec: number
  /** Mean updates per `append` call (one room's batch). */
  updatesPerAppend: number
  /** Mean updates appended per event-loop turn: per transaction for SQLite, whose group commit joins a turn's appends. */
  updatesPerTurn: number
}

/** Count the relay's appends and the event-loop turns they were made in. */
function countingAppends(storage: DocumentStorage): { storage: DocumentStorage; appends: () => number; turns: () => number } {
  let appends = 0
  let turns = 0
  let inTurn = false
  return {
    storage: {
      ...storage,
      append(name, updates) {
        appends++
        if (!inTurn) {
          inTurn = true
          turns++
          setImmediate(() => {
            inTurn = false
          })
        }
        return storage.append(name, updates)
      },
    },
    appends: () => appends,
    turns: () => turns,
  }
}

/**
 * How writers pace themselves. `burst`: every frame at once, as fast as the
 * socket takes them (the relay's ceiling; commits grow to hundreds of
 * updates). `lockstep`: the next frame only once the observer has received
 * the previous one, so every update is a commit of its own (a typist's
 * pace; bound by commit latency, e.g. fsync).
 */
type Pacing = 'burst' | 'lockstep'

/**
 * Updates/s through a real relay: in each of `rooms` rooms one raw writer
 * sends the frames, and the clock stops when every observer has received
 * every update (which the relay relays only after storage has committed it).
 */
async function appendThroughput(
  backing: DocumentStorage,
  rooms: number,
  frames: readonly Uint8Array[],
  pacing: Pacing,
): Promise<Throughput> {
  const { storage, appends, turns } = countingAppends(backing)
  const relay = createRelay({ storage, logger: quiet, limits: BENCH_RELAY_LIMITS })
  const server = await serveRelay(relay, { port: 0, ...BENCH_SERVE_OPTIONS })
  const wsUrl = server.url.replace(/^http/, 'ws')
  const sockets: WebSocket[] = []
  try {
    const pairs = await Promise.all(
      Array.from({ length: rooms }, async () => {
        const room = `throughput-${++roomSerial}`
        const observer = await joinRoom(wsUrl, room)
        const writer = await joinRoom(wsUrl, room)
        sockets.push(observer, writer)
        const next = pacing === 'lockstep' ? (received: number) => writer.send(frames[received]) : undefined
        return { observer, writer, done: countUpdates(observer, frames.length, next) }
      }),
    )
    const started = performance.now()
    for (const { writer } of pairs) {
      if (pacing === 'lockstep') writer.send(frames[0])
      else for (const frame of frames) writer.send(frame)
    }
    await withTimeout(Promise.all(pairs.map((pair) => pair.done)), `relaying ${rooms * frames.length} updates`)
    const seconds = (performance.now() - started) / 1000
    const updates = rooms * frames.length
    return { updatesPerSec: updates / seconds, updatesPerAppend: updates / appends(), updatesPerTurn: updates / turns() }
  } finally {
    for (const ws of sockets) ws.terminate()
    await server.close()
  }
}

const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b)
  const mid = sorted.length >> 1
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2
}

/** What opening a document costs, in ms (medians), beside applying the same bytes to a fresh Y.Doc in one transaction. */
interface OpenTimes {
  /** `loadDocument` as a room opens it: storage read, replay, checks (the whole trace stored as a log). */
  logMs: number
  /** Applying the trace's updates, already in memory, to a fresh Y.Doc in one transaction. */
  logApplyMs: number
  /** The same for the trace compacted into one update. */
  compactedMs: number
  compactedApplyMs: number
}


/**
 * Median ms of opening `name` as the relay does and of the bare apply,
 * interleaved run by run so that both see the same machine, and taking
 * turns at going first: at tens of milliseconds, a scavenge of what the
 * run before left behind lands on whichever goes next.
 */
async function timeOpen(storage: DocumentStorage, name: string, updates: readonly Uint8Array[], expected: string, repeats: number): Promise<[number, number]> {
  const opens: number[] = []
  const applies: number[] = []
  const bareApply = (): void => {
    const started = performance.now()
    const bare = new Y.Doc()
    Y.transact(bare, () => {
      for (const update of updates) Y.applyUpdate(bare, update)
    })
    applies.push(performance.now() - started)
    bare.destroy()
  }
  for (let i = 0; i < repeats; i++) {
    if (i % 2 === 0) bareApply()
    const started = performance.now()
    const { doc, setAside } = await loadDocument(name, storage, DEFAULT_LIMITS, quiet)
    opens.push(performance.now() - started)
    const text = doc.getText('text').toString()
    doc.destroy()
    if (text !== expected || setAside.length > 0) throw new Error(`${name}: the opened document differs from the replayed trace`)
    if (i % 2 === 1) bareApply()
  }
  return [median(opens), median(applies)]
}

async function openTimes(storage: DocumentStorage, doc: Replayed): Promise<OpenTimes> {
  const log = `load-log-${++roomSerial}`
  const compacted = `load-compacted-${roomSerial}`
  // Written in chunks like a relay's batches, but untimed: only opening is measured here.
  for (let i = 0; i < doc.updates.length; i += 10_000) await storage.append(log, doc.updates.slice(i, i + 10_000))
  await storage.append(compacted, [doc.state])
  const [logMs, logApplyMs] = await timeOpen(storage, log, doc.updates, doc.text, params.loadRepeats)
  const [compactedMs, compactedApplyMs] = await timeOpen(storage, compacted, [doc.state], doc.text, params.compactedRepeats)
  const tenth = (x: number): number => Math.round(x * 10) / 10
  return { logMs: Math.round(logMs), logApplyMs: Math.round(logApplyMs), compactedMs: tenth(compactedMs), compactedApplyMs: tenth(compactedApplyMs) }
}

interface Row {
  backend: string
  /** Why the backend was not measured. */
  error?: string
  burst?: { oneRoom: Throughput; rooms: Throughput }
  lockstep?: { oneRoom: Throughput; rooms: Throughput }
  load?: OpenTimes
}

/** The median run (by rate) of `throughputRepeats`, each on a fresh storage handle; rounded for the report. */
async function medianThroughput(backend: Backend, rooms: number, frames: readonly Uint8Array[], pacing: Pacing): Promise<Throughput> {
  const runs: Throughput[] = []
  for (let i = 0; i < params.throughputRepeats; i++) runs.push(await appendThroughput(await backend.open(), rooms, frames, pacing))
  runs.sort((a, b) => a.updatesPerSec - b.updatesPerSec)
  const { updatesPerSec, updatesPerAppend, updatesPerTurn } = runs[runs.length >> 1]
  const tenth = (x: number): number => Math.round(x * 10) / 10
  return { updatesPerSec: Math.round(updatesPerSec), updatesPerAppend: tenth(updatesPerAppend), updatesPerTurn: tenth(updatesPerTurn) }
}

async function measure(backend: Backend, frames: Uint8Array[], doc: Replayed): Promise<Row> {
  const burst = {
    oneRoom: await medianThroughput(backend, 1, frames.slice(0, params.singleRoomUpdates), 'burst'),
    rooms: await medianThroughput(backend, ROOM_COUNT, frames.slice(0, params.updatesPerRoom), 'burst'),
  }
  const lockstep = {
    oneRoom: await medianThroughput(backend, 1, frames.slice(0, params.lockstepUpdates), 'lockstep'),
    rooms: await medianThroughput(backend, ROOM_COUNT, frames.slice(0, params.lockstepUpdatesPerRoom), 'lockstep'),
  }
  const storage = await backend.open()
  try {
    return { backend: backend.name, burst, lockstep, load: await openTimes(storage, doc) }
  } finally {
    await storage.close()
  }
}

function printTable(rows: Row[]): void {
  const header = [
    'backend',
    'updates/s 1 room',
    `updates/s ${ROOM_COUNT} rooms`,
    'lockstep 1 room',
    `lockstep ${ROOM_COUNT} rooms`,
    'open ms (log)',
    'x apply',
    'open ms (compacted)',
    'x apply',
  ]
  const line = (cells: string[], widths: number[]): string =>
    cells.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]) : cell.padStart(widths[i]))).join('  ')
  const measured = rows.filter((row) => !row.error)
  const cells = measured.map((row) => [
    row.backend,
    ...[row.burst!.oneRoom, row.burst!.rooms, row.lockstep!.oneRoom, row.lockstep!.rooms].map((t) => String(t.updatesPerSec)),
    String(row.load!.logMs),
    `${(row.load!.logMs / row.load!.logApplyMs).toFixed(2)}x`,
    String(row.load!.compactedMs),
    `${(row.load!.compactedMs / row.load!.compactedApplyMs).toFixed(2)}x`,
  ])
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i].length)))
  console.log(line(header, widths))
  console.log(widths.map((w) => '-'.repeat(w)).join('  '))
  for (const c of cells) console.log(line(c, widths))
  for (const row of rows) if (row.error) console.log(`${row.backend.padEnd(widths[0])}  unavailable: ${row.error}`)
}

async function main(): Promise<void> {
  const began = performance.now()
  const trace = loadTrace()
  console.log(`trace: ${trace.note}`)
  const loadTxns = Math.min(params.loadTxns, trace.txns.length)
  const doc = replay(trace, loadTxns)
  const framesNeeded = Math.max(params.singleRoomUpdates, params.updatesPerRoom, params.lockstepUpdates, params.lockstepUpdatesPerRoom)
  const frames = doc.updates.slice(0, framesNeeded).map(encodeUpdate)
  console.log(
    `document for load: ${loadTxns} updates (${doc.text.length} characters); compacted ${doc.state.byteLength} bytes` +
      `${quick ? ' [--quick]' : ''}`,
  )

  // Warm the JIT on the relay's hot path and on Yjs decoding, so the first backend is not penalised.
  await appendThroughput(createMemoryStorage(), 1, frames.slice(0, 2_000), 'burst')
  const warm = new Y.Doc()
  Y.applyUpdate(warm, doc.state)
  warm.destroy()

  const rows: Row[] = []
  const factories: [string, () => Backend | Promise<Backend>][] = [
    ['memory', memoryBackend],
    ['sqlite', sqliteBackend],
    ['postgres', postgresBackend],
  ]
  for (const [name, factory] of factories) {
    let backend: Backend
    try {
      backend = await factory()
    } catch (error) {
      console.log(`${name}: unavailable (${(error as Error).message})`)
      rows.push({ backend: name, error: (error as Error).message })
      continue
    }
    try {
      const row = await measure(backend, frames, doc)
      console.log(`${name}: done`)
      rows.push(row)
    } finally {
      await backend.dispose()
    }
  }

  console.log('')
  printTable(rows)
  console.log('')
  console.log(
    `burst: ${params.singleRoomUpdates} updates in 1 room, ${params.updatesPerRoom} in each of ${ROOM_COUNT} rooms; ` +
      `lockstep: ${params.lockstepUpdates} / ${params.lockstepUpdatesPerRoom} each; median of ${params.throughputRepeats} run(s). ` +
      `Open: loadDocument as a room opens a document (read, replay, checks), median of ${params.loadRepeats} (log) / ${params.compactedRepeats} (compacted); ` +
      `x apply: over applying the same updates, already in memory, to a fresh Y.Doc in one transaction (interleaved runs).`,
  )
  for (const row of rows) {
    if (!row.burst || !row.lockstep) continue
    const runs = [row.burst.oneRoom, row.burst.rooms, row.lockstep.oneRoom, row.lockstep.rooms]
    console.log(
      `${row.backend}: updates per append ${runs.map((t) => t.updatesPerAppend).join(' / ')}; ` +
        `per event-loop turn ${runs.map((t) => t.updatesPerTurn).join(' / ')} (same column order)`,
    )
  }
  console.log(`trace: ${trace.source}${trace.credit ? ` (${trace.credit})` : ' (the real trace was not found)'}`)

  const machine = machineInfo()
  const report = {
    generatedAt: new Date().toISOString(),
    mode: quick ? 'quick' : 'full',
    machine,
    trace: {
      source: trace.source,
      credit: trace.credit,
      note: trace.note,
      loadUpdates: loadTxns,
      loadCharacters: doc.text.length,
      compactedBytes: doc.state.byteLength,
    },
    params: { ...params, loadTxns },
    results: rows,
    durationSeconds: Math.round((performance.now() - began) / 100) / 10,
  }
  mkdirSync(RESULTS_DIR, { recursive: true })
  const out = join(RESULTS_DIR, 'storage-latest.json')
  writeFileSync(out, `${JSON.stringify(report, null, 2)}\n`)
  console.log(`written ${out} (${report.durationSeconds} s)`)
}

await main()
