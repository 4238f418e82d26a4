/**
 * A deleted document stays deleted: a client that still holds a copy of it
 * (a browser's offline copy, a provider that was disconnected at the time)
 * is closed with 4410 when it comes back, before it can write the old
 * content into a new document of the same name. Stock y-websocket clients
 * against a real relay; the deletion over the HTTP API.
 */
import { describe, expect, it } from 'vitest'
import * as Y from 'yjs'
import { CloseCode } from '../shared/close-codes.ts'
import { FRAGMENT_NAME } from '../shared/schema.ts'
import { createRelay } from '../server/relay/relay.ts'
import { createMemoryStorage } from '../server/storage/memory.ts'
import type { DocumentStorage } from '../server/storage/types.ts'
import { useRelayScope, waitFor, waitSynced, type TestClient, type TestRelay } from './support/harness.ts'
import { call, documentUrl, editAsEditor } from './support/documents-api.ts'

const scope = useRelayScope()

/** The document's Markdown over the API, or null when it does not exist (404). */
async function storedMarkdown(relay: TestRelay, name: string): Promise<string | null> {
  const response = await call(documentUrl(relay, name, '?format=markdown'))
  if (response.status === 404) return null
  expect(response.status).toBe(200)
  return (await response.text()).trim()
}

/** Reconnect a disconnected client: the code the relay closes it with, or 'synced' when it is let in. */
function reconnectAndClose(client: TestClient): Promise<number | 'synced'> {
  return new Promise((resolve) => {
    const finish = (outcome: number | 'synced'): void => {
      client.provider.off('connection-close', onClose)
      client.provider.off('sync', onSync)
      // The stock provider would keep retrying: this test decides when it connects.
      client.provider.disconnect()
      resolve(outcome)
    }
    const onClose = (event: CloseEvent | null): void => finish(event?.code ?? -1)
    const onSync = (synced: boolean): void => {
      if (synced) finish('synced')
    }
    client.provider.on('connection-close', onClose)
    client.provider.on('sync', onSync)
    client.provider.connect()
  })
}

/** A client that wrote `markdown` into `name`, saw it stored, and then went offline holding it. */
async function offlineHolder(relay: TestRelay, name: string, markdown: string): Promise<TestClient> {
  const holder = scope.client(relay.wsUrl, name)
  await waitSynced(holder)
  editAsEditor(holder, markdown)
  await waitFor(async () => (await storedMarkdown(relay, name)) === markdown, `"${markdown}" stored`)
  holder.provider.disconnect()
  return holder
}

