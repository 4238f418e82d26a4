/**
 * Reading documents over HTTP (`GET /api/documents/:name`, the list, the
 * OpenAPI description) against a real relay, with content written by stock
 * clients the way the browser editor writes it.
 */
import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import * as Y from 'yjs'
import { Hono } from 'hono'
import { createDocumentsApi } from '../server/http/api/documents-api.ts'
import { createRelayApp } from '../server/http/relay-app.ts'
import { createRelay } from '../server/relay/relay.ts'
import type { RelayHooks } from '../server/relay/hooks.ts'
import { useRelayScope, waitFor, waitSynced, type TestRelay } from './support/harness.ts'
import { TITLE_NAME } from '../shared/document-title.ts'
import { FRAGMENT_NAME } from '../shared/schema.ts'
import { base64url, call, documentUrl, editAsEditor, markdownOf, putMarkdown } from './support/documents-api.ts'

const scope = useRelayScope()

const CONTENT = '# Plan\n\nShip **it**, *soon* and ~~never~~ `late`: [spec](https://example.com/spec)\\\nnext line\n\n- one\n  - nested\n\n> quoted\n\n```\ncode\n```\n\n---'

/** A relay with one document, written by a stock client as the editor writes it. */
async function relayWithDocument(name = 'team/specs/q4 plan'): Promise<{ relay: TestRelay; name: string }> {
  const relay = await scope.start()
  const writer = scope.client(relay.wsUrl, name)
  await waitSynced(writer)
  editAsEditor(writer, CONTENT)
  await waitFor(async () => (await call(documentUrl(relay, name))).status === 200, 'the document is stored')
  return { relay, name }
}

describe('the API where the relay app is mounted', () => {
  it('answers below the prefix the relay app is mounted under', async () => {
    const relay = createRelay({ logger: { info() {}, warn() {}, error() {} } })
    try {
      const host = new Hono().route('/collab', createRelayApp(relay))
      const put = await host.request('/collab/api/documents/mounted', { method: 'PUT', headers: { 'content-type': 'text/markdown' }, body: 'under a prefix' })
      expect(put.status).toBe(201)
      const read = await host.request('/collab/api/documents/mounted?format=text')
      expect([read.status, await read.text()]).toEqual([200, 'under a prefix'])
      expect((await host.request('/api/documents/mounted?format=text')).status).toBe(404)
    } finally {
      await relay.close()
    }
  })
})

