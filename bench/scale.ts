/**
 * Scale-out benchmark: `collab-relay` processes sharing documents through
 * PostgreSQL and Redis, measured against one instance on the same storage.
 *
 *   npm run bench -- scale [--quick]
 *
 * Each scenario is one writer sending trace updates at a steady rate to
 * readers in a fresh room (bench/relay-scenarios.ts, `latency`):
 *   single           one instance, PostgreSQL, no Redis: the baseline
 *   same-instance    two instances with Redis; writer and readers on A (B holds nothing of it)
 *   cross-instance   two instances with Redis; writer on A, readers on B
 * Reported: send-to-arrival latency (p50, p99) and the CPU time each instance
 * spent per update (from /proc, so it includes the instance's idle work).
 * Needs PostgreSQL (TEST_DATABASE_URL or postgres://postgres@127.0.0.1:5432/test;
 * the benchmark creates a database of its own and drops it) and Redis
 * (REDIS_URL or redis://127.0.0.1:6379), and a build (`npm run build`).
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { cpus } from 'node:os'
import { fileURLToPath } from 'node:url'
import pg from 'pg'
import { yWebsocketDialect } from './relay-clients.ts'
import { RELAY_NODE_FLAGS } from './relay-process.ts'
import { latency, sliceOf, type LatencyResult, type ServerProbe } from './relay-scenarios.ts'
import { loadTrace, replay } from './trace.ts'

const quick = process.argv.includes('--quick')
const RATE = 100
const SECONDS = quick ? 3 : 10
const READERS = 10
const PG_URL = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test'
const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379'
const BIN = fileURLToPath(new URL('../bin/collab-relay.js', import.meta.url))
const RESULTS_DIR = fileURLToPath(new URL('./results/', import.meta.url))
const CLK_TCK = 100
/** Flood limits off: one machine plays every client (see bench/unlimited.ts). */
const UNLIMITED = [
  '--max-connections-per-ip', '0', '--max-upgrades-per-minute', '0',
  '--rate-messages', '1000000', '--rate-message-burst', '100000000',
  '--rate-bytes', '1073741824', '--rate-byte-burst', '17179869184',
]

interface Instance extends ServerProbe {
  base: string
  child: ChildProcess
  stop(): Promise<void>
}

/** CPU time of a process so far, from /proc (user and system, microseconds). */
function cpuOf(pid: number): NodeJS.CpuUsage {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ')
  // After "pid (comm) ": field 14 (utime) is index 11, 15 (stime) index 12.
  return { user: (Number(fields[11]) * 1e6) / CLK_TCK, system: (Number(fields[12]) * 1e6) / CLK_TCK }
}

async function startInstance(databaseUrl: string, redis: boolean): Promise<Instance> {
  const args = [...RELAY_NODE_FLAGS, BIN, '--port', '0', '--database-url', databaseUrl, '--log-level', 'warn', ...UNLIMITED, ...(redis ? ['--redis-url', REDIS_URL] : [])]
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, COLLAB_RELAY_AUTH_SECRET: '' } })
  const base = await new Promise<string>((resolve, reject) => {
    let out = ''
    child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
      out += chunk
      const match = /listening on http:\/\/([^\s]+)/.exec(out)
      if (match) resolve(`ws://${match[1]}`)
    })
    child.once('exit', (code) => reject(new Error(`collab-relay exited with ${code} before listening`)))
  })
  return {
    base,
    child,
    cpu: async () => cpuOf(child.pid!),
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve()
        child.once('exit', () => resolve())
        child.kill('SIGTERM')
      }),
  }
}

async function withDatabase<T>(work: (url: string) => Promise<T>): Promise<T> {
  const name = `bench_scale_${process.pid}`
  const admin = new pg.Client({ connectionString: PG_URL })
  await admin.connect()
  await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)
  await admin.query(`CREATE DATABASE ${name}`)
  try {
    const url = new URL(PG_URL)
    url.pathname = `/${name}`
    return await work(url.toString())
  } finally {
    await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)
    await admin.end()
  }
}

