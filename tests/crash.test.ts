/**
 * Crash safety with real processes: the `collab-relay` command is killed with
 * SIGKILL while a stock client edits, then restarted on the same storage.
 * The rule under test: any update another client has seen is stored, because
 * the relay commits before it relays. Runs against SQLite (the default) and
 * PostgreSQL (a database of its own per test; PostgreSQL must be reachable).
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import pg from 'pg'
import { afterEach, describe, expect, it } from 'vitest'
import { CloseCode } from '../shared/close-codes.ts'
import { connectClient, createRandom, testSeed, waitFor, waitSynced, type TestClient } from './support/harness.ts'
import { spawnCli, type SpawnedCli } from './support/spawn-cli.ts'

const ROOM = 'crash/doc'
const TOKEN = /c\d+w\d+;/g
const PG_URL = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test'

const clis: SpawnedCli[] = []
const clients: TestClient[] = []
const cleanups: (() => Promise<void> | void)[] = []

afterEach(async () => {
  for (const client of clients.splice(0)) client.destroy()
  await Promise.all(clis.splice(0).map((cli) => cli.stop('SIGKILL')))
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
})

/** Where one test's relays keep their documents, across restarts. */
interface Store {
  label: string
  args: string[]
}

function sqliteStore(): Store {
  const dir = mkdtempSync(join(tmpdir(), 'collab-crash-'))
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }))
  return { label: 'sqlite', args: ['--data', dir] }
}

/**
 * A database of its own rather than a schema: the CLI has no schema flag and
 * the PostgreSQL backend names its tables in `public`.
 */
async function postgresStore(): Promise<Store> {
  const name = `crash_${Math.random().toString(36).slice(2, 10)}`
  const admin = new pg.Client({ connectionString: PG_URL })
  await admin.connect()
  try {
    await admin.query(`CREATE DATABASE ${name}`)
  } finally {
    await admin.end()
  }
  cleanups.push(async () => {
    const dropper = new pg.Client({ connectionString: PG_URL })
    await dropper.connect()
    try {
      await dropper.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)
    } finally {
      await dropper.end()
    }
  })
  const url = new URL(PG_URL)
  url.pathname = `/${name}`
  return { label: 'postgres', args: ['--database-url', url.toString()] }
}

const tokensIn = (text: string): string[] => text.match(TOKEN) ?? []

function client(wsUrl: string): { client: TestClient; closeCodes: (number | undefined)[] } {
  const created = connectClient(wsUrl, ROOM)
  clients.push(created)
  const closeCodes: (number | undefined)[] = []
  created.provider.on('connection-close', (event) => closeCodes.push(event?.code))
  return { client: created, closeCodes }
}

function release(target: TestClient): void {
  const index = clients.indexOf(target)
  if (index >= 0) clients.splice(index, 1)
  target.destroy()
}

/**
 * A fresh client loads the document from a freshly started relay; checks it
 * is whole: served (no 4503), nothing left pending in Yjs, nothing but whole
 * tokens, each once, and every token a client saw before the crash.
 */
async function loadAndCheck(cli: SpawnedCli, mustContain: ReadonlySet<string>, written: ReadonlySet<string>): Promise<TestClient> {
  const { client: loader, closeCodes } = client(cli.wsUrl)
  await waitFor(
    () => {
      if (closeCodes.includes(CloseCode.ROOM_UNAVAILABLE.code)) throw new Error('closed with ROOM_UNAVAILABLE')
      return loader.provider.synced
    },
    'the restarted relay to serve the document',
    10_000,
  )
  expect(closeCodes).not.toContain(CloseCode.ROOM_UNAVAILABLE.code)
  expect(loader.doc.store.pendingStructs).toBeNull()
  expect(loader.doc.store.pendingDs).toBeNull()
  const text = loader.text.toString()
  const tokens = tokensIn(text)
  expect(tokens.join(''), 'the text is whole tokens only').toBe(text)
  expect(new Set(tokens).size, 'no token appears twice').toBe(tokens.length)
  const present = new Set(tokens)
  const lost = [...mustContain].filter((token) => !present.has(token))
  expect(lost, 'tokens a client had seen before the kill').toEqual([])
  const phantom = tokens.filter((token) => !written.has(token))
  expect(phantom, 'tokens no writer wrote').toEqual([])
  return loader
}

interface Writer {
  client: TestClient
  written: Set<string>
  stop(): void
}

/** Updates per timer tick: several, so that some are always in flight when the relay dies. */
const TOKENS_PER_TICK = 4

