/**
 * Signing tokens the relay accepts, with a shared HS256 secret: for the
 * `collab-relay token` command, tests, and backends written in JavaScript.
 * (A backend in another language signs the same claims with its own JWT
 * library; see docs/security.md.)
 */
import { SignJWT } from 'jose'
import { checkSecret } from './key-checks.ts'

/** What a token grants, and for how long. */
export interface IssueTokenOptions {
  /** The HS256 secret the relay was started with (its first one, when it has several). */
  secret: string
  /** A document name, a prefix ending in `*` (`acme/*`; `*` for all), or a list of these. */
  doc: string | readonly string[]
  /** `read`: sees the document and presence. `write`: edits too. */
  access: 'read' | 'write'
  /** Lifetime, in seconds from now. */
  expiresInSeconds: number
  /** A stable user ID (`sub`). */
  sub?: string
  /** The name others see next to this user's caret. */
  name?: string
  /** `#rrggbb`. */
  color?: string
  /** `admin: true` in the token, carried into the grant: lists and deletes over the documents API (deleting with `write`), reads `/metrics` with `doc: '*'`. */
  admin?: boolean
}

/**
 * A signed JWT (HS256) with the relay's claims: `doc`, `access`, `exp`, `iat`
 * and the optional `sub`, `name`, `color`, `admin`.
 *
 * @example
 * const token = await issueToken({ secret: process.env.COLLAB_RELAY_AUTH_SECRET!, doc: 'acme/*', access: 'write', expiresInSeconds: 3600, name: 'Ada' })
 * new WebsocketProvider('wss://relay.example', 'acme/plan', doc, { params: { token } })
 */
export async function issueToken(options: IssueTokenOptions): Promise<string> {
  try {
    checkSecret(options.secret)
  } catch (error) {
    throw new RangeError(`issueToken: ${(error as Error).message}`)
  }
  const docs = typeof options.doc === 'string' ? [options.doc] : [...options.doc]
  if (docs.length === 0 || docs.some((doc) => typeof doc !== 'string' || doc === '')) {
    throw new RangeError('issueToken: doc must be a non-empty document name or pattern, or a non-empty list of them')
  }
  if (options.access !== 'read' && options.access !== 'write') throw new RangeError(`issueToken: access must be 'read' or 'write', got ${String(options.access)}`)
  if (!Number.isInteger(options.expiresInSeconds) || options.expiresInSeconds <= 0) {
    throw new RangeError(`issueToken: expiresInSeconds must be a positive whole number, got ${options.expiresInSeconds}`)
  }
  if (options.color !== undefined && !/^#[0-9a-fA-F]{6}$/.test(options.color)) throw new RangeError(`issueToken: color must be #rrggbb, got ${options.color}`)

  const normalized = docs.map((doc) => doc.normalize('NFC'))
  const claims: Record<string, unknown> = { doc: typeof options.doc === 'string' ? normalized[0] : normalized, access: options.access }
  if (options.name !== undefined) claims.name = options.name
  if (options.color !== undefined) claims.color = options.color
  if (options.admin === true) claims.admin = true
  const now = Math.floor(Date.now() / 1000)
  const jwt = new SignJWT(claims).setProtectedHeader({ alg: 'HS256', typ: 'JWT' }).setIssuedAt(now).setExpirationTime(now + options.expiresInSeconds)
  if (options.sub !== undefined) jwt.setSubject(options.sub)
  return jwt.sign(new TextEncoder().encode(options.secret))
}
