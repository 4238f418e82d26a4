/**
 * The relay's `GET /auth?document=NAME`: what a token grants for a document,
 * or why it is refused. A browser never sees the HTTP status of a refused
 * WebSocket upgrade (only a close with 1006), so this is how the editor
 * learns, before connecting, that it may only read, and after a failed
 * connection, whether the relay said no or is simply not there.
 */
import type { Access } from './sync-status.ts'

/** What the relay said about a token and a document. `unknown`: no usable answer (relay down, no such route, a proxy's error page). */
export type AuthAnswer =
  | { kind: 'granted'; access: Access; expiresAt: number | null }
  | { kind: 'refused'; status: 401 | 403; reason: string }
  | { kind: 'busy'; retryAfterMs: number }
  | { kind: 'unknown' }

/** Give up on an answer after this long: the check only explains, it must never hold the editor up for long. */
const AUTH_TIMEOUT_MS = 5_000
/** Wait this long after a 429 that did not say how long (no `Retry-After`). */
const DEFAULT_RETRY_AFTER_MS = 10_000

/**
 * The check's address for a relay's WebSocket URL: the same host and mount
 * point over HTTP(S), `ws://host:1234/collab` → `http://host:1234/collab/auth?document=…`.
 */
export function authUrlFor(serverUrl: string, documentName: string): string {
  const url = new URL(serverUrl)
  url.protocol = url.protocol === 'wss:' ? 'https:' : url.protocol === 'ws:' ? 'http:' : url.protocol
  url.pathname = `${url.pathname.replace(/\/+$/, '')}/auth`
  url.search = ''
  url.hash = ''
  url.searchParams.set('document', documentName)
  return url.href
}

/**
 * Ask the relay what `token` grants for the document of `authUrl`. The token
 * travels in the `Authorization` header, not the URL, so this request adds
 * no copy of it to access logs. Never throws.
 */
export async function askRelay(authUrl: string, token: string | undefined): Promise<AuthAnswer> {
  let response: Response
  try {
    response = await fetch(authUrl, {
      headers: token ? { authorization: `Bearer ${token}` } : {},
      cache: 'no-store',
      signal: AbortSignal.timeout(AUTH_TIMEOUT_MS),
    })
  } catch {
    return { kind: 'unknown' }
  }
  if (response.status === 429) {
    const seconds = Number(response.headers.get('retry-after'))
    return { kind: 'busy', retryAfterMs: seconds > 0 ? seconds * 1000 : DEFAULT_RETRY_AFTER_MS }
  }
  const body = (await response.json().catch(() => null)) as { access?: unknown; expiresAt?: unknown; reason?: unknown } | null
  if (response.ok && (body?.access === 'read' || body?.access === 'write')) {
    return { kind: 'granted', access: body.access, expiresAt: typeof body.expiresAt === 'number' ? body.expiresAt : null }
  }
  if (response.status === 401 || response.status === 403) {
    const reason = typeof body?.reason === 'string' && body.reason ? body.reason : response.status === 401 ? 'not signed in' : 'not allowed'
    return { kind: 'refused', status: response.status, reason }
  }
  return { kind: 'unknown' }
}
