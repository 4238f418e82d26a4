/** The table and the ratios that bench/relay.ts prints (and writes to its JSON). */
import type { Memory } from './relay-process.ts'
import { SETTLE } from './relay-settle.ts'
import type { LatencyResult, ThroughputResult } from './relay-scenarios.ts'
import type { ServerKind } from './relay-server.ts'
import { printTable, type Table } from './relay-table.ts'

export type { Memory }

export interface Row {
  kind: ServerKind
  server: string
  /** Why the server was not measured. */
  error?: string
  /** (a) the median run; `runs` holds every run's rate. */
  throughput?: ThroughputResult & { runs: number[] }
  latency?: LatencyResult
  fanout?: ThroughputResult & { runs: number[] }
  /** (d) after the first run of (a), its clients still connected; `idle` on a fresh server before any client. */
  /** (d): right after the burst, and once RSS has settled (relay-settle.ts), with the clients still connected. */
  memory?: { afterThroughput: Memory; settled: Memory; settledInTime: boolean; idle: Memory }
}

interface Params {
  readers: number
  fanoutReaders: number
  latencyRate: number
  throughputRepeats: number
}

const MiB = 2 ** 20

/** Our relay (memory storage) against each other row: ours / theirs for every figure. */
export interface Ratio {
  against: string
  /** Above 1: ours relays faster. */
  throughput: number | null
  fanout: number | null
  /** Below 1: ours is quicker, smaller or cheaper. */
  throughputCpu: number | null
  fanoutCpu: number | null
  p50: number | null
  p99: number | null
  /** (d): RSS after (a), settled, with the clients connected. */
  rss: number | null
}

/** RSS after (a) minus a fresh server's: what the document and its clients cost, without the runtime and tsx loader every child carries. */
const rssGrowth = (row: Row): number => row.memory!.settled.rss - row.memory!.idle.rss

export function ratios(rows: Row[]): Ratio[] {
  const ours = rows.find((row) => row.kind === 'ours' && !row.error)
  if (!ours) return []
  const ratio = (a: number | undefined, b: number | undefined): number | null =>
    a === undefined || b === undefined || b === 0 ? null : Math.round((a / b) * 100) / 100
  return rows
    .filter((row) => row !== ours && !row.error)
    .map((row) => ({
      against: row.server,
      throughput: ratio(ours.throughput?.updatesPerSec, row.throughput?.updatesPerSec),
      fanout: ratio(ours.fanout?.updatesPerSec, row.fanout?.updatesPerSec),
      throughputCpu: ratio(ours.throughput?.serverCpuUsPerUpdate, row.throughput?.serverCpuUsPerUpdate),
      fanoutCpu: ratio(ours.fanout?.serverCpuUsPerUpdate, row.fanout?.serverCpuUsPerUpdate),
      p50: ratio(ours.latency?.p50Ms, row.latency?.p50Ms),
      p99: ratio(ours.latency?.p99Ms, row.latency?.p99Ms),
      rss: ratio(ours.memory?.settled.rss, row.memory?.settled.rss),
    }))
}

const fixed = (x: number | undefined, digits: number): string => (x === undefined ? '-' : x.toFixed(digits))
const times = (x: number | null): string => (x === null ? '-' : `${x.toFixed(2)}x`)

