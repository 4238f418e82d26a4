import type { AddressInfo } from 'node:net'
import type { Server } from 'node:http'
import { createServer as createHttpsServer } from 'node:https'
import { createAdaptorServer } from '@hono/node-server'
import { WebSocketServer } from 'ws'
import { Hono } from 'hono'
import type { Relay } from '../relay/relay.ts'
import { createRelayApp, type RelayAppOptions } from './relay-app.ts'
import { mountEditorApp, type EditorAppOptions } from './editor-app.ts'
import { refuseMalformedUpgrades } from './host-check.ts'
import { enforceHandshakeDeadline } from './handshake-deadline.ts'

/** Largest frame accepted by default: 16 MiB. Bigger frames close with 1009. */
export const DEFAULT_MAX_PAYLOAD_BYTES = 16 * 1024 * 1024

/** Options for `createWebSocketServer`. */
export interface WebSocketServerOptions {
  /** Largest frame accepted, in bytes; larger ones close the connection with 1009. Default 16 MiB. */
  maxPayloadBytes?: number
}

/**
 * The `ws` server that `@hono/node-server` hands upgrades to. It has no HTTP
 * server of its own (`noServer`); compression is off because Yjs updates are
 * small and already compact, and permessage-deflate costs memory per socket.
 */
export function createWebSocketServer(options: WebSocketServerOptions = {}): WebSocketServer {
  const maxPayload = options.maxPayloadBytes ?? DEFAULT_MAX_PAYLOAD_BYTES
  if (!Number.isInteger(maxPayload) || maxPayload <= 0) {
    throw new RangeError(`maxPayloadBytes must be a positive integer, got ${maxPayload}`)
  }
  return new WebSocketServer({ noServer: true, maxPayload, perMessageDeflate: false, clientTracking: true })
}

/** Default for `handshakeTimeoutMs`: how long a client may take to send its request headers. */
export const DEFAULT_HANDSHAKE_TIMEOUT_MS = 10_000

/** Options for `serveRelay`. */
export interface ServeOptions extends RelayAppOptions, WebSocketServerOptions {
  /** Interface to listen on. Default 127.0.0.1. */
  host?: string
  /** Port; 0 picks a free one. Default 1234. */
  port?: number
  /**
   * Serve this app instead of the bare relay app (it must include the relay's
   * routes). The relay app's options (`heartbeatMs`, `authenticate`,
   * `allowedOrigins`, the per-IP limits, `trustProxy`) are then the ones your
   * `createRelayApp` call was given; `handshakeTimeoutMs`, `tls` and
   * `maxPayloadBytes` still apply here.
   */
  app?: Hono
  /**
   * Also serve the editor: the start page at `/`, documents at `/d/<name>`
   * and the embeddable library at `/lib/` (see `mountEditorApp`). `true` for
   * the built editor of this package, or its options. Ignored when `app` is
   * given: mount it on your app yourself. Default false (the relay alone).
   */
  editor?: boolean | EditorAppOptions
  /**
   * How long a new connection may take to send the headers of its first
   * request, plain request and WebSocket upgrade alike (with `tls`, the TLS
   * handshake included), in ms from the moment it is accepted. One that is
   * slower (a slow-loris sending a byte a second, or nothing) is answered 408
   * and disconnected (see `enforceHandshakeDeadline`). Later requests on a
   * keep-alive connection get as long from their first byte. Default 10 000.
   * (Node's defaults held such a client for 90 s.)
   */
  handshakeTimeoutMs?: number
  /**
   * Serve HTTPS and WSS directly, with this certificate (PEM, chain first)
   * and its private key; `url` is then `https://…`. Default: plain HTTP (put a
   * TLS-terminating proxy in front, README "Behind a TLS-terminating proxy").
   */
  tls?: { cert: string | Buffer; key: string | Buffer }
}

/** A listening relay server. */
export interface RelayServer {
  /** `http://host:port` (`https://` with `tls`) with the real port. */
  url: string
  host: string
  port: number
  /** Stop accepting, close every socket with 1001, commit pending writes, close storage. */
  close(): Promise<void>
}

