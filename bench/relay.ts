/**
 * Relay benchmark: our relay against @y/websocket-server, @hocuspocus/server
 * and a raw `ws` broadcast server (the floor), each in a child process of
 * its own (bench/relay-server.ts), driven by clients in this process
 * (bench/relay-clients.ts, bench/relay-scenarios.ts). See bench/README.md.
 *
 *   node --import tsx bench/relay.ts [--quick] [--servers=ours,hocuspocus] [--cpu-prof]
 *
 * `--cpu-prof` starts every server child with `--cpu-prof`, writing its
 * profiles to bench/results/cpu-prof/<server>-<scenario>-<n>/ when it exits
 * (`CPU.*.<pid>.0.001.cpuprofile` is the main thread's).
 */
import { fork, type ChildProcess } from 'node:child_process'
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { cpus, tmpdir, totalmem } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { hocuspocusDialect, withTimeout, yWebsocketDialect, type Dialect } from './relay-clients.ts'
import { latency, sliceOf, throughput, type ServerProbe, type Slice, type ThroughputResult } from './relay-scenarios.ts'
import { printReport, ratios, type Memory, type Row } from './relay-report.ts'
import { SERVER_KINDS, type ServerKind } from './relay-server.ts'
import { loadTrace, replay } from './trace.ts'
import { peerVersion } from './peers/load.mjs'

const quick = process.argv.includes('--quick')
const profile = process.argv.includes('--cpu-prof')
const only = process.argv.find((arg) => arg.startsWith('--servers='))?.slice('--servers='.length).split(',')

/** Sizes: the full run takes about 4 minutes on 2 cores, `--quick` under a minute. */
const params = {
  /** (a) updates the writer bursts into a room of `readers` readers. */
  throughputUpdates: quick ? 2_000 : 20_000,
  readers: 10,
  /** (b) the writer's steady rate and for how long. */
  latencyRate: 100,
  latencySeconds: quick ? 2 : 10,
  /** (c) fan-out: the same burst into a room of this many readers. */
  fanoutUpdates: 5_000,
  fanoutReaders: quick ? 50 : 100,
  /** (a) and (c) report the median of this many runs, each on a fresh server process. */
  throughputRepeats: quick ? 1 : 3,
  /** Updates each fresh server relays (to 2 readers, in a room of its own) before it is measured. */
  warmupUpdates: quick ? 500 : 2_000,
}
const RESULTS_DIR = fileURLToPath(new URL('./results/', import.meta.url))
const SERVER_ENTRY = fileURLToPath(new URL('./relay-server.ts', import.meta.url))
const START_TIMEOUT_MS = 30_000
const MiB = 2 ** 20

const SERVERS: Record<ServerKind, { label: string; dialect: Dialect }> = {
  ours: { label: 'ours (memory)', dialect: yWebsocketDialect(true) },
  'ours-sqlite': { label: 'ours (sqlite, durable)', dialect: yWebsocketDialect(true) },
  'y-websocket-server': { label: `@y/websocket-server ${peerVersion('@y/websocket-server')}`, dialect: yWebsocketDialect(true) },
  hocuspocus: { label: `@hocuspocus/server ${peerVersion('@hocuspocus/server')}`, dialect: hocuspocusDialect },
  'raw-ws': { label: 'raw ws broadcast (floor)', dialect: yWebsocketDialect(false) },
}

/** A server child: its WebSocket base URL, its memory and CPU time on request, and a clean stop. */
interface ServerProcess extends ServerProbe {
  base: string
  memory(): Promise<Memory>
  stop(): Promise<void>
}

let childSerial = 0

