/**
 * What a connection may do in its room: the relay core's whole view of
 * access control. An `Authenticate` function (server/http/authenticate.ts)
 * turns a request into a grant before the upgrade; the grant travels with
 * the connection, and the room decides with it. Plain data: no tokens, no
 * HTTP.
 */

/** Who is on the other end, as the grant's issuer vouches. */
export interface GrantedUser {
  /** A stable ID from the issuer (a JWT's `sub`). */
  id?: string
  /** The name everyone sees; the relay writes it into the connection's presence. */
  name?: string
  /** `#rrggbb`; written into presence too when given. */
  color?: string
}

export interface Grant {
  /** `read`: sees the document and the others' presence, changes nothing. `write`: edits too. */
  access: 'read' | 'write'
  user?: GrantedUser
  /** When the grant ends (ms since the epoch): the connection is closed then with 4401. */
  expiresAt?: number
  /** May list and delete documents over the HTTP API. */
  admin?: boolean
}

/** The grant of a relay without authentication: everyone may edit everything. */
export const OPEN_GRANT: Grant = Object.freeze({ access: 'write' as const })
