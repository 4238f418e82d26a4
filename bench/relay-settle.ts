/**
 * A server's memory once it has stopped falling. After a burst, every
 * runtime here gives freed pages back to the system on its own schedule
 * (V8's memory reducer runs seconds after a process goes quiet, and the
 * allocator trims after it), so a reading taken right after the load counts
 * memory that is already free as kept; across servers the delay differs.
 */
import type { Memory } from './relay-process.ts'
import { sleep } from './relay-editors.ts'

/** Settled: RSS within `spreadBytes` over `windowReadings` readings `everyMs` apart; give up at `maxMs`. */
export const SETTLE = { everyMs: 2_500, windowReadings: 5, spreadBytes: 2 ** 20, maxMs: 60_000 } as const

/**
 * Reads until settled, or until the next reading would come later than
 * SETTLE.maxMs after `since` (a performance.now() time), starting from
 * `first` if a reading was just taken. Returns the last reading, when it was
 * taken (ms after `since`) and whether RSS did settle by then.
 */
export async function settledReading<T extends Memory>(
  read: () => Promise<T>,
  since: number,
  first?: T,
): Promise<{ reading: T; afterMs: number; settled: boolean }> {
  const window: T[] = [first ?? (await read())]
  let takenAt = performance.now()
  for (;;) {
    const rss = window.map((r) => r.rss)
    if (window.length >= SETTLE.windowReadings && Math.max(...rss) - Math.min(...rss) <= SETTLE.spreadBytes) {
      return { reading: window[window.length - 1], afterMs: takenAt - since, settled: true }
    }
    if (performance.now() + SETTLE.everyMs - since > SETTLE.maxMs) {
      return { reading: window[window.length - 1], afterMs: takenAt - since, settled: false }
    }
    await sleep(SETTLE.everyMs)
    window.push(await read())
    takenAt = performance.now()
    if (window.length > SETTLE.windowReadings) window.shift()
  }
}