describe('an offline copy of a deleted document', () => {
  it('is refused with 4410 and brings nothing back, before and after a new document of the same name exists', async () => {
    const relay = await scope.start()
    const stale = await offlineHolder(relay, 'plans/q4', 'Salary numbers')
    expect((await call(documentUrl(relay, 'plans/q4'), { method: 'DELETE' })).status).toBe(204)

    expect(await reconnectAndClose(stale)).toBe(CloseCode.DOCUMENT_DELETED.code)
    expect(await storedMarkdown(relay, 'plans/q4')).toBeNull()

    // Someone starts a new document under the name: it is served as usual.
    const fresh = scope.client(relay.wsUrl, 'plans/q4')
    await waitSynced(fresh)
    expect(fresh.doc.getXmlFragment('prosemirror').length).toBe(0)
    editAsEditor(fresh, 'A new plan')
    await waitFor(async () => (await storedMarkdown(relay, 'plans/q4')) === 'A new plan', 'the new document stored')

    // The old copy is still refused, and the new document never sees its content.
    expect(await reconnectAndClose(stale)).toBe(CloseCode.DOCUMENT_DELETED.code)
    expect(await storedMarkdown(relay, 'plans/q4')).toBe('A new plan')
    const later = scope.client(relay.wsUrl, 'plans/q4')
    await waitSynced(later)
    expect(later.doc.getXmlFragment('prosemirror').toString()).not.toContain('Salary')
  })

  it('is refused with 4410 when it arrives after the client connected (an offline copy loaded late), and nothing of it is stored', async () => {
    const relay = await scope.start()
    const stale = await offlineHolder(relay, 'late', 'Old secret')
    expect((await call(documentUrl(relay, 'late'), { method: 'DELETE' })).status).toBe(204)

    // Connected with nothing, as an editor is before its offline copy has loaded: let in.
    const late = scope.client(relay.wsUrl, 'late')
    await waitSynced(late)
    let closedWith: number | null = null
    late.provider.once('connection-close', (event: CloseEvent | null) => (closedWith = event?.code ?? -1))
    Y.applyUpdate(late.doc, Y.encodeStateAsUpdate(stale.doc))
    expect(await waitFor(() => closedWith, 'the relay closes the connection')).toBe(CloseCode.DOCUMENT_DELETED.code)
    late.provider.disconnect()
    expect(await storedMarkdown(relay, 'late')).toBeNull()
  })

  it('deleted twice: a copy of either document is refused', async () => {
    const relay = await scope.start()
    const first = await offlineHolder(relay, 'doc', 'First')
    expect((await call(documentUrl(relay, 'doc'), { method: 'DELETE' })).status).toBe(204)
    const second = await offlineHolder(relay, 'doc', 'Second')
    expect((await call(documentUrl(relay, 'doc'), { method: 'DELETE' })).status).toBe(204)

    expect(await reconnectAndClose(first)).toBe(CloseCode.DOCUMENT_DELETED.code)
    expect(await reconnectAndClose(second)).toBe(CloseCode.DOCUMENT_DELETED.code)
    expect(await storedMarkdown(relay, 'doc')).toBeNull()
  })

  it('gets in once its content was written back on purpose (over the API): the document holds it already', async () => {
    const relay = await scope.start()
    const holder = await offlineHolder(relay, 'restored', 'Keep this')
    expect((await call(documentUrl(relay, 'restored'), { method: 'DELETE' })).status).toBe(204)
    const body = new Uint8Array(Y.encodeStateAsUpdate(holder.doc))
    expect((await call(documentUrl(relay, 'restored') + '/updates', { method: 'POST', headers: { 'content-type': 'application/octet-stream' }, body })).status).toBeLessThan(300)
    expect(await storedMarkdown(relay, 'restored')).toBe('Keep this')

    holder.provider.connect()
    await waitSynced(holder)
    editAsEditor(holder, 'Keep this, edited')
    await waitFor(async () => (await storedMarkdown(relay, 'restored')) === 'Keep this, edited', 'the edit stored')
  })

  it('a client that never held the deleted content is not refused', async () => {
    const relay = await scope.start()
    await offlineHolder(relay, 'other', 'Old')
    expect((await call(documentUrl(relay, 'other'), { method: 'DELETE' })).status).toBe(204)
    // Content of its own, made offline before it ever connected: a new document, not the deleted one.
    const newcomer = scope.client(relay.wsUrl, 'other', { connect: false })
    editAsEditor(newcomer, 'Written offline')
    newcomer.provider.connect()
    await waitSynced(newcomer)
    await waitFor(async () => (await storedMarkdown(relay, 'other')) === 'Written offline', 'the newcomer’s content stored')
  })
})

describe('a delete racing a load of the same document', () => {
  it('never serves or writes back the deleted content, whenever the load comes', async () => {
    const seed = (): Uint8Array => {
      const doc = new Y.Doc()
      const paragraph = new Y.XmlElement('paragraph')
      paragraph.insert(0, [new Y.XmlText('Salary numbers')])
      doc.getXmlFragment(FRAGMENT_NAME).insert(0, [paragraph])
      return Y.encodeStateAsUpdate(doc)
    }
    for (let delayTicks = 0; delayTicks < 12; delayTicks++) {
      const memory = createMemoryStorage()
      // A storage that answers a moment later, as SQLite's worker or PostgreSQL do.
      const later = <T>(value: Promise<T>): Promise<T> => new Promise((resolve) => setTimeout(resolve, 2)).then(() => value)
      const storage: DocumentStorage = {
        ...memory,
        load: (name, onPart) => later(memory.load(name, onPart)),
        delete: (name, deleted) => later(memory.delete(name, deleted)),
        describe: (options) => later(memory.describe(options)),
      }
      // Compacting after every update: a room holding the old content would write all of it back.
      const relay = createRelay({ storage, compactAfterUpdates: 1, logger: { info() {}, warn() {}, error() {} } })
      await relay.withDocument('doc', (handle) => handle.submit(seed()))
      const held = await relay.openDocument('doc')
      const deleting = relay.deleteDocument('doc')
      for (let tick = 0; tick < delayTicks; tick++) await new Promise((resolve) => setTimeout(resolve, 1))
      const opened = await relay.openDocument('doc')
      await deleting
      // Whatever it opened (the room being deleted, or the new empty document), a write there cannot bring the old content back.
      const writer = new Y.Doc()
      Y.applyUpdate(writer, Y.encodeStateAsUpdate(opened.doc))
      let update: Uint8Array | null = null
      writer.on('update', (change: Uint8Array) => (update = change))
      writer.getXmlFragment(FRAGMENT_NAME).insert(0, [new Y.XmlText('X')])
      await opened.submit(update!).catch(() => 'refused')
      await relay.flushRoom('doc')
      const stored = new Y.Doc()
      for (const each of (await memory.load('doc')).updates) Y.applyUpdate(stored, each)
      expect(stored.getXmlFragment(FRAGMENT_NAME).toString(), `a load ${delayTicks} ms into the delete`).not.toContain('Salary')
      held.release()
      opened.release()
      await relay.close({ timeoutMs: 1000 })
    }
  })
})
