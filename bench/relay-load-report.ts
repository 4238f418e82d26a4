/**
 * The tables of the load scenarios of bench/relay.ts (bench/relay-load.ts):
 * one per scenario, each figure the mean of the runs with their range, and
 * one of ratios, ours (memory) over every other server.
 */
import type { CapacityRun } from './relay-capacity.ts'
import { IDLE_WARM_UP_CLIENTS } from './relay-idle.ts'
import { SETTLE } from './relay-settle.ts'
import type { LoadParams, LoadResults, Runs } from './relay-load.ts'
import { SERVERS } from './relay-process.ts'
import type { ServerKind } from './relay-server.ts'
import { mean, num, range, ratio, spread, type Table } from './relay-table.ts'

const MiB = 2 ** 20
const KiB = 1024

type PerServer<T> = Partial<Record<ServerKind, Runs<T>>>

/** The rows of a scenario: servers with at least one run, then a line for each server whose runs all failed. */
function rowsOf<T>(perServer: PerServer<T> | undefined, cells: (runs: T[], kind: ServerKind) => string[]): { rows: string[][]; failed: string[] } {
  const rows: string[][] = []
  const failed: string[] = []
  for (const [kind, entry] of Object.entries(perServer ?? {}) as [ServerKind, Runs<T>][]) {
    if (entry.runs.length > 0) rows.push([SERVERS[kind].label, ...cells(entry.runs, kind)])
    if (entry.errors.length > 0) failed.push(`${SERVERS[kind].label}: ${entry.errors.length} run(s) failed: ${entry.errors[0]}`)
  }
  return { rows, failed }
}

const runsOf = <T>(perServer: PerServer<T> | undefined, kind: ServerKind): T[] => perServer?.[kind]?.runs ?? []

/** The ours-over-them ratio of one figure, for a row of `kind`. */
function versusOurs<T>(perServer: PerServer<T> | undefined, kind: ServerKind, figure: (run: T) => number): string {
  if (kind === 'ours') return '1.00x'
  return ratio(mean(runsOf(perServer, 'ours').map(figure)), mean(runsOf(perServer, kind).map(figure)))
}

/** The editor count a capacity run held, and the step detail cell: `p99 ms / RSS MiB` (✗ on the step that missed). */
const held = (run: CapacityRun): number => run.capacity

