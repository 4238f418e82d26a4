/**
 * The relay's documents from the server side, through the one way into a
 * document: an update submitted by the server is checked, stored, applied
 * and relayed to live clients like a client's; a handle keeps a document
 * loaded; deleting closes its editors with 4410; hooks see it all, in order.
 */
import { describe, expect, it } from 'vitest'
import * as Y from 'yjs'
import { CloseCode } from '../shared/close-codes.ts'
import { DocumentRefusal } from '../server/relay/relay-documents.ts'
import type { RelayHooks } from '../server/relay/hooks.ts'
import type { Relay } from '../server/relay/relay.ts'
import { useRelayScope, waitFor, waitSynced } from './support/harness.ts'

const scope = useRelayScope()

/** Wait until the relay's copy of `name` has `text` (a client's update may still be on the wire). */
async function relayHas(relay: Relay, name: string, text: string): Promise<void> {
  await waitFor(() => relay.withDocument(name, (handle) => handle.doc.getText('text').toString() === text), `the relay to have "${text}"`)
}

/** An update that appends `text` to the root text of `base` (a copy, so `base` is untouched). */
function appendText(base: Y.Doc, text: string): Uint8Array {
  const scratch = new Y.Doc()
  Y.applyUpdate(scratch, Y.encodeStateAsUpdate(base))
  const before = Y.encodeStateVector(scratch)
  scratch.getText('text').insert(scratch.getText('text').length, text)
  return Y.encodeStateAsUpdate(scratch, before)
}

describe('server-side document access', () => {
  it('a submitted update is stored, applied and reaches live clients; submitting it again changes nothing', async () => {
    const relay = await scope.start()
    const client = scope.client(relay.wsUrl, 'served')
    await waitSynced(client)
    client.text.insert(0, 'from the client. ')
    await relayHas(relay.relay, 'served', 'from the client. ')

    const update = await relay.relay.withDocument('served', (handle) => appendText(handle.doc, 'from the server.'))
    const handle = await relay.relay.openDocument('served')
    try {
      expect(await handle.submit(update, { label: 'test' })).toBe('accepted')
      expect(handle.doc.getText('text').toString()).toBe('from the client. from the server.')
      expect(await handle.submit(update)).toBe('unchanged')
    } finally {
      handle.release()
    }
    await waitFor(() => client.text.toString() === 'from the client. from the server.', 'the client receives it')
    const stored = await relay.relay.storage.load('served')
    const replay = new Y.Doc()
    for (const bytes of stored.updates) Y.applyUpdate(replay, bytes)
    expect(replay.getText('text').toString()).toBe('from the client. from the server.')
  })

  it('refuses a malformed update with DocumentRefusal, and changes nothing', async () => {
    const relay = await scope.start()
    await expect(relay.relay.withDocument('refusing', (handle) => handle.submit(Uint8Array.of(1, 0, 5, 0, 0)))).rejects.toMatchObject({
      name: 'DocumentRefusal',
      kind: 'malformed',
    })
    await expect(relay.relay.withDocument('refusing', (handle) => handle.submit(Uint8Array.of(200)))).rejects.toBeInstanceOf(DocumentRefusal)
    expect(await relay.relay.documentExists('refusing')).toBe(false)
  })

  it('a held document stays loaded past the idle time; released, it unloads', async () => {
    const relay = await scope.start({ roomIdleMs: 50 })
    const handle = await relay.relay.openDocument('held')
    await handle.submit(appendText(handle.doc, 'kept'))
    await new Promise((resolve) => setTimeout(resolve, 200)) // four idle periods: it must still be there
    expect(relay.relay.roomNames()).toContain('held')
    handle.release()
    await waitFor(() => !relay.relay.roomNames().includes('held'), 'the room unloads once released')
  })

  it('deleting closes live editors with 4410 (and they stay away), removes storage, and a new join starts empty', async () => {
    const relay = await scope.start()
    const editor = scope.client(relay.wsUrl, 'doomed')
    await waitSynced(editor)
    editor.text.insert(0, 'soon gone')
    await relayHas(relay.relay, 'doomed', 'soon gone')
    expect(await relay.relay.documentExists('doomed')).toBe(true)
    const closed = new Promise<number>((resolve) => editor.provider.once('closed', (event: { code: number }) => resolve(event.code)))

    expect(await relay.relay.deleteDocument('doomed')).toBe(true)
    expect(await closed).toBe(CloseCode.DOCUMENT_DELETED.code)
    expect(editor.provider.shouldConnect).toBe(false)
    expect(await relay.relay.documentExists('doomed')).toBe(false)
    expect(await relay.relay.deleteDocument('doomed')).toBe(false)
    const fresh = scope.client(relay.wsUrl, 'doomed')
    await waitSynced(fresh)
    expect(fresh.text.toString()).toBe('')
  })

  it('lists stored documents with their size and current connections', async () => {
    const relay = await scope.start()
    for (const name of ['team/a', 'team/b', 'other']) await relay.relay.withDocument(name, (handle) => handle.submit(appendText(handle.doc, name)))
    const live = scope.client(relay.wsUrl, 'team/b')
    await waitSynced(live)
    const listed = await relay.relay.listDocuments({ prefix: 'team/', limit: 10 })
    expect(listed.map((info) => [info.name, info.connections])).toEqual([
      ['team/a', 0],
      ['team/b', 1],
    ])
    expect(listed.every((info) => info.bytes > 0)).toBe(true)
  })
})

