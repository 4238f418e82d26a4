import { Hono, type Context, type Next } from 'hono'
import { cors } from 'hono/cors'
import { upgradeWebSocket } from '@hono/node-server'
import type { WebSocket } from 'ws'
import { roomNameFromPath, validateRoomName, type RoomNameResult } from '../../shared/room-name.ts'
import type { Relay } from '../relay/relay.ts'
import { allowEveryone, type Authenticate } from './authenticate.ts'
import { attachSocket } from './ws-socket.ts'
import { Heartbeat } from './heartbeat.ts'
import { createHocuspocusHub } from './hocuspocus-session.ts'
import { createUpgradeAdmission, type UpgradeAdmissionOptions } from './upgrade-admission.ts'
import { VERSION } from '../version.ts'
import { createOpsApp, type OpsAppOptions } from '../ops/ops-app.ts'

/**
 * Options for `createRelayApp`. Besides these, who may upgrade at all:
 * `allowedOrigins`, `maxConnectionsPerIp`, `maxUpgradesPerIpPerMinute` and
 * `trustProxy` (see `UpgradeAdmissionOptions`).
 */
export interface RelayAppOptions extends UpgradeAdmissionOptions, OpsAppOptions {
  /** Ping every connection this often (ms); one that has not answered the previous ping is dropped. Default 30 000. */
  heartbeatMs?: number
  /**
   * Grant or refuse each upgrade (see `Authenticate`), before it happens. A
   * refusal answers 401 or 403 with the reason in `x-collab-error`. Default:
   * everyone may edit everything.
   */
  authenticate?: Authenticate
}

/**
 * The relay's HTTP face as a Hono app: WebSocket upgrades on any path (the
 * path names the document; the mount's root serves `@hocuspocus/provider`,
 * which names documents in its frames), `GET /healthz`, and `GET /metrics` and
 * `GET /readyz` (`createOpsApp`). Mount it anywhere; the
 * document name is the path below the mount point.
 *
 * It must be served by `@hono/node-server` with a `ws` WebSocketServer
 * (`createWebSocketServer`), as `serveRelay` does.
 *
 * @example
 * const app = new Hono()
 * app.route('/collab', createRelayApp(relay))   // ws://host/collab/<document>
 * serve({ fetch: app.fetch, port: 8080, websocket: { server: createWebSocketServer() } })
 */
