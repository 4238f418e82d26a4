/**
 * Who may call the documents API: the relay's own JWT authenticator (real
 * tokens from `issueToken`), the same as for WebSocket upgrades. Read grants
 * read, write grants write, listing and deleting need `admin`; an open relay
 * (no authenticator) allows everything; browsers' origins as configured.
 */
import { describe, expect, it } from 'vitest'
import { createJwtAuthenticator } from '../server/auth/jwt-authenticator.ts'
import { issueToken } from '../server/auth/issue-token.ts'
import { useRelayScope, type TestRelay } from './support/harness.ts'
import { call, documentUrl, putMarkdown } from './support/documents-api.ts'

const scope = useRelayScope()
const SECRET = 'a test secret that is long enough for HS256 !!'

async function jwtRelay(options: { allowedOrigins?: string[] } = {}): Promise<TestRelay> {
  return scope.start({ authenticate: createJwtAuthenticator({ secrets: [SECRET] }), ...options })
}

const token = (doc: string | string[], access: 'read' | 'write', admin = false) => issueToken({ secret: SECRET, doc, access, admin, expiresInSeconds: 600 })

async function errorOf(response: Response): Promise<[number, string, string | null]> {
  const body = (await response.json()) as { error: string; message: string }
  expect(Object.keys(body)).toEqual(['error', 'message'])
  return [response.status, body.error, response.headers.get('x-collab-error')]
}