const cpuUs = (usage: NodeJS.CpuUsage): number => usage.user + usage.system

interface Row {
  scenario: string
  result: LatencyResult
  /** CPU per update of the writer's instance and, with two, of the other. */
  cpuA: number
  cpuB: number | null
}

async function measure(scenario: string, writer: Instance, readers: Instance, other: Instance | null, slice: ReturnType<typeof sliceOf>): Promise<Row> {
  const dialect = yWebsocketDialect(true)
  const before = other ? cpuUs(await other.cpu()) : 0
  const result = await latency(writer.base, dialect, slice, READERS, RATE, scenario, writer, readers.base)
  const after = other ? cpuUs(await other.cpu()) : 0
  return { scenario, result, cpuA: result.serverCpuUsPerUpdate, cpuB: other ? (after - before) / slice.updates.length : null }
}

async function main(): Promise<void> {
  if (!existsSync(fileURLToPath(new URL('../dist/node/server/main.js', import.meta.url)))) {
    throw new Error('no build: run `npm run build` first (the benchmark runs the compiled collab-relay)')
  }
  const trace = loadTrace()
  const count = RATE * SECONDS
  const { updates } = replay(trace, count)
  // Every scenario types the trace's opening in a room of its own (later
  // stretches build on earlier ones; the relay would hold them back).
  const slice = sliceOf(updates, count)
  const slices = [slice, slice, slice, slice]
  console.log(`scale-out: ${count} updates at ${RATE}/s from one writer to ${READERS} readers; ${cpus().length} cores${quick ? ' [--quick]' : ''}`)

  const rows: Row[] = await withDatabase(async (databaseUrl) => {
    const measured: Row[] = []
    const single = await startInstance(databaseUrl, false)
    try {
      await latency(single.base, yWebsocketDialect(true), slices[3], 2, 1000, 'warmup', single)
      measured.push(await measure('single (PostgreSQL, no Redis)', single, single, null, slices[0]))
    } finally {
      await single.stop()
    }
    const a = await startInstance(databaseUrl, true)
    const b = await startInstance(databaseUrl, true)
    try {
      await latency(a.base, yWebsocketDialect(true), slices[3], 2, 1000, 'warmup', a, b.base)
      measured.push(await measure('same-instance (A to A, B idle)', a, a, b, slices[1]))
      measured.push(await measure('cross-instance (A to B)', a, b, b, slices[2]))
    } finally {
      await Promise.all([a.stop(), b.stop()])
    }
    return measured
  })

  const fmt = (n: number): string => (n >= 100 ? n.toFixed(0) : n.toFixed(2))
  console.log('\n| scenario | p50 ms | p99 ms | writer instance CPU µs/update | other instance CPU µs/update |')
  console.log('|---|---|---|---|---|')
  for (const row of rows) {
    console.log(`| ${row.scenario} | ${fmt(row.result.p50Ms)} | ${fmt(row.result.p99Ms)} | ${fmt(row.cpuA)} | ${row.cpuB === null ? '—' : fmt(row.cpuB)} |`)
  }
  const same = rows[1].result
  const cross = rows[2].result
  console.log(`\ncross-instance / same-instance: p50 ×${(cross.p50Ms / same.p50Ms).toFixed(2)}, p99 ×${(cross.p99Ms / same.p99Ms).toFixed(2)}`)
  mkdirSync(RESULTS_DIR, { recursive: true })
  const file = `${RESULTS_DIR}scale-${new Date().toISOString().replace(/[:.]/g, '-')}.json`
  writeFileSync(file, JSON.stringify({ rate: RATE, seconds: SECONDS, readers: READERS, cores: cpus().length, rows }, null, 2))
  console.log(`results: ${file}`)
}

await main()
