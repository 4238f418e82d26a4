/**
 * What a grant lets a connection do, enforced by the relay: readers read and
 * are seen but change nothing (live or replayed from offline), names come
 * from the grant, a grant ends at its expiry (4401), and every connection has
 * a rate limit (4429) and every document a size limit (4413). Real relay,
 * stock providers and raw sockets; the grants come from a test
 * `authenticate` (the JWT verifier has its own tests).
 */
import { describe, expect, it } from 'vitest'
import * as Y from 'yjs'
import { CloseCode } from '../shared/close-codes.ts'
import { encodeSyncStep2, encodeUpdate, MessageType } from '../shared/protocol.ts'
import { tokenOf, type Authenticate } from '../server/http/authenticate.ts'
import type { Grant } from '../server/relay/grant.ts'
import { useRelayScope, waitFor, waitSynced, type TestClient } from './support/harness.ts'

const scope = useRelayScope()

/** Tokens are the grant itself, as JSON: this test is about what the relay does with a grant. */
const authenticate: Authenticate = (request) => {
  const token = tokenOf(request)
  if (!token) return { ok: false, status: 401, reason: 'missing token' }
  return { ok: true, grant: JSON.parse(token) as Grant }
}
const token = (grant: Grant): Record<string, string> => ({ token: JSON.stringify(grant) })

function presenceNames(client: TestClient): string[] {
  return [...client.provider.awareness.getStates().values()].map((state) => (state as { user?: { name?: string } }).user?.name ?? '')
}

describe('a read grant', () => {
  it('reads and is seen, but its live edits are never stored, applied or relayed; it is told once and stays connected', async () => {
    const relay = await scope.start({ authenticate })
    const writer = scope.client(relay.wsUrl, 'doc', { params: token({ access: 'write', user: { name: 'Writer' } }) })
    await waitSynced(writer)
    writer.text.insert(0, 'written')
    const reader = scope.client(relay.wsUrl, 'doc', { params: token({ access: 'read', user: { name: 'Reader' } }) })
    await waitSynced(reader)
    await waitFor(() => reader.text.toString() === 'written', 'the reader reads')

    const closes: number[] = []
    reader.provider.on('connection-close', (event: CloseEvent | null) => closes.push(event?.code ?? -1))
    const raw = await scope.raw(relay.wsUrl, 'doc', token({ access: 'read' }))
    reader.text.insert(0, 'NOT ')
    reader.text.insert(0, 'EITHER ')
    // The reader's own copy has it; nobody else does, and storage does not.
    writer.text.insert(writer.text.length, ' and more')
    await waitFor(() => reader.text.toString().endsWith(' and more'), 'the writer’s later edit still reaches the reader')
    await relay.relay.flushRoom('doc')
    expect(writer.text.toString()).toBe('written and more')
    const stored = await relay.relay.storage.load('doc')
    const replayed = new Y.Doc()
    for (const update of stored.updates) Y.applyUpdate(replayed, update)
    expect(replayed.getText('text').toString()).toBe('written and more')
    expect(reader.provider.wsconnected).toBe(true)
    expect(closes).toEqual([])

    // A raw reader sees the permission-denied message exactly once for two writes.
    const doc = new Y.Doc()
    doc.getText('text').insert(0, 'x')
    raw.send(encodeUpdate(Y.encodeStateAsUpdate(doc)))
    doc.getText('text').insert(0, 'y')
    raw.send(encodeUpdate(Y.encodeStateAsUpdate(doc)))
    await waitFor(() => raw.received.some((frame) => frame[0] === MessageType.AUTH), 'permission denied')
    await relay.relay.flushRoom('doc')
    expect(raw.received.filter((frame) => frame[0] === MessageType.AUTH)).toHaveLength(1)
    expect(raw.closeCode).toBeNull()

    // Readers keep their presence: the writer sees the reader's name (the granted one, as an editor sets its user).
    reader.provider.awareness.setLocalStateField('user', { name: 'Someone else' })
    await waitFor(() => presenceNames(writer).includes('Reader'), 'the reader is visible')
  })

  it('edits a reader made offline are not replayed into the document on connect; a sync step 2 adding nothing is silent', async () => {
    const relay = await scope.start({ authenticate })
    const writer = scope.client(relay.wsUrl, 'offline', { params: token({ access: 'write' }) })
    await waitSynced(writer)
    writer.text.insert(0, 'shared')
    await relay.relay.flushRoom('offline')
    // A reader that has the document, then edits while away.
    const reader = scope.client(relay.wsUrl, 'offline', { params: token({ access: 'read' }), connect: false })
    Y.applyUpdate(reader.doc, Y.encodeStateAsUpdate(writer.doc))
    reader.text.insert(0, 'OFFLINE ')
    reader.provider.connect()
    await waitSynced(reader)
    await relay.relay.flushRoom('offline')
    const late = scope.client(relay.wsUrl, 'offline', { params: token({ access: 'read' }) })
    await waitSynced(late)
    expect(late.text.toString()).toBe('shared')
    expect(writer.text.toString()).toBe('shared')

    // A reader with nothing new: its sync step 2 is accepted without a word.
    const quiet = await scope.raw(relay.wsUrl, 'offline', token({ access: 'read' }))
    quiet.send(encodeSyncStep2(Y.encodeStateAsUpdate(writer.doc)))
    await relay.relay.flushRoom('offline')
    expect(quiet.received.filter((frame) => frame[0] === MessageType.AUTH)).toHaveLength(0)
    expect(quiet.closeCode).toBeNull()
  })
})