describe('documents API access', () => {
  it('401 without a valid token, whether or not the document exists; the token may come as ?token=', async () => {
    const relay = await jwtRelay()
    const writer = await token('acme/*', 'write')
    expect((await putMarkdown(relay, 'acme/plan', '# Plan', { token: writer })).status).toBe(201)

    for (const name of ['acme/plan', 'acme/nothing']) {
      expect(await errorOf(await call(documentUrl(relay, name)))).toEqual([401, 'unauthorized', 'missing token'])
      expect(await errorOf(await call(documentUrl(relay, name), { token: 'not.a.jwt' }))).toEqual([401, 'unauthorized', 'malformed token'])
    }
    const forged = await issueToken({ secret: 'another secret, just as long as the first one', doc: '*', access: 'write', admin: true, expiresInSeconds: 600 })
    expect(await errorOf(await call(documentUrl(relay, 'acme/plan'), { token: forged }))).toEqual([401, 'unauthorized', 'bad signature'])
    expect(await errorOf(await call(documentUrl(relay), { token: forged }))).toEqual([401, 'unauthorized', 'bad signature'])

    const viaQuery = await call(documentUrl(relay, 'acme/plan', `?format=markdown&token=${await token('acme/plan', 'read')}`))
    expect([viaQuery.status, await viaQuery.text()]).toEqual([200, '# Plan'])
  })

  it('403 for a document the token is not for; a read grant reads but may not write', async () => {
    const relay = await jwtRelay()
    expect((await putMarkdown(relay, 'acme/plan', '# Plan', { token: await token('acme/*', 'write') })).status).toBe(201)
    const other = await token('rival/*', 'write', true)
    expect(await errorOf(await call(documentUrl(relay, 'acme/plan'), { token: other }))).toEqual([403, 'forbidden', 'token not valid for this document'])

    const reader = await token('acme/plan', 'read')
    expect((await call(documentUrl(relay, 'acme/plan'), { token: reader })).status).toBe(200)
    expect(await errorOf(await putMarkdown(relay, 'acme/plan', 'changed', { token: reader }))).toEqual([403, 'read-only', 'read-only grant'])
    const post = await call(`${documentUrl(relay, 'acme/plan')}/updates`, { method: 'POST', token: reader, headers: { 'content-type': 'application/octet-stream' }, body: new Uint8Array([0, 0]) })
    expect(await errorOf(post)).toEqual([403, 'read-only', 'read-only grant'])
    expect(await (await call(documentUrl(relay, 'acme/plan', '?format=markdown'), { token: reader })).text()).toBe('# Plan')
  })

  it('deleting needs a write grant with admin', async () => {
    const relay = await jwtRelay()
    expect((await putMarkdown(relay, 'acme/plan', '# Plan', { token: await token('acme/*', 'write') })).status).toBe(201)
    const del = async (t: string) => call(documentUrl(relay, 'acme/plan'), { method: 'DELETE', token: t })
    expect(await errorOf(await del(await token('acme/*', 'write')))).toEqual([403, 'admin-only', 'admin grant needed'])
    expect(await errorOf(await del(await token('acme/*', 'read', true)))).toEqual([403, 'read-only', 'read-only grant'])
    expect(await errorOf(await del(await token('rival/*', 'write', true)))).toEqual([403, 'forbidden', 'token not valid for this document'])
    expect((await del(await token('acme/plan', 'write', true))).status).toBe(204)
  })

  it('listing needs admin over the pattern `<prefix>*`: `*` for everything, `acme/*` for prefix=acme/…', async () => {
    const relay = await jwtRelay()
    const writer = await token('*', 'write')
    for (const name of ['acme/a', 'acme/b', 'acme-rival/c', 'zeta/d']) expect((await putMarkdown(relay, name, name, { token: writer })).status).toBe(201)
    const list = async (t: string, query = '') => call(documentUrl(relay, undefined, query), { token: t })
    const names = async (response: Response) => ((await response.json()) as { documents: { name: string }[] }).documents.map((info) => info.name)

    expect(await names(await list(await token('*', 'read', true)))).toEqual(['acme-rival/c', 'acme/a', 'acme/b', 'zeta/d'])
    expect(await errorOf(await list(await token('*', 'write')))).toEqual([403, 'admin-only', 'admin grant needed'])

    const acmeAdmin = await token('acme/*', 'read', true)
    expect(await names(await list(acmeAdmin, '?prefix=acme%2F'))).toEqual(['acme/a', 'acme/b'])
    expect(await names(await list(acmeAdmin, '?prefix=acme%2Fa'))).toEqual(['acme/a'])
    // Without a prefix, or one reaching past its pattern (acme-rival/…), it is refused.
    expect((await errorOf(await list(acmeAdmin)))[0]).toBe(403)
    expect((await errorOf(await list(acmeAdmin, '?prefix=acme')))[0]).toBe(403)
    // An exact name covers no prefix, not even its own spelling.
    expect((await errorOf(await list(await token('acme/a', 'write', true), '?prefix=acme%2Fa')))[0]).toBe(403)
  })

  it('an open relay (no authenticator) is open over HTTP too: reading, writing, listing, deleting', async () => {
    const relay = await scope.start()
    expect((await putMarkdown(relay, 'open/doc', 'open')).status).toBe(201)
    expect((await call(documentUrl(relay, 'open/doc'))).status).toBe(200)
    expect(((await (await call(documentUrl(relay))).json()) as { documents: unknown[] }).documents).toHaveLength(1)
    expect((await call(documentUrl(relay, 'open/doc'), { method: 'DELETE' })).status).toBe(204)
  })

  it('answers browsers with CORS (tokens are not cookies), and refuses origins outside allowedOrigins', async () => {
    const open = await jwtRelay()
    const preflight = await fetch(documentUrl(open, 'acme/plan'), {
      method: 'OPTIONS',
      headers: { origin: 'https://app.example', 'access-control-request-method': 'PUT', 'access-control-request-headers': 'authorization, content-type' },
    })
    expect(preflight.status).toBe(204)
    expect(preflight.headers.get('access-control-allow-origin')).toBe('*')
    expect(preflight.headers.get('access-control-allow-methods')).toContain('PUT')
    expect(preflight.headers.get('access-control-allow-headers')?.toLowerCase()).toContain('authorization')

    const narrow = await jwtRelay({ allowedOrigins: ['https://app.example'] })
    const reader = await token('*', 'read')
    expect((await call(documentUrl(narrow, 'x'), { token: reader, headers: { origin: 'https://app.example' } })).status).toBe(404)
    expect(await errorOf(await call(documentUrl(narrow, 'x'), { token: reader, headers: { origin: 'https://evil.example' } }))).toEqual([403, 'forbidden', 'origin not allowed'])
  })
})