export function createRelayApp(relay: Relay, options: RelayAppOptions = {}): Hono {
  const heartbeatMs = options.heartbeatMs ?? 30_000
  if (!(heartbeatMs > 0)) throw new RangeError(`createRelayApp: heartbeatMs must be > 0, got ${heartbeatMs}`)
  const authenticate = options.authenticate ?? allowEveryone
  const admit = createUpgradeAdmission(options)
  // One timer pings every socket of this app (server/http/heartbeat.ts).
  const heartbeat = new Heartbeat(heartbeatMs)
  const hocuspocus = createHocuspocusHub(relay, authenticate, heartbeat)
  const startedAt = Date.now()
  const app = new Hono()

  // Upgrades first, so that even a document called "healthz" can be edited.
  app.use('*', async (c, next) => {
    if (c.req.header('upgrade')?.toLowerCase() !== 'websocket') return next()
    // Per-address limits and the origin come before the name and authenticate:
    // every attempt counts, and a refused one costs no token check.
    const admission = admit(c)
    if (!admission.ok) {
      countRefusal(admission.response.status)
      return admission.response
    }
    // An accepted upgrade keeps its per-address slot until its socket closes;
    // any other answer frees it now.
    const response = await upgradeOrRefuse(c, next, admission.spendUpgrade)
    if (!(response instanceof Response) || response.status !== 200) {
      admission.release()
      if (response instanceof Response) countRefusal(response.status)
    }
    return response
  })

  function countRefusal(status: number): void {
    const refusals = relay.counters.refusals
    refusals.set(status, (refusals.get(status) ?? 0) + 1)
  }

  async function upgradeOrRefuse(c: Context, next: Next, spendUpgrade: () => boolean): Promise<Response | void> {
    const rawPath = rawRequestPath(c.env, c.req.url)
    // The mount's root names no document, which y-websocket clients never ask
    // for: it is where `@hocuspocus/provider` connects, naming its documents in
    // its frames and sending a token for each (hocuspocus-session.ts).
    if (isMountRoot(c.req.routePath, rawPath)) return upgradeHocuspocus(c, next, spendUpgrade)
    const parsed = documentNameOf(c.req.routePath, rawPath)
    if (!parsed.ok) {
      // @hono/node-server answers a refused upgrade with an empty body but
      // keeps our headers, so the reason travels in a header as well.
      const reason = `invalid document name (${parsed.problem})`
      return c.text(`${reason}\n`, 400, { 'x-collab-error': reason })
    }
    const name = parsed.name
    const auth = await authenticate(c.req.raw, name)
    if (!auth.ok) {
      // Nothing about the document: the status and why the request was refused.
      // (@hono/node-server sends refused upgrades without a body: the header carries it.)
      return c.json({ error: auth.status === 401 ? 'unauthorized' : 'forbidden', reason: auth.reason }, auth.status, { 'x-collab-error': auth.reason })
    }
    const grant = auth.grant
    const upgrade = upgradeWebSocket(() => ({
      onOpen(_event, ws) {
        // Frames are read from the `ws` socket directly rather than through
        // Hono's onMessage, which wraps every frame in a MessageEvent: this is
        // the relay's hot path. No frame can arrive before onOpen runs.
        const raw = ws.raw as WebSocket
        attachSocket(raw, relay, name, heartbeat, grant)
        releaseUpgradeListeners(raw)
      },
    }))
    const response = await upgrade(c, next)
    if (response instanceof Response && response.status >= 500) explainFailedUpgrade(relay, c.env)
    return response
  }

  async function upgradeHocuspocus(c: Context, next: Next, spendUpgrade: () => boolean): Promise<Response | void> {
    const request = c.req.raw
    const upgrade = upgradeWebSocket(() => ({
      onOpen(_event, ws) {
        const raw = ws.raw as WebSocket
        hocuspocus.attach(raw, request, spendUpgrade)
        releaseUpgradeListeners(raw)
      },
    }))
    const response = await upgrade(c, next)
    if (response instanceof Response && response.status >= 500) explainFailedUpgrade(relay, c.env)
    return response
  }

  // What a token grants for a document, for pages that want to say why a
  // connection is refused (a browser never sees the status of a refused upgrade).
  // Open to every origin, like the upgrades: the token travels in the
  // Authorization header, never as a cookie, so another site learns nothing
  // it did not already hold.
  app.use('/auth', cors({ origin: '*', allowMethods: ['GET'], allowHeaders: ['Authorization'], exposeHeaders: ['x-collab-error'] }))
  app.get('/auth', async (c) => {
    const parsed = validateRoomName(c.req.query('document') ?? '')
    if (!parsed.ok) {
      const reason = `invalid document name (${parsed.problem})`
      return c.json({ error: 'bad-request', reason }, 400, { 'x-collab-error': reason })
    }
    const auth = await authenticate(c.req.raw, parsed.name)
    if (!auth.ok) {
      return c.json({ error: auth.status === 401 ? 'unauthorized' : 'forbidden', reason: auth.reason }, auth.status, { 'x-collab-error': auth.reason })
    }
    const { access, user, expiresAt } = auth.grant
    return c.json({ document: parsed.name, access, user: user ?? null, expiresAt: expiresAt ?? null })
  })

  app.get('/healthz', (c) => {
    const stats = relay.stats()
    return c.json({
      status: stats.roomsFailingWrites > 0 ? 'degraded' : 'ok',
      rooms: stats.rooms,
      connections: stats.connections,
      roomsFailingWrites: stats.roomsFailingWrites,
      uptimeSeconds: Math.round((Date.now() - startedAt) / 1000),
      version: VERSION,
    })
  })

  // GET /metrics and /readyz (server/ops/ops-app.ts).
  app.route('/', createOpsApp(relay, options))

  // Documents over HTTP (server/http/api/); upgrades above still reach
  // documents named `api/…`. Built on its first request: its route
  // definitions (zod, OpenAPI) are memory a relay nobody calls over HTTP
  // need not carry. It is mounted at the path this route was reached under
  // (the relay app may itself be mounted below a prefix).
  let documentsApi: Promise<Hono> | null = null
  app.all('/api/*', async (c) => {
    documentsApi ??= import('./api/documents-api.ts').then(({ createDocumentsApi }) =>
      new Hono().route(c.req.routePath.replace(/\/\*$/, ''), createDocumentsApi(relay, { authenticate: options.authenticate, allowedOrigins: options.allowedOrigins })),
    )
    return (await documentsApi).fetch(c.req.raw, c.env)
  })

  return app
}

