/**
 * Versions with live editors (stock y-websocket clients on a real relay):
 * automatic versions naming people by their grant or their presence, a
 * version when a room unloads, and restores that every editor converges on,
 * one that was offline during the restore included, and that can be undone.
 */
import { describe, expect, it } from 'vitest'
import { Fragment } from 'prosemirror-model'
import { prosemirrorToYXmlFragment } from 'y-prosemirror'
import { createJwtAuthenticator } from '../server/auth/jwt-authenticator.ts'
import { issueToken } from '../server/auth/issue-token.ts'
import { UNNAMED_AUTHOR } from '../server/relay/version-authors.ts'
import { readTitle, TITLE_NAME } from '../shared/document-title.ts'
import { readProseMirror } from '../shared/convert/yjs.ts'
import { FRAGMENT_NAME, schema } from '../shared/schema.ts'
import { call, documentUrl, editAsEditor, markdownOf } from './support/documents-api.ts'
import { useRelayScope, waitFor, waitSynced, type TestClient, type TestRelay } from './support/harness.ts'

const scope = useRelayScope()
const SECRET = 'a test secret that is long enough for HS256 !!'

/** Add a paragraph at the end, as the editor's binding would write it. */
function appendParagraph(client: TestClient, text: string): void {
  const current = readProseMirror(client.doc)
  const next = current.copy(current.content.append(Fragment.from(schema.node('paragraph', null, schema.text(text)))))
  prosemirrorToYXmlFragment(next, client.doc.getXmlFragment(FRAGMENT_NAME))
}

function setTitle(client: TestClient, title: string): void {
  const text = client.doc.getText(TITLE_NAME)
  client.doc.transact(() => {
    text.delete(0, text.length)
    text.insert(0, title)
  })
}

interface VersionJson {
  id: string
  name: string | null
  kind: string
  authors: string[]
}

async function versionsOf(relay: TestRelay, name: string, token?: string): Promise<VersionJson[]> {
  const response = await call(`${documentUrl(relay, name)}/versions`, { token })
  return response.status === 200 ? ((await response.json()) as { versions: VersionJson[] }).versions : []
}

async function restore(relay: TestRelay, name: string, id: string): Promise<{ status: string; savedBefore: VersionJson | null }> {
  const response = await call(`${documentUrl(relay, name)}/versions/${id}/restore`, { method: 'POST' })
  expect(response.status).toBe(200)
  return (await response.json()) as { status: string; savedBefore: VersionJson | null }
}

