/**
 * The token check against real tokens signed by jose: secrets, PEM public
 * keys, and a JWKS served over real HTTP.
 */
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { SignJWT, UnsecuredJWT, exportJWK, exportPKCS8, exportSPKI, generateKeyPair, type CryptoKey, type JWK, type JWTPayload } from 'jose'
import type { AuthResult } from '../http/authenticate.ts'
import { createJwtAuthenticator, type JwtAuthenticatorOptions } from './jwt-authenticator.ts'
import { issueToken } from './issue-token.ts'

const SECRET = 'correct horse battery staple, 32+ bytes long'
const OTHER_SECRET = 'another secret that is long enough to be used'
const now = (): number => Math.floor(Date.now() / 1000)

/** A claims set the relay accepts for `doc`, with `extra` on top (undefined deletes). */
function claims(extra: Record<string, unknown> = {}): JWTPayload {
  const base: Record<string, unknown> = { doc: 'team/plan', access: 'write', exp: now() + 600, ...extra }
  for (const [key, value] of Object.entries(base)) if (value === undefined) delete base[key]
  return base as JWTPayload
}

async function hs256(payload: JWTPayload, secret = SECRET): Promise<string> {
  return new SignJWT(payload).setProtectedHeader({ alg: 'HS256' }).sign(new TextEncoder().encode(secret))
}

async function signWith(key: CryptoKey, alg: string, payload: JWTPayload, kid?: string): Promise<string> {
  return new SignJWT(payload).setProtectedHeader({ alg, ...(kid ? { kid } : {}) }).sign(key)
}

/** Ask `options`' authenticator about `document` with `token` in the Authorization header (or the query). */
async function check(options: JwtAuthenticatorOptions, token: string | null, document = 'team/plan', via: 'header' | 'query' = 'header'): Promise<AuthResult> {
  const url = new URL('http://relay.test/')
  url.pathname = `/${document}`
  const headers = new Headers()
  if (token !== null && via === 'header') headers.set('authorization', `Bearer ${token}`)
  if (token !== null && via === 'query') url.searchParams.set('token', token)
  return createJwtAuthenticator(options)(new Request(url, { headers }), document)
}

const refused = (status: 401 | 403, reason: string): AuthResult => ({ ok: false, status, reason })

