import { describe, expect, it } from 'vitest'
import type { VersionInfo } from '../storage/types.ts'
import { DEFAULT_RETENTION, resolveRetention, thinVersions } from './version-retention.ts'

const MINUTE = 60_000
const HOUR = 60 * MINUTE
const DAY = 24 * HOUR
/** A fake "now": noon UTC, so hours and days have clean edges around it. */
const NOW = Date.UTC(2025, 2, 20, 12, 0, 0)

type Listed = Pick<VersionInfo, 'id' | 'kind' | 'createdAt'>
let nextId = 1
const version = (ageMs: number, kind: VersionInfo['kind'] = 'auto'): Listed => ({ id: String(nextId++), kind, createdAt: new Date(NOW - ageMs) })
/** Newest first, as storage lists them. */
const listed = (versions: Listed[]): Listed[] => [...versions].sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime())
const kept = (versions: Listed[], now = NOW, policy = DEFAULT_RETENTION): Listed[] => {
  const doomed = new Set(thinVersions(listed(versions), now, policy))
  return versions.filter((v) => !doomed.has(v.id))
}

describe('thinVersions', () => {
  it('keeps every automatic version of the last day', () => {
    const recent = Array.from({ length: 200 }, (_, i) => version(i * 7 * MINUTE))
    expect(recent.at(-1)!.createdAt.getTime()).toBeGreaterThan(NOW - DAY)
    expect(thinVersions(listed(recent), NOW)).toEqual([])
  })

  it('keeps the newest of each hour for a week, then the newest of each day', () => {
    // One every 10 minutes, from 2 to 4 days ago (an hourly stretch) and from 10 to 12 days ago (a daily one).
    const hourly = Array.from({ length: 12 * 24 }, (_, i) => version(2 * DAY + i * 10 * MINUTE))
    const daily = Array.from({ length: 12 * 24 }, (_, i) => version(10 * DAY + i * 10 * MINUTE))
    const survivors = kept([...hourly, ...daily])
    const survivingHourly = survivors.filter((v) => hourly.includes(v))
    const survivingDaily = survivors.filter((v) => daily.includes(v))
    // Noon to 12:10 two days before: 49 clock hours touched (the two ends partly), one survivor each, the newest.
    expect(survivingHourly).toHaveLength(49)
    expect(new Set(survivingHourly.map((v) => Math.floor(v.createdAt.getTime() / HOUR))).size).toBe(49)
    for (const v of survivingHourly) {
      const sameHour = hourly.filter((other) => Math.floor(other.createdAt.getTime() / HOUR) === Math.floor(v.createdAt.getTime() / HOUR))
      expect(Math.max(...sameHour.map((other) => other.createdAt.getTime()))).toBe(v.createdAt.getTime())
    }
    // Two days' span, cut across three UTC days (noon to noon): three survivors, the newest of each day.
    expect(survivingDaily.map((v) => new Date(v.createdAt).toISOString())).toEqual([
      new Date(NOW - 10 * DAY).toISOString(),
      new Date(Date.UTC(2025, 2, 9, 23, 50)).toISOString(),
      new Date(Date.UTC(2025, 2, 8, 23, 50)).toISOString(),
    ])
  })

  it('never thins named or restore versions, however old or dense', () => {
    const named = Array.from({ length: 30 }, (_, i) => version(3 * DAY + i * MINUTE, 'named'))
    const restores = Array.from({ length: 30 }, (_, i) => version(400 * DAY + i * MINUTE, 'restore'))
    const auto = Array.from({ length: 30 }, (_, i) => version(10 * DAY + i * MINUTE))
    const survivors = kept([...named, ...restores, ...auto], NOW, resolveRetention({ dailyMs: 30 * DAY }))
    expect(survivors.filter((v) => v.kind !== 'auto')).toHaveLength(60)
    expect(survivors.filter((v) => v.kind === 'auto')).toHaveLength(1)
  })

  it('deletes automatic versions past dailyMs when that is finite; as the fake clock moves on, the dense ones thin out', () => {
    const policy = resolveRetention({ keepAllMs: HOUR, hourlyMs: 6 * HOUR, dailyMs: 3 * DAY })
    // One every 5 minutes over the last 2 hours.
    let versions = Array.from({ length: 24 }, (_, i) => version(i * 5 * MINUTE))
    versions = kept(versions, NOW, policy)
    // The last hour whole (12, the one exactly an hour old is past it), and the newest of each older clock hour.
    expect(versions).toHaveLength(12 + 2)
    expect(thinVersions(listed(versions), NOW, policy)).toEqual([])

    // Two days later: all in the daily range, and in one UTC day: one left.
    versions = kept(versions, NOW + 2 * DAY, policy)
    expect(versions.map((v) => v.createdAt.getTime())).toEqual([NOW])
    // Past dailyMs: gone.
    expect(kept(versions, NOW + 3 * DAY, policy)).toEqual([])
  })

  it('keeps the first listed of equal times, and treats versions from the future as recent', () => {
    const a = { id: 'a', kind: 'auto' as const, createdAt: new Date(NOW - 2 * DAY) }
    const b = { id: 'b', kind: 'auto' as const, createdAt: new Date(NOW - 2 * DAY) }
    expect(thinVersions([a, b], NOW)).toEqual(['b'])
    expect(thinVersions([{ id: 'f', kind: 'auto', createdAt: new Date(NOW + DAY) }], NOW)).toEqual([])
  })

  it('refuses policies with negative or out-of-order ages', () => {
    expect(() => resolveRetention({ keepAllMs: -1 })).toThrow(RangeError)
    expect(() => resolveRetention({ keepAllMs: 2 * DAY, hourlyMs: DAY })).toThrow(/keepAllMs <= hourlyMs <= dailyMs/)
    expect(resolveRetention({})).toEqual(DEFAULT_RETENTION)
  })
})
