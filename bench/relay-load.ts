/**
 * The load scenarios of bench/relay.ts, each run against every server kind
 * on a fresh server process per run:
 *
 * - flood: two editors in one room, each with up to 64 keystrokes in flight;
 * - rooms: the same in 100 rooms of 5 editors, 16 in flight each;
 * - crowd: one room of 50 editors, 16 in flight each;
 * - paced: 200 editors in one room, each typing a keystroke every 2 s;
 * - capacity: editors ten to a document, a keystroke and a cursor update a
 *   second each, stepped up until p99 reaches 50 ms or anything is lost;
 * - idle: 2,000 clients joined to 200 rooms, doing nothing;
 * - churn: 10,000 documents opened, written once and closed, a few at a time.
 *
 * Runs go round the servers (run 1 of every server, then run 2), so that
 * drift in the machine's speed spreads over all of them.
 */
import { capacity, type CapacityParams, type CapacityRun } from './relay-capacity.ts'
import { EditorPool, type TypingResult } from './relay-editors.ts'
import { flood, type FloodParams, type FloodResult } from './relay-flood.ts'
import { churn, idleConnections, type ChurnResult, type IdleResult } from './relay-idle.ts'
import { SERVERS, onServer, type ServerProcess } from './relay-process.ts'
import type { ServerKind } from './relay-server.ts'

export const LOAD_SCENARIOS = ['flood', 'rooms', 'crowd', 'paced', 'capacity', 'idle', 'churn'] as const
export type LoadScenario = (typeof LOAD_SCENARIOS)[number]

/** Sizes of the load scenarios; see `loadParams`. */
export interface LoadParams {
  /** Runs of every scenario per server, each on a fresh server process. */
  runs: number
  flood: FloodParams
  rooms: FloodParams
  crowd: FloodParams
  paced: { editors: number; rate: number; seconds: number; warmupSeconds: number; drainMs: number }
  capacity: CapacityParams
  idle: { rooms: number; perRoom: number }
  churn: {
    documents: number
    /** Documents open at once. */
    atOnce: number
    /** Our relay's `roomIdleMs` for this scenario (default 10,000; shortened so the run stays short). */
    roomIdleMs: number
    /** How long after the last close the "after idle" reading is taken (ms). */
    idleWaitMs: number
  }
}

export function loadParams(quick: boolean): LoadParams {
  return {
    runs: quick ? 1 : 2,
    flood: { rooms: 1, perRoom: 2, seconds: quick ? 3 : 10, window: 64 },
    rooms: { rooms: 100, perRoom: 5, seconds: quick ? 3 : 10, window: 16 },
    crowd: { rooms: 1, perRoom: 50, seconds: quick ? 3 : 10, window: 16 },
    paced: { editors: 200, rate: 0.5, seconds: quick ? 6 : 16, warmupSeconds: 2, drainMs: 3_000 },
    capacity: {
      steps: [500, 1_000, 1_500, 2_000, 2_500, 3_000, 4_000, 5_000, 7_500, 10_000],
      editorsPerDocument: 10,
      stepSeconds: quick ? 3 : 4,
      p99LimitMs: 50,
      drainMs: 2_000,
    },
    idle: { rooms: 200, perRoom: 10 },
    churn: { documents: quick ? 4_000 : 10_000, atOnce: 8, roomIdleMs: 1_000, idleWaitMs: 2_500 },
  }
}

/** Every run's result for one server, and the errors of runs that failed. */
export interface Runs<T> {
  runs: T[]
  errors: string[]
}

export interface LoadResults {
  flood: Partial<Record<ServerKind, Runs<FloodResult>>>
  rooms: Partial<Record<ServerKind, Runs<FloodResult>>>
  crowd: Partial<Record<ServerKind, Runs<FloodResult>>>
  paced: Partial<Record<ServerKind, Runs<TypingResult>>>
  capacity: Partial<Record<ServerKind, Runs<CapacityRun>>>
  idle: Partial<Record<ServerKind, Runs<IdleResult>>>
  churn: Partial<Record<ServerKind, Runs<ChurnResult>>>
}

type Body<T> = (server: ServerProcess) => Promise<T>

