import type { IncomingMessage } from 'node:http'
import type { Context } from 'hono'
import { clientAddress, createTrustedProxies, limitKey } from './client-address.ts'
import { createOriginCheck, ORIGIN_NOT_ALLOWED } from './origin-check.ts'
import { createPerIpLimiter, DEFAULT_MAX_CONNECTIONS_PER_IP, DEFAULT_MAX_UPGRADES_PER_IP_PER_MINUTE } from './per-ip-limits.ts'

/** Who may start a WebSocket upgrade at all: options of `createRelayApp` (and `serveRelay`). */
export interface UpgradeAdmissionOptions {
  /**
   * Origins whose pages may open WebSockets: exact origins
   * (`https://app.example.com`) or `*`. A browser upgrade with an `Origin`
   * not listed is refused with 403 and `x-collab-error: origin not allowed`;
   * an upgrade without `Origin` (not a browser) always passes.
   *
   * Default: any origin. That is safe while `authenticate` needs a token the
   * page passes itself (the CLI's JWTs): another site's page does not have
   * it, so hijacking a user's session across sites (CSWSH) gains nothing.
   * Set it when `authenticate` trusts a cookie or other credential the
   * browser attaches by itself. See `createOriginCheck`.
   */
  allowedOrigins?: string[]
  /**
   * WebSocket connections one client address may hold at once (upgrades in
   * progress included); the next is refused with 429 and `Retry-After`.
   * IPv6 clients are counted per /64. 0 for no limit. Default 50.
   */
  maxConnectionsPerIp?: number
  /**
   * Upgrade attempts one client address may make per rolling minute (a
   * token bucket: a minute's worth at once, then one per 60/N s); past it,
   * 429 with `Retry-After` (seconds until the next is allowed). Refused
   * attempts count too. 0 for no limit. Default 120.
   */
  maxUpgradesPerIpPerMinute?: number
  /**
   * Proxies whose `X-Forwarded-For` is believed: CIDR ranges or addresses,
   * IPv4 and IPv6 (`10.0.0.0/8`, `::1/128`, `127.0.0.1`). When the peer is in
   * one, the client is the rightmost `X-Forwarded-For` entry that is not (see
   * `clientAddress`); otherwise the header is ignored and the peer is the
   * client. Default none: behind a proxy, every client then shares the
   * proxy's address and its per-IP limits.
   */
  trustProxy?: string[]
}

/** The outcome for one upgrade: go on (holding a per-IP slot until `release`), or this refusal. */
export type UpgradeAdmission = Admitted | { ok: false; response: Response }
type Admitted = {
  ok: true
  release(): void
  /**
   * Count another attach over this upgrade's socket as an upgrade from its
   * address (see `PerIpLimiter.spend`): false when the address has used up
   * its upgrades. Always true where addresses are not known.
   */
  spendUpgrade(): boolean
}

const admitted: Admitted = { ok: true, release() {}, spendUpgrade: () => true }

/**
 * The checks an upgrade passes before anything about its document is looked
 * at: per-address limits first (so every attempt counts, refused or not),
 * then the origin. The slot an admitted upgrade holds is released when its
 * socket closes, which is when the WebSocket ends, or when the caller
 * refuses it after all (`release`, idempotent).
 *
 * Per-address checks need the Node request (`@hono/node-server`'s
 * `env.incoming`); served any other way, only the origin is checked.
 */
export function createUpgradeAdmission(options: UpgradeAdmissionOptions): (c: Context) => UpgradeAdmission {
  const originAllowed = createOriginCheck(options.allowedOrigins)
  const trusted = options.trustProxy && options.trustProxy.length > 0 ? createTrustedProxies(options.trustProxy) : null
  const limiter = createPerIpLimiter({
    maxConnections: options.maxConnectionsPerIp ?? DEFAULT_MAX_CONNECTIONS_PER_IP,
    maxUpgradesPerMinute: options.maxUpgradesPerIpPerMinute ?? DEFAULT_MAX_UPGRADES_PER_IP_PER_MINUTE,
  })

  return (c) => {
    let admission: Admitted = admitted
    const incoming = incomingOf(c.env)
    const address = incoming ? clientAddress(incoming.socket.remoteAddress, c.req.header('x-forwarded-for'), trusted) : null
    if (incoming && address !== null) {
      const key = limitKey(address)
      const perIp = limiter.admit(key)
      if (!perIp.ok) {
        const response = c.json({ error: 'too-many-requests', reason: perIp.reason }, 429, {
          'Retry-After': String(perIp.retryAfterSeconds),
          'x-collab-error': perIp.reason,
        })
        return { ok: false, response }
      }
      admission = { ok: true, release: perIp.release, spendUpgrade: () => limiter.spend(key) }
      if (incoming.socket.destroyed) perIp.release()
      // `on`, not `once` (which wraps it in a closure kept for the socket's life): release is idempotent.
      else incoming.socket.on('close', perIp.release)
    }
    if (!originAllowed(c.req.header('origin'))) {
      admission.release()
      // @hono/node-server sends refused upgrades without a body: the header carries the reason.
      return { ok: false, response: c.json({ error: 'forbidden', reason: ORIGIN_NOT_ALLOWED }, 403, { 'x-collab-error': ORIGIN_NOT_ALLOWED }) }
    }
    return admission
  }
}

/** The Node request under a Hono context served by `@hono/node-server`, if that is how it is served. */
function incomingOf(env: unknown): IncomingMessage | undefined {
  const incoming = typeof env === 'object' && env !== null && 'incoming' in env ? (env as { incoming?: unknown }).incoming : undefined
  return typeof incoming === 'object' && incoming !== null && 'socket' in incoming ? (incoming as IncomingMessage) : undefined
}