function relayAppWithEditor(relay: Relay, options: ServeOptions): Hono {
  const relayApp = createRelayApp(relay, options)
  if (!options.editor) return relayApp
  const app = new Hono()
  app.route('/', relayApp)
  mountEditorApp(app, options.editor === true ? {} : options.editor)
  return app
}

/** Node's default `requestTimeout` (the whole request, body included): kept, unless the headers get longer. */
const NODE_REQUEST_TIMEOUT_MS = 300_000

/**
 * Node's http server options for clients that send headers too slowly, for
 * the requests `enforceHandshakeDeadline` does not watch: the later ones of
 * a keep-alive connection (Node times those from their first byte). Node
 * checks `headersTimeout` only every `connectionsCheckingInterval` (30 s by
 * default, settable only when the server is created), so with its defaults
 * (60 s) a slow-loris held a socket for 90 s. Checking every quarter of the
 * timeout (at most every second) walks only the connections still reading
 * headers, which is cheap.
 */
function slowClientTimeouts(handshakeTimeoutMs: number): { headersTimeout: number; requestTimeout: number; connectionsCheckingInterval: number } {
  if (!Number.isInteger(handshakeTimeoutMs) || handshakeTimeoutMs <= 0) {
    throw new RangeError(`serveRelay: handshakeTimeoutMs must be a positive whole number of ms, got ${handshakeTimeoutMs}`)
  }
  return {
    headersTimeout: handshakeTimeoutMs,
    // Node refuses a headers timeout longer than the request timeout.
    requestTimeout: Math.max(NODE_REQUEST_TIMEOUT_MS, handshakeTimeoutMs),
    connectionsCheckingInterval: Math.min(1_000, Math.ceil(handshakeTimeoutMs / 4)),
  }
}

/** How long shutdown waits for clients to answer the close handshake. */
const CLOSE_HANDSHAKE_WAIT_MS = 2_000

/**
 * Serve a relay over HTTP and WebSockets with `@hono/node-server`.
 *
 * @example
 * const server = await serveRelay(createRelay(), { port: 0, editor: true })
 * // the editor at `${server.url}/`
 * // ws clients connect to `${server.url.replace('http', 'ws')}/my-document`
 * await server.close()
 */
export async function serveRelay(relay: Relay, options: ServeOptions = {}): Promise<RelayServer> {
  const host = options.host ?? '127.0.0.1'
  const wss = createWebSocketServer(options)
  const app = options.app ?? relayAppWithEditor(relay, options)
  const handshakeTimeoutMs = options.handshakeTimeoutMs ?? DEFAULT_HANDSHAKE_TIMEOUT_MS
  const timeouts = slowClientTimeouts(handshakeTimeoutMs)
  const server = (
    options.tls
      ? createAdaptorServer({
          fetch: app.fetch,
          websocket: { server: wss },
          createServer: createHttpsServer,
          // tls.Server's handshakeTimeout (default 120 s) bounds the TLS handshake, before any header arrives.
          serverOptions: { cert: options.tls.cert, key: options.tls.key, handshakeTimeout: handshakeTimeoutMs, ...timeouts },
        })
      : createAdaptorServer({ fetch: app.fetch, websocket: { server: wss }, serverOptions: timeouts })
  ) as Server
  refuseMalformedUpgrades(server)
  enforceHandshakeDeadline(server, handshakeTimeoutMs)

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(options.port ?? 1234, host, () => {
      server.off('error', reject)
      resolve()
    })
  })
  const { port } = server.address() as AddressInfo
  const shownHost = host.includes(':') ? `[${host}]` : host

  let closed: Promise<void> | null = null
  return {
    url: `${options.tls ? 'https' : 'http'}://${shownHost}:${port}`,
    host,
    port,
    close() {
      closed ??= (async () => {
        const stopped = new Promise<void>((resolve) => server.close(() => resolve()))
        server.closeIdleConnections()
        await relay.close()
        // Clients that have not finished the close handshake by now are cut.
        const deadline = Date.now() + CLOSE_HANDSHAKE_WAIT_MS
        while (wss.clients.size > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20))
        for (const client of wss.clients) client.terminate()
        server.closeAllConnections()
        await stopped
      })()
      return closed
    },
  }
}
