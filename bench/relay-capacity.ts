/**
 * The capacity scenario of bench/relay.ts: editors ten to a document, each
 * typing one keystroke a second with a cursor (awareness) update per
 * keystroke. The number of editors steps up on one server (the editors of
 * earlier steps stay connected and keep typing) until a step misses the
 * bar: p99 send-to-arrival of 50 ms or more, any delivery lost, or any
 * socket closed by the server. The capacity is the largest step that held.
 */
import type { Dialect } from './relay-clients.ts'
import { EditorPool, sleep, type TypingResult } from './relay-editors.ts'
import type { ServerProcess } from './relay-process.ts'

export interface CapacityParams {
  /** Editor counts to try, ascending. */
  steps: number[]
  editorsPerDocument: number
  /** Each step's typing time (s); every editor types once a second. */
  stepSeconds: number
  /** The bar a step must hold. */
  p99LimitMs: number
  /** After a step's last keystroke, how long stragglers get before counting as lost (ms). */
  drainMs: number
}

export interface CapacityStep extends TypingResult {
  /** Server RSS after the step, with every editor still connected (bytes, after a forced GC). */
  rss: number
  joinSeconds: number
  holds: boolean
  /** Why the step missed the bar, if it did. */
  missed?: string
}

export interface CapacityRun {
  /** The largest editor count that held; 0 if the first step missed. */
  capacity: number
  steps: CapacityStep[]
  /** Why stepping stopped: the last step's miss, a failed join, or the end of the list. */
  stopped: string
}

/** After joining, before typing: let the joins' own traffic (sync, awareness of everyone present) pass (ms). */
const SETTLE_MS = 500

export async function capacity(server: ServerProcess, dialect: Dialect, params: CapacityParams): Promise<CapacityRun> {
  const pool = new EditorPool(server.base, dialect, 'capacity')
  const steps: CapacityStep[] = []
  let capacityHeld = 0
  try {
    for (const target of params.steps) {
      const rooms = Math.ceil((target - pool.size) / params.editorsPerDocument)
      const began = performance.now()
      try {
        await pool.addRooms(rooms, params.editorsPerDocument)
      } catch (error) {
        return { capacity: capacityHeld, steps, stopped: `joining ${target} editors failed: ${error instanceof Error ? error.message : String(error)}` }
      }
      const joinSeconds = (performance.now() - began) / 1000
      await sleep(SETTLE_MS)
      // Not measured: a cold server's first second (the JIT at work) would otherwise decide the first step.
      if (steps.length === 0) await pool.type({ rate: 1, seconds: 1, awareness: true, drainMs: params.drainMs }, server)
      const typed = await pool.type({ rate: 1, seconds: params.stepSeconds, awareness: true, drainMs: params.drainMs }, server)
      const { rss } = await server.memory()
      const missed =
        typed.closed > 0
          ? `${typed.closed} sockets closed`
          : typed.lost > 0
            ? `${typed.lost} of ${typed.expected} deliveries lost`
            : !(typed.p99Ms < params.p99LimitMs)
              ? `p99 ${typed.p99Ms.toFixed(1)} ms`
              : undefined
      steps.push({ ...typed, rss, joinSeconds, holds: missed === undefined, missed })
      if (missed) return { capacity: capacityHeld, steps, stopped: `${target} editors: ${missed}` }
      capacityHeld = typed.editors
    }
    return { capacity: capacityHeld, steps, stopped: 'held at every step' }
  } finally {
    pool.close()
  }
}