export function loadTables(results: Partial<LoadResults>, params: LoadParams): Table[] {
  const tables: Table[] = []
  const runsNote = params.runs > 1 ? `Mean of ${params.runs} runs (range in parentheses), each on a fresh server process.` : '1 run per server (--quick).'

  const floodTable = (scenario: 'flood' | 'rooms' | 'crowd', title: string, note: string): void => {
    const perServer = results[scenario]
    if (!perServer) return
    const { rows, failed } = rowsOf(perServer, (runs, kind) => [
      spread(runs.map((r) => r.deliveriesPerSec)),
      spread(runs.map((r) => r.serverCpuUsPerDelivery), 1),
      num(Math.max(...runs.map((r) => r.lost))),
      versusOurs(perServer, kind, (r) => r.deliveriesPerSec),
    ])
    tables.push({
      title,
      header: ['server', 'deliveries/s', 'server cpu µs/delivery', 'lost', 'ours / this'],
      rows,
      notes: [`${note} Above 1x: ours delivers more. ${runsNote}`, ...failed],
    })
  }
  const { flood, rooms, crowd } = params
  floodTable('flood', `Flood: 2 editors in one room, up to ${flood.window} keystrokes each in flight, ${flood.seconds} s`, 'A keystroke is delivered when the other editor has it.')
  floodTable(
    'rooms',
    `Flood, many rooms: ${rooms.rooms} rooms of ${rooms.perRoom} editors, up to ${rooms.window} keystrokes each in flight, ${rooms.seconds} s`,
    `A keystroke counts once for each of the ${rooms.perRoom - 1} other editors of its room that has it.`,
  )
  floodTable(
    'crowd',
    `Flood, one large room: ${crowd.perRoom} editors, up to ${crowd.window} keystrokes each in flight, ${crowd.seconds} s`,
    `A keystroke counts once for each of the ${crowd.perRoom - 1} other editors that has it.`,
  )

  if (results.paced) {
    const { rows, failed } = rowsOf(results.paced, (runs, kind) => [
      spread(runs.map((r) => r.p50Ms), 2),
      spread(runs.map((r) => r.p99Ms), 1),
      spread(runs.map((r) => r.p999Ms), 1),
      num(Math.max(...runs.map((r) => r.lost))),
      spread(runs.map((r) => r.serverCores), 2),
      versusOurs(results.paced, kind, (r) => r.p99Ms),
    ])
    const { editors, rate, seconds } = params.paced
    tables.push({
      title: `Paced: ${editors} editors in one room, ${rate} keystrokes/s each, ${seconds} s`,
      header: ['server', 'p50 ms', 'p99 ms', 'p99.9 ms', 'lost', 'server cores', 'p99 ours / this'],
      rows,
      notes: [
        `Send-to-arrival over every (keystroke, other editor) pair: ${num(editors * rate * seconds * (editors - 1))} per run. Below 1x: ours is quicker. ${runsNote}`,
        ...failed,
      ],
    })
  }

  if (results.capacity) {
    const { steps, p99LimitMs, editorsPerDocument, stepSeconds } = params.capacity
    const { rows, failed } = rowsOf(results.capacity, (runs, kind) => [
      range(runs.map(held)),
      runs.map((r) => r.stopped).filter((s, i, all) => all.indexOf(s) === i).join('; '),
      versusOurs(results.capacity, kind, held),
    ])
    tables.push({
      title: `Capacity: editors ${editorsPerDocument} to a document, 1 keystroke + 1 cursor update per second each, ${stepSeconds} s per step`,
      header: ['server', `editors held (p99 < ${p99LimitMs} ms, none lost)`, 'stopped at', 'ours / this'],
      rows,
      notes: [`Steps: ${steps.map((s) => num(s)).join(', ')}. Above 1x: ours holds more editors. ${runsNote}`, ...failed],
    })
    const reached = steps.filter((step) => Object.values(results.capacity!).some((entry) => entry.runs.some((run) => run.steps.some((s) => s.editors === step))))
    const detail = rowsOf(results.capacity, (runs) =>
      reached.map((step) => {
        const at = runs.flatMap((run) => run.steps.filter((s) => s.editors === step))
        if (at.length === 0) return '-'
        const mark = at.some((s) => !s.holds) ? ' ✗' : ''
        return `${range(at.map((s) => s.p99Ms), 1)}${mark} / ${range(at.map((s) => s.rss / MiB))}`
      }),
    )
    tables.push({
      title: 'Capacity per step: p99 ms / server RSS MiB (✗: the step missed the bar)',
      header: ['server', ...reached.map((step) => num(step))],
      rows: detail.rows,
      notes: ['RSS after each step with every editor still connected, after a forced GC. Ranges over the runs that reached the step.'],
    })
  }

  if (results.idle) {
    const { rooms, perRoom } = params.idle
    const { rows, failed } = rowsOf(results.idle, (runs, kind) => [
      spread(runs.map((r) => r.freshRss / MiB), 1),
      spread(runs.map((r) => r.startRss / MiB), 1),
      spread(runs.map((r) => r.joinedRss / MiB), 1),
      spread(runs.map((r) => (r.joinedRss - r.startRss) / MiB), 1),
      spread(runs.map((r) => r.bytesPerConnection / KiB), 1),
      spread(runs.map((r) => r.heapBytesPerConnection / KiB), 1),
      versusOurs(results.idle, kind, (r) => r.bytesPerConnection),
    ])
    tables.push({
      title: `Idle connections: ${num(rooms * perRoom)} clients joined to ${rooms} rooms, doing nothing`,
      header: ['server', 'RSS fresh MiB', `RSS with ${IDLE_WARM_UP_CLIENTS} MiB`, `RSS with ${num(rooms * perRoom)} more MiB`, 'growth MiB', 'KiB per connection', 'heap KiB per connection', 'ours / this'],
      rows,
      notes: [
        `RSS after a forced GC. ${IDLE_WARM_UP_CLIENTS} clients join first, in rooms of their own, and stay: what a server loads and compiles at its first ` +
          `connections is a one-time cost, so the growth is counted from there. KiB per connection: growth over ${num(rooms * perRoom)} (it includes the ${rooms} empty documents); heap KiB: the ` +
          `same for the JavaScript heap alone (the objects kept, without what the runtime reserves around them). ` +
          `Below 1x: ours is smaller. ${runsNote}`,
        ...failed,
      ],
    })
  }

  if (results.churn) {
    const { documents, atOnce, roomIdleMs, idleWaitMs } = params.churn
    const { rows, failed } = rowsOf(results.churn, (runs, kind) => [
      spread(runs.map((r) => r.start.rss / MiB), 1),
      spread(runs.map((r) => r.after.rss / MiB), 1),
      spread(runs.map((r) => r.afterIdle.rss / MiB), 1),
      spread(runs.map((r) => r.settled.rss / MiB), 1),
      `${range(runs.map((r) => r.settled.rss / r.start.rss), 2)}x`,
      `${spread(runs.map((r) => r.settledAfterMs / 1000))}${runs.every((r) => r.settledInTime) ? '' : ' ✗ (still moving at the cap)'}`,
      spread(runs.map((r) => r.settled.heapUsed / MiB), 1),
      `${range(runs.map((r) => r.after.documents))} / ${range(runs.map((r) => r.settled.documents))}`,
      spread(runs.map((r) => r.documents / r.seconds)),
      spread(runs.map((r) => (r.settled.rss - r.start.rss) / MiB), 1),
    ])
    tables.push({
      title: `Churn: ${num(documents)} documents opened, written once and closed, ${atOnce} at a time`,
      header: [
        'server',
        'RSS fresh MiB',
        'RSS after MiB',
        `RSS ${num(idleWaitMs)} ms later MiB`,
        'RSS settled MiB',
        'settled / fresh',
        'settled after s',
        'heap settled MiB',
        'documents held after / settled',
        'documents/s',
        'growth MiB',
      ],
      rows,
      notes: [
        `"Fresh": a new server's RSS, settled. "After": at the last close. "Settled": once RSS has stayed within ${SETTLE.spreadBytes / MiB} MiB over ${SETTLE.windowReadings} readings ` +
          `${num(SETTLE.everyMs)} ms apart (at most ${SETTLE.maxMs / 1000} s after the last close): a runtime gives freed pages back on its own schedule ` +
          `(V8's memory reducer runs seconds after a process goes quiet), so the settled reading tells memory kept from memory not yet returned. ` +
          `Our relay ran with roomIdleMs ${num(roomIdleMs)} (default 10,000) in this scenario. ` +
          'The peers have no idle setting: @y/websocket-server keeps every document without persistence, Hocuspocus and the floor let go at the last close. ' +
          `Ours (memory) keeps the closed documents in its memory storage (it is the database). Growth: RSS settled minus fresh (below 0: it settles under its fresh reading). ${runsNote}`,
        ...failed,
      ],
    })
  }

  return tables
}

