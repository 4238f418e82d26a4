/**
 * Document sync through the relay with stock y-websocket clients and raw
 * sockets: convergence under churn, late joiners, no echo, the handshake,
 * room isolation and the commit-before-relay guarantee.
 */
import { describe, expect, it, vi } from 'vitest'
import { WebSocket } from 'ws'
import * as Y from 'yjs'
import { decodeClientFrame, encodeSyncStep1, encodeUpdate, type ClientMessage } from '../shared/protocol.ts'
import {
  createRandom,
  testSeed,
  useRelayScope,
  waitFor,
  waitSynced,
  type RawSocket,
  type TestClient,
} from './support/harness.ts'
import { createMemoryStorage } from '../server/storage/memory.ts'
import type { DocumentStorage } from '../server/storage/types.ts'

const scope = useRelayScope()
const { start, client, raw } = scope

/** The text of a room as rebuilt from nothing but its stored log. */
async function textInStorage(room: string): Promise<string> {
  const stored = await scope.relay.relay.storage.load(room)
  const doc = new Y.Doc()
  for (const update of stored.updates) Y.applyUpdate(doc, update)
  const text = doc.getText('text').toString()
  doc.destroy()
  return text
}

const APPEND_DELAY_MS = 60

const decodeAll = (socket: RawSocket): ClientMessage[] => socket.received.map((frame) => decodeClientFrame(frame))

const sameBytes = (a: Uint8Array, b: Uint8Array): boolean =>
  a.byteLength === b.byteLength && a.every((byte, i) => byte === b[i])

/** Whether every client holds the same text and the same state vector. */
function converged(all: TestClient[]): boolean {
  const text = all[0].text.toString()
  const vector = Y.encodeStateVector(all[0].doc)
  return all.every((c) => c.text.toString() === text && sameBytes(Y.encodeStateVector(c.doc), vector))
}

/**
 * An update frame of exactly `length` bytes: one insert by client `clientID`,
 * its text as long as it takes (each ASCII character adds one byte; the
 * string's length prefix grows by a byte at 128 and 16,384).
 */
function updateFrameOfLength(length: number, clientID: number): Uint8Array {
  for (let chars = Math.max(0, length - 40); chars <= length; chars++) {
    const doc = new Y.Doc()
    doc.clientID = clientID
    doc.getText('text').insert(0, 'x'.repeat(chars))
    const frame = encodeUpdate(Y.encodeStateAsUpdate(doc))
    doc.destroy()
    if (frame.byteLength === length) return frame
  }
  throw new Error(`no update frame of exactly ${length} bytes`)
}

const ALPHABET = 'abcdefghijklmnopqrstuvwxyzé文 \n'

/**
 * One random insert or delete. It draws the same number of values whatever
 * the text holds, so a seed replays the same sequence of decisions even
 * though remote edits arrive with different timing from run to run.
 */
function randomEdit(text: Y.Text, random: () => number): void {
  const [kind, where, size] = [random(), random(), random()]
  const chars = Array.from({ length: 4 }, () => ALPHABET[Math.floor(random() * ALPHABET.length)])
  const length = text.length
  if (length === 0 || kind < 0.65) {
    text.insert(Math.floor(where * (length + 1)), chars.slice(0, 1 + Math.floor(size * 4)).join(''))
  } else {
    const index = Math.floor(where * length)
    text.delete(index, Math.min(1 + Math.floor(size * 3), length - index))
  }
}