describe('GET /api/documents/:name', () => {
  it('answers ProseMirror JSON by default, and HTML, Markdown or text with ?format=', async () => {
    const { relay, name } = await relayWithDocument()
    const json = await call(documentUrl(relay, name))
    expect(json.status).toBe(200)
    expect(json.headers.get('content-type')).toMatch(/^application\/json/)
    const body = (await json.json()) as { type: string; content: { type: string }[] }
    expect(body.type).toBe('doc')
    expect(body.content.map((node) => node.type)).toEqual(['heading', 'paragraph', 'bulletList', 'blockquote', 'codeBlock', 'horizontalRule'])

    const html = await call(documentUrl(relay, name, '?format=html'))
    expect(html.headers.get('content-type')).toMatch(/^text\/html/)
    expect(await html.text()).toContain('<h1>Plan</h1><p>Ship <strong>it</strong>, <em>soon</em> and <s>never</s> <code>late</code>: <a ')

    const markdown = await call(documentUrl(relay, name, '?format=markdown'))
    expect(markdown.headers.get('content-type')).toMatch(/^text\/markdown/)
    expect(await markdown.text()).toBe(CONTENT)

    const text = await call(documentUrl(relay, name, '?format=text'))
    expect(text.headers.get('content-type')).toMatch(/^text\/plain/)
    expect(await text.text()).toBe('Plan\n\nShip it, soon and never late: spec\nnext line\n\none\nnested\n\nquoted\n\ncode')
  })

  it('negotiates with Accept: q-values, wildcards, ?format= first, 406 for nothing it has', async () => {
    const { relay, name } = await relayWithDocument()
    const typeFor = async (accept: string, query = '') => (await call(documentUrl(relay, name, query), { headers: { accept } })).headers.get('content-type')
    expect(await typeFor('text/markdown')).toMatch(/^text\/markdown/)
    expect(await typeFor('text/plain;q=0.5, text/html')).toMatch(/^text\/html/)
    expect(await typeFor('text/html;q=0.1, text/markdown;q=0.9')).toMatch(/^text\/markdown/)
    expect(await typeFor('text/*, text/markdown')).toMatch(/^text\/markdown/) // the more specific of equals
    expect(await typeFor('text/*')).toMatch(/^text\/html/)
    expect(await typeFor('*/*')).toMatch(/^application\/json/)
    expect(await typeFor('image/png, */*;q=0.1')).toMatch(/^application\/json/)
    expect(await typeFor('text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8')).toMatch(/^text\/html/) // a browser
    expect(await typeFor('text/html', '?format=markdown')).toMatch(/^text\/markdown/)
    const refused = await call(documentUrl(relay, name), { headers: { accept: 'image/png' } })
    expect(refused.status).toBe(406)
    expect(await refused.json()).toMatchObject({ error: 'not-acceptable' })
    const responses = await call(documentUrl(relay, name), { headers: { accept: 'text/html' } })
    expect(responses.headers.get('vary')).toMatch(/Accept/)
    expect(responses.headers.get('x-content-type-options')).toBe('nosniff')
    expect(responses.headers.get('content-security-policy')).toContain('sandbox')
  })

  it('Accept: application/octet-stream is the Yjs state; with ?stateVector= only what that state lacks', async () => {
    const { relay, name } = await relayWithDocument()
    const full = await call(documentUrl(relay, name), { headers: { accept: 'application/octet-stream' } })
    expect(full.headers.get('content-type')).toBe('application/octet-stream')
    const fresh = new Y.Doc()
    Y.applyUpdate(fresh, new Uint8Array(await full.arrayBuffer()))
    expect(markdownOf(fresh)).toBe(CONTENT)

    // A second editor adds a paragraph; the diff against `fresh` carries just that.
    const editor = scope.client(relay.wsUrl, name)
    await waitSynced(editor)
    editAsEditor(editor, `${CONTENT}\n\nadded later`)
    await waitFor(async () => (await (await call(documentUrl(relay, name, '?format=markdown'))).text()).endsWith('added later'), 'the relay has the addition')
    const diff = await call(documentUrl(relay, name, `?stateVector=${base64url(Y.encodeStateVector(fresh))}`), { headers: { accept: 'application/octet-stream' } })
    const missing = new Uint8Array(await diff.arrayBuffer())
    expect(missing.byteLength).toBeLessThan(Number(full.headers.get('content-length')))
    Y.applyUpdate(fresh, missing)
    expect(markdownOf(fresh)).toBe(`${CONTENT}\n\nadded later`)
    const sinceNow = await call(documentUrl(relay, name, `?stateVector=${base64url(Y.encodeStateVector(editor.doc))}`), { headers: { accept: 'application/octet-stream' } })
    const nothing = new Uint8Array(await sinceNow.arrayBuffer())
    expect(nothing).toEqual(new Uint8Array([0, 0])) // no structs, no deletions: nothing is missing
  })

  it('refuses a stateVector that is not base64url, not a state vector, or not asked as octet-stream (400)', async () => {
    const { relay, name } = await relayWithDocument()
    const binary = { headers: { accept: 'application/octet-stream' } }
    for (const bad of ['!!!', 'a', 'AA=', base64url(new Uint8Array([5])), base64url(new Uint8Array([1, 1])), base64url(new Uint8Array([1, 1, 1, 9]))]) {
      const response = await call(documentUrl(relay, name, `?stateVector=${encodeURIComponent(bad)}`), binary)
      expect([bad, response.status, ((await response.json()) as { error: string }).error]).toEqual([bad, 400, 'bad-state-vector'])
    }
    const json = await call(documentUrl(relay, name, `?stateVector=${base64url(Y.encodeStateVector(new Y.Doc()))}`))
    expect(json.status).toBe(400)
  })

  it('has an ETag per representation; If-None-Match answers 304 until the document changes, deletions included', async () => {
    const { relay, name } = await relayWithDocument()
    const first = await call(documentUrl(relay, name))
    const etag = first.headers.get('etag')!
    expect(etag).toMatch(/^"[\w-]+"$/)
    expect((await call(documentUrl(relay, name))).headers.get('etag')).toBe(etag)
    expect((await call(documentUrl(relay, name, '?format=html'))).headers.get('etag')).not.toBe(etag)

    const cached = await call(documentUrl(relay, name), { headers: { 'if-none-match': etag } })
    expect(cached.status).toBe(304)
    expect(cached.headers.get('etag')).toBe(etag)
    expect(await cached.text()).toBe('')
    expect((await call(documentUrl(relay, name), { headers: { 'if-none-match': `"other", W/${etag}` } })).status).toBe(304)
    expect((await call(documentUrl(relay, name), { headers: { 'if-none-match': '"other"' } })).status).toBe(200)

    // A deletion adds no clock to the state vector; the ETag must change all the same.
    const editor = scope.client(relay.wsUrl, name)
    await waitSynced(editor)
    const fragment = editor.doc.getXmlFragment(FRAGMENT_NAME)
    const stateVector = Y.encodeStateVector(editor.doc)
    fragment.delete(fragment.length - 1, 1)
    expect(Y.encodeStateVector(editor.doc)).toEqual(stateVector)
    await waitFor(async () => (await call(documentUrl(relay, name), { headers: { 'if-none-match': etag } })).status === 200, 'a deletion changes the ETag')
  })

  it('404 for a document that does not exist, and reading creates nothing: no room, no storage, no load', async () => {
    const relay = await scope.start()
    const loads: string[] = []
    const hooks: RelayHooks = { documentLoaded: ({ name }) => void loads.push(name) }
    relay.relay.addHooks(hooks)
    for (const accept of ['application/json', 'text/html', 'application/octet-stream']) {
      const response = await call(documentUrl(relay, 'nobody/wrote/this'), { headers: { accept } })
      expect(response.status).toBe(404)
      expect(await response.json()).toEqual({ error: 'not-found', message: 'no such document' })
    }
    expect(relay.relay.roomNames()).not.toContain('nobody/wrote/this')
    expect(await relay.relay.documentExists('nobody/wrote/this')).toBe(false)
    expect(await relay.relay.storage.list()).not.toContain('nobody/wrote/this')
    expect(loads).toEqual([])

    // Loaded by a client that wrote nothing: still not a document.
    const idle = scope.client(relay.wsUrl, 'opened/not/written')
    await waitSynced(idle)
    expect((await call(documentUrl(relay, 'opened/not/written'))).status).toBe(404)
  })

  it('takes names with /, spaces and any Unicode as one encoded segment, in NFC, as the WebSocket does', async () => {
    const relay = await scope.start()
    expect((await putMarkdown(relay, 'team/specs/café plan', 'bonjour')).status).toBe(201)
    // The same name spelled decomposed (e + U+0301) is the same document.
    const decomposed = 'team/specs/cafe\u0301 plan'
    expect(await (await call(documentUrl(relay, decomposed, '?format=markdown'))).text()).toBe('bonjour')
    const client = scope.client(relay.wsUrl, 'team/specs/café plan')
    await waitSynced(client)
    await waitFor(() => markdownOf(client.doc) === 'bonjour', 'the WebSocket client sees the same document')
  })

  it('refuses names the relay refuses (400), before asking anything else', async () => {
    const relay = await scope.start()
    const base = `${relay.server.url}/api/documents/`
    for (const [raw, problem] of [
      ['..%2Fescape', 'dot-segment'],
      ['a%2F%2Fb', 'empty-segment'],
      ['%2Fleading', 'empty-segment'],
      ['bad%ZZescape', 'bad-encoding'],
      ['ctl%07char', 'control-character'],
      [`${'x'.repeat(513)}`, 'too-long'],
    ] as const) {
      const response = await fetch(base + raw)
      expect([raw, response.status, await response.json()]).toEqual([raw, 400, { error: 'bad-name', message: `invalid document name (${problem})` }])
    }
  })
})

