/**
 * One WebSocket upgrade attempt with a `ws` client, reporting either the
 * open socket or the HTTP refusal (status and headers): for tests of what
 * the relay refuses before the upgrade. (@hono/node-server sends refusals
 * with an empty body, so the reason is in `x-collab-error`.)
 */
import type { IncomingHttpHeaders } from 'node:http'
import WebSocket from 'ws'

export interface UpgradeAttemptOptions {
  /** The `Origin` header, as a browser would send it. Default: none. */
  origin?: string
  /** Extra request headers (e.g. `X-Forwarded-For`). */
  headers?: Record<string, string>
  /** CA to trust for `wss://` (the test certificate). */
  ca?: string
}

export type UpgradeOutcome =
  | { opened: true; ws: WebSocket }
  | { opened: false; status: number; reason: string; retryAfter: string | undefined; headers: IncomingHttpHeaders }

/** Try to open `url`; resolve with the socket (open) or the refusal. Rejects on network errors. */
export function attemptUpgrade(url: string, options: UpgradeAttemptOptions = {}): Promise<UpgradeOutcome> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, {
      ...(options.origin !== undefined ? { origin: options.origin } : {}),
      ...(options.headers ? { headers: options.headers } : {}),
      ...(options.ca ? { ca: options.ca } : {}),
    })
    ws.on('unexpected-response', (_request, response) => {
      response.socket.destroy()
      const header = (name: string): string | undefined => {
        const value = response.headers[name]
        return Array.isArray(value) ? value[0] : value
      }
      resolve({ opened: false, status: response.statusCode ?? 0, reason: header('x-collab-error') ?? '', retryAfter: header('retry-after'), headers: response.headers })
    })
    ws.once('open', () => {
      ws.on('error', () => {})
      resolve({ opened: true, ws })
    })
    ws.once('error', reject)
  })
}

/** Like `attemptUpgrade`, but fails unless the upgrade is refused; returns the refusal. */
export async function expectRefused(url: string, options: UpgradeAttemptOptions = {}): Promise<Extract<UpgradeOutcome, { opened: false }>> {
  const outcome = await attemptUpgrade(url, options)
  if (outcome.opened) {
    outcome.ws.terminate()
    throw new Error(`upgrade to ${url} was accepted, expected a refusal`)
  }
  return outcome
}

/** Like `attemptUpgrade`, but fails unless the upgrade opens; returns the socket (close it yourself). */
export async function expectOpened(url: string, options: UpgradeAttemptOptions = {}): Promise<WebSocket> {
  const outcome = await attemptUpgrade(url, options)
  if (!outcome.opened) throw new Error(`upgrade to ${url} was refused with ${outcome.status} (${outcome.reason})`)
  return outcome.ws
}