describe('relay sync', () => {
  it('converges under seeded random concurrent edits with clients going offline and back', async () => {
    const seed = testSeed('relay-sync convergence')
    const random = createRandom(seed)
    const { wsUrl } = await start()
    const room = 'convergence'
    const peers = Array.from({ length: 4 }, () => client(wsUrl, room))
    await Promise.all(peers.map((peer) => waitSynced(peer)))

    let disconnects = 0
    let reconnects = 0
    for (let round = 0; round < 60; round++) {
      for (const peer of peers) {
        const edits = Math.floor(random() * 4)
        for (let i = 0; i < edits; i++) randomEdit(peer.text, random)
        if (peer.provider.shouldConnect && random() < 0.12) {
          peer.provider.disconnect()
          disconnects++
        } else if (!peer.provider.shouldConnect && random() < 0.35) {
          peer.provider.connect()
          reconnects++
        }
      }
      // A random pause lets frames from earlier rounds arrive between edits, so
      // edits interleave with in-flight traffic; it waits for nothing.
      await new Promise((resolve) => setTimeout(resolve, Math.floor(random() * 12)))
    }
    for (const peer of peers) if (!peer.provider.shouldConnect) peer.provider.connect()
    console.log(`[relay-sync convergence] ${disconnects} disconnects, ${reconnects} mid-run reconnects`)
    expect(disconnects).toBeGreaterThan(0)

    await waitFor(() => peers.every((peer) => peer.provider.synced) && converged(peers), `4 clients converge (seed ${seed})`, 8000)
    expect(peers[0].text.length).toBeGreaterThan(0)

    const late = client(wsUrl, room)
    await waitSynced(late)
    await waitFor(() => converged([...peers, late]), `late joiner matches (seed ${seed})`)
    expect(late.text.toString()).toBe(peers[0].text.toString())
  }, 15_000)

  it('gives a late joiner the full state after 200 small edits', async () => {
    const { wsUrl } = await start()
    const room = 'late-joiner'
    const writer = client(wsUrl, room)
    const watcher = client(wsUrl, room)
    await Promise.all([waitSynced(writer), waitSynced(watcher)])
    for (let i = 0; i < 200; i++) {
      writer.text.insert(writer.text.length, String.fromCharCode(97 + (i % 26)))
      // Some deletions too, so the state carries a delete set.
      if (i % 10 === 9) writer.text.delete(0, 1)
    }
    const expected = writer.text.toString()
    expect(expected.length).toBe(180)
    await waitFor(() => watcher.text.toString() === expected, 'watcher sees all 200 edits')

    const late = client(wsUrl, room)
    await waitSynced(late)
    // The first sync step 2 alone must carry everything.
    expect(late.text.toString()).toBe(expected)
    expect(Y.encodeStateVector(late.doc)).toEqual(Y.encodeStateVector(writer.doc))
  })

  it('never echoes a document update back to its sender', async () => {
    const { wsUrl } = await start()
    const room = 'no-echo'
    const sender = await raw(wsUrl, room)
    const receiver = await raw(wsUrl, room)

    const doc = new Y.Doc()
    let update: Uint8Array | null = null
    doc.on('update', (u: Uint8Array) => {
      update = u
    })
    doc.getText('text').insert(0, 'hello from a raw socket')
    expect(update).not.toBeNull()
    const payload = update as unknown as Uint8Array
    const frame = encodeUpdate(payload)
    sender.send(frame)

    // The relay forwards the received bytes unchanged (PROTOCOL.md).
    await waitFor(() => receiver.received.some((f) => sameBytes(f, frame)), 'second socket receives the update')

    // Frames on one socket arrive in order: once the answer to this step 1 is
    // in, any echo sent before it would be too.
    const before = sender.received.length
    sender.send(encodeSyncStep1(Y.encodeStateVector(doc)))
    await waitFor(
      () => decodeAll(sender).slice(before).some((m) => m.kind === 'sync-step2'),
      'sender receives the answer to its sync step 1',
    )

    for (const message of decodeAll(sender)) {
      expect(message.kind).not.toBe('update')
      if (message.kind === 'sync-step2') {
        // Only the answer to our step 1, which must not contain what we sent.
        expect(Y.decodeUpdate(message.update).structs).toHaveLength(0)
      }
    }
    doc.destroy()
  })

  it('relays frames of every WebSocket length form byte for byte to each other socket, in order', async () => {
    const { wsUrl } = await start()
    const room = 'frame-lengths'
    const sender = await raw(wsUrl, room)
    const receivers = await Promise.all([raw(wsUrl, room), raw(wsUrl, room), raw(wsUrl, room)])
    // Frame lengths at the edges of RFC 6455's 7-, 16- and 64-bit length forms,
    // and past the size the relay frames once for all recipients (16 KiB).
    const targets = [125, 126, 16 * 1024, 16 * 1024 + 1, 65_535, 65_536, 100_000]
    const frames = targets.map((target, i) => updateFrameOfLength(target, 1_000 + i))
    expect(frames.map((frame) => frame.byteLength)).toEqual(targets)
    // The relay writes these frames itself (server/http/ws-socket.ts); `ws.send` on a server-side socket would mean the fallback ran.
    const wsSend = vi.spyOn(WebSocket.prototype, 'send')
    scope.onCleanup(() => wsSend.mockRestore())
    // Sent one after another without waiting: each goes out as a fan-out of its own.
    for (const frame of frames) sender.send(frame)
    for (const [i, receiver] of receivers.entries()) {
      await waitFor(() => receiver.received.filter((f) => decodeClientFrame(f).kind === 'update').length >= frames.length, `receiver ${i} has every update`)
      const updates = receiver.received.filter((f) => decodeClientFrame(f).kind === 'update')
      expect(updates.length).toBe(frames.length)
      updates.forEach((f, j) => expect(sameBytes(f, frames[j]), `receiver ${i}, frame ${j} (${targets[j]} bytes)`).toBe(true))
    }
    const serverSends = wsSend.mock.contexts.filter((socket) => (socket as unknown as { _isServer: boolean })._isServer)
    expect(serverSends).toHaveLength(0)
    // The clients' own sends went through the spy: it was listening.
    expect(wsSend.mock.calls.length).toBeGreaterThanOrEqual(frames.length)
  })

  it('sends sync step 1 with the room state vector as the first frame on connect', async () => {
    const { wsUrl } = await start()
    const room = 'handshake'
    const empty = await raw(wsUrl, room)
    await waitFor(() => empty.received.length >= 1, 'first frame in an empty room')
    const first = decodeClientFrame(empty.received[0])
    expect(first.kind).toBe('sync-step1')
    if (first.kind === 'sync-step1') expect(Y.decodeStateVector(first.stateVector).size).toBe(0)

    const writer = client(wsUrl, room)
    await waitSynced(writer)
    writer.text.insert(0, 'some content')
    // Once the relay has the update, a new connection's first frame is its state vector, with the writer's clock.
    const expected = JSON.stringify([...Y.decodeStateVector(Y.encodeStateVector(writer.doc))])
    await waitFor(async () => {
      const later = await raw(wsUrl, room)
      await waitFor(() => later.received.length >= 1, 'first frame in a room with content')
      const second = decodeClientFrame(later.received[0])
      later.ws.close()
      expect(second.kind).toBe('sync-step1')
      return second.kind === 'sync-step1' && JSON.stringify([...Y.decodeStateVector(second.stateVector)]) === expected
    }, 'a new connection to get the state vector with the writer’s update')
  })

  it('keeps rooms isolated', async () => {
    const { wsUrl } = await start()
    const a1 = client(wsUrl, 'room-a')
    const a2 = client(wsUrl, 'room-a')
    const b1 = client(wsUrl, 'room-b')
    const b2 = client(wsUrl, 'room-b')
    await Promise.all([a1, a2, b1, b2].map((c) => waitSynced(c)))

    b1.text.insert(0, 'b')
    await waitFor(() => b2.text.toString() === 'b', 'room B works on its own')
    a1.text.insert(0, 'only in A')
    a2.text.insert(0, '>')
    await waitFor(() => converged([a1, a2]), 'room A converges')
    expect(a1.text.toString()).not.toContain('b')

    // A full round trip for B: a fresh handshake would pull anything the
    // relay had (wrongly) put into room B.
    b1.provider.disconnect()
    b1.provider.connect()
    await waitSynced(b1)
    await scope.relay.relay.flushRoom('room-b')
    expect(b1.text.toString()).toBe('b')
    expect(b2.text.toString()).toBe('b')
    expect(await textInStorage('room-b')).toBe('b')
  })

  it('commits updates to storage before relaying them, and flushRoom waits for pending writes', async () => {
    // Slow appends widen the window in which a relay that forwarded before
    // committing would show clients an update storage does not have yet.
    const memory = createMemoryStorage()
    const storage: DocumentStorage = {
      ...memory,
      append: async (name, updates) => {
        await new Promise((resolve) => setTimeout(resolve, APPEND_DELAY_MS))
        return memory.append(name, updates)
      },
    }
    const relay = await start({ storage })
    const { wsUrl } = relay
    const room = 'durable'
    const a = client(wsUrl, room)
    const b = client(wsUrl, room)
    await Promise.all([waitSynced(a), waitSynced(b)])
    for (let i = 0; i < 30; i++) {
      a.text.insert(a.text.length, `a${i} `)
      b.text.insert(0, `b${i} `)
      if (i % 5 === 4) a.text.delete(0, 2)
    }
    await waitFor(() => converged([a, b]), 'both clients converge')
    // Each client has seen the other's edits, and the relay relays only what
    // storage committed: the log is complete without a flush.
    expect(await textInStorage(room)).toBe(a.text.toString())

    // An update the relay has read (the answer to the step 1 sent after it
    // proves that) but, with slow appends, most likely not yet committed.
    const socket = await raw(wsUrl, room)
    const doc = new Y.Doc()
    Y.applyUpdate(doc, Y.encodeStateAsUpdate(a.doc))
    const vectorBefore = Y.encodeStateVector(doc)
    doc.getText('text').insert(0, 'last word ')
    socket.send(encodeUpdate(Y.encodeStateAsUpdate(doc, vectorBefore)))
    const before = socket.received.length
    socket.send(encodeSyncStep1(Y.encodeStateVector(doc)))
    await waitFor(() => decodeAll(socket).slice(before).some((m) => m.kind === 'sync-step2'), 'answer to step 1')

    await expect(relay.relay.flushRoom(room)).resolves.toBeUndefined()
    expect(await textInStorage(room)).toBe(doc.getText('text').toString())
    await waitFor(() => a.text.toString() === doc.getText('text').toString(), 'clients receive the last word')
    doc.destroy()
  })
})