async function startServer(kind: ServerKind, label: string): Promise<ServerProcess> {
  const dataDir = kind === 'ours-sqlite' ? mkdtempSync(join(tmpdir(), 'collab-relay-bench-')) : undefined
  const execArgv = ['--import', 'tsx', '--expose-gc']
  if (profile) {
    // A directory per child: tsx's loader thread writes a profile of its own beside the main thread's.
    const dir = join(RESULTS_DIR, 'cpu-prof', `${kind}-${label}-${++childSerial}`)
    mkdirSync(dir, { recursive: true })
    execArgv.push('--cpu-prof', `--cpu-prof-dir=${dir}`)
  }
  const child: ChildProcess = fork(SERVER_ENTRY, dataDir ? [kind, dataDir] : [kind], {
    execArgv,
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  })
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  const cleanup = (): void => {
    if (dataDir) rmSync(dataDir, { recursive: true, force: true })
  }
  let port: number
  try {
    port = await withTimeout(
      new Promise<number>((resolve, reject) => {
        child.once('message', (message: { type: string; port?: number; message?: string }) => {
          if (message.type === 'listening') resolve(message.port!)
          else reject(new Error(message.message ?? `unexpected message ${message.type}`))
        })
        child.once('exit', (code) => reject(new Error(`exited with ${code} before listening`)))
      }),
      `starting ${kind}`,
      START_TIMEOUT_MS,
    )
  } catch (error) {
    child.kill()
    await exited
    cleanup()
    throw error
  }
  const ask = <T>(type: string): Promise<T> =>
    withTimeout(
      new Promise<T>((resolve) => {
        const onMessage = (message: { type: string }): void => {
          if (message.type !== type) return
          child.off('message', onMessage)
          resolve(message as T)
        }
        child.on('message', onMessage)
        child.send({ type })
      }),
      `${kind}: ${type} report`,
      10_000,
    )
  return {
    base: `ws://127.0.0.1:${port}`,
    memory: async () => {
      const { rss, heapUsed } = await ask<Memory>('memory')
      return { rss, heapUsed }
    },
    cpu: async () => {
      const { user, system } = await ask<NodeJS.CpuUsage>('cpu')
      return { user, system }
    },
    async stop() {
      if (child.connected) child.send({ type: 'close' })
      const timer = setTimeout(() => child.kill('SIGKILL'), 15_000)
      await exited
      clearTimeout(timer)
      cleanup()
    },
  }
}

/** A fresh, warmed-up server for one measurement; stopped afterwards whatever happens. */
async function onFreshServer<T>(kind: ServerKind, label: string, warmup: Slice, run: (server: ServerProcess) => Promise<T>): Promise<T> {
  const server = await startServer(kind, label)
  try {
    await throughput(server.base, SERVERS[kind].dialect, warmup, 2, 'warmup', server)
    return await run(server)
  } finally {
    await server.stop()
  }
}

async function medianThroughput(
  kind: ServerKind,
  label: string,
  warmup: Slice,
  slice: Slice,
  readers: number,
  onFirst?: (server: ServerProcess) => Promise<void>,
): Promise<ThroughputResult & { runs: number[] }> {
  const runs: ThroughputResult[] = []
  for (let i = 0; i < params.throughputRepeats; i++) {
    runs.push(
      await onFreshServer(kind, label, warmup, (server) =>
        throughput(server.base, SERVERS[kind].dialect, slice, readers, label, server, i === 0 && onFirst ? () => onFirst(server) : undefined),
      ),
    )
  }
  const sorted = [...runs].sort((a, b) => a.updatesPerSec - b.updatesPerSec)
  const cpu = [...runs].sort((a, b) => a.serverCpuUsPerUpdate - b.serverCpuUsPerUpdate)
  // The CPU figure is its own median: the fastest run is not always the cheapest.
  return {
    ...sorted[sorted.length >> 1],
    serverCpuUsPerUpdate: cpu[cpu.length >> 1].serverCpuUsPerUpdate,
    runs: runs.map((run) => Math.round(run.updatesPerSec)),
  }
}

async function measure(kind: ServerKind, slices: { warmup: Slice; throughput: Slice; latency: Slice; fanout: Slice }): Promise<Row> {
  const row: Row = { kind, server: SERVERS[kind].label }
  let idle: Memory | undefined
  let afterThroughput: Memory | undefined
  // Idle memory is taken on a server of its own: the measured ones are warmed up first.
  const probe = await startServer(kind, 'idle')
  try {
    idle = await probe.memory()
  } finally {
    await probe.stop()
  }
  row.throughput = await medianThroughput(kind, 'throughput', slices.warmup, slices.throughput, params.readers, async (server) => {
    afterThroughput = await server.memory()
  })
  row.memory = { idle, afterThroughput: afterThroughput! }
  row.latency = await onFreshServer(kind, 'latency', slices.warmup, (server) =>
    latency(server.base, SERVERS[kind].dialect, slices.latency, params.readers, params.latencyRate, 'latency', server),
  )
  row.fanout = await medianThroughput(kind, 'fanout', slices.warmup, slices.fanout, params.fanoutReaders)
  return row
}