function bodies(params: LoadParams): { [S in LoadScenario]: Body<LoadResults[S] extends Partial<Record<ServerKind, Runs<infer T>>> ? T : never> } {
  const dialect = (server: ServerProcess) => SERVERS[server.kind].dialect
  return {
    flood: (server) => flood(server.base, dialect(server), params.flood, server),
    rooms: (server) => flood(server.base, dialect(server), params.rooms, server),
    crowd: (server) => flood(server.base, dialect(server), params.crowd, server),
    async paced(server) {
      const { editors, rate, seconds, warmupSeconds, drainMs } = params.paced
      const pool = new EditorPool(server.base, dialect(server), 'paced')
      try {
        await pool.addRooms(1, editors, 20)
        // A round that is not measured: a cold server's first seconds (the JIT at work) would be the whole tail.
        await pool.type({ rate, seconds: warmupSeconds, awareness: false, drainMs }, server)
        return await pool.type({ rate, seconds, awareness: false, drainMs }, server)
      } finally {
        pool.close()
      }
    },
    capacity: (server) => capacity(server, dialect(server), params.capacity),
    idle: (server) => idleConnections(server, dialect(server), params.idle.rooms, params.idle.perRoom),
    churn: (server) => churn(server, dialect(server), params.churn.documents, params.churn.atOnce, params.churn.idleWaitMs),
  }
}

/** One line per run, as it finishes. */
function summary(scenario: LoadScenario, result: unknown): string {
  switch (scenario) {
    case 'flood':
    case 'rooms':
    case 'crowd': {
      const r = result as FloodResult
      return `${Math.round(r.deliveriesPerSec)} deliveries/s, ${r.lost} lost`
    }
    case 'paced': {
      const r = result as TypingResult
      return `p50 ${r.p50Ms.toFixed(1)} p99 ${r.p99Ms.toFixed(1)} p99.9 ${r.p999Ms.toFixed(1)} ms, ${r.lost} lost`
    }
    case 'capacity': {
      const r = result as CapacityRun
      return `${r.capacity} editors (${r.steps.map((s) => `${s.editors}: p99 ${s.p99Ms.toFixed(1)}`).join(', ')}; stopped: ${r.stopped})`
    }
    case 'idle': {
      const r = result as IdleResult
      return `${(r.bytesPerConnection / 1024).toFixed(1)} KiB per connection (heap ${(r.heapBytesPerConnection / 1024).toFixed(1)} KiB)`
    }
    case 'churn': {
      const r = result as ChurnResult
      const mib = (x: number): string => (x / 2 ** 20).toFixed(0)
      return `RSS ${mib(r.start.rss)} -> ${mib(r.after.rss)} -> ${mib(r.afterIdle.rss)} -> settled ${mib(r.settled.rss)} MiB (${(r.settledAfterMs / 1000).toFixed(0)} s after the last close), ${r.seconds.toFixed(1)} s of churn`
    }
  }
}

export async function runLoadScenarios(
  kinds: readonly ServerKind[],
  scenarios: readonly LoadScenario[],
  params: LoadParams,
  profileDir: string | undefined,
): Promise<Partial<LoadResults>> {
  const results: Partial<LoadResults> = {}
  const run = bodies(params)
  for (const scenario of scenarios) {
    const perServer: Partial<Record<ServerKind, Runs<unknown>>> = {}
    for (let i = 0; i < params.runs; i++) {
      for (const kind of kinds) {
        const entry = (perServer[kind] ??= { runs: [], errors: [] })
        const started = performance.now()
        const roomIdleMs = scenario === 'churn' ? params.churn.roomIdleMs : undefined
        try {
          const result = await onServer(kind, { label: scenario, profileDir, roomIdleMs }, run[scenario] as Body<unknown>)
          entry.runs.push(result)
          console.log(`${scenario} ${i + 1}/${params.runs} ${SERVERS[kind].label}: ${summary(scenario, result)} [${Math.round((performance.now() - started) / 1000)} s]`)
        } catch (error) {
          const message = error instanceof Error ? error.message : String(error)
          entry.errors.push(message)
          console.log(`${scenario} ${i + 1}/${params.runs} ${SERVERS[kind].label}: FAILED: ${message}`)
        }
      }
    }
    ;(results as Record<string, unknown>)[scenario] = perServer
  }
  return results
}
