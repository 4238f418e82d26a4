/**
 * The y-websocket wire protocol, as spoken by the stock `WebsocketProvider`
 * (see `shared/PROTOCOL.md` for the grammar). Every frame is binary:
 *
 *   frame    = varUint(messageType) body
 *   sync     = 0 varUint(step) varUint8Array(payload)   step: 0 state vector, 1 diff, 2 update
 *   awareness= 1 varUint8Array(awareness update)
 *   auth     = 2 varUint(0) varString(reason)           server → client: permission denied
 *   query    = 3                                         "send me every awareness state"
 *
 * Encoders build whole frames; `decodeClientFrame` turns a frame into a
 * tagged value and throws `ProtocolError` on anything malformed, so callers
 * decode inside one guard and never see a half-read message.
 */
import * as decoding from 'lib0/decoding'
import * as encoding from 'lib0/encoding'

export const MessageType = {
  SYNC: 0,
  AWARENESS: 1,
  AUTH: 2,
  QUERY_AWARENESS: 3,
} as const

export const SyncStep = {
  STEP1: 0,
  STEP2: 1,
  UPDATE: 2,
} as const

/** The only auth sub-message the protocol defines. */
export const AUTH_PERMISSION_DENIED = 0

/** A frame decoded from a client. `unknown` is a well-formed type byte we do not handle. */
export type ClientMessage =
  | { kind: 'sync-step1'; stateVector: Uint8Array }
  | { kind: 'sync-step2'; update: Uint8Array }
  | { kind: 'update'; update: Uint8Array }
  | { kind: 'awareness'; update: Uint8Array }
  | { kind: 'query-awareness' }
  | { kind: 'auth'; reason: string }
  | { kind: 'unknown'; messageType: number }

/** A frame that does not follow the grammar. */
export class ProtocolError extends Error {
  override name = 'ProtocolError'
}

/**
 * Decode one frame. The frame may be a view into a larger buffer: lengths
 * are checked against the view (here, and by lib0 >= 0.2.120 inside Yjs),
 * never against the underlying ArrayBuffer.
 */
export function decodeClientFrame(frame: Uint8Array): ClientMessage {
  if (frame.byteLength === 0) throw new ProtocolError('empty frame')
  try {
    const decoder = decoding.createDecoder(frame)
    const message = readMessage(decoder)
    if (decoding.hasContent(decoder)) throw new ProtocolError('trailing bytes after message')
    return message
  } catch (error) {
    if (error instanceof ProtocolError) throw error
    // lib0 throws plain Errors / RangeErrors on truncated input and overruns.
    throw new ProtocolError(`truncated or overrunning message: ${(error as Error).message}`)
  }
}

function readMessage(decoder: decoding.Decoder): ClientMessage {
  const messageType = decoding.readVarUint(decoder)
  switch (messageType) {
    case MessageType.SYNC: {
      const step = decoding.readVarUint(decoder)
      const payload = readBoundedUint8Array(decoder)
      if (step === SyncStep.STEP1) return { kind: 'sync-step1', stateVector: payload }
      if (step === SyncStep.STEP2) return { kind: 'sync-step2', update: payload }
      if (step === SyncStep.UPDATE) return { kind: 'update', update: payload }
      throw new ProtocolError(`unknown sync step ${step}`)
    }
    case MessageType.AWARENESS:
      return { kind: 'awareness', update: readBoundedUint8Array(decoder) }
    case MessageType.QUERY_AWARENESS:
      return { kind: 'query-awareness' }
    case MessageType.AUTH: {
      const sub = decoding.readVarUint(decoder)
      if (sub !== AUTH_PERMISSION_DENIED) throw new ProtocolError(`unknown auth message ${sub}`)
      return { kind: 'auth', reason: decoding.readVarString(decoder) }
    }
    default:
      // Forward compatibility: a newer client may speak a message type we do
      // not know. The rest of the frame is ignored, the connection stays.
      decoder.pos = decoder.arr.length
      return { kind: 'unknown', messageType }
  }
}

/** Read a length-prefixed byte array, refusing lengths past the frame's end. */
function readBoundedUint8Array(decoder: decoding.Decoder): Uint8Array {
  const length = decoding.readVarUint(decoder)
  if (length > decoder.arr.length - decoder.pos) {
    throw new ProtocolError(`declared length ${length} exceeds the ${decoder.arr.length - decoder.pos} bytes left`)
  }
  return decoding.readUint8Array(decoder, length)
}

/** `sync step 1`: the sender's state vector, asking for what it lacks. */
export function encodeSyncStep1(stateVector: Uint8Array): Uint8Array {
  return encodeSync(SyncStep.STEP1, stateVector)
}

/** `sync step 2`: the update a peer lacks, answering its step 1. */
export function encodeSyncStep2(update: Uint8Array): Uint8Array {
  return encodeSync(SyncStep.STEP2, update)
}

/** An incremental document update. */
export function encodeUpdate(update: Uint8Array): Uint8Array {
  return encodeSync(SyncStep.UPDATE, update)
}

function encodeSync(step: number, payload: Uint8Array): Uint8Array {
  const encoder = encoding.createEncoder()
  encoding.writeVarUint(encoder, MessageType.SYNC)
  encoding.writeVarUint(encoder, step)
  encoding.writeVarUint8Array(encoder, payload)
  return encoding.toUint8Array(encoder)
}

/** An awareness update (the bytes of y-protocols' `encodeAwarenessUpdate`). */
export function encodeAwareness(update: Uint8Array): Uint8Array {
  const encoder = encoding.createEncoder()
  encoding.writeVarUint(encoder, MessageType.AWARENESS)
  encoding.writeVarUint8Array(encoder, update)
  return encoding.toUint8Array(encoder)
}

/** Ask the other side for all awareness states. */
export function encodeQueryAwareness(): Uint8Array {
  return Uint8Array.of(MessageType.QUERY_AWARENESS)
}

/** Tell a client it may not access this document; the stock client logs the reason. */
export function encodePermissionDenied(reason: string): Uint8Array {
  const encoder = encoding.createEncoder()
  encoding.writeVarUint(encoder, MessageType.AUTH)
  encoding.writeVarUint(encoder, AUTH_PERMISSION_DENIED)
  encoding.writeVarString(encoder, reason)
  return encoding.toUint8Array(encoder)
}