/** The table of scenarios (a)-(d), the table of ratios and their notes. */
export function classicTables(rows: Row[], params: Params): Table[] {
  const measured = rows.filter((row) => !row.error)
  const tables: Table[] = []
  tables.push({
    title: '(a)-(d): one writer replaying the editing trace',
    header: ['server', '(a) upd/s', '(a) cpu µs', '(b) p50 ms', '(b) p99 ms', '(c) upd/s', '(c) cpu µs', '(d) RSS MiB', 'right after MiB', 'growth MiB', 'heap MiB'],
    rows: measured.map((row) => [
      row.server,
      fixed(row.throughput?.updatesPerSec, 0),
      fixed(row.throughput?.serverCpuUsPerUpdate, 0),
      fixed(row.latency?.p50Ms, 2),
      fixed(row.latency?.p99Ms, 2),
      fixed(row.fanout?.updatesPerSec, 0),
      fixed(row.fanout?.serverCpuUsPerUpdate, 0),
      `${fixed(row.memory && row.memory.settled.rss / MiB, 1)}${row.memory && !row.memory.settledInTime ? ' ✗' : ''}`,
      fixed(row.memory && row.memory.afterThroughput.rss / MiB, 1),
      fixed(row.memory && rssGrowth(row) / MiB, 1),
      fixed(row.memory && row.memory.settled.heapUsed / MiB, 1),
    ]),
    notes: [
      `(a): burst to ${params.readers} readers; (c): burst to ${params.fanoutReaders} readers; ` +
        'cpu µs: server CPU time (user + system) per update over the measured window. ' +
        `(a), (c): median of ${params.throughputRepeats} run(s), each on a fresh server process; ` +
        `(b): ${params.latencyRate} updates/s, p50/p99 over every (update, reader) pair; ` +
        `(d): RSS after the first run of (a) with its ${params.readers + 1} clients still connected, after a forced GC, once it has settled ` +
        `(stayed within ${SETTLE.spreadBytes / 2 ** 20} MiB over ${SETTLE.windowReadings} readings ${SETTLE.everyMs / 1000} s apart, at most ${SETTLE.maxMs / 1000} s); ` +
        '"right after": the first of those readings; ✗: still moving at the cap (the last reading); growth: settled minus the settled RSS of a fresh server (idle). ' +
        'The ratio table compares the whole RSS, which includes the runtime and loader every server carries and the code each loads.',
      ...rows.filter((row) => row.error).map((row) => `${row.server}: not measured: ${row.error}`),
    ],
  })

  const ratioRows = ratios(rows)
  if (ratioRows.length > 0) {
    tables.push({
      title: '(a)-(d): ours (memory) / other',
      header: ['ours (memory) / other', '(a) upd/s', '(c) upd/s', '(a) cpu', '(c) cpu', '(b) p50', '(b) p99', '(d) RSS'],
      rows: ratioRows.map((r) => [
        r.against,
        times(r.throughput),
        times(r.fanout),
        times(r.throughputCpu),
        times(r.fanoutCpu),
        times(r.p50),
        times(r.p99),
        times(r.rss),
      ]),
      notes: [
        'upd/s: above 1x means ours relays faster. cpu, latency and RSS: below 1x means ours is cheaper, quicker or smaller.',
        'Against the floor, the throughput ratio is the share of a bare broadcast that ours achieves.',
      ],
    })
  }
  return tables
}

/** The run notes under the tables: every run's rate and the load generator's share, per server. */
export function classicNotes(rows: Row[]): string[] {
  return rows
    .filter((row) => !row.error)
    .map((row) =>
      [
        `${row.server}: (a) runs ${row.throughput!.runs.join(' / ')}`,
        `(c) runs ${row.fanout!.runs.join(' / ')}`,
        `frames per reader ${Math.round(row.throughput!.framesPerReader)} (a), ${Math.round(row.fanout!.framesPerReader)} (c)`,
        `load generator busy ${fixed(row.throughput!.clientCpuShare, 2)} (a), ${fixed(row.fanout!.clientCpuShare, 2)} (c) cores`,
        `(b) max ${fixed(row.latency!.maxMs, 1)} ms, writer at ${fixed(row.latency!.sentPerSec, 1)}/s, ` +
          `server cpu ${fixed(row.latency!.serverCpuUsPerUpdate, 0)} µs/update`,
        `idle RSS ${fixed(row.memory!.idle.rss / MiB, 1)} MiB`,
      ].join('; '),
    )
}

export function printReport(rows: Row[], params: Params): void {
  for (const table of classicTables(rows, params)) printTable(table)
  for (const note of classicNotes(rows)) console.log(note)
}
