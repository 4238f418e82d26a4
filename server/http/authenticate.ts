import { OPEN_GRANT, type Grant } from '../relay/grant.ts'

/**
 * The answer to "may this request open this document?": a grant, or a
 * refusal with its HTTP status and a reason (sent to the client in the JSON
 * body and the `x-collab-error` header; never anything about the document).
 */
export type AuthResult = { ok: true; grant: Grant } | { ok: false; status: 401 | 403; reason: string }

/**
 * The one authentication step, run before every WebSocket upgrade (and every
 * HTTP API call): given the request and the document it names, grant or
 * refuse. The CLI's is the JWT verifier (`createJwtAuthenticator`); a
 * library user may pass any, such as a session-cookie check.
 *
 * @example
 * const authenticate: Authenticate = async (request, document) => {
 *   const session = await sessions.get(cookieOf(request, 'sid'))
 *   if (!session) return { ok: false, status: 401, reason: 'not signed in' }
 *   if (!session.documents.includes(document)) return { ok: false, status: 403, reason: 'not your document' }
 *   return { ok: true, grant: { access: 'write', user: { id: session.userId, name: session.name } } }
 * }
 * app.route('/collab', createRelayApp(relay, { authenticate }))
 */
export type Authenticate = (request: Request, documentName: string) => AuthResult | Promise<AuthResult>

/** Everyone may edit everything: the relay's behaviour without authentication. */
const EVERYONE_ALLOWED: AuthResult = Object.freeze({ ok: true, grant: OPEN_GRANT })
export const allowEveryone: Authenticate = () => EVERYONE_ALLOWED

/** The token a request carries: `Authorization: Bearer …`, else the `token` query parameter (y-websocket's `params`). */
export function tokenOf(request: Request): string | null {
  const header = request.headers.get('authorization')
  if (header) {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(header)
    return match ? match[1] : null
  }
  return new URL(request.url).searchParams.get('token')
}

/** A URL safe to log: the query string (where tokens travel) replaced. */
export function redactUrl(url: string): string {
  const at = url.indexOf('?')
  return at < 0 ? url : `${url.slice(0, at)}?…`
}