async function saveNamed(relay: TestRelay, name: string, versionName: string): Promise<VersionJson> {
  const response = await call(`${documentUrl(relay, name)}/versions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: versionName }) })
  expect(response.status).toBe(201)
  return (await response.json()) as VersionJson
}

/** What a document reads as through the schema: its title and its content as Markdown. */
const reading = (client: TestClient): string => `${readTitle(client.doc)}\n---\n${markdownOf(client.doc)}`

describe('automatic versions with live editors', () => {
  it('saves one once editing settles, naming people by their grant, else their presence, else as unnamed', async () => {
    const relay = await scope.start({ authenticate: createJwtAuthenticator({ secrets: [SECRET] }), versions: { settleMs: 100, intervalMs: 200 } })
    const token = (name?: string) => issueToken({ secret: SECRET, doc: 'team/*', access: 'write', expiresInSeconds: 600, ...(name ? { name } : {}) })
    const ada = scope.client(relay.wsUrl, 'team/notes', { params: { token: await token('Ada') } })
    const lin = scope.client(relay.wsUrl, 'team/notes', { params: { token: await token() } })
    const someone = scope.client(relay.wsUrl, 'team/notes', { params: { token: await token() } })
    await Promise.all([ada, lin, someone].map((c) => waitSynced(c)))
    // Ada's grant names her (whatever her presence says); Lin names herself in her presence, after her edit.
    ada.provider.awareness.setLocalStateField('user', { name: 'Not Ada' })
    appendParagraph(ada, 'from Ada')
    await waitFor(() => markdownOf(lin.doc).includes('from Ada'), 'Ada’s edit reaches Lin')
    appendParagraph(lin, 'from Lin')
    lin.provider.awareness.setLocalStateField('user', { name: 'Lin' })
    await waitFor(() => markdownOf(someone.doc).includes('from Lin'), 'Lin’s edit reaches the third editor')
    appendParagraph(someone, 'from someone')

    const reader = await issueToken({ secret: SECRET, doc: 'team/*', access: 'read', expiresInSeconds: 600 })
    const versions = (await waitFor(async () => {
      const found = await versionsOf(relay, 'team/notes', reader)
      const authors = new Set(found.flatMap((v) => v.authors))
      return authors.has('Ada') && authors.has('Lin') && authors.has(UNNAMED_AUTHOR) ? found : null
    }, 'automatic versions naming all three'))!
    expect(versions.every((v) => v.kind === 'auto' && v.name === null)).toBe(true)
    expect(versions.flatMap((v) => v.authors)).not.toContain('Not Ada')
    // The client IDs each wrote with, for comparisons: named, or '' for the unnamed.
    const clients = Object.assign({}, ...(await relay.relay.listVersions('team/notes')).map((v) => v.clients)) as Record<string, string>
    expect(clients[String(ada.doc.clientID)]).toBe('Ada')
    expect(clients[String(lin.doc.clientID)]).toBe('Lin')
    expect(clients[String(someone.doc.clientID)]).toBe('')
    // The newest holds everything typed.
    const newest = await call(`${documentUrl(relay, 'team/notes')}/versions/${versions[0].id}?format=markdown`, { token: reader })
    expect(await newest.text()).toBe('from Ada\n\nfrom Lin\n\nfrom someone')
  })

  it('saves the edits not in a version when the room unloads, however long before editing would settle', async () => {
    const relay = await scope.start({ roomIdleMs: 20, versions: { settleMs: 3_600_000 } })
    const editor = scope.client(relay.wsUrl, 'quick edit')
    await waitSynced(editor)
    editor.provider.awareness.setLocalStateField('user', { name: 'Grace' })
    editAsEditor(editor, 'typed and gone')
    await waitFor(async () => (await call(documentUrl(relay, 'quick edit', '?format=markdown')).then((r) => r.text())) === 'typed and gone', 'the edit is stored')
    expect(await versionsOf(relay, 'quick edit')).toEqual([])
    scope.release(editor)
    await waitFor(() => relay.relay.stats().rooms === 0, 'the room unloads')
    const [saved] = await versionsOf(relay, 'quick edit')
    expect(saved).toMatchObject({ kind: 'auto', authors: ['Grace'] })
    expect(await (await call(`${documentUrl(relay, 'quick edit')}/versions/${saved.id}?format=markdown`)).text()).toBe('typed and gone')
  })
})

describe('restore', () => {
  it('every live editor converges on the version, and one offline during the restore keeps its own edits, merged after', async () => {
    const relay = await scope.start({ versions: { intervalMs: 0 } })
    const [a, b, c] = [0, 1, 2].map(() => scope.client(relay.wsUrl, 'plan'))
    await Promise.all([a, b, c].map((e) => waitSynced(e)))
    setTitle(a, 'Q4 plan')
    editAsEditor(a, '# Goals\n\n- ship the editor\n- write the docs')
    await waitFor(() => reading(b) === reading(a) && reading(c) === reading(a), 'everyone has the first draft')
    const draftReading = reading(a)
    const draft = await saveNamed(relay, 'plan', 'First draft')

    // Everyone edits on: a new title, b rewrites a line, c adds one.
    setTitle(a, 'Q4 plan (revised)')
    editAsEditor(b, '# Goals\n\n- ship the editor by June\n- write the docs\n- hire')
    await waitFor(() => reading(a) === reading(b) && reading(c) === reading(b), 'everyone has the revision')
    const revisedReading = reading(a)
    expect(revisedReading).not.toBe(draftReading)

    // c goes offline; the restore happens without it.
    c.provider.disconnect()
    await waitFor(() => relay.relay.stats().connections === 2, 'c is gone')
    const restored = await restore(relay, 'plan', draft.id)
    expect(restored.status).toBe('accepted')
    expect(restored.savedBefore).toMatchObject({ kind: 'restore', name: 'Before restoring "First draft"' })
    await waitFor(() => reading(a) === draftReading && reading(b) === draftReading, 'the live editors read the draft again')
    expect(await (await call(documentUrl(relay, 'plan', '?format=markdown'))).text()).toBe(markdownOf(a.doc))

    // Offline, c adds a paragraph to what it had; back online, it is merged after the restore.
    expect(reading(c)).toBe(revisedReading)
    appendParagraph(c, 'written offline')
    c.provider.connect()
    const expected = `${draftReading}\n\nwritten offline`
    await waitFor(() => [a, b, c].every((e) => reading(e) === expected), 'all three read the draft and the offline paragraph', 10_000)
    expect(await (await call(documentUrl(relay, 'plan', '?format=markdown'))).text()).toBe(markdownOf(c.doc))
  })

  it('restoring the version saved before a restore undoes it; restoring what the document already reads changes nothing', async () => {
    const relay = await scope.start({ versions: { intervalMs: 0 } })
    const editor = scope.client(relay.wsUrl, 'undo me')
    await waitSynced(editor)
    setTitle(editor, 'Old title')
    editAsEditor(editor, 'old text')
    await waitFor(async () => (await call(documentUrl(relay, 'undo me', '?format=markdown')).then((r) => r.text())) === 'old text', 'stored')
    const old = await saveNamed(relay, 'undo me', 'old')
    setTitle(editor, 'New title')
    editAsEditor(editor, 'new text\n\nmore')
    const newReading = 'New title\n---\nnew text\n\nmore'
    await waitFor(async () => (await call(documentUrl(relay, 'undo me', '?format=markdown')).then((r) => r.text())) === 'new text\n\nmore', 'stored')

    const { savedBefore } = await restore(relay, 'undo me', old.id)
    await waitFor(() => reading(editor) === 'Old title\n---\nold text', 'the editor reads the old version')
    const undone = await restore(relay, 'undo me', savedBefore!.id)
    expect(undone.status).toBe('accepted')
    await waitFor(() => reading(editor) === newReading, 'the editor reads what it had before the restore')
    expect((await versionsOf(relay, 'undo me')).map((v) => v.kind)).toEqual(['restore', 'restore', 'named'])

    const again = await restore(relay, 'undo me', savedBefore!.id)
    expect(again).toMatchObject({ status: 'unchanged', savedBefore: null })
    expect(await versionsOf(relay, 'undo me')).toHaveLength(3)
  })
})
