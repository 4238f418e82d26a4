import type { IncomingMessage, Server } from 'node:http'
import type { Duplex } from 'node:stream'

type UpgradeListener = (request: IncomingMessage, socket: Duplex, head: Buffer) => void

/**
 * Why `@hono/node-server` could not build a URL for this request (a
 * malformed `Host`, an absolute-form target that does not parse or carries
 * credentials), or null when it can. It builds the URL the same way:
 * `http://` + Host (default `localhost`) + target, or the target itself
 * when that is absolute.
 */
export function requestUrlProblem(request: IncomingMessage): string | null {
  const target = request.url ?? '/'
  const absolute = !target.startsWith('/') && /^https?:\/\//i.test(target)
  const host = request.headers.host ?? 'localhost'
  try {
    const url = new URL(absolute ? target : `http://${host}${target}`)
    // `new Request()` refuses a URL with credentials.
    if (url.username || url.password) return absolute ? 'invalid request target' : 'invalid Host header'
    return null
  } catch {
    if (absolute) return 'invalid request target'
    return URL.canParse(`http://${host}/`) ? 'invalid request target' : 'invalid Host header'
  }
}

/**
 * Answer a WebSocket upgrade whose URL cannot be built with 400, before
 * `@hono/node-server` sees it. For a plain request it throws a
 * `RequestError` and answers 400 itself; in its upgrade handler the same
 * failure surfaces as a `TypeError` from `new URL()`, which it answers with
 * 500. RFC 9112 §3.2: a Host with an invalid value gets 400.
 *
 * The upgrade listeners already on `server` (the one `createAdaptorServer`
 * adds for `websocket: { server }`) are wrapped rather than joined by a
 * listener of our own: `@hono/node-server` writes its refusals (bad document
 * names included) only while it is the sole `upgrade` listener. Call it
 * right after `createAdaptorServer`, before anything else listens for
 * upgrades.
 */
export function refuseMalformedUpgrades(server: Server): void {
  const listeners = server.listeners('upgrade') as UpgradeListener[]
  server.removeAllListeners('upgrade')
  server.on('upgrade', function (this: Server, request: IncomingMessage, socket: Duplex, head: Buffer) {
    const problem = requestUrlProblem(request)
    if (problem === null) {
      for (const listener of listeners) listener.call(this, request, socket, head)
      return
    }
    // An upgrade socket with no 'error' listener takes the process down on a reset.
    socket.on('error', () => {})
    socket.end(`HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Length: 0\r\nx-collab-error: ${problem}\r\n\r\n`)
  })
}