/** A stock client appending a unique token per update (one update, one frame, each). */
async function startWriter(wsUrl: string, cycle: number, written: Set<string>): Promise<Writer> {
  const { client: writer } = client(wsUrl)
  await waitSynced(writer, 10_000)
  let next = 0
  const timer = setInterval(() => {
    for (let i = 0; i < TOKENS_PER_TICK; i++) {
      const token = `c${cycle}w${next++};`
      written.add(token)
      writer.text.insert(writer.text.length, token)
    }
  }, 1)
  return { client: writer, written, stop: () => clearInterval(timer) }
}

interface Cycle {
  /** Tokens the observer held once the relay was dead: all of them must survive. */
  seen: Set<string>
  /** Tokens the writer wrote this cycle (some never reached the relay). */
  writtenThisCycle: number
}

/**
 * One life of the relay: start it, check what the previous lives left, edit
 * while an observer watches, and SIGKILL it `delayMs` after the observer has
 * seen `minSeen` of this cycle's tokens.
 */
async function liveAndDie(
  store: Store,
  extraArgs: string[],
  cycle: number,
  previouslySeen: ReadonlySet<string>,
  written: Set<string>,
  minSeen: number,
  delayMs: number,
): Promise<Cycle> {
  const cli = await spawnCli(['--port', '0', ...store.args, ...extraArgs])
  clis.push(cli)
  const observer = await loadAndCheck(cli, previouslySeen, written)
  const before = written.size
  const writer = await startWriter(cli.wsUrl, cycle, written)
  const ownPrefix = `c${cycle}w`
  const seenOwn = (): number => tokensIn(observer.text.toString()).filter((t) => t.startsWith(ownPrefix)).length
  await waitFor(() => seenOwn() >= minSeen, `the observer to see ${minSeen} tokens`, 15_000)
  if (delayMs > 0) await new Promise((resolve) => setTimeout(resolve, delayMs))

  const writtenAtKill = written.size
  process.kill(cli.process.pid!, 'SIGKILL')
  const exit = await cli.exited
  writer.stop()
  expect(exit.signal).toBe('SIGKILL')
  // Whatever was still in the observer's socket was sent before the kill, so it counts too.
  await waitFor(() => !observer.provider.wsconnected, 'the observer to notice the relay is gone')
  const seen = new Set(tokensIn(observer.text.toString()))
  expect(cli.stderr).not.toMatch(/skipped a stored update|load failed/)
  release(writer.client)
  release(observer)
  clis.splice(clis.indexOf(cli), 1)
  return { seen, writtenThisCycle: writtenAtKill - before }
}

async function restartAndCheck(store: Store, extraArgs: string[], seen: ReadonlySet<string>, written: ReadonlySet<string>): Promise<number> {
  const cli = await spawnCli(['--port', '0', ...store.args, ...extraArgs])
  clis.push(cli)
  const loader = await loadAndCheck(cli, seen, written)
  return tokensIn(loader.text.toString()).length
}

const stores: [string, () => Store | Promise<Store>][] = [
  ['SQLite', sqliteStore],
  ['PostgreSQL', postgresStore],
]

describe.each(stores)('kill -9 with %s storage', (_name, openStore) => {
  it('keeps every update the observer received before the kill', async () => {
    const store = await openStore()
    const written = new Set<string>()
    const { seen, writtenThisCycle } = await liveAndDie(store, [], 0, new Set(), written, 200, 0)
    expect(seen.size).toBeGreaterThanOrEqual(200)

    const survived = await restartAndCheck(store, [], seen, written)
    console.log(`[crash ${store.label}] written ${writtenThisCycle}, seen by observer ${seen.size}, survived ${survived}`)
    expect(survived).toBeGreaterThanOrEqual(seen.size)
  }, 40_000)

  it('survives repeated kills during frequent compaction (--compact-after-updates 5)', async () => {
    const store = await openStore()
    const seed = testSeed(`crash-compaction-${store.label}`)
    const random = createRandom(seed)
    const args = ['--compact-after-updates', '5']
    const written = new Set<string>()
    const seen = new Set<string>()
    const kills = 5
    for (let cycle = 0; cycle < kills; cycle++) {
      const delayMs = Math.floor(random() * 300)
      const result = await liveAndDie(store, args, cycle, seen, written, 20, delayMs)
      for (const token of result.seen) seen.add(token)
      console.log(
        `[crash ${store.label}] kill ${cycle + 1}/${kills} at +${delayMs} ms: written ${result.writtenThisCycle}, seen so far ${seen.size}`,
      )
    }
    const survived = await restartAndCheck(store, args, seen, written)
    console.log(`[crash ${store.label}] after ${kills} kills: seen ${seen.size}, survived ${survived}, written ${written.size}`)
    expect(survived).toBeGreaterThanOrEqual(seen.size)
  }, 60_000)
})
