/**
 * The values the documents API reads from query strings, checked strictly:
 * list cursors and prefixes, and Yjs state vectors in base64url.
 */
import * as decoding from 'lib0/decoding'
import { MAX_ROOM_NAME_BYTES, validateRoomName } from '../../../shared/room-name.ts'
import { ApiError } from './api-errors.ts'

const BASE64URL = /^[A-Za-z0-9_-]*$/
const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f-\u009f]/
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/
const strictUtf8 = new TextDecoder('utf-8', { fatal: true })

/**
 * Bytes from unpadded base64url (RFC 4648 §5), or null for anything else:
 * Node's own decoder skips characters it does not know, which would turn a
 * typo into different bytes instead of an error.
 */
export function fromBase64Url(text: string): Uint8Array | null {
  if (!BASE64URL.test(text) || text.length % 4 === 1) return null
  return new Uint8Array(Buffer.from(text, 'base64url'))
}

export function toBase64Url(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64url')
}

/** A list cursor: the last name of a page, base64url-encoded (opaque to clients). */
export function encodeCursor(name: string): string {
  return toBase64Url(new TextEncoder().encode(name))
}

/** The name a cursor carries; 400 when it is not one this API wrote. */
export function decodeCursor(cursor: string): string {
  const bytes = fromBase64Url(cursor)
  let name: string | null = null
  if (bytes !== null) {
    try {
      name = strictUtf8.decode(bytes)
    } catch {
      name = null
    }
  }
  const checked = name === null ? null : validateRoomName(name)
  if (!checked?.ok) throw new ApiError(400, 'cursor is not one this API gave out', 'bad-cursor')
  return checked.name
}

/**
 * A list prefix in the form names are kept in (NFC). Any start of a name is
 * allowed (`team/`, `team/sp`); it is not a name itself, so only the rules
 * every character of a name obeys apply.
 */
export function checkPrefix(prefix: string): string {
  const normalized = prefix.normalize('NFC')
  if (LONE_SURROGATE.test(prefix) || CONTROL_CHARACTERS.test(normalized) || new TextEncoder().encode(normalized).length > MAX_ROOM_NAME_BYTES) {
    throw new ApiError(400, 'prefix cannot start a document name', 'bad-prefix')
  }
  return normalized
}

/**
 * A Yjs state vector (v1) from base64url: a count and that many (client,
 * clock) pairs of varUints, nothing after. 400 otherwise, before Yjs sees it.
 */
export function decodeStateVectorParam(text: string): Uint8Array {
  const bytes = fromBase64Url(text)
  if (bytes === null) throw new ApiError(400, 'stateVector is not base64url', 'bad-state-vector')
  try {
    const decoder = decoding.createDecoder(bytes)
    const count = decoding.readVarUint(decoder)
    // Each entry takes at least two bytes: a larger count is not a state vector.
    if (count * 2 > bytes.length - decoder.pos) throw new RangeError('count past the end')
    for (let i = 0; i < count; i++) {
      decoding.readVarUint(decoder)
      decoding.readVarUint(decoder)
    }
    if (decoding.hasContent(decoder)) throw new RangeError('trailing bytes')
  } catch {
    throw new ApiError(400, 'stateVector is not a Yjs state vector', 'bad-state-vector')
  }
  return bytes
}