describe('createJwtAuthenticator: HS256', () => {
  const options = { secrets: [SECRET] }

  it('grants what a good token says, read from the header or the token query parameter', async () => {
    const payload = claims()
    const token = await hs256(payload)
    const granted: AuthResult = { ok: true, grant: { access: 'write', expiresAt: (payload.exp as number) * 1000 } }
    expect(await check(options, token)).toEqual(granted)
    expect(await check(options, token, 'team/plan', 'query')).toEqual(granted)
  })

  it('refuses a request without a token', async () => {
    expect(await check(options, null)).toEqual(refused(401, 'missing token'))
    expect(await check(options, '', 'team/plan', 'query')).toEqual(refused(401, 'missing token'))
  })

  it('refuses garbage as malformed', async () => {
    for (const garbage of ['garbage', 'a.b.c', 'e30.e30', `${(await hs256(claims())).slice(0, -1)}.x`, 'eyJhbGciOiJIUzI1NiJ9.bm90IGpzb24.c2ln']) {
      expect(await check(options, garbage), garbage).toEqual(refused(401, 'malformed token'))
    }
  })

  it('refuses a token signed with another secret, or changed after signing', async () => {
    expect(await check(options, await hs256(claims(), OTHER_SECRET))).toEqual(refused(401, 'bad signature'))
    const [header, , signature] = (await hs256(claims({ access: 'read' }))).split('.')
    const forged = Buffer.from(JSON.stringify(claims({ access: 'write', doc: '*' }))).toString('base64url')
    expect(await check(options, `${header}.${forged}.${signature}`)).toEqual(refused(401, 'bad signature'))
  })

  it('refuses an unsigned token (alg none)', async () => {
    const unsigned = new UnsecuredJWT(claims()).encode()
    expect(await check(options, unsigned)).toEqual(refused(401, 'algorithm not accepted'))
  })

  it('requires exp, refuses an expired token, and allows a few seconds of clock skew', async () => {
    expect(await check(options, await hs256(claims({ exp: undefined })))).toEqual(refused(401, 'token has no exp'))
    expect(await check(options, await hs256(claims({ exp: 'tomorrow' })))).toEqual(refused(401, 'bad exp claim'))
    expect(await check(options, await hs256(claims({ exp: now() - 60 })))).toEqual(refused(401, 'token expired'))
    expect((await check(options, await hs256(claims({ exp: now() - 2 })))).ok).toBe(true)
    expect(await check({ ...options, clockToleranceSeconds: 0 }, await hs256(claims({ exp: now() - 2 })))).toEqual(refused(401, 'token expired'))
  })

  it('refuses a token that is not valid yet (nbf), beyond the tolerance', async () => {
    expect(await check(options, await hs256(claims({ nbf: now() + 60 })))).toEqual(refused(401, 'token not yet valid'))
    expect((await check(options, await hs256(claims({ nbf: now() + 2 })))).ok).toBe(true)
  })

  it('requires access to be read or write', async () => {
    for (const access of [undefined, 'admin', 'READ', true]) {
      expect(await check(options, await hs256(claims({ access }))), String(access)).toEqual(refused(401, 'bad access claim'))
    }
  })

  it('grants read or write as the token says', async () => {
    expect(await check(options, await hs256(claims({ access: 'read' })))).toMatchObject({ ok: true, grant: { access: 'read' } })
    expect(await check(options, await hs256(claims({ access: 'write' })))).toMatchObject({ ok: true, grant: { access: 'write' } })
  })

  it('carries sub, name, a #rrggbb color and admin into the grant, and ignores what is not well formed', async () => {
    const exp = now() + 600
    const full = await hs256(claims({ exp, sub: 'user-7', name: 'Ada', color: '#a1B2c3', admin: true }))
    expect(await check(options, full)).toEqual({
      ok: true,
      grant: { access: 'write', expiresAt: exp * 1000, user: { id: 'user-7', name: 'Ada', color: '#a1B2c3' }, admin: true },
    })
    const odd = await hs256(claims({ exp, sub: 7, name: '', color: 'red; background: url(x)', admin: 'yes' }))
    expect(await check(options, odd)).toEqual({ ok: true, grant: { access: 'write', expiresAt: exp * 1000 } })
    const colorOnly = await hs256(claims({ exp, name: 'Bo', color: '#abc' }))
    expect(await check(options, colorOnly)).toEqual({ ok: true, grant: { access: 'write', expiresAt: exp * 1000, user: { name: 'Bo' } } })
  })

  it('accepts a token signed with any of several secrets (rotation)', async () => {
    const rotating = { secrets: [OTHER_SECRET, SECRET] }
    expect((await check(rotating, await hs256(claims(), SECRET))).ok).toBe(true)
    expect((await check(rotating, await hs256(claims(), OTHER_SECRET))).ok).toBe(true)
    expect(await check(rotating, await hs256(claims(), 'a third secret, long enough but not configured'))).toEqual(refused(401, 'bad signature'))
  })

  it('checks iss and aud when asked to', async () => {
    const strict = { ...options, issuer: 'https://app.example', audience: 'collab-relay' }
    expect((await check(strict, await hs256(claims({ iss: 'https://app.example', aud: ['collab-relay', 'other'] })))).ok).toBe(true)
    expect(await check(strict, await hs256(claims({ iss: 'https://evil.example', aud: 'collab-relay' })))).toEqual(refused(401, 'wrong issuer'))
    expect(await check(strict, await hs256(claims({ iss: 'https://app.example', aud: 'other' })))).toEqual(refused(401, 'wrong audience'))
  })
})