describe('identity from the grant', () => {
  it('writes the granted name and colour into every presence state the connection sends', async () => {
    const relay = await scope.start({ authenticate })
    const ada = scope.client(relay.wsUrl, 'names', { params: token({ access: 'write', user: { id: 'u1', name: 'Ada', color: '#123456' } }) })
    const observer = scope.client(relay.wsUrl, 'names', { params: token({ access: 'read', user: { name: 'Observer' } }) })
    await Promise.all([waitSynced(ada), waitSynced(observer)])
    ada.provider.awareness.setLocalStateField('user', { name: 'Grace Hopper', color: '#ffffff' })
    await waitFor(() => {
      const state = observer.provider.awareness.getStates().get(ada.doc.clientID) as { user?: { name: string; color: string } } | undefined
      return state?.user?.name === 'Ada' && state.user.color === '#123456'
    }, 'the observer sees the granted name, not the claimed one')
    expect(presenceNames(observer)).not.toContain('Grace Hopper')
  })
})

describe('expiry', () => {
  it('closes the connection with 4401 when the grant ends; the stock provider stops reconnecting', async () => {
    const relay = await scope.start({ authenticate })
    const client = scope.client(relay.wsUrl, 'expiring', { params: token({ access: 'write', expiresAt: Date.now() + 1_000 }) })
    const closed = new Promise<number>((resolve) => client.provider.once('closed', (event: { code: number }) => resolve(event.code)))
    await waitSynced(client)
    expect(await closed).toBe(CloseCode.TOKEN_EXPIRED.code)
    await waitFor(() => relay.relay.stats().connections === 0, 'the connection is gone')
    expect(client.provider.shouldConnect).toBe(false)
  })
})

describe('limits per connection and per document', () => {
  it('closes a flooding connection with 4429, and not one that types fast', async () => {
    const relay = await scope.start({ authenticate, limits: { messagesPerSecond: 50, messageBurst: 200 } })
    const typist = scope.client(relay.wsUrl, 'rate', { params: token({ access: 'write' }) })
    await waitSynced(typist)
    for (let i = 0; i < 150; i++) typist.text.insert(typist.text.length, 'k')
    const flood = await scope.raw(relay.wsUrl, 'rate', token({ access: 'write' }))
    const doc = new Y.Doc()
    for (let i = 0; i < 1_000; i++) {
      const before = Y.encodeStateVector(doc)
      doc.getText('flood').insert(0, 'x')
      flood.send(encodeUpdate(Y.encodeStateAsUpdate(doc, before)))
    }
    expect(await flood.waitClosed()).toBe(CloseCode.RATE_LIMITED.code)
    expect(typist.provider.wsconnected).toBe(true)
  })

  it('closes with 4429 a connection that sends bytes faster than its byte rate, in few messages', async () => {
    // Few frames (far under the message rate), but 64 KiB each against 16 KiB/s with a 64 KiB burst.
    const relay = await scope.start({ authenticate, limits: { bytesPerSecond: 16 * 1024, byteBurst: 64 * 1024 } })
    const typist = scope.client(relay.wsUrl, 'bytes', { params: token({ access: 'write' }) })
    await waitSynced(typist)
    typist.text.insert(0, 'a small edit')
    const heavy = await scope.raw(relay.wsUrl, 'bytes', token({ access: 'write' }))
    const doc = new Y.Doc()
    for (let i = 0; i < 4; i++) {
      const before = Y.encodeStateVector(doc)
      doc.getText('heavy').insert(0, 'x'.repeat(64 * 1024))
      heavy.send(encodeUpdate(Y.encodeStateAsUpdate(doc, before)))
    }
    expect(await heavy.waitClosed()).toBe(CloseCode.RATE_LIMITED.code)
    expect(typist.provider.wsconnected).toBe(true)
  })

  it('refuses (4413) an update that would take a document past its size limit; deletions still pass', async () => {
    const relay = await scope.start({ authenticate, limits: { maxDocumentBytes: 20_000 } })
    const writer = scope.client(relay.wsUrl, 'big', { params: token({ access: 'write' }) })
    await waitSynced(writer)
    writer.text.insert(0, 'a'.repeat(15_000))
    await relay.relay.flushRoom('big')
    const closed = new Promise<number>((resolve) => writer.provider.once('closed', (event: { code: number }) => resolve(event.code)))
    writer.text.insert(0, 'b'.repeat(10_000))
    expect(await closed).toBe(CloseCode.LIMIT_EXCEEDED.code)
    const other = scope.client(relay.wsUrl, 'big', { params: token({ access: 'write' }) })
    await waitSynced(other)
    expect(other.text.length).toBe(15_000)
    // The document stays as it was and may still shrink.
    other.text.delete(0, 5_000)
    await relay.relay.flushRoom('big')
    const check = scope.client(relay.wsUrl, 'big', { params: token({ access: 'read' }) })
    await waitSynced(check)
    await waitFor(() => check.text.length === 10_000, 'the deletion is stored and relayed')
  })
})