describe('GET /api/documents', () => {
  it('lists stored documents in name order, a page at a time, with prefix, sizes, times, connections and who is in them', async () => {
    const relay = await scope.start()
    const names = ['a/1', 'a/2', 'a/3', 'b/1', 'b/2']
    for (const name of names) expect((await putMarkdown(relay, name, `# ${name}`)).status).toBe(201)
    const live = scope.client(relay.wsUrl, 'a/2')
    await waitSynced(live)

    type Page = { documents: { name: string; bytes: number; updatedAt: string | null; connections: number; people: string[] }[]; nextCursor: string | null }
    // Who is in a document: the names their presence gives, distinct and sorted.
    live.provider.awareness.setLocalStateField('user', { name: 'Grace' })
    const other = scope.client(relay.wsUrl, 'a/2')
    other.provider.awareness.setLocalStateField('user', { name: 'Ada' })
    const listed = async (name: string) => ((await (await call(documentUrl(relay))).json()) as Page).documents.find((info) => info.name === name)!
    await waitFor(async () => (await listed('a/2')).people.length === 2, 'both names listed')
    expect(await listed('a/2')).toMatchObject({ connections: 2, people: ['Ada', 'Grace'] })
    other.destroy()
    await waitFor(async () => (await listed('a/2')).connections === 1, 'the one who left gone')
    const all = (await (await call(documentUrl(relay))).json()) as Page
    expect(all.documents.find((info) => info.name === 'a/2')!.people).toEqual(['Grace'])
    expect(all.documents.find((info) => info.name === 'a/1')!.people).toEqual([])
    expect(all.documents.map((info) => info.name)).toEqual(names)
    expect(all.nextCursor).toBeNull()
    for (const info of all.documents) {
      expect(info.bytes).toBeGreaterThan(0)
      expect(Date.parse(info.updatedAt!)).toBeGreaterThan(Date.now() - 60_000)
    }
    expect(all.documents.find((info) => info.name === 'a/2')!.connections).toBe(1)

    const seen: string[] = []
    let cursor: string | null = null
    for (let pages = 0; pages < 10; pages++) {
      const page = (await (await call(documentUrl(relay, undefined, `?limit=2${cursor ? `&cursor=${cursor}` : ''}`))).json()) as Page
      seen.push(...page.documents.map((info) => info.name))
      cursor = page.nextCursor
      if (!cursor) break
      expect(page.documents).toHaveLength(2)
    }
    expect(seen).toEqual(names)

    const prefixed = (await (await call(documentUrl(relay, undefined, '?prefix=b%2F'))).json()) as Page
    expect(prefixed.documents.map((info) => info.name)).toEqual(['b/1', 'b/2'])
  })

  it('lists with each document\'s title on ?titles=true, read from the document a client titled', async () => {
    const relay = await scope.start()
    for (const name of ['t/plain', 't/titled']) expect((await putMarkdown(relay, name, `# ${name}`)).status).toBe(201)
    const writer = scope.client(relay.wsUrl, 't/titled')
    await waitSynced(writer)
    writer.doc.getText(TITLE_NAME).insert(0, 'Q4 plan')

    type Page = { documents: { name: string; title?: string }[] }
    const titles = async (query: string): Promise<Page['documents']> => ((await (await call(documentUrl(relay, undefined, query))).json()) as Page).documents
    await waitFor(async () => (await titles('?prefix=t%2F&titles=true')).some((info) => info.title === 'Q4 plan'), 'the title is listed')
    expect(await titles('?prefix=t%2F&titles=true')).toEqual([
      expect.objectContaining({ name: 't/plain', title: '' }),
      expect.objectContaining({ name: 't/titled', title: 'Q4 plan' }),
    ])
    // Without asking, no document is opened for it and no title is sent.
    expect((await titles('?prefix=t%2F')).map((info) => 'title' in info)).toEqual([false, false])
    expect((await call(documentUrl(relay, undefined, '?titles=yes'))).status).toBe(400)
  })

  it('refuses a bad limit or cursor (400)', async () => {
    const relay = await scope.start()
    for (const query of ['?limit=0', '?limit=1001', '?limit=ten', '?cursor=***', `?cursor=${base64url(new Uint8Array([0xff, 0xfe]))}`, `?cursor=${base64url(new TextEncoder().encode('a//b'))}`]) {
      const response = await call(documentUrl(relay, undefined, query))
      expect([query, response.status]).toEqual([query, 400])
      expect(Object.keys((await response.json()) as object)).toEqual(['error', 'message'])
    }
  })
})

