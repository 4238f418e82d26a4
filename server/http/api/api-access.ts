/**
 * Who may call the documents API: the same `authenticate` as the WebSocket
 * upgrade, asked about the document a call is for, and then what the grant
 * allows. A read grant may read, a write grant may also change; listing
 * and deleting need `admin` in the grant (deleting a write grant too).
 */
import type { Grant } from '../../relay/grant.ts'
import { allowEveryone, type Authenticate } from '../authenticate.ts'
import { ApiError } from './api-errors.ts'

/** What a call needs: `admin` lists, `delete` is admin with write access. */
export type ApiNeed = 'read' | 'write' | 'admin' | 'delete'

/** Asks whether `request` may do `need` to `subject` (a document name, or `<prefix>*` for a list); the grant, or throws 401/403. */
export type ApiAccess = (request: Request, subject: string, need: ApiNeed) => Promise<Grant>

/**
 * The grant of a relay without authentication (`authenticate` not given, or
 * `allowEveryone`): everything, listing and deleting included. An open relay
 * is open over HTTP too, as it is over WebSockets.
 */
const OPEN_API_GRANT: Grant = Object.freeze({ access: 'write' as const, admin: true })

export function createApiAccess(authenticate: Authenticate | undefined): ApiAccess {
  if (authenticate === undefined || authenticate === allowEveryone) return async () => OPEN_API_GRANT
  return async (request, subject, need) => {
    const auth = await authenticate(request, subject)
    if (!auth.ok) {
      // As for upgrades: the status and the authenticator's reason, nothing about the document.
      throw new ApiError(auth.status, auth.reason, undefined, { 'x-collab-error': auth.reason })
    }
    const { grant } = auth
    if ((need === 'write' || need === 'delete') && grant.access !== 'write') {
      throw new ApiError(403, 'this grant may only read', 'read-only', { 'x-collab-error': 'read-only grant' })
    }
    if ((need === 'admin' || need === 'delete') && grant.admin !== true) {
      throw new ApiError(403, 'listing and deleting documents need an admin grant', 'admin-only', { 'x-collab-error': 'admin grant needed' })
    }
    return grant
  }
}
