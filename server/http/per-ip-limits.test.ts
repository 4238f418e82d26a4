import { describe, expect, it } from 'vitest'
import { createPerIpLimiter, PerIpRefusal } from './per-ip-limits.ts'
import { createOriginCheck } from './origin-check.ts'

/** A clock the test moves by hand (ms). */
function manualClock(): { now: () => number; advance(ms: number): void } {
  let at = 1_000
  return {
    now: () => at,
    advance(ms) {
      at += ms
    },
  }
}

describe('createPerIpLimiter', () => {
  it('holds one slot per admitted upgrade until it is released, once', () => {
    const limiter = createPerIpLimiter({ maxConnections: 2, maxUpgradesPerMinute: 0 })
    const a = limiter.admit('a')
    const b = limiter.admit('a')
    expect(a.ok && b.ok).toBe(true)
    const refused = limiter.admit('a')
    expect(refused).toEqual({ ok: false, reason: PerIpRefusal.CONNECTIONS, retryAfterSeconds: 10 })
    // Another address has its own count.
    expect(limiter.admit('b').ok).toBe(true)
    if (a.ok) {
      a.release()
      a.release()
    }
    expect(limiter.admit('a').ok).toBe(true)
    expect(limiter.admit('a').ok).toBe(false)
  })

  it('lets a minute of upgrades through at once, then one per 60/N s, with Retry-After until the next', () => {
    const clock = manualClock()
    const limiter = createPerIpLimiter({ maxConnections: 0, maxUpgradesPerMinute: 6 }, clock.now)
    for (let i = 0; i < 6; i++) expect(limiter.admit('a').ok, `upgrade ${i + 1}`).toBe(true)
    expect(limiter.admit('a')).toEqual({ ok: false, reason: PerIpRefusal.UPGRADES, retryAfterSeconds: 10 })
    clock.advance(4_000)
    expect(limiter.admit('a')).toEqual({ ok: false, reason: PerIpRefusal.UPGRADES, retryAfterSeconds: 6 })
    clock.advance(6_000)
    expect(limiter.admit('a').ok).toBe(true)
    expect(limiter.admit('a').ok).toBe(false)
    // A whole minute later the bucket is full again, not fuller.
    clock.advance(600_000)
    for (let i = 0; i < 6; i++) expect(limiter.admit('a').ok).toBe(true)
    expect(limiter.admit('a').ok).toBe(false)
  })

  it('spends an upgrade without a connection slot (a document opened over a socket the address holds)', () => {
    const clock = manualClock()
    const limiter = createPerIpLimiter({ maxConnections: 1, maxUpgradesPerMinute: 2 }, clock.now)
    expect(limiter.admit('a').ok).toBe(true)
    // At its connection cap, the address may still spend what is left of its minute's upgrades.
    expect(limiter.spend('a')).toBe(true)
    expect(limiter.spend('a')).toBe(false)
    expect(limiter.spend('b')).toBe(true)
    // One upgrade every 30 s comes back.
    clock.advance(20_000)
    expect(limiter.spend('a')).toBe(false)
    clock.advance(10_000)
    expect(limiter.spend('a')).toBe(true)
    expect(limiter.spend('a')).toBe(false)
    // And an upgrade finds the bucket spent.
    expect(limiter.admit('a')).toMatchObject({ ok: false, reason: PerIpRefusal.UPGRADES })
  })

  it('counts an attempt refused for the connection cap as an upgrade', () => {
    const limiter = createPerIpLimiter({ maxConnections: 1, maxUpgradesPerMinute: 3 }, manualClock().now)
    expect(limiter.admit('a').ok).toBe(true)
    expect(limiter.admit('a')).toMatchObject({ ok: false, reason: PerIpRefusal.CONNECTIONS })
    expect(limiter.admit('a')).toMatchObject({ ok: false, reason: PerIpRefusal.CONNECTIONS })
    expect(limiter.admit('a')).toMatchObject({ ok: false, reason: PerIpRefusal.UPGRADES })
  })

  it('forgets idle addresses, keeping those with open connections or an unfilled bucket', () => {
    const clock = manualClock()
    const limiter = createPerIpLimiter({ maxConnections: 5, maxUpgradesPerMinute: 60 }, clock.now)
    for (let i = 0; i < 10_000; i++) {
      const admission = limiter.admit(`198.51.${i >> 8}.${i & 255}`)
      if (admission.ok) admission.release()
    }
    const holder = limiter.admit('held')
    expect(limiter.trackedAddresses).toBe(10_001)
    const tryOnce = (key: string): void => {
      const admission = limiter.admit(key)
      if (admission.ok) admission.release()
    }
    // Sweeps run at most every 10 s; the buckets refill one token a second.
    clock.advance(10_000 - 1)
    tryOnce('trigger')
    expect(limiter.trackedAddresses).toBe(10_002)
    clock.advance(1)
    tryOnce('trigger')
    // Left: the address holding a connection, and the one whose bucket is not full yet.
    expect(limiter.trackedAddresses).toBe(2)
    expect(holder.ok).toBe(true)
    if (holder.ok) holder.release()
    clock.advance(60_000)
    tryOnce('last')
    expect(limiter.trackedAddresses).toBe(1)
  })

  it('refuses limits that are not whole numbers >= 0', () => {
    expect(() => createPerIpLimiter({ maxConnections: -1, maxUpgradesPerMinute: 1 })).toThrow(/maxConnectionsPerIp must be a whole number >= 0/)
    expect(() => createPerIpLimiter({ maxConnections: 1, maxUpgradesPerMinute: 1.5 })).toThrow(/maxUpgradesPerIpPerMinute must be a whole number >= 0/)
    expect(() => createPerIpLimiter({ maxConnections: Number.NaN, maxUpgradesPerMinute: 1 })).toThrow(RangeError)
  })
})

describe('createOriginCheck', () => {
  it('passes any origin by default and with "*"', () => {
    for (const check of [createOriginCheck(undefined), createOriginCheck(['*']), createOriginCheck(['https://a.example', '*'])]) {
      expect(check('https://evil.example')).toBe(true)
      expect(check('null')).toBe(true)
      expect(check(undefined)).toBe(true)
    }
  })

  it('passes exactly the listed origins, and requests without one', () => {
    const check = createOriginCheck(['https://app.example.com', 'http://localhost:5173', 'HTTPS://Docs.Example.com:443/'])
    expect(check('https://app.example.com')).toBe(true)
    expect(check('http://localhost:5173')).toBe(true)
    expect(check('https://docs.example.com')).toBe(true)
    expect(check(undefined)).toBe(true)
    for (const origin of ['https://evil.example', 'http://app.example.com', 'https://app.example.com:8443', 'https://sub.app.example.com', 'null', 'https://app.example.com.evil.example']) {
      expect(check(origin), origin).toBe(false)
    }
    expect(createOriginCheck([])('https://app.example.com')).toBe(false)
  })

  it('refuses entries that are not origins', () => {
    for (const entry of ['app.example.com', 'https://app.example.com/path', 'https://app.example.com?x=1', 'https://user@app.example.com', 'file:///tmp/x', '']) {
      expect(() => createOriginCheck([entry]), entry).toThrow(RangeError)
    }
  })
})