describe('createJwtAuthenticator: the doc claim', () => {
  const options = { secrets: [SECRET] }
  const covers = async (doc: unknown, document: string): Promise<AuthResult> => check(options, await hs256(claims({ doc })), document)
  const FORBIDDEN = refused(403, 'token not valid for this document')

  it('an exact name covers that document only', async () => {
    expect((await covers('team/plan', 'team/plan')).ok).toBe(true)
    expect(await covers('team/plan', 'team/plan2')).toEqual(FORBIDDEN)
    expect(await covers('team/plan', 'team')).toEqual(FORBIDDEN)
    expect(await covers('team/plan', 'team/plan/sub')).toEqual(FORBIDDEN)
  })

  it('a prefix ending in * covers the names that start with it, at any depth', async () => {
    expect((await covers('acme/*', 'acme/x')).ok).toBe(true)
    expect((await covers('acme/*', 'acme/x/y')).ok).toBe(true)
    expect(await covers('acme/*', 'acme')).toEqual(FORBIDDEN)
    expect(await covers('acme/*', 'acmex/y')).toEqual(FORBIDDEN)
    expect(await covers('acme/*', 'other/acme/x')).toEqual(FORBIDDEN)
  })

  it('* alone covers every document; a * inside a name is an ordinary character', async () => {
    for (const document of ['a', 'team/specs/q4 plan', 'ü/ñ']) expect((await covers('*', document)).ok).toBe(true)
    expect((await covers('a*b', 'a*b')).ok).toBe(true)
    expect(await covers('a*b', 'axb')).toEqual(FORBIDDEN)
  })

  it('a list covers what any of its patterns covers', async () => {
    const list = ['notes', 'acme/*']
    expect((await covers(list, 'notes')).ok).toBe(true)
    expect((await covers(list, 'acme/q')).ok).toBe(true)
    expect(await covers(list, 'notes/x')).toEqual(FORBIDDEN)
  })

  it('compares in Unicode NFC (a decomposed claim covers the precomposed name, and back)', async () => {
    const decomposed = 'cafe\u0301'
    const composed = 'caf\u00e9'
    expect((await covers(decomposed, composed)).ok).toBe(true)
    expect((await covers(`${decomposed}/*`, `${composed}/menu`)).ok).toBe(true)
    expect((await covers(composed, decomposed)).ok).toBe(true)
    expect(await covers('cafe', composed)).toEqual(FORBIDDEN)
  })

  it('refuses a token without a usable doc claim', async () => {
    for (const doc of [undefined, '', 7, [], ['ok', 3], { name: 'x' }]) {
      expect(await covers(doc, 'team/plan'), JSON.stringify(doc)).toEqual(refused(401, 'bad doc claim'))
    }
  })
})

describe('createJwtAuthenticator: PEM public keys', () => {
  it('verifies RS256, ES256 and EdDSA tokens with the matching public key', async () => {
    for (const alg of ['RS256', 'ES256', 'EdDSA'] as const) {
      const pair = await generateKeyPair(alg)
      const options = { publicKeys: [await exportSPKI(pair.publicKey)] }
      const token = await signWith(pair.privateKey, alg, claims({ name: alg }))
      expect(await check(options, token), alg).toMatchObject({ ok: true, grant: { access: 'write', user: { name: alg } } })
      const stranger = await generateKeyPair(alg)
      expect(await check(options, await signWith(stranger.privateKey, alg, claims())), alg).toEqual(refused(401, 'bad signature'))
    }
  })

  it('takes several keys of several kinds, with secrets beside them', async () => {
    const rsa = await generateKeyPair('RS256')
    const ec = await generateKeyPair('ES256')
    const options = { secrets: [SECRET], publicKeys: [await exportSPKI(rsa.publicKey), await exportSPKI(ec.publicKey)] }
    expect((await check(options, await signWith(rsa.privateKey, 'RS256', claims()))).ok).toBe(true)
    expect((await check(options, await signWith(ec.privateKey, 'ES256', claims()))).ok).toBe(true)
    expect((await check(options, await hs256(claims()))).ok).toBe(true)
    // The claims verdict of the key that verified wins over the other keys' "bad signature".
    expect(await check(options, await signWith(ec.privateKey, 'ES256', claims({ exp: now() - 60 })))).toEqual(refused(401, 'token expired'))
  })

  it('does not take a public key for an HMAC secret (algorithm confusion)', async () => {
    const rsa = await generateKeyPair('RS256')
    const pem = await exportSPKI(rsa.publicKey)
    const confused = await hs256(claims(), pem)
    expect(await check({ publicKeys: [pem] }, confused)).toEqual(refused(401, 'algorithm not accepted'))
  })
})

