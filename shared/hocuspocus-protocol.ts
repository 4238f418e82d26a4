/**
 * The Hocuspocus dialect of the Yjs wire protocol, as `@hocuspocus/provider`
 * (v3 and v4) speaks it; `shared/PROTOCOL.md` ("Hocuspocus dialect") has the
 * grammar. Every frame is ours with a routing key in front:
 *
 *   frame     = varString(key) varUint(messageType) body
 *   key       = documentName | documentName "\0" sessionId   (v4 `sessionAwareness`)
 *
 * For Sync (0), Awareness (1) and QueryAwareness (3) the bytes after the key
 * are exactly a y-websocket frame, so the relay core handles them unchanged;
 * only the envelope, the auth exchange and the dialect's own types are here.
 */
import * as decoding from 'lib0/decoding'
import * as encoding from 'lib0/encoding'

/** Message types of the dialect (the numbers the provider uses). */
export const HocuspocusMessage = {
  SYNC: 0,
  AWARENESS: 1,
  AUTH: 2,
  QUERY_AWARENESS: 3,
  /** A string payload the server relays to the document's other Hocuspocus clients. */
  STATELESS: 5,
  /** Client: "I detach from this document". Server: "this document is closed for you" (reason string). */
  CLOSE: 7,
  /** Server → client: varInt 1 when an update the client sent is applied (and, here, stored), 0 when refused. */
  SYNC_STATUS: 8,
  /** v4 only, without a key: one byte each way. */
  PING: 9,
  PONG: 10,
} as const

/** Sub-types of the Auth message. */
export const HocuspocusAuth = {
  /** Client → server: varString token. (Server → client it asks for the token again.) */
  TOKEN: 0,
  /** Server → client: varString reason; the provider emits `authenticationFailed`. */
  PERMISSION_DENIED: 1,
  /** Server → client: varString scope, `read-write` or `readonly`. */
  AUTHENTICATED: 2,
} as const

/** The separator v4 puts between document name and session ID in a routing key. */
const SESSION_SEPARATOR = '\0'

/** Longest routing key accepted, in bytes; a document name is far shorter (see room-name.ts). */
export const MAX_ROUTING_KEY_BYTES = 2048

/** A frame's envelope: its routing key, its type, and where the body starts. */
export interface HocuspocusEnvelope {
  key: string
  /** The document the key names (the key without a v4 session suffix). */
  documentName: string
  messageType: number
  /** The frame from the message type on: for types 0, 1 and 3, a y-websocket frame. */
  inner: Uint8Array
  /** The body after the message type. */
  body: Uint8Array
}

/** Throws (lib0's errors or a RangeError) on a frame without a readable envelope. */
export function readEnvelope(frame: Uint8Array): HocuspocusEnvelope {
  const decoder = decoding.createDecoder(frame)
  const keyLength = decoding.readVarUint(decoder)
  if (keyLength > MAX_ROUTING_KEY_BYTES || keyLength > frame.length - decoder.pos) throw new RangeError('routing key too long')
  decoder.pos = 0
  const key = decoding.readVarString(decoder)
  const innerStart = decoder.pos
  const messageType = decoding.readVarUint(decoder)
  const separator = key.indexOf(SESSION_SEPARATOR)
  return {
    key,
    documentName: separator < 0 ? key : key.slice(0, separator),
    messageType,
    inner: frame.subarray(innerStart),
    body: frame.subarray(decoder.pos),
  }
}

/** Read a client's Auth body: the token it sends (throws if it is another sub-type or truncated). */
export function readAuthToken(body: Uint8Array): string {
  const decoder = decoding.createDecoder(body)
  const sub = decoding.readVarUint(decoder)
  if (sub !== HocuspocusAuth.TOKEN) throw new RangeError(`unexpected auth message ${sub} from a client`)
  return decoding.readVarString(decoder)
}

/** Read a Stateless body: its string payload. */
export function readStateless(body: Uint8Array): string {
  return decoding.readVarString(decoding.createDecoder(body))
}

/** Prefix a y-websocket frame with a routing key: the Hocuspocus frame for types 0, 1 and 3. */
export function wrapFrame(key: string, inner: Uint8Array): Uint8Array {
  const encoder = encoding.createEncoder()
  encoding.writeVarString(encoder, key)
  encoding.writeUint8Array(encoder, inner)
  return encoding.toUint8Array(encoder)
}

function message(key: string, type: number, write: (encoder: encoding.Encoder) => void): Uint8Array {
  const encoder = encoding.createEncoder()
  encoding.writeVarString(encoder, key)
  encoding.writeVarUint(encoder, type)
  write(encoder)
  return encoding.toUint8Array(encoder)
}

/** Auth answer: the token was accepted, with what it allows. */
export function encodeAuthenticated(key: string, scope: 'read-write' | 'readonly'): Uint8Array {
  return message(key, HocuspocusMessage.AUTH, (encoder) => {
    encoding.writeVarUint(encoder, HocuspocusAuth.AUTHENTICATED)
    encoding.writeVarString(encoder, scope)
  })
}

/** Auth answer: refused, with a reason the provider passes to `onAuthenticationFailed`. */
export function encodeAuthDenied(key: string, reason: string): Uint8Array {
  return message(key, HocuspocusMessage.AUTH, (encoder) => {
    encoding.writeVarUint(encoder, HocuspocusAuth.PERMISSION_DENIED)
    encoding.writeVarString(encoder, reason)
  })
}

/** Whether an update the client sent was applied (true) or refused (false). */
export function encodeSyncStatus(key: string, applied: boolean): Uint8Array {
  return message(key, HocuspocusMessage.SYNC_STATUS, (encoder) => encoding.writeVarInt(encoder, applied ? 1 : 0))
}

/** A stateless payload, as relayed to a document's clients. */
export function encodeStateless(key: string, payload: string): Uint8Array {
  return message(key, HocuspocusMessage.STATELESS, (encoder) => encoding.writeVarString(encoder, payload))
}

/** The document is closed for this client (the socket stays open for its others). */
export function encodeDocumentClosed(key: string, reason: string): Uint8Array {
  return message(key, HocuspocusMessage.CLOSE, (encoder) => encoding.writeVarString(encoder, reason))
}

/** The one-byte Pong answering a v4 client's Ping. */
export function encodePong(): Uint8Array {
  return Uint8Array.of(HocuspocusMessage.PONG)
}