/**
 * Drop what `@hono/node-server` attaches to the socket right after onOpen
 * returns: a message, close and error listener that forward to Hono's
 * onMessage/onClose/onError, which the relay does not use. Their closures hold
 * the whole upgrade (the Node request, Hono's context and request, two URLs)
 * for as long as the socket lives, about 10 KiB per connection. Every
 * listener present when onOpen runs (ours, and `ws`'s own client tracking) is
 * kept; only those added after it, before any I/O can happen, are removed.
 */
function releaseUpgradeListeners(ws: WebSocket): void {
  const events = ['message', 'close', 'error'] as const
  const before = events.map((event) => new Set(ws.listeners(event)))
  queueMicrotask(() => {
    events.forEach((event, i) => {
      for (const listener of ws.listeners(event)) {
        if (!before[i]!.has(listener)) ws.off(event, listener as (...args: unknown[]) => void)
      }
    })
  })
}

/**
 * The request path exactly as the client sent it, without the query. The URL
 * Hono sees went through `new URL()`, which resolves `/x/../y` to `/y` and
 * `/x/%2E%2E/y` too; the name rules must see those segments to refuse them.
 * Outside `@hono/node-server` (no Node request in `env`) the normalized URL
 * is all there is.
 */
function rawRequestPath(env: unknown, url: string): string {
  const incoming = typeof env === 'object' && env !== null && 'incoming' in env ? (env as { incoming?: { url?: unknown } }).incoming : undefined
  const target = typeof incoming?.url === 'string' ? incoming.url : url
  // An absolute-form target (`GET http://host/path HTTP/1.1`), like Hono's URL, starts with the authority.
  const path = target.replace(/^[a-z][a-z0-9+.-]*:\/\/[^/?#]*/i, '')
  const end = path.search(/[?#]/)
  return end < 0 ? path : path.slice(0, end)
}

/**
 * The document a raw path names below the mount point (`routePath` is the
 * matched pattern, `/collab/*`). The mount's segments are counted off, not
 * matched as text: in the raw path they may be spelled differently
 * (`/%63ollab/doc`) or be a `..` trick that reached the mount only once
 * normalized (`/x/../collab/doc`), so they pass the same segment rules.
 */
function documentNameOf(routePath: string, rawPath: string): RoomNameResult {
  const mountedAt = routePath.replace(/\/?\*$/, '')
  const mountSegments = mountedAt === '' ? 0 : mountedAt.split('/').length - 1
  const segments = rawPath.split('/').slice(1)
  if (mountSegments > 0) {
    const mount = roomNameFromPath(`/${segments.slice(0, mountSegments).join('/')}`)
    if (!mount.ok && mount.problem !== 'too-long') return mount
  }
  return roomNameFromPath(`/${segments.slice(mountSegments).join('/')}`)
}

/** Whether a raw path is the mount point itself (`/`, `/collab`, `/collab/`): no document below it. */
function isMountRoot(routePath: string, rawPath: string): boolean {
  const mountedAt = routePath.replace(/\/?\*$/, '')
  const mountSegments = mountedAt === '' ? 0 : mountedAt.split('/').length - 1
  const below = rawPath.split('/').slice(1 + mountSegments)
  return below.length === 0 || (below.length === 1 && below[0] === '')
}

/**
 * `@hono/node-server`'s upgrade helper answers 500, and logs nothing, when
 * the request did not come through a server it set up for WebSockets. Say
 * which of the two usual causes it is.
 */
function explainFailedUpgrade(relay: Relay, env: unknown): void {
  const servedWithWebSockets = typeof env === 'object' && env !== null && 'wss' in env
  relay.logger.error(
    servedWithWebSockets
      ? 'WebSocket upgrade failed: the app is served by another copy of @hono/node-server than the one collab-relay imports. ' +
          'Install one copy (`npm ls @hono/node-server` shows them; collab-relay takes it as a peer dependency).'
      : 'WebSocket upgrade failed: the server was not created with `websocket: { server: createWebSocketServer() }` ' +
          '(@hono/node-server `serve`/`createAdaptorServer`), so it cannot hand upgrades over.',
  )
}