describe('/api/openapi.json', () => {
  it('describes every route the API serves (OpenAPI 3.1), with its operations and errors', async () => {
    const relay = await scope.start()
    const response = await call(`${relay.server.url}/api/openapi.json`)
    expect(response.status).toBe(200)
    const spec = (await response.json()) as {
      openapi: string
      servers: { url: string }[]
      paths: Record<string, Record<string, { operationId: string; responses: Record<string, unknown> }>>
    }
    expect(spec.openapi).toBe('3.1.0')
    expect(spec.servers).toEqual([{ url: '/api' }])

    // Every route the app registers (not middleware, not the description itself) is described.
    const api = createDocumentsApi(relay.relay)
    const served = api.routes
      .filter((route) => route.method !== 'ALL' && route.path !== '/openapi.json')
      .map((route) => `${route.method.toLowerCase()} ${route.path.replace(/:(\w+)/g, '{$1}')}`)
    const described = Object.entries(spec.paths).flatMap(([path, operations]) => Object.keys(operations).map((method) => `${method} ${path}`))
    expect(new Set(served).size).toBeGreaterThanOrEqual(5)
    for (const route of new Set(served)) expect(described, route).toContain(route)
    expect(described.sort()).toEqual(
      [
        'delete /documents/{name}',
        'get /documents',
        'get /documents/{name}',
        'post /documents/{name}/updates',
        'put /documents/{name}',
        'get /documents/{name}/versions',
        'post /documents/{name}/versions',
        'get /documents/{name}/versions/{id}',
        'post /documents/{name}/versions/{id}/restore',
        'get /documents/{name}/versions/{id}/compare',
      ].sort(),
    )
    for (const operations of Object.values(spec.paths)) {
      for (const operation of Object.values(operations)) {
        expect(operation.operationId).toBeTruthy()
        expect(Object.keys(operation.responses)).toContain('401')
      }
    }
  })

  it('README, "Documents over HTTP", shows a curl example of every operation', async () => {
    const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8')
    const start = readme.indexOf('\n## Documents over HTTP')
    const section = readme.slice(start, readme.indexOf('\n## ', start + 1))
    const shown = new Set(
      section
        .split('\n')
        .filter((line) => line.startsWith('curl '))
        .map((line) => {
          const method = /-X (\w+)/.exec(line)?.[1].toLowerCase() ?? 'get'
          const path = /"\$R(\/[^"?]*)/.exec(line)?.[1].replace('$DOC', '{name}').replace('$ID', '{id}')
          return `${method} ${path}`
        }),
    )
    const relay = await scope.start()
    const spec = (await (await call(`${relay.server.url}/api/openapi.json`)).json()) as { paths: Record<string, Record<string, unknown>> }
    for (const [path, operations] of Object.entries(spec.paths)) {
      for (const method of Object.keys(operations)) expect(shown, `${method} ${path}`).toContain(`${method} ${path}`)
    }
    expect(shown).toContain('get /openapi.json')
  })
})