async function main(): Promise<void> {
  const began = performance.now()
  const trace = loadTrace()
  console.log(`trace: ${trace.note}`)
  const latencyUpdates = params.latencyRate * params.latencySeconds
  const needed = Math.max(params.throughputUpdates, params.fanoutUpdates, latencyUpdates, params.warmupUpdates)
  const { updates } = replay(trace, needed)
  const slices = {
    // In a room of its own on each fresh server, so it only warms the JIT.
    warmup: sliceOf(updates, params.warmupUpdates),
    throughput: sliceOf(updates, params.throughputUpdates),
    latency: sliceOf(updates, latencyUpdates),
    fanout: sliceOf(updates, params.fanoutUpdates),
  }
  console.log(
    `updates: ${slices.throughput.updates.length} burst to ${params.readers} readers, ` +
      `${slices.latency.updates.length} at ${params.latencyRate}/s to ${params.readers}, ` +
      `${slices.fanout.updates.length} burst to ${params.fanoutReaders}${quick ? ' [--quick]' : ''}`,
  )

  // Warm this process's own hot paths (ws receive, update parsing) on the floor, so the first row measured is not penalised.
  await onFreshServer('raw-ws', 'client-warmup', slices.warmup, (server) =>
    throughput(server.base, SERVERS['raw-ws'].dialect, slices.throughput, params.readers, 'client-warmup', server),
  )

  const rows: Row[] = []
  for (const kind of SERVER_KINDS) {
    if (only && !only.includes(kind)) continue
    const started = performance.now()
    try {
      rows.push(await measure(kind, slices))
      console.log(`${SERVERS[kind].label}: done in ${Math.round((performance.now() - started) / 1000)} s`)
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error)
      console.log(`${SERVERS[kind].label}: FAILED: ${message}`)
      rows.push({ kind, server: SERVERS[kind].label, error: message })
    }
  }

  console.log('')
  printReport(rows, params)
  console.log(`trace: ${trace.source}${trace.credit ? ` (${trace.credit})` : ' (the real trace was not found)'}`)

  const report = {
    generatedAt: new Date().toISOString(),
    mode: quick ? 'quick' : 'full',
    machine: {
      cpus: cpus().length,
      cpuModel: cpus()[0]?.model ?? 'unknown',
      memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
      platform: `${process.platform} ${process.arch}`,
      node: process.version,
    },
    trace: { source: trace.source, credit: trace.credit, note: trace.note },
    params: {
      ...params,
      throughputUpdates: slices.throughput.updates.length,
      latencyUpdates: slices.latency.updates.length,
      fanoutUpdates: slices.fanout.updates.length,
    },
    results: rows.map((row) => ({
      ...row,
      memory: row.memory && {
        idleRssMiB: round(row.memory.idle.rss / MiB),
        rssMiB: round(row.memory.afterThroughput.rss / MiB),
        heapUsedMiB: round(row.memory.afterThroughput.heapUsed / MiB),
      },
    })),
    ratios: ratios(rows),
    durationSeconds: round((performance.now() - began) / 1000),
  }
  mkdirSync(RESULTS_DIR, { recursive: true })
  const out = join(RESULTS_DIR, 'relay-latest.json')
  // Two decimals are more than the run-to-run noise.
  const rounded = (_key: string, value: unknown): unknown => (typeof value === 'number' && !Number.isInteger(value) ? Math.round(value * 100) / 100 : value)
  writeFileSync(out, `${JSON.stringify(report, rounded, 2)}\n`)
  console.log(`written ${out} (${report.durationSeconds} s)`)
  const failed = rows.filter((row) => row.error)
  if (failed.length > 0) {
    console.log(`not measured: ${failed.map((row) => row.server).join(', ')}`)
    process.exitCode = 1
  }
}

const round = (x: number): number => Math.round(x * 10) / 10

await main()
