/**
 * A document's versions over HTTP, on a real relay: listing, naming,
 * reading in every format, comparing; the 404s, 400s and grants (read
 * lists, reads and compares; write names and restores); the
 * `document.version.created` webhook; the OpenAPI description.
 */
import { describe, expect, it } from 'vitest'
import * as Y from 'yjs'
import { createJwtAuthenticator } from '../server/auth/jwt-authenticator.ts'
import { issueToken } from '../server/auth/issue-token.ts'
import { createWebhooks } from '../server/ops/webhooks.ts'
import { UNNAMED_AUTHOR } from '../server/relay/version-authors.ts'
import { call, documentUrl, putMarkdown } from './support/documents-api.ts'
import { useRelayScope, waitFor, type TestRelay } from './support/harness.ts'
import { startWebhookReceiver } from './support/webhook-receiver.ts'

const scope = useRelayScope()
const SECRET = 'a test secret that is long enough for HS256 !!'
/** No automatic versions here: only what the test saves. */
const MANUAL = { versions: { intervalMs: 0 } }

interface VersionJson {
  id: string
  name: string | null
  kind: string
  createdAt: string
  authors: string[]
  bytes: number
}

const versionsUrl = (relay: TestRelay, name: string, rest = ''): string => `${documentUrl(relay, name)}/versions${rest}`

function saveNamed(relay: TestRelay, name: string, versionName: unknown, token?: string): Promise<Response> {
  return call(versionsUrl(relay, name), { method: 'POST', token, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: versionName }) })
}

async function listed(relay: TestRelay, name: string, token?: string): Promise<VersionJson[]> {
  const response = await call(versionsUrl(relay, name), { token })
  expect(response.status).toBe(200)
  return ((await response.json()) as { versions: VersionJson[] }).versions
}

async function errorOf(response: Response): Promise<[number, string]> {
  const body = (await response.json()) as { error: string; message: string }
  return [response.status, body.error]
}

