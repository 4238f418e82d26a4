import { describe, expect, it } from 'vitest'
import * as Y from 'yjs'
import {
  AUTH_PERMISSION_DENIED,
  MessageType,
  ProtocolError,
  SyncStep,
  decodeClientFrame,
  encodeAwareness,
  encodePermissionDenied,
  encodeQueryAwareness,
  encodeSyncStep1,
  encodeSyncStep2,
  encodeUpdate,
} from './protocol.ts'
import { bytesOf as frame } from '../tests/support/bytes.ts'


function sampleUpdate(): Uint8Array {
  const doc = new Y.Doc()
  doc.getText('text').insert(0, 'hello, protocol')
  return Y.encodeStateAsUpdate(doc)
}

const expectProtocolError = (bytes: Uint8Array, message?: RegExp): void => {
  expect(() => decodeClientFrame(bytes)).toThrow(ProtocolError)
  if (message) expect(() => decodeClientFrame(bytes)).toThrow(message)
}

describe('protocol round trips', () => {
  const update = sampleUpdate()

  it('sync step 1 carries the state vector', () => {
    const doc = new Y.Doc()
    Y.applyUpdate(doc, update)
    const stateVector = Y.encodeStateVector(doc)
    expect(decodeClientFrame(encodeSyncStep1(stateVector))).toEqual({ kind: 'sync-step1', stateVector })
  })

  it('sync step 2 carries the update', () => {
    expect(decodeClientFrame(encodeSyncStep2(update))).toEqual({ kind: 'sync-step2', update })
  })

  it('update carries the update', () => {
    expect(decodeClientFrame(encodeUpdate(update))).toEqual({ kind: 'update', update })
  })

  it('awareness carries the awareness bytes untouched', () => {
    const bytes = Uint8Array.of(1, 42, 3, 2, 0x7b, 0x7d) // one entry, state "{}"
    expect(decodeClientFrame(encodeAwareness(bytes))).toEqual({ kind: 'awareness', update: bytes })
  })

  it('query-awareness is a single type byte', () => {
    expect(encodeQueryAwareness()).toEqual(Uint8Array.of(MessageType.QUERY_AWARENESS))
    expect(decodeClientFrame(encodeQueryAwareness())).toEqual({ kind: 'query-awareness' })
  })

  it('permission denied keeps its reason, Unicode included', () => {
    const reason = 'no access to “q4 plan” 文書'
    expect(decodeClientFrame(encodePermissionDenied(reason))).toEqual({ kind: 'auth', reason })
  })

  it('an empty payload round-trips for every sync step', () => {
    const empty = new Uint8Array(0)
    expect(decodeClientFrame(encodeSyncStep1(empty))).toEqual({ kind: 'sync-step1', stateVector: empty })
    expect(decodeClientFrame(encodeSyncStep2(empty))).toEqual({ kind: 'sync-step2', update: empty })
    expect(decodeClientFrame(encodeUpdate(empty))).toEqual({ kind: 'update', update: empty })
  })

  it('encoders produce the documented grammar byte for byte', () => {
    expect(encodeSyncStep1(Uint8Array.of(9))).toEqual(Uint8Array.of(MessageType.SYNC, SyncStep.STEP1, 1, 9))
    expect(encodeSyncStep2(Uint8Array.of(9))).toEqual(Uint8Array.of(MessageType.SYNC, SyncStep.STEP2, 1, 9))
    expect(encodeUpdate(Uint8Array.of(9))).toEqual(Uint8Array.of(MessageType.SYNC, SyncStep.UPDATE, 1, 9))
    expect(encodeAwareness(Uint8Array.of(9))).toEqual(Uint8Array.of(MessageType.AWARENESS, 1, 9))
    expect(encodePermissionDenied('x')).toEqual(Uint8Array.of(MessageType.AUTH, AUTH_PERMISSION_DENIED, 1, 0x78))
  })

  it('a payload of 128+ bytes uses a two-byte length and still round-trips', () => {
    const big = new Uint8Array(300).fill(7)
    const bytes = encodeSyncStep2(big)
    expect(bytes.byteLength).toBe(2 + 2 + 300)
    expect(decodeClientFrame(bytes)).toEqual({ kind: 'sync-step2', update: big })
  })
})