describe('hooks', () => {
  it('see loads, commits (with their origin), connections and deletion, in order', async () => {
    const events: string[] = []
    const hooks: RelayHooks = {
      documentLoaded: ({ name }) => void events.push(`loaded ${name}`),
      updateCommitted: ({ name, origin, created }) => void events.push(`committed ${name} from ${origin.kind}${created ? ' (created)' : ''}`),
      connectionOpened: ({ name }) => void events.push(`opened ${name}`),
      connectionClosed: ({ name, code }) => void events.push(`closed ${name} ${code}`),
      documentDeleted: ({ name }) => void events.push(`deleted ${name}`),
      documentUnloaded: ({ name }) => void events.push(`unloaded ${name}`),
    }
    const relay = await scope.start({ hooks: [hooks], roomIdleMs: 20 })
    const client = scope.client(relay.wsUrl, 'watched')
    await waitSynced(client)
    client.text.insert(0, 'one')
    await waitFor(() => events.some((event) => event.startsWith('committed')), 'the client’s update is committed')
    await relay.relay.withDocument('watched', (handle) => handle.submit(appendText(handle.doc, ' two')))
    await relay.relay.deleteDocument('watched')
    await waitFor(() => events.includes('unloaded watched') && events.includes(`closed watched ${CloseCode.DOCUMENT_DELETED.code}`), 'the last events')
    expect(events).toEqual([
      'loaded watched',
      'opened watched',
      'committed watched from connection (created)',
      'committed watched from server',
      `closed watched ${CloseCode.DOCUMENT_DELETED.code}`,
      'unloaded watched',
      'deleted watched',
    ])
  })

  it('a slow or failing subscriber never holds the relay up', async () => {
    let release!: () => void
    const gate = new Promise<void>((resolve) => (release = resolve))
    const relay = await scope.start({
      hooks: [{ updateCommitted: () => gate }, { updateCommitted: () => Promise.reject(new Error('subscriber fails')) }],
    })
    const a = scope.client(relay.wsUrl, 'slow-hooks')
    const b = scope.client(relay.wsUrl, 'slow-hooks')
    await Promise.all([waitSynced(a), waitSynced(b)])
    for (let i = 0; i < 20; i++) a.text.insert(a.text.length, String(i % 10))
    await waitFor(() => b.text.length === 20, 'edits flow while a subscriber hangs')
    release()
  })
})
