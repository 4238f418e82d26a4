/**
 * Who may upgrade at all, before the document or the token is looked at:
 * the browser's `Origin`, and per-address limits on open connections and on
 * upgrades per minute, with `X-Forwarded-For` believed only from trusted
 * proxies. Real relays on port 0, real `ws` clients from 127.0.0.1.
 */
import type WebSocket from 'ws'
import { describe, expect, it } from 'vitest'
import { ORIGIN_NOT_ALLOWED } from '../server/http/origin-check.ts'
import { PerIpRefusal } from '../server/http/per-ip-limits.ts'
import { useRelayScope, waitFor } from './support/harness.ts'
import { attemptUpgrade, expectOpened, expectRefused, type UpgradeAttemptOptions } from './support/upgrade-attempt.ts'

const scope = useRelayScope()

/** Open sockets closed after each test (before the relay closes). */
function opener(url: string): (options?: UpgradeAttemptOptions) => Promise<WebSocket> {
  return async (options) => {
    const ws = await expectOpened(url, options)
    scope.onCleanup(() => ws.terminate())
    return ws
  }
}

describe('allowed origins', () => {
  it('lets listed origins and origin-less clients upgrade, and refuses other origins with 403', async () => {
    const { wsUrl, relay } = await scope.start({ allowedOrigins: ['https://app.example.com', 'http://localhost:5173'] })
    const open = opener(`${wsUrl}/doc`)
    await open({ origin: 'https://app.example.com' })
    await open({ origin: 'http://localhost:5173' })
    await open()
    for (const origin of ['https://evil.example', 'http://app.example.com', 'null']) {
      const refused = await expectRefused(`${wsUrl}/doc`, { origin })
      expect(refused.status, origin).toBe(403)
      expect(refused.reason, origin).toBe(ORIGIN_NOT_ALLOWED)
    }
    await waitFor(() => relay.stats().connections === 3, 'the three admitted connections joined')
  })

  it('lets any origin upgrade by default and with "*"', async () => {
    for (const options of [{}, { allowedOrigins: ['*'] }]) {
      const { wsUrl } = await scope.start(options)
      const ws = await expectOpened(`${wsUrl}/doc`, { origin: 'https://evil.example' })
      ws.terminate()
    }
  })

  it('refuses a list entry that is not an origin when the app is created', async () => {
    await expect(scope.start({ allowedOrigins: ['https://app.example.com/editor'] })).rejects.toThrow(/not an origin/)
  })
})

describe('per-address limits', () => {
  it('refuses the connection past maxConnectionsPerIp with 429 and Retry-After, and admits again once one closes', async () => {
    const { wsUrl, relay } = await scope.start({ maxConnectionsPerIp: 3 })
    const open = opener(`${wsUrl}/doc`)
    const first = await open()
    await open()
    await open()
    const refused = await expectRefused(`${wsUrl}/doc`)
    expect(refused.status).toBe(429)
    expect(refused.reason).toBe(PerIpRefusal.CONNECTIONS)
    expect(Number(refused.retryAfter)).toBeGreaterThan(0)
    expect(Number.isInteger(Number(refused.retryAfter))).toBe(true)
    // Other rooms count too: the limit is per address, not per document.
    expect((await expectRefused(`${wsUrl}/other`)).status).toBe(429)
    // Plain HTTP is not limited.
    expect((await fetch(`${wsUrl.replace(/^ws/, 'http')}/healthz`)).status).toBe(200)

    first.terminate()
    await waitFor(() => relay.stats().connections === 2, 'the closed connection left')
    await open()
    expect((await expectRefused(`${wsUrl}/doc`)).status).toBe(429)
  })

  it('frees the slot of an upgrade refused for its origin, name or token', async () => {
    const { wsUrl, relay } = await scope.start({
      maxConnectionsPerIp: 1,
      allowedOrigins: ['https://app.example.com'],
      authenticate: (request) => (new URL(request.url).searchParams.get('token') === 'good' ? { ok: true, grant: { access: 'write' } } : { ok: false, status: 401, reason: 'no token' }),
    })
    expect((await expectRefused(`${wsUrl}/doc?token=good`, { origin: 'https://evil.example' })).status).toBe(403)
    expect((await expectRefused(`${wsUrl}/bad%zz?token=good`)).status).toBe(400)
    expect((await expectRefused(`${wsUrl}/doc`)).status).toBe(401)
    const open = opener(`${wsUrl}/doc?token=good`)
    await open()
    await waitFor(() => relay.stats().connections === 1, 'the admitted connection joined')
    expect((await expectRefused(`${wsUrl}/doc?token=good`)).reason).toBe(PerIpRefusal.CONNECTIONS)
  })

  it('refuses upgrades past maxUpgradesPerIpPerMinute with 429 and the seconds until the next', async () => {
    const { wsUrl } = await scope.start({ maxUpgradesPerIpPerMinute: 3 })
    for (let i = 0; i < 3; i++) (await expectOpened(`${wsUrl}/doc`)).terminate()
    const refused = await expectRefused(`${wsUrl}/doc`)
    expect(refused.status).toBe(429)
    expect(refused.reason).toBe(PerIpRefusal.UPGRADES)
    // One token every 20 s (3 a minute), and the bucket has just run dry.
    expect(Number(refused.retryAfter)).toBeGreaterThan(15)
    expect(Number(refused.retryAfter)).toBeLessThanOrEqual(20)
  })

  it('counts X-Forwarded-For clients apart only when the peer is a trusted proxy', async () => {
    const trusting = await scope.start({ maxConnectionsPerIp: 1, trustProxy: ['127.0.0.0/8', '::1/128'] })
    const viaProxy = (forwardedFor: string): UpgradeAttemptOptions => ({ headers: { 'X-Forwarded-For': forwardedFor } })
    const open = opener(`${trusting.wsUrl}/doc`)
    await open(viaProxy('203.0.113.1'))
    await open(viaProxy('203.0.113.2'))
    await open(viaProxy('2001:db8::1'))
    // The proxy's own address is a client of its own.
    await open()
    expect((await expectRefused(`${trusting.wsUrl}/doc`, viaProxy('203.0.113.1'))).reason).toBe(PerIpRefusal.CONNECTIONS)
    // What the client wrote left of the address the proxy appended changes nothing.
    expect((await expectRefused(`${trusting.wsUrl}/doc`, viaProxy('198.51.100.9, 203.0.113.2'))).status).toBe(429)
    // IPv6 clients are counted per /64.
    expect((await expectRefused(`${trusting.wsUrl}/doc`, viaProxy('2001:db8::2'))).status).toBe(429)

    const ignoring = await scope.start({ maxConnectionsPerIp: 1 })
    await opener(`${ignoring.wsUrl}/doc`)(viaProxy('203.0.113.1'))
    const refused = await expectRefused(`${ignoring.wsUrl}/doc`, viaProxy('203.0.113.2'))
    expect(refused.status).toBe(429)
    expect(refused.reason).toBe(PerIpRefusal.CONNECTIONS)
  })

  it('turns a limit off with 0', async () => {
    const { wsUrl, relay } = await scope.start({ maxConnectionsPerIp: 0, maxUpgradesPerIpPerMinute: 0 })
    const sockets = await Promise.all(Array.from({ length: 130 }, () => attemptUpgrade(`${wsUrl}/doc`)))
    for (const outcome of sockets) if (outcome.opened) scope.onCleanup(() => outcome.ws.terminate())
    expect(sockets.filter((outcome) => outcome.opened)).toHaveLength(130)
    await waitFor(() => relay.stats().connections === 130, 'all 130 joined')
  })
})
