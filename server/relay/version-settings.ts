/**
 * When the relay saves versions by itself, and how long it keeps them: the
 * relay's `versions` option, checked once when the relay is created.
 */
import { resolveRetention, type RetentionPolicy } from './version-retention.ts'

/** The clock versions are timed by: the real one by default, a fake one in tests. */
export interface VersionClock {
  /** ms since the epoch. */
  now(): number
  setTimeout(run: () => void, ms: number): unknown
  clearTimeout(timer: unknown): void
}

/** The `versions` option of `createRelay`. Every field is optional. */
export interface VersionOptions {
  /**
   * Save an automatic version once a document has had no edit for this long
   * (a burst of editing has settled), in ms. Default 30 000.
   */
  settleMs?: number
  /**
   * ...but at most one per this long (ms since the previous version of any
   * kind), and at least one per this long plus `settleMs` while editing goes
   * on without settling. A document's first version waits only for the
   * first burst to settle. 0 turns automatic versions off (named and restore
   * versions still work). Default 600 000 (10 minutes).
   */
  intervalMs?: number
  /** How automatic versions are thinned as they age (see `thinVersions`). Default: all of a day, hourly for a week, daily after. */
  retention?: Partial<RetentionPolicy>
  /** The clock (tests pass a fake one). Default: `Date.now` and the global timers. */
  clock?: VersionClock
}

/** The versions settings, resolved. */
export interface VersionSettings {
  settleMs: number
  intervalMs: number
  retention: RetentionPolicy
  clock: VersionClock
}

export const DEFAULT_VERSION_SETTLE_MS = 30_000
export const DEFAULT_VERSION_INTERVAL_MS = 600_000

const REAL_CLOCK: VersionClock = {
  now: () => Date.now(),
  setTimeout: (run, ms) => setTimeout(run, ms),
  clearTimeout: (timer) => clearTimeout(timer as ReturnType<typeof setTimeout>),
}

/** The settings `options` asks for; throws a RangeError naming the bad one. */
export function resolveVersionSettings(options: VersionOptions = {}): VersionSettings {
  const ms = (name: string, value: number | undefined, fallback: number): number => {
    if (value === undefined) return fallback
    if (!Number.isFinite(value) || value < 0) throw new RangeError(`createRelay: versions.${name} must be a number >= 0, got ${value}`)
    return value
  }
  return {
    settleMs: ms('settleMs', options.settleMs, DEFAULT_VERSION_SETTLE_MS),
    intervalMs: ms('intervalMs', options.intervalMs, DEFAULT_VERSION_INTERVAL_MS),
    retention: resolveRetention(options.retention),
    clock: options.clock ?? REAL_CLOCK,
  }
}
