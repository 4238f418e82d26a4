/**
 * Which automatic versions to let go as they age (retention thinning). Named
 * versions, and the `restore` versions saved before each restore (what
 * makes a restore undoable), are never thinned: someone meant to keep them.
 *
 * Automatic versions are kept densely while they are recent and sparsely
 * as they age, the way backup rotations (and editors' histories) do: every
 * one from the last `keepAllMs`, then the newest of each hour until
 * `hourlyMs`, then the newest of each day until `dailyMs`, none after.
 * Hours and days are UTC clock hours and days, so a version that is the
 * newest of its hour stays so (later versions fall into later hours), and
 * thinning the same list twice deletes nothing the second time.
 */
import type { VersionInfo } from '../storage/types.ts'

const HOUR_MS = 3_600_000
const DAY_MS = 86_400_000

/** How automatic versions are thinned as they age (ages in ms). */
export interface RetentionPolicy {
  /** Every automatic version younger than this is kept. Default 1 day. */
  keepAllMs: number
  /** Older ones, up to this age, are kept one per hour (the newest of each). Default 7 days. */
  hourlyMs: number
  /** Older still, up to this age, one per day (the newest of each); older ones are deleted. Default `Infinity`: one per day forever. */
  dailyMs: number
}

export const DEFAULT_RETENTION: Readonly<RetentionPolicy> = Object.freeze({ keepAllMs: DAY_MS, hourlyMs: 7 * DAY_MS, dailyMs: Infinity })

/**
 * A full policy from a partial one; throws a RangeError for ages that are
 * negative or out of order (`keepAllMs <= hourlyMs <= dailyMs`).
 */
export function resolveRetention(policy: Partial<RetentionPolicy> = {}): RetentionPolicy {
  const resolved = { ...DEFAULT_RETENTION, ...policy }
  for (const [key, value] of Object.entries(resolved)) {
    if (typeof value !== 'number' || Number.isNaN(value) || value < 0) throw new RangeError(`version retention: ${key} must be a number >= 0, got ${value}`)
  }
  if (resolved.keepAllMs > resolved.hourlyMs || resolved.hourlyMs > resolved.dailyMs) {
    throw new RangeError(`version retention: expected keepAllMs <= hourlyMs <= dailyMs, got ${resolved.keepAllMs}, ${resolved.hourlyMs}, ${resolved.dailyMs}`)
  }
  return resolved
}

/**
 * The ids of the versions `policy` lets go at `now` (ms since the epoch).
 * Pure: the caller deletes them. Ties within an hour or a day go to the
 * version listed first (storage lists newest first).
 *
 * @example
 * const doomed = thinVersions(await storage.listVersions(name), Date.now(), DEFAULT_RETENTION)
 * await storage.deleteVersions(name, doomed)
 */
export function thinVersions(versions: readonly Pick<VersionInfo, 'id' | 'kind' | 'createdAt'>[], now: number, policy: RetentionPolicy = DEFAULT_RETENTION): string[] {
  const automatic = versions.filter((version) => version.kind === 'auto')
  // Newest first, whatever order they came in; a stable sort keeps the listing's order on ties.
  const ordered = [...automatic].sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime())
  const keptBuckets = new Set<string>()
  const doomed: string[] = []
  for (const version of ordered) {
    const at = version.createdAt.getTime()
    const age = now - at
    // A version from the future (a clock set back) is recent.
    if (age < policy.keepAllMs) continue
    if (age >= policy.dailyMs) {
      doomed.push(version.id)
      continue
    }
    const bucket = age < policy.hourlyMs ? `h${Math.floor(at / HOUR_MS)}` : `d${Math.floor(at / DAY_MS)}`
    if (keptBuckets.has(bucket)) doomed.push(version.id)
    else keptBuckets.add(bucket)
  }
  return doomed
}
