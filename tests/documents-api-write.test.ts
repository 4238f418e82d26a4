/**
 * Changing documents over HTTP (POST updates, PUT content, DELETE) against
 * a real relay with stock clients editing: what the API writes reaches live
 * editors as one change, create-only seeding never duplicates content, and
 * deleting closes editors with 4410.
 */
import { describe, expect, it } from 'vitest'
import * as Y from 'yjs'
import { CloseCode } from '../shared/close-codes.ts'
import { FRAGMENT_NAME } from '../shared/schema.ts'
import { useRelayScope, waitFor, waitSynced, type TestClient } from './support/harness.ts'
import { call, documentUrl, editAsEditor, markdownOf, occurrences, putMarkdown } from './support/documents-api.ts'

const scope = useRelayScope()

/** An update that adds a paragraph reading `text` at the end of `base`'s fragment (made on a copy). */
function paragraphUpdate(base: Y.Doc, text: string): Uint8Array {
  const scratch = new Y.Doc()
  Y.applyUpdate(scratch, Y.encodeStateAsUpdate(base))
  const before = Y.encodeStateVector(scratch)
  const paragraph = new Y.XmlElement('paragraph')
  paragraph.insert(0, [new Y.XmlText(text)])
  const fragment = scratch.getXmlFragment(FRAGMENT_NAME)
  fragment.insert(fragment.length, [paragraph])
  return Y.encodeStateAsUpdate(scratch, before)
}

function postUpdate(url: string, update: Uint8Array, contentType = 'application/octet-stream'): Promise<Response> {
  return call(url, { method: 'POST', headers: { 'content-type': contentType }, body: new Uint8Array(update) })
}

/** Counts the updates a client receives from the relay from now on. */
function countRemoteUpdates(client: TestClient): () => number {
  let count = 0
  client.doc.on('update', (_update: Uint8Array, origin: unknown) => {
    if (origin === client.provider) count++
  })
  return () => count
}

describe('POST /api/documents/:name/updates', () => {
  it('applies a Yjs update like a client’s: committed, then received by live editors', async () => {
    const relay = await scope.start()
    const editor = scope.client(relay.wsUrl, 'posted/doc')
    await waitSynced(editor)
    const url = `${documentUrl(relay, 'posted/doc')}/updates`

    const update = paragraphUpdate(new Y.Doc(), 'from HTTP')
    const created = await postUpdate(url, update)
    expect([created.status, await created.json()]).toEqual([201, { status: 'accepted' }])
    // Answered once committed: storage has it now.
    const stored = new Y.Doc()
    for (const part of (await relay.relay.storage.load('posted/doc')).updates) Y.applyUpdate(stored, part)
    expect(markdownOf(stored)).toBe('from HTTP')
    await waitFor(() => markdownOf(editor.doc) === 'from HTTP', 'the live editor receives it')

    const again = await postUpdate(url, update)
    expect([again.status, await again.json()]).toEqual([200, { status: 'unchanged' }])
    const more = await postUpdate(url, paragraphUpdate(stored, 'and more'))
    expect([more.status, await more.json()]).toEqual([200, { status: 'accepted' }])
    await waitFor(() => markdownOf(editor.doc) === 'from HTTP\n\nand more', 'the second one too')
  })

  it('refuses what the relay refuses: malformed 400, over the document limit 413; and a wrong type 415, an empty body 400', async () => {
    const relay = await scope.start({ limits: { maxDocumentBytes: 2_000 } })
    const url = `${documentUrl(relay, 'limited')}/updates`
    const malformed = await postUpdate(url, new Uint8Array([1, 2, 3]))
    expect(malformed.status).toBe(400)
    expect(await malformed.json()).toMatchObject({ error: 'malformed-update' })

    const big = await postUpdate(url, paragraphUpdate(new Y.Doc(), 'x'.repeat(5_000)))
    expect(big.status).toBe(413)
    expect(await big.json()).toMatchObject({ error: 'over-limit' })

    const text = await postUpdate(url, paragraphUpdate(new Y.Doc(), 'x'), 'text/plain')
    expect(text.status).toBe(415)
    expect(await text.json()).toMatchObject({ error: 'unsupported-media-type' })
    expect((await postUpdate(url, new Uint8Array(0))).status).toBe(400)
    expect(await relay.relay.documentExists('limited')).toBe(false)
  })

  it('refuses a body over 16 MiB with 413 before reading it all', async () => {
    const relay = await scope.start()
    const response = await postUpdate(`${documentUrl(relay, 'huge')}/updates`, new Uint8Array(16 * 1024 * 1024 + 1))
    expect(response.status).toBe(413)
    expect(await response.json()).toMatchObject({ error: 'too-large' })
  })
})

