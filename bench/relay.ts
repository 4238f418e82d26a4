/**
 * Relay benchmark: our relay against @y/websocket-server, @hocuspocus/server
 * and a raw `ws` broadcast server (the floor), each in a child process of
 * its own (bench/relay-process.ts, bench/relay-server.ts), driven by clients
 * in this process: the trace scenarios (a)-(d) (bench/relay-scenarios.ts)
 * and the load scenarios flood, rooms, crowd, paced, capacity, idle and churn
 * (bench/relay-load.ts). See bench/README.md and docs/benchmarks.md.
 *
 *   node --import tsx bench/relay.ts [--quick] [--servers=ours,hocuspocus]
 *     [--scenarios=classic,flood,rooms,crowd,paced,capacity,idle,churn] [--docs | --no-docs] [--cpu-prof]
 *
 * A run of every server and every scenario rewrites docs/benchmarks.md and
 * docs/benchmarks.svg (`--docs` forces it for a partial run, `--no-docs`
 * skips it). `--cpu-prof` starts every server child with `--cpu-prof`,
 * writing its profiles to bench/results/cpu-prof/<server>-<scenario>-<n>/
 * when it exits (`CPU.*.<pid>.0.001.cpuprofile` is the main thread's).
 */
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { writeBenchmarkDocs } from './relay-docs.ts'
import { checkKeystrokeEncoding } from './relay-keystrokes.ts'
import { LOAD_SCENARIOS, loadParams, runLoadScenarios, type LoadResults, type LoadScenario } from './relay-load.ts'
import { loadTables } from './relay-load-report.ts'
import { SERVERS, startServer, type Memory, type ServerProcess } from './relay-process.ts'
import { settledReading } from './relay-settle.ts'
import { latency, sliceOf, throughput, type Slice, type ThroughputResult } from './relay-scenarios.ts'
import { classicNotes, classicTables, ratios, type Row } from './relay-report.ts'
import { SERVER_KINDS, type ServerKind } from './relay-server.ts'
import { printTable } from './relay-table.ts'
import { loadTrace, replay, type Trace } from './trace.ts'
import { machineInfo } from './machine.ts'

const quick = process.argv.includes('--quick')
const profile = process.argv.includes('--cpu-prof')
const flag = (name: string): string[] | undefined =>
  process.argv.find((arg) => arg.startsWith(`--${name}=`))?.slice(name.length + 3).split(',')
const only = flag('servers')
const SCENARIOS = ['classic', ...LOAD_SCENARIOS] as const
const scenarios = flag('scenarios') ?? [...SCENARIOS]
for (const name of scenarios) {
  if (!(SCENARIOS as readonly string[]).includes(name)) throw new Error(`--scenarios: unknown "${name}" (one of ${SCENARIOS.join(', ')})`)
}
for (const name of only ?? []) {
  if (!(SERVER_KINDS as readonly string[]).includes(name)) throw new Error(`--servers: unknown "${name}" (one of ${SERVER_KINDS.join(', ')})`)
}
const kinds = SERVER_KINDS.filter((kind) => !only || only.includes(kind))
const complete = !only && scenarios.length === SCENARIOS.length
const writeDocs = !process.argv.includes('--no-docs') && (complete || process.argv.includes('--docs'))

/** Sizes of (a)-(d): about 4 minutes of the full run on 2 cores, under a minute of `--quick`. The load scenarios: `loadParams`. */
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
const PROFILE_DIR = profile ? join(RESULTS_DIR, 'cpu-prof') : undefined
const MiB = 2 ** 20

/** A fresh, warmed-up server for one measurement; stopped afterwards whatever happens. */
async function onFreshServer<T>(kind: ServerKind, label: string, warmup: Slice, run: (server: ServerProcess) => Promise<T>): Promise<T> {
  const server = await startServer(kind, { label, profileDir: PROFILE_DIR })
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
  let settled: Memory | undefined
  let settledInTime = true
  // Idle memory is taken on a server of its own: the measured ones are warmed up first.
  const probe = await startServer(kind, { label: 'idle', profileDir: PROFILE_DIR })
  try {
    idle = (await settledReading(() => probe.memory(), performance.now())).reading
  } finally {
    await probe.stop()
  }
  row.throughput = await medianThroughput(kind, 'throughput', slices.warmup, slices.throughput, params.readers, async (server) => {
    const since = performance.now()
    afterThroughput = await server.memory()
    const reading = await settledReading(() => server.memory(), since, afterThroughput)
    settled = reading.reading
    settledInTime = reading.settled
  })
  row.memory = { idle, afterThroughput: afterThroughput!, settled: settled!, settledInTime }
  row.latency = await onFreshServer(kind, 'latency', slices.warmup, (server) =>
    latency(server.base, SERVERS[kind].dialect, slices.latency, params.readers, params.latencyRate, 'latency', server),
  )
  row.fanout = await medianThroughput(kind, 'fanout', slices.warmup, slices.fanout, params.fanoutReaders)
  return row
}