describe('versions API', () => {
  it('saves a named version (201, its JSON), lists it newest first, and serves it in every format', async () => {
    const relay = await scope.start(MANUAL)
    expect((await putMarkdown(relay, 'team/plan', '# Plan\n\n- ship it')).status).toBe(201)
    const created = await saveNamed(relay, 'team/plan', '  Draft for review  ')
    expect(created.status).toBe(201)
    const draft = (await created.json()) as VersionJson
    expect(draft).toMatchObject({ name: 'Draft for review', kind: 'named', authors: [UNNAMED_AUTHOR] })
    expect(Object.keys(draft).sort()).toEqual(['authors', 'bytes', 'createdAt', 'id', 'kind', 'name'])
    expect(new Date(draft.createdAt).toISOString()).toBe(draft.createdAt)

    expect((await putMarkdown(relay, 'team/plan', '# Plan\n\n- ship it today')).status).toBe(200)
    const second = (await (await saveNamed(relay, 'team/plan', 'Final')).json()) as VersionJson
    expect((await listed(relay, 'team/plan')).map((v) => v.name)).toEqual(['Final', 'Draft for review'])
    expect(second.id).not.toBe(draft.id)

    const one = (format: string, init: RequestInit = {}) => call(versionsUrl(relay, 'team/plan', `/${draft.id}${format ? `?format=${format}` : ''}`), init)
    expect(await (await one('markdown')).text()).toBe('# Plan\n\n- ship it')
    expect(await (await one('text')).text()).toContain('ship it')
    expect(await (await one('html')).text()).toBe('<h1>Plan</h1><ul><li><p>ship it</p></li></ul>')
    const json = await one('')
    expect(json.headers.get('content-type')).toContain('application/json')
    expect(((await json.json()) as { type: string }).type).toBe('doc')
    // The Yjs state as saved.
    const binary = await one('', { headers: { accept: 'application/octet-stream' } })
    expect(binary.headers.get('content-type')).toBe('application/octet-stream')
    const replay = new Y.Doc()
    Y.applyUpdate(replay, new Uint8Array(await binary.arrayBuffer()))
    expect(replay.getXmlFragment('default').toString()).toContain('ship it')
    expect(replay.getXmlFragment('default').toString()).not.toContain('today')
    // A version never changes: revalidation answers 304.
    const etag = (await one('markdown')).headers.get('etag')!
    expect((await one('markdown', { headers: { 'if-none-match': etag } })).status).toBe(304)
  })

  it('answers 404 for an unknown document, and for unknown, malformed or other documents’ version ids', async () => {
    const relay = await scope.start(MANUAL)
    await putMarkdown(relay, 'a', 'a')
    await putMarkdown(relay, 'b', 'b')
    const ofB = (await (await saveNamed(relay, 'b', 'b1')).json()) as VersionJson
    expect(await errorOf(await call(versionsUrl(relay, 'nothing')))).toEqual([404, 'not-found'])
    expect(await errorOf(await saveNamed(relay, 'nothing', 'x'))).toEqual([404, 'not-found'])
    // Naming a version created nothing.
    expect((await call(documentUrl(relay, 'nothing'))).status).toBe(404)
    for (const id of ['999', 'abc', '01', '-1', ofB.id]) {
      expect(await errorOf(await call(versionsUrl(relay, 'a', `/${id}`))), id).toEqual([404, 'not-found'])
      expect(await errorOf(await call(versionsUrl(relay, 'a', `/${id}/restore`), { method: 'POST' })), id).toEqual([404, 'not-found'])
      expect(await errorOf(await call(versionsUrl(relay, 'a', `/${id}/compare`))), id).toEqual([404, 'not-found'])
    }
    const ofA = (await (await saveNamed(relay, 'a', 'a1')).json()) as VersionJson
    expect(await errorOf(await call(versionsUrl(relay, 'a', `/${ofA.id}/compare?with=${ofB.id}`)))).toEqual([404, 'not-found'])
  })

  it('refuses names that are empty, too long or not text (400), and bodies that are not JSON (415)', async () => {
    const relay = await scope.start(MANUAL)
    await putMarkdown(relay, 'doc', 'text')
    for (const bad of ['', '   ', '\n\t', 'x'.repeat(101), 42, null]) {
      const [status, code] = await errorOf(await saveNamed(relay, 'doc', bad))
      expect([status, typeof bad === 'string' ? code : 'any'], JSON.stringify(bad)).toEqual([400, typeof bad === 'string' ? 'bad-version-name' : 'any'])
    }
    expect((await errorOf(await call(versionsUrl(relay, 'doc'), { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{nope' })))[0]).toBe(400)
    expect((await errorOf(await call(versionsUrl(relay, 'doc'), { method: 'POST', headers: { 'content-type': 'text/plain' }, body: 'Draft' })))[0]).toBe(415)
    // 100 characters, and line breaks as spaces, are fine.
    expect((await saveNamed(relay, 'doc', 'y'.repeat(100))).status).toBe(201)
    expect(((await (await saveNamed(relay, 'doc', 'two\nlines')).json()) as VersionJson).name).toBe('two lines')
    expect(await listed(relay, 'doc')).toHaveLength(2)
  })

  it('a read grant lists, reads and compares; naming and restoring need a write grant; no token is 401', async () => {
    const relay = await scope.start({ ...MANUAL, authenticate: createJwtAuthenticator({ secrets: [SECRET] }) })
    const token = (access: 'read' | 'write', name?: string) => issueToken({ secret: SECRET, doc: 'acme/*', access, expiresInSeconds: 600, ...(name ? { name } : {}) })
    const writer = await token('write', 'Ada')
    const reader = await token('read')
    expect((await putMarkdown(relay, 'acme/plan', '# Plan', { token: writer })).status).toBe(201)
    const draft = (await (await saveNamed(relay, 'acme/plan', 'Draft', writer)).json()) as VersionJson
    // Who edited: the writer's granted name.
    expect(draft.authors).toEqual(['Ada'])

    expect(await listed(relay, 'acme/plan', reader)).toHaveLength(1)
    expect((await call(versionsUrl(relay, 'acme/plan', `/${draft.id}?format=markdown`), { token: reader })).status).toBe(200)
    expect((await call(versionsUrl(relay, 'acme/plan', `/${draft.id}/compare`), { token: reader })).status).toBe(200)
    expect(await errorOf(await saveNamed(relay, 'acme/plan', 'Mine', reader))).toEqual([403, 'read-only'])
    expect(await errorOf(await call(versionsUrl(relay, 'acme/plan', `/${draft.id}/restore`), { method: 'POST', token: reader }))).toEqual([403, 'read-only'])
    expect(await errorOf(await call(versionsUrl(relay, 'acme/plan')))).toEqual([401, 'unauthorized'])
    expect(await errorOf(await call(versionsUrl(relay, 'acme/plan', `/${draft.id}`)))).toEqual([401, 'unauthorized'])
    const rival = await issueToken({ secret: SECRET, doc: 'rival/*', access: 'write', expiresInSeconds: 600 })
    expect(await errorOf(await call(versionsUrl(relay, 'acme/plan'), { token: rival }))).toEqual([403, 'forbidden'])
    // The reader's refusals saved nothing.
    expect(await listed(relay, 'acme/plan', reader)).toHaveLength(1)
    expect((await call(versionsUrl(relay, 'acme/plan', `/${draft.id}/restore`), { method: 'POST', token: writer })).status).toBe(200)
  })

  it('compares a version with now and with another version, saying who added what (JSON or HTML)', async () => {
    const relay = await scope.start({ ...MANUAL, authenticate: createJwtAuthenticator({ secrets: [SECRET] }) })
    const as = (name: string) => issueToken({ secret: SECRET, doc: '*', access: 'write', name, expiresInSeconds: 600 })
    const [ada, grace] = [await as('Ada'), await as('Grace')]
    await putMarkdown(relay, 'doc', 'Ship it', { token: ada })
    const first = (await (await saveNamed(relay, 'doc', 'first', ada)).json()) as VersionJson
    await putMarkdown(relay, 'doc', 'Ship it today', { token: grace })
    const second = (await (await saveNamed(relay, 'doc', 'second', ada)).json()) as VersionJson
    expect(second.authors).toEqual(['Grace'])
    await putMarkdown(relay, 'doc', 'Ship it today and tomorrow', { token: ada })

    type Comparison = { html: string; added: number; removed: number; authors: string[] }
    const compare = async (id: string, query = ''): Promise<Comparison> => (await (await call(versionsUrl(relay, 'doc', `/${id}/compare${query}`), { token: ada })).json()) as Comparison
    // With now: Grace's word is in a version's authors, Ada's latest only in the live tracker.
    const withNow = await compare(first.id)
    expect(withNow.html).toContain('<ins')
    expect(withNow.authors.sort()).toEqual(['Ada', 'Grace'])
    expect(withNow.added).toBeGreaterThan(0)
    // Two versions, in either order: what the newer added.
    for (const [a, b] of [[first.id, second.id], [second.id, first.id]]) {
      const between = await compare(a, `?with=${b}`)
      expect(between.authors).toEqual(['Grace'])
      expect(between.html).toMatch(/today/)
      expect(between.html).not.toMatch(/tomorrow/)
    }
    const html = await call(versionsUrl(relay, 'doc', `/${first.id}/compare?format=html`), { token: ada })
    expect(html.headers.get('content-type')).toContain('text/html')
    expect(await html.text()).toBe(withNow.html)
  })

  it('sends document.version.created with the version, on naming and before a restore', async () => {
    const receiver = await startWebhookReceiver()
    const webhooks = createWebhooks({ urls: [receiver.url], logger: { info() {}, warn() {}, error() {} } })
    const relay = await scope.start({ ...MANUAL, hooks: [webhooks] })
    scope.onCleanup(async () => {
      await webhooks.close({ timeoutMs: 100 })
      await receiver.close()
    })
    await putMarkdown(relay, 'hooked', 'one')
    const draft = (await (await saveNamed(relay, 'hooked', 'Draft')).json()) as VersionJson
    await putMarkdown(relay, 'hooked', 'two')
    const restored = (await (await call(versionsUrl(relay, 'hooked', `/${draft.id}/restore`), { method: 'POST' })).json()) as { savedBefore: VersionJson }
    await waitFor(() => receiver.events('document.version.created').length === 2, 'two version events')
    // Webhooks promise no order between events: each is found by its kind.
    const versionEvents = receiver.events('document.version.created', 'hooked').map((hook) => hook.json as typeof hook.json & { version: { kind: string } })
    const named = versionEvents.find((event) => event.version.kind === 'named')!
    const before = versionEvents.find((event) => event.version.kind === 'restore')!
    expect(named.version).toEqual({ id: draft.id, kind: 'named', name: 'Draft', authors: [UNNAMED_AUTHOR] })
    expect(named.at).toBe(draft.createdAt)
    expect(before.version).toEqual({ id: restored.savedBefore.id, kind: 'restore', name: 'Before restoring "Draft"', authors: [UNNAMED_AUTHOR] })
    // The saved state's vector: the restore version holds "two".
    expect(Y.decodeStateVector(new Uint8Array(Buffer.from(before.stateVector!, 'base64'))).size).toBeGreaterThan(0)
  })

  it('is described in the OpenAPI document', async () => {
    const relay = await scope.start(MANUAL)
    const spec = (await (await call(`${relay.server.url}/api/openapi.json`)).json()) as { paths: Record<string, Record<string, { operationId: string }>> }
    expect(spec.paths['/documents/{name}/versions'].get.operationId).toBe('listVersions')
    expect(spec.paths['/documents/{name}/versions'].post.operationId).toBe('createVersion')
    expect(spec.paths['/documents/{name}/versions/{id}'].get.operationId).toBe('getVersion')
    expect(spec.paths['/documents/{name}/versions/{id}/restore'].post.operationId).toBe('restoreVersion')
    expect(spec.paths['/documents/{name}/versions/{id}/compare'].get.operationId).toBe('compareVersion')
  })
})
