/**
 * The relay's token check: an `Authenticate` that turns a signed JWT into a
 * grant. Every cryptographic and time check is jose's (`jwtVerify`); this
 * module only chooses the keys, reads the relay's own claims (`doc`,
 * `access`, `name`, `color`, `admin`) and says why a token was refused.
 */
import type { KeyObject } from 'node:crypto'
import { createRemoteJWKSet, decodeJwt, decodeProtectedHeader, errors, jwtVerify, type JWTPayload } from 'jose'
import type { Grant, GrantedUser } from '../relay/grant.ts'
import { tokenOf, type Authenticate, type AuthResult } from '../http/authenticate.ts'
import { checkSecret, parseJwksUrl, parsePublicKey } from './key-checks.ts'
import { docClaimCovers, parseDocClaim } from './doc-claim.ts'

/** Default tolerance for `exp` and `nbf`: clocks of issuer and relay differ a little. */
export const DEFAULT_CLOCK_TOLERANCE_SECONDS = 5

/** What a JWKS may sign with (a PEM key is pinned to the one algorithm it fits). */
const JWKS_ALGORITHMS = ['RS256', 'ES256', 'ES384', 'ES512', 'EdDSA', 'Ed25519']

/** Options for `createJwtAuthenticator`. At least one key of any kind is required. */
export interface JwtAuthenticatorOptions {
  /**
   * HS256 shared secrets; each one's UTF-8 bytes are the key, at least 32 of
   * them. Several: a token signed with any of them is accepted (rotation).
   */
  secrets?: readonly string[]
  /**
   * PEM public keys (`-----BEGIN PUBLIC KEY-----`): RSA for RS256, EC P-256
   * for ES256 (P-384/P-521 for ES384/ES512), Ed25519 for EdDSA. Each key
   * accepts only its own algorithm.
   */
  publicKeys?: readonly string[]
  /**
   * JSON Web Key Set addresses (an identity provider's `jwks_uri`). Keys are
   * picked by the token's `kid` and `alg`; the set is fetched when first
   * needed, cached for 10 minutes, and fetched again when a token names a
   * `kid` it lacks (at most once per `jwksCooldownMs`).
   */
  jwksUrls?: readonly string[]
  /**
   * Least time between two fetches of a JWKS caused by unknown `kid`s, in ms.
   * Keeps a stream of tokens with made-up `kid`s from turning into a stream
   * of requests to the identity provider. Default 30 000 (jose's).
   */
  jwksCooldownMs?: number
  /** Leeway for `exp` and `nbf`, in seconds. Default 5. */
  clockToleranceSeconds?: number
  /** When set, the `iss` claim must be this (or one of these). */
  issuer?: string | readonly string[]
  /** When set, the `aud` claim must name this (or one of these). */
  audience?: string | readonly string[]
}

/** One way to check a signature: a key (or a key set) and the algorithms it may verify. */
interface Verifier {
  kind: 'secret' | 'public-key' | 'jwks'
  key: Uint8Array | KeyObject | ReturnType<typeof createRemoteJWKSet>
  algorithms: string[]
}

/**
 * Why no key accepted a token, from least to most telling: with a secret and
 * a JWKS, an RS256 token is "not accepted" by the secret but its `kid` is
 * "unknown" to the set, and the set's answer is the one that helps. (A token
 * that one key verified but whose claims are wrong never gets here: that
 * key's verdict is final.)
 */
const FAILURE_RANK = ['algorithm not accepted', 'bad signature', 'unknown signing key', 'signing keys unavailable', 'malformed token'] as const

/**
 * An `Authenticate` that accepts JWTs signed by any of the given keys. The
 * token comes from `Authorization: Bearer …` or the `token` query parameter
 * (a y-websocket client's `params: { token }`).
 *
 * Claims: `doc` (a document name, a prefix ending in `*`, or a list of
 * these), `access` (`read` or `write`), `exp` (required), and optionally
 * `sub`, `name`, `color` (`#rrggbb`) and `admin: true`. Refusals: 401 for a
 * missing, malformed, badly signed or expired token or a bad claim; 403 for a
 * good token whose `doc` does not cover the document.
 *
 * Throws at construction for an empty or short secret, a PEM that does not
 * parse, a bad URL, or no key at all.
 *
 * @example
 * const authenticate = createJwtAuthenticator({ secrets: [process.env.RELAY_SECRET!] })
 * const server = await serveRelay(createRelay(), { port: 1234, authenticate })
 */
export function createJwtAuthenticator(options: JwtAuthenticatorOptions): Authenticate {
  const verifiers = buildVerifiers(options)
  const clockTolerance = options.clockToleranceSeconds ?? DEFAULT_CLOCK_TOLERANCE_SECONDS
  if (!(clockTolerance >= 0)) throw new RangeError(`createJwtAuthenticator: clockToleranceSeconds must be >= 0, got ${clockTolerance}`)
  const verifyOptions = {
    clockTolerance,
    requiredClaims: ['exp'],
    ...(options.issuer !== undefined ? { issuer: toList(options.issuer) } : {}),
    ...(options.audience !== undefined ? { audience: toList(options.audience) } : {}),
  }

  return async (request, documentName) => {
    const token = tokenOf(request)
    if (!token) return refuse(401, 'missing token')
    try {
      // Only the shape: nothing decoded here is trusted before jwtVerify.
      decodeProtectedHeader(token)
      decodeJwt(token)
    } catch {
      return refuse(401, 'malformed token')
    }
    let worst = 0
    for (const verifier of verifiers) {
      try {
        const { payload } = await jwtVerify(token, verifier.key, { ...verifyOptions, algorithms: verifier.algorithms })
        return grantFor(payload, documentName)
      } catch (error) {
        const reason = signedButRefused(error)
        // The signature checked out with this key: its verdict on the claims is final.
        if (reason !== null) return refuse(401, reason)
        worst = Math.max(worst, FAILURE_RANK.indexOf(keyFailure(error, verifier)))
      }
    }
    return refuse(401, FAILURE_RANK[worst])
  }
}