/** One figure per scenario for the chart: per server, the mean over its runs. */
export interface ChartSeries {
  title: string
  unit: string
  better: 'higher' | 'lower'
  values: { server: string; kind: ServerKind; value: number }[]
}

export function chartSeries(results: Partial<LoadResults>): ChartSeries[] {
  const churnDocuments = Object.values(results.churn ?? {}).flatMap((entry) => entry?.runs ?? [])[0]?.documents ?? 0
  const series = <T>(title: string, unit: string, better: 'higher' | 'lower', perServer: PerServer<T> | undefined, figure: (run: T) => number): ChartSeries[] => {
    if (!perServer) return []
    const values = (Object.entries(perServer) as [ServerKind, Runs<T>][])
      .filter(([, entry]) => entry.runs.length > 0)
      .map(([kind, entry]) => ({ server: SERVERS[kind].label, kind, value: mean(entry.runs.map(figure)) }))
    return [{ title, unit, better, values }]
  }
  return [
    ...series('2-editor flood', 'deliveries/s', 'higher', results.flood, (r) => r.deliveriesPerSec),
    ...series('Flood, 100 rooms of 5', 'deliveries/s', 'higher', results.rooms, (r) => r.deliveriesPerSec),
    ...series('Flood, 1 room of 50', 'deliveries/s', 'higher', results.crowd, (r) => r.deliveriesPerSec),
    ...series('200 editors paced: p99', 'ms', 'lower', results.paced, (r) => r.p99Ms),
    ...series('Capacity (p99 < 50 ms)', 'editors', 'higher', results.capacity, held),
    ...series('Idle connection', 'KiB each', 'lower', results.idle, (r) => r.bytesPerConnection / KiB),
    ...series(`Churn: RSS settled after ${num(churnDocuments)} documents`, 'x fresh RSS', 'lower', results.churn, (r) => r.settled.rss / r.start.rss),
  ]
}