describe('unknown message types', () => {
  it.each([4, 7, 100, 127, 128, 2 ** 31, 2 ** 40, Number.MAX_SAFE_INTEGER])('type %d decodes as unknown', (type) => {
    expect(decodeClientFrame(frame(type))).toEqual({ kind: 'unknown', messageType: type })
  })

  it('ignores whatever follows an unknown type, even bytes that would be malformed elsewhere', () => {
    expect(decodeClientFrame(frame(7, 0xff, 0xff, 0xff, Uint8Array.of(0xff, 0xff)))).toEqual({
      kind: 'unknown',
      messageType: 7,
    })
  })
})

describe('malformed frames throw ProtocolError', () => {
  const update = sampleUpdate()

  it('empty frame', () => {
    expectProtocolError(new Uint8Array(0), /empty frame/)
  })

  it('a type varUint that never ends, or exceeds 2^53', () => {
    expectProtocolError(Uint8Array.of(0x80))
    expectProtocolError(Uint8Array.of(0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f))
  })

  it('every proper prefix of a valid frame of each kind', () => {
    const frames = [
      encodeSyncStep1(Y.encodeStateVector(new Y.Doc())),
      encodeSyncStep2(update),
      encodeUpdate(update),
      encodeAwareness(Uint8Array.of(1, 42, 3, 2, 0x7b, 0x7d)),
      encodePermissionDenied('denied'),
    ]
    for (const whole of frames) {
      for (let length = 1; length < whole.byteLength; length++) {
        expectProtocolError(whole.slice(0, length))
      }
    }
  })

  it('trailing bytes after each kind of message', () => {
    const frames = [
      encodeSyncStep1(Uint8Array.of(0)),
      encodeSyncStep2(update),
      encodeUpdate(update),
      encodeAwareness(Uint8Array.of(0)),
      encodeQueryAwareness(),
      encodePermissionDenied('denied'),
    ]
    for (const whole of frames) {
      expectProtocolError(frame(whole, 0), /trailing bytes/)
    }
  })

  it.each([
    ['sync step 1', frame(MessageType.SYNC, SyncStep.STEP1, 5, Uint8Array.of(1, 2))],
    ['sync step 2', frame(MessageType.SYNC, SyncStep.STEP2, 2 ** 31, Uint8Array.of(1, 2, 3))],
    ['update', frame(MessageType.SYNC, SyncStep.UPDATE, Number.MAX_SAFE_INTEGER, Uint8Array.of(1, 2, 3))],
    ['awareness', frame(MessageType.AWARENESS, 2 ** 32 + 5, Uint8Array.of(1))],
  ])('a %s whose declared length overruns the frame', (_kind, bytes) => {
    expectProtocolError(bytes, /exceeds/)
  })

  it('an auth reason whose declared length overruns the frame', () => {
    expectProtocolError(frame(MessageType.AUTH, AUTH_PERMISSION_DENIED, 2 ** 31, Uint8Array.of(0x61, 0x62)))
  })

  it.each([3, 4, 100, 2 ** 31])('unknown sync step %d', (step) => {
    expectProtocolError(frame(MessageType.SYNC, step, 0), /unknown sync step/)
  })

  it.each([1, 2, 255])('unknown auth sub-type %d', (sub) => {
    expectProtocolError(frame(MessageType.AUTH, sub, 'reason'), /unknown auth message/)
  })

  it('a declared length that overruns a view into a larger buffer fails instead of reading the neighbour', () => {
    // `ws` hands the relay views into a shared receive buffer, and the relay
    // decodes them without copying (server/http/ws-socket.ts). That is safe
    // only because every length is checked against the view: ours here, and
    // lib0's (>= 0.2.120) inside varStrings and Yjs updates. The lie sits
    // right before the neighbour's bytes, which an unchecked read would take.
    const neighbour = encodeUpdate(update)
    const liar = frame(MessageType.SYNC, SyncStep.UPDATE, neighbour.byteLength + 4, Uint8Array.of(1, 2, 3, 4))
    const pool = new Uint8Array(liar.byteLength + neighbour.byteLength)
    pool.set(liar, 0)
    pool.set(neighbour, liar.byteLength)
    const view = pool.subarray(0, liar.byteLength)
    expect(view.buffer.byteLength).toBeGreaterThan(view.byteLength)
    expectProtocolError(view, /exceeds/)

    // The same lie inside a varString (auth reason), bounded by lib0's check.
    const authLiar = frame(MessageType.AUTH, AUTH_PERMISSION_DENIED, neighbour.byteLength + 1, Uint8Array.of(0x61))
    const authPool = new Uint8Array(authLiar.byteLength + neighbour.byteLength)
    authPool.set(authLiar, 0)
    authPool.set(neighbour, authLiar.byteLength)
    expectProtocolError(authPool.subarray(0, authLiar.byteLength))
  })
})