function buildVerifiers(options: JwtAuthenticatorOptions): Verifier[] {
  const verifiers: Verifier[] = []
  const at = (what: string, index: number, check: () => void): void => {
    try {
      check()
    } catch (error) {
      throw new RangeError(`createJwtAuthenticator: ${what}[${index}]: ${(error as Error).message}`)
    }
  }
  const encoder = new TextEncoder()
  ;(options.secrets ?? []).forEach((secret, index) => {
    at('secrets', index, () => checkSecret(secret))
    verifiers.push({ kind: 'secret', key: encoder.encode(secret), algorithms: ['HS256'] })
  })
  ;(options.publicKeys ?? []).forEach((pem, index) => {
    at('publicKeys', index, () => {
      const { key, algorithm } = parsePublicKey(pem)
      // jose names Ed25519 signatures both ways (RFC 8037 `EdDSA`, RFC 9864 `Ed25519`).
      verifiers.push({ kind: 'public-key', key, algorithms: algorithm === 'EdDSA' ? ['EdDSA', 'Ed25519'] : [algorithm] })
    })
  })
  const cooldownDuration = options.jwksCooldownMs ?? 30_000
  if (!(cooldownDuration >= 0)) throw new RangeError(`createJwtAuthenticator: jwksCooldownMs must be >= 0, got ${cooldownDuration}`)
  ;(options.jwksUrls ?? []).forEach((url, index) => {
    at('jwksUrls', index, () => {
      verifiers.push({ kind: 'jwks', key: createRemoteJWKSet(parseJwksUrl(url), { cooldownDuration }), algorithms: JWKS_ALGORITHMS })
    })
  })
  if (verifiers.length === 0) throw new RangeError('createJwtAuthenticator: no keys: give at least one of secrets, publicKeys, jwksUrls')
  return verifiers
}

/**
 * The reason for an error jose raises only after the signature verified
 * (its claims checks), or null for any other error.
 */
function signedButRefused(error: unknown): string | null {
  if (error instanceof errors.JWTExpired) return 'token expired'
  if (error instanceof errors.JWTClaimValidationFailed) {
    if (error.claim === 'exp') return error.reason === 'missing' ? 'token has no exp' : 'bad exp claim'
    if (error.claim === 'nbf' && error.reason === 'check_failed') return 'token not yet valid'
    if (error.claim === 'iss') return 'wrong issuer'
    if (error.claim === 'aud') return 'wrong audience'
    return `bad ${error.claim} claim`
  }
  // The payload is not a JSON object: decodeJwt catches that first, so this is a backstop.
  if (error instanceof errors.JWTInvalid) return 'malformed token'
  return null
}

/** Why one key did not accept a token (one of FAILURE_RANK). */
function keyFailure(error: unknown, verifier: Verifier): (typeof FAILURE_RANK)[number] {
  if (error instanceof errors.JOSEAlgNotAllowed || error instanceof errors.JOSENotSupported) return 'algorithm not accepted'
  if (error instanceof errors.JWSSignatureVerificationFailed) return 'bad signature'
  if (error instanceof errors.JWSInvalid) return 'malformed token'
  if (error instanceof errors.JWKSNoMatchingKey || error instanceof errors.JWKSMultipleMatchingKeys) return 'unknown signing key'
  // Fetching or reading the key set failed (timeout, HTTP status, bad JSON, no network).
  if (verifier.kind === 'jwks') return 'signing keys unavailable'
  return 'bad signature'
}

/** The grant a verified token's claims give for `documentName`. */
function grantFor(payload: JWTPayload, documentName: string): AuthResult {
  const access = payload.access
  if (access !== 'read' && access !== 'write') return refuse(401, 'bad access claim')
  const patterns = parseDocClaim(payload.doc)
  if (patterns === null) return refuse(401, 'bad doc claim')
  if (!docClaimCovers(patterns, documentName)) return refuse(403, 'token not valid for this document')

  const user: GrantedUser = {}
  if (typeof payload.sub === 'string' && payload.sub !== '') user.id = payload.sub
  if (typeof payload.name === 'string' && payload.name !== '') user.name = payload.name
  if (typeof payload.color === 'string' && /^#[0-9a-fA-F]{6}$/.test(payload.color)) user.color = payload.color
  // jwtVerify required `exp` and checked that it is a number.
  const grant: Grant = { access, expiresAt: (payload.exp as number) * 1000 }
  if (Object.keys(user).length > 0) grant.user = user
  if (payload.admin === true) grant.admin = true
  return { ok: true, grant }
}

function refuse(status: 401 | 403, reason: string): AuthResult {
  return { ok: false, status, reason }
}

function toList(value: string | readonly string[]): string[] {
  return typeof value === 'string' ? [value] : [...value]
}
