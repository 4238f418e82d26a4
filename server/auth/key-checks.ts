/**
 * Checks for the keys that verify tokens, shared by `createJwtAuthenticator`
 * (which throws them at construction) and the CLI (which names the flag).
 * Each throws a `RangeError` that says what is wrong and never quotes a
 * secret.
 */
import { createPublicKey, type KeyObject } from 'node:crypto'
import { redactUrl } from '../http/authenticate.ts'

/**
 * Shortest HS256 secret, in bytes. RFC 7518 §3.2: "A key of the same size as
 * the hash output (for instance, 256 bits for HS256) or larger MUST be used".
 */
export const MIN_SECRET_BYTES = 32

/** Shortest RSA modulus accepted; jose refuses shorter ones at verification anyway. */
const MIN_RSA_BITS = 2048

/** The signature algorithms a public key may verify, by what the key is. */
export type PublicKeyAlgorithm = 'RS256' | 'ES256' | 'ES384' | 'ES512' | 'EdDSA'

const CURVE_ALGORITHMS: Record<string, PublicKeyAlgorithm> = {
  prime256v1: 'ES256',
  secp384r1: 'ES384',
  secp521r1: 'ES512',
}

/** Refuse a secret that cannot make HS256 safe. */
export function checkSecret(secret: string): void {
  if (typeof secret !== 'string' || secret.length === 0) throw new RangeError('the secret is empty')
  const bytes = new TextEncoder().encode(secret).length
  if (bytes < MIN_SECRET_BYTES) {
    throw new RangeError(
      `the secret is ${bytes} bytes; HS256 needs at least ${MIN_SECRET_BYTES} (256 bits, RFC 7518 §3.2): generate one with \`openssl rand -base64 32\``,
    )
  }
}

/** A parsed public key and the algorithm its tokens are signed with. */
export interface ParsedPublicKey {
  key: KeyObject
  algorithm: PublicKeyAlgorithm
}

/**
 * Parse a PEM public key (SPKI, `-----BEGIN PUBLIC KEY-----`) and tell which
 * algorithm it verifies: RSA keys RS256, EC keys ES256/384/512 by curve,
 * Ed25519 keys EdDSA. A private key is refused: the relay only verifies, and
 * should never hold what signs.
 */
export function parsePublicKey(pem: string): ParsedPublicKey {
  if (typeof pem !== 'string' || !pem.includes('-----BEGIN')) throw new RangeError('not a PEM key (no "-----BEGIN" line)')
  if (/-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(pem)) {
    throw new RangeError('this is a private key: give the relay the public key only (`openssl pkey -in private.pem -pubout`)')
  }
  if (!pem.includes('-----BEGIN PUBLIC KEY-----')) throw new RangeError('not a PEM public key (expected "-----BEGIN PUBLIC KEY-----")')
  let key: KeyObject
  try {
    key = createPublicKey({ key: pem, format: 'pem' })
  } catch (error) {
    throw new RangeError(`the PEM public key does not parse (${(error as Error).message})`)
  }
  const type = key.asymmetricKeyType
  if (type === 'rsa') {
    const bits = key.asymmetricKeyDetails?.modulusLength ?? 0
    if (bits < MIN_RSA_BITS) throw new RangeError(`the RSA key has ${bits} bits; at least ${MIN_RSA_BITS} are needed`)
    return { key, algorithm: 'RS256' }
  }
  if (type === 'ec') {
    const curve = key.asymmetricKeyDetails?.namedCurve ?? 'unknown'
    const algorithm = CURVE_ALGORITHMS[curve]
    if (!algorithm) throw new RangeError(`the EC key is on curve ${curve}; supported: P-256 (ES256), P-384 (ES384), P-521 (ES512)`)
    return { key, algorithm }
  }
  if (type === 'ed25519') return { key, algorithm: 'EdDSA' }
  throw new RangeError(`unsupported key type ${type ?? 'unknown'}; supported: RSA (RS256), EC (ES256/384/512), Ed25519 (EdDSA)`)
}

/** Refuse a JWKS address that is not an absolute http(s) URL. Returns it parsed. */
export function parseJwksUrl(url: string): URL {
  let parsed: URL
  try {
    parsed = new URL(url)
  } catch {
    throw new RangeError('not a URL')
  }
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') throw new RangeError(`expected an https:// (or http://) URL, got ${parsed.protocol}`)
  return parsed
}

/** A URL fit for a log line: no user or password, no query string. */
export function loggableUrl(url: URL): string {
  return redactUrl(`${url.protocol}//${url.host}${url.pathname}${url.search}`)
}