/** (a)-(d) on every server: the trace replayed by one writer to its readers. */
async function classic(trace: Trace): Promise<{ rows: Row[]; slices: Record<'throughput' | 'latency' | 'fanout', Slice> }> {
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
  for (const kind of kinds) {
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
  return { rows, slices }
}

async function main(): Promise<void> {
  const began = performance.now()
  const startedAt = new Date()
  checkKeystrokeEncoding()
  const trace = scenarios.includes('classic') ? loadTrace() : undefined
  if (trace) console.log(`trace: ${trace.note}`)
  const classicRun = trace ? await classic(trace) : undefined
  const rows = classicRun?.rows ?? []

  const chosen = LOAD_SCENARIOS.filter((name) => scenarios.includes(name)) as LoadScenario[]
  const load = loadParams(quick)
  if (chosen.length > 0) console.log(`load scenarios: ${chosen.join(', ')}, ${load.runs} run(s) each per server${quick ? ' [--quick]' : ''}`)
  const loadResults: Partial<LoadResults> = await runLoadScenarios(kinds, chosen, load, PROFILE_DIR)

  const tables = [...(classicRun ? classicTables(rows, params) : []), ...loadTables(loadResults, load)]
  console.log('')
  for (const table of tables) printTable(table)
  for (const note of classicNotes(rows)) console.log(note)
  if (trace) console.log(`trace: ${trace.source}${trace.credit ? ` (${trace.credit})` : ' (the real trace was not found)'}`)

  const machine = machineInfo()
  const report = {
    generatedAt: startedAt.toISOString(),
    mode: quick ? 'quick' : 'full',
    servers: kinds,
    scenarios,
    machine,
    trace: trace && { source: trace.source, credit: trace.credit, note: trace.note },
    params: classicRun && {
      ...params,
      throughputUpdates: classicRun.slices.throughput.updates.length,
      latencyUpdates: classicRun.slices.latency.updates.length,
      fanoutUpdates: classicRun.slices.fanout.updates.length,
    },
    results: rows.map((row) => ({
      ...row,
      memory: row.memory && {
        idleRssMiB: round(row.memory.idle.rss / MiB),
        rssRightAfterMiB: round(row.memory.afterThroughput.rss / MiB),
        rssMiB: round(row.memory.settled.rss / MiB),
        heapUsedMiB: round(row.memory.settled.heapUsed / MiB),
      },
    })),
    ratios: ratios(rows),
    load: { params: load, results: loadResults },
    durationSeconds: round((performance.now() - began) / 1000),
  }
  mkdirSync(RESULTS_DIR, { recursive: true })
  const out = join(RESULTS_DIR, 'relay-latest.json')
  // Two decimals are more than the run-to-run noise.
  const rounded = (_key: string, value: unknown): unknown => (typeof value === 'number' && !Number.isInteger(value) ? Math.round(value * 100) / 100 : value)
  writeFileSync(out, `${JSON.stringify(report, rounded, 2)}\n`)
  console.log(`written ${out} (${report.durationSeconds} s)`)
  if (writeDocs) {
    const written = writeBenchmarkDocs({
      tables,
      load: loadResults,
      mode: report.mode,
      generatedAt: report.generatedAt,
      durationSeconds: report.durationSeconds,
      machine,
      traceCredit: trace?.credit ?? null,
    })
    console.log(`written ${written.join(', ')}`)
  } else {
    console.log('docs/benchmarks.md not rewritten (a partial run; --docs writes it anyway)')
  }
  const failed = [
    ...rows.filter((row) => row.error).map((row) => row.server),
    ...Object.entries(loadResults).flatMap(([scenario, perServer]) =>
      Object.entries(perServer ?? {})
        .filter(([, entry]) => entry.errors.length > 0)
        .map(([kind]) => `${scenario} on ${SERVERS[kind as ServerKind].label}`),
    ),
  ]
  if (failed.length > 0) {
    console.log(`not measured: ${failed.join(', ')}`)
    process.exitCode = 1
  }
}

const round = (x: number): number => Math.round(x * 10) / 10

await main()