describe('PUT /api/documents/:name', () => {
  it('replaces the content from Markdown, HTML or ProseMirror JSON, as one change live editors receive', async () => {
    const relay = await scope.start()
    const editor = scope.client(relay.wsUrl, 'put/doc')
    await waitSynced(editor)
    const received = countRemoteUpdates(editor)

    const created = await putMarkdown(relay, 'put/doc', '# Title\n\nfirst\n\n- a\n- b')
    expect([created.status, await created.json()]).toEqual([201, { status: 'accepted' }])
    await waitFor(() => markdownOf(editor.doc) === '# Title\n\nfirst\n\n- a\n- b', 'the editor receives the content')
    expect(received()).toBe(1)

    const html = await call(documentUrl(relay, 'put/doc'), { method: 'PUT', headers: { 'content-type': 'text/html; charset=utf-8' }, body: '<h1>Title</h1><p>first, <em>edited</em></p>' })
    expect([html.status, await html.json()]).toEqual([200, { status: 'accepted' }])
    await waitFor(() => markdownOf(editor.doc) === '# Title\n\nfirst, *edited*', 'the editor receives the replacement')
    expect(received()).toBe(2)

    const json = { type: 'doc', content: [{ type: 'heading', attrs: { level: 2 }, content: [{ type: 'text', text: 'From JSON' }] }] }
    const fromJson = await call(documentUrl(relay, 'put/doc'), { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify(json) })
    expect(fromJson.status).toBe(200)
    await waitFor(() => markdownOf(editor.doc) === '## From JSON', 'and the JSON one')
    expect(await (await call(documentUrl(relay, 'put/doc'))).json()).toEqual(json)

    const same = await putMarkdown(relay, 'put/doc', '## From JSON')
    expect([same.status, await same.json()]).toEqual([200, { status: 'unchanged' }])
    expect(received()).toBe(3)
  })

  it('keeps what an editor typed elsewhere in the document while replacing (a merge, not an overwrite)', async () => {
    const relay = await scope.start()
    expect((await putMarkdown(relay, 'merge', 'one\n\ntwo')).status).toBe(201)
    const editor = scope.client(relay.wsUrl, 'merge')
    await waitSynced(editor)
    await waitFor(() => markdownOf(editor.doc) === 'one\n\ntwo', 'synced')
    const second = (editor.doc.getXmlFragment(FRAGMENT_NAME).get(1) as Y.XmlElement).get(0) as Y.XmlText
    // The editor's keystroke and the replacement cross on the wire.
    const [response] = await Promise.all([putMarkdown(relay, 'merge', 'ONE\n\ntwo'), Promise.resolve(second.insert(3, ' typed'))])
    expect(response.status).toBe(200)
    await waitFor(async () => (await (await call(documentUrl(relay, 'merge', '?format=markdown'))).text()) === 'ONE\n\ntwo typed', 'both changes kept')
    await waitFor(() => markdownOf(editor.doc) === 'ONE\n\ntwo typed', 'and the editor converges')
  })

  it('If-None-Match: * creates only: 201 the first time, 412 once it exists, the content never touched', async () => {
    const relay = await scope.start()
    const first = await putMarkdown(relay, 'seeded', '# Seed', { headers: { 'if-none-match': '*' } })
    expect([first.status, await first.json()]).toEqual([201, { status: 'accepted' }])
    const second = await putMarkdown(relay, 'seeded', '# Other seed', { headers: { 'if-none-match': '*' } })
    expect([second.status, await second.json()]).toEqual([412, { error: 'precondition-failed', message: 'the document exists (If-None-Match: *)' }])
    expect(await (await call(documentUrl(relay, 'seeded', '?format=markdown'))).text()).toBe('# Seed')
    // Another If-None-Match than `*` is not something a PUT can check.
    expect((await putMarkdown(relay, 'seeded', 'x', { headers: { 'if-none-match': '"abc"' } })).status).toBe(400)
  })

  it('seeding races joining clients and other seeds: exactly one PUT creates, the content appears exactly once', async () => {
    const relay = await scope.start()
    for (let round = 0; round < 5; round++) {
      const name = `race/${round}`
      const clients = Array.from({ length: 4 }, () => scope.client(relay.wsUrl, name))
      const puts = Array.from({ length: 6 }, (_, i) => putMarkdown(relay, name, `# Seed ${i}\n\nSEEDED CONTENT`, { headers: { 'if-none-match': '*' } }))
      const later = Array.from({ length: 2 }, () => scope.client(relay.wsUrl, name))
      const statuses = (await Promise.all(puts)).map((response) => response.status).sort()
      expect(statuses).toEqual([201, 412, 412, 412, 412, 412])
      for (const client of [...clients, ...later]) {
        await waitSynced(client)
        await waitFor(() => occurrences(markdownOf(client.doc), 'SEEDED CONTENT') === 1, `client of ${name} sees the seed`)
      }
      const stored = await (await call(documentUrl(relay, name, '?format=markdown'))).text()
      expect(occurrences(stored, 'SEEDED CONTENT')).toBe(1)
      expect(occurrences(stored, '# Seed')).toBe(1)
      for (const client of [...clients, ...later]) {
        await new Promise((resolve) => setTimeout(resolve, 20))
        expect(occurrences(markdownOf(client.doc), 'SEEDED CONTENT')).toBe(1)
        scope.release(client)
      }
    }
  })

  it('seeding while clients join and type: the seed appears at most once, and exactly once when a PUT says it created', async () => {
    const relay = await scope.start()
    for (let round = 0; round < 5; round++) {
      const name = `typing/${round}`
      const clients = Array.from({ length: 3 }, () => scope.client(relay.wsUrl, name))
      await Promise.all(clients.map((client) => waitSynced(client)))
      const puts = Array.from({ length: 4 }, () => putMarkdown(relay, name, 'SEED', { headers: { 'if-none-match': '*' } }))
      clients.forEach((client, i) => editAsEditor(client, `typed by ${i}`))
      const statuses = (await Promise.all(puts)).map((response) => response.status)
      expect(statuses.filter((status) => status === 201).length).toBeLessThanOrEqual(1)
      expect(statuses.every((status) => status === 201 || status === 412)).toBe(true)
      await relay.relay.flushRoom(name)
      const stored = await (await call(documentUrl(relay, name, '?format=markdown'))).text()
      expect(occurrences(stored, 'SEED')).toBe(statuses.includes(201) ? 1 : 0)
      for (const client of clients) scope.release(client)
    }
  })

  it('XSS in HTML content never reaches the document or what it serves', async () => {
    const relay = await scope.start()
    const payload =
      '<p>safe<script>alert(1)</script></p><img src=x onerror=alert(1)><img src="javascript:alert(1)"><svg onload=alert(1)></svg>' +
      '<p><a href="javascript:alert(1)">js</a> <a href="data:text/html,<script>alert(1)</script>">data</a> <a href="https://ok.example">ok</a></p>' +
      '<p onmouseover="alert(1)">hover</p><iframe src="javascript:alert(1)"></iframe>'
    const response = await call(documentUrl(relay, 'xss'), { method: 'PUT', headers: { 'content-type': 'text/html' }, body: payload })
    expect(response.status).toBe(201)
    const html = await (await call(documentUrl(relay, 'xss', '?format=html'))).text()
    expect(html).not.toMatch(/<script|<svg|<iframe|\son\w+=|javascript:|data:/i)
    expect(html).toContain('href="https://ok.example"')
    // Images are content (Tiptap's image node): the relative one stays without its handler, the script one goes.
    expect([...html.matchAll(/<img\b[^>]*>/gi)].map((tag) => tag[0])).toEqual(['<img alt="" src="x">'])
    const json = await (await call(documentUrl(relay, 'xss'))).text()
    expect(json).not.toMatch(/javascript:|data:|onerror|onload|onmouseover/i)
  })

  it('refuses content it cannot take: 415 for another type, 400 for invalid JSON or content outside the schema, 413 over 4 MiB', async () => {
    const relay = await scope.start()
    const put = (body: string, type: string) => call(documentUrl(relay, 'refused'), { method: 'PUT', headers: { 'content-type': type }, body })
    const plain = await put('hello', 'text/plain')
    expect([plain.status, ((await plain.json()) as { error: string }).error]).toEqual([415, 'unsupported-media-type'])
    const broken = await put('{"type":', 'application/json')
    expect(broken.status).toBe(400)
    const outside = await put(JSON.stringify({ type: 'doc', content: [{ type: 'table' }] }), 'application/json')
    expect([outside.status, ((await outside.json()) as { error: string }).error]).toEqual([400, 'invalid-content'])
    const invalid = await put(JSON.stringify({ type: 'doc', content: [{ type: 'text', text: 'bare text in a doc' }] }), 'application/json')
    expect(invalid.status).toBe(400)
    const huge = await put('x'.repeat(4 * 1024 * 1024 + 1), 'text/markdown')
    expect([huge.status, ((await huge.json()) as { error: string }).error]).toEqual([413, 'too-large'])
    expect(await relay.relay.documentExists('refused')).toBe(false)
  })
})

describe('DELETE /api/documents/:name', () => {
  it('closes live editors with 4410, removes the document (GET 404, not listed), and 404 when there is nothing', async () => {
    const relay = await scope.start()
    expect((await putMarkdown(relay, 'doomed/doc', '# Bye')).status).toBe(201)
    const editor = scope.client(relay.wsUrl, 'doomed/doc')
    await waitSynced(editor)
    const closed = new Promise<number>((resolve) => editor.provider.ws?.addEventListener('close', (event) => resolve(event.code)))

    const response = await call(documentUrl(relay, 'doomed/doc'), { method: 'DELETE' })
    expect(response.status).toBe(204)
    expect(await closed).toBe(CloseCode.DOCUMENT_DELETED.code)
    expect((await call(documentUrl(relay, 'doomed/doc'))).status).toBe(404)
    const list = (await (await call(documentUrl(relay))).json()) as { documents: { name: string }[] }
    expect(list.documents.map((info) => info.name)).not.toContain('doomed/doc')
    expect((await call(documentUrl(relay, 'doomed/doc'), { method: 'DELETE' })).status).toBe(404)
    expect((await call(documentUrl(relay, 'never/was'), { method: 'DELETE' })).status).toBe(404)
  })
})