describe('createJwtAuthenticator: a JWKS over HTTP', () => {
  let server: Server
  let url: string
  let served: JWK[] = []
  let requests = 0
  let failing = false

  beforeAll(async () => {
    server = createServer((_request, response) => {
      requests += 1
      if (failing) {
        response.writeHead(500).end()
        return
      }
      response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: served }))
    })
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/.well-known/jwks.json`
  })
  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve))
  })

  async function jwk(key: CryptoKey, kid: string, alg: string): Promise<JWK> {
    return { ...(await exportJWK(key)), kid, alg, use: 'sig' }
  }

  it('verifies tokens by kid, and follows a key rotation on the issuer side', async () => {
    failing = false
    const first = await generateKeyPair('ES256')
    const second = await generateKeyPair('RS256')
    served = [await jwk(first.publicKey, 'k1', 'ES256')]
    // One authenticator throughout, as in a running relay; no cooldown so the test need not wait 30 s.
    const authenticate = createJwtAuthenticator({ jwksUrls: [url], jwksCooldownMs: 0 })
    const ask = async (token: string): Promise<AuthResult> =>
      authenticate(new Request('http://relay.test/team/plan', { headers: { authorization: `Bearer ${token}` } }), 'team/plan')

    expect(await ask(await signWith(first.privateKey, 'ES256', claims({ name: 'one' }), 'k1'))).toMatchObject({ ok: true, grant: { user: { name: 'one' } } })
    // A kid the set does not have yet.
    expect(await ask(await signWith(second.privateKey, 'RS256', claims(), 'k2'))).toEqual(refused(401, 'unknown signing key'))

    // The issuer publishes k2 beside k1, then retires k1.
    served = [await jwk(first.publicKey, 'k1', 'ES256'), await jwk(second.publicKey, 'k2', 'RS256')]
    expect(await ask(await signWith(second.privateKey, 'RS256', claims({ name: 'two' }), 'k2'))).toMatchObject({ ok: true, grant: { user: { name: 'two' } } })
    served = [await jwk(second.publicKey, 'k2', 'RS256')]
    // The cached set still holds k1 until it is fetched again (after 10 minutes, or now:
    // a token naming a kid the cache lacks makes it fetch).
    expect(await ask(await signWith(first.privateKey, 'ES256', claims(), 'k9'))).toEqual(refused(401, 'unknown signing key'))
    expect(await ask(await signWith(first.privateKey, 'ES256', claims(), 'k1'))).toEqual(refused(401, 'unknown signing key'))
    expect((await ask(await signWith(second.privateKey, 'RS256', claims(), 'k2'))).ok).toBe(true)

    // A token that claims k2 but was signed by another key.
    const impostor = await generateKeyPair('RS256')
    expect(await ask(await signWith(impostor.privateKey, 'RS256', claims(), 'k2'))).toEqual(refused(401, 'bad signature'))
  })

  it('says so when the key set cannot be fetched', async () => {
    failing = true
    const before = requests
    const pair = await generateKeyPair('ES256')
    expect(await check({ jwksUrls: [url] }, await signWith(pair.privateKey, 'ES256', claims(), 'k1'))).toEqual(refused(401, 'signing keys unavailable'))
    expect(requests).toBeGreaterThan(before)
    failing = false
  })

  it('does not fetch the set for a token whose algorithm it cannot hold (an HS256 token)', async () => {
    const before = requests
    expect(await check({ jwksUrls: [url], secrets: [SECRET] }, await hs256(claims(), OTHER_SECRET))).toEqual(refused(401, 'bad signature'))
    expect(requests).toBe(before)
  })
})

describe('createJwtAuthenticator: options are checked at construction', () => {
  it('throws a precise error for each bad key', async () => {
    expect(() => createJwtAuthenticator({})).toThrow('createJwtAuthenticator: no keys: give at least one of secrets, publicKeys, jwksUrls')
    expect(() => createJwtAuthenticator({ secrets: [SECRET, ''] })).toThrow('createJwtAuthenticator: secrets[1]: the secret is empty')
    expect(() => createJwtAuthenticator({ secrets: ['too short'] })).toThrow(/^createJwtAuthenticator: secrets\[0\]: the secret is 9 bytes; HS256 needs at least 32/)
    expect(() => createJwtAuthenticator({ publicKeys: ['hello'] })).toThrow('createJwtAuthenticator: publicKeys[0]: not a PEM key (no "-----BEGIN" line)')
    expect(() => createJwtAuthenticator({ publicKeys: ['-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n'] })).toThrow(
      /^createJwtAuthenticator: publicKeys\[0\]: the PEM public key does not parse/,
    )
    const { privateKey } = await generateKeyPair('ES256', { extractable: true })
    const privatePem = await exportPKCS8(privateKey)
    expect(() => createJwtAuthenticator({ publicKeys: [privatePem] })).toThrow(/^createJwtAuthenticator: publicKeys\[0\]: this is a private key/)
    expect(() => createJwtAuthenticator({ jwksUrls: ['not a url'] })).toThrow('createJwtAuthenticator: jwksUrls[0]: not a URL')
    expect(() => createJwtAuthenticator({ jwksUrls: ['file:///etc/keys.json'] })).toThrow(/jwksUrls\[0\]: expected an https:\/\/ \(or http:\/\/\) URL, got file:/)
  })
})

describe('issueToken', () => {
  it('signs a token the authenticator accepts, with every claim given', async () => {
    const token = await issueToken({ secret: SECRET, doc: ['acme/*', 'cafe\u0301'], access: 'read', expiresInSeconds: 60, sub: 'u1', name: 'Ada', color: '#112233', admin: true })
    const result = await check({ secrets: [SECRET] }, token, 'acme/q')
    expect(result).toMatchObject({ ok: true, grant: { access: 'read', admin: true, user: { id: 'u1', name: 'Ada', color: '#112233' } } })
    const expiresAt = (result as { grant: { expiresAt: number } }).grant.expiresAt
    expect(Math.abs(expiresAt - (Date.now() + 60_000))).toBeLessThan(2_000)
    expect((await check({ secrets: [SECRET] }, token, 'caf\u00e9')).ok).toBe(true)
    expect(await check({ secrets: [OTHER_SECRET] }, token, 'acme/q')).toEqual(refused(401, 'bad signature'))
  })

  it('refuses what would make a token the relay refuses', async () => {
    const base = { secret: SECRET, doc: 'd', access: 'write' as const, expiresInSeconds: 60 }
    await expect(issueToken({ ...base, secret: 'short' })).rejects.toThrow(/^issueToken: the secret is 5 bytes/)
    await expect(issueToken({ ...base, doc: [] })).rejects.toThrow(/^issueToken: doc must be/)
    await expect(issueToken({ ...base, access: 'admin' as 'read' })).rejects.toThrow(/^issueToken: access must be/)
    await expect(issueToken({ ...base, expiresInSeconds: 0 })).rejects.toThrow(/^issueToken: expiresInSeconds must be/)
    await expect(issueToken({ ...base, color: 'red' })).rejects.toThrow('issueToken: color must be #rrggbb, got red')
  })
})
