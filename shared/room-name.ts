/**
 * Room (document) names and how they travel in URLs.
 *
 * A stock y-websocket client connects to `serverUrl + '/' + name`, so the name
 * is the URL path after the first `/`, percent-decoded. The query string is
 * not part of it. A name is `/`-separated segments: spaces and any Unicode are
 * allowed; control characters are not (they break logs and file names), and
 * the UTF-8 length is capped so a name can be a database key.
 *
 * One document has one name: names are compared in Unicode NFC (`café` typed
 * precomposed or as `e` + combining accent is the same document), and the
 * spellings a URL parser would rewrite (an empty segment, a `.` or `..`
 * segment) are refused rather than resolved, because clients and proxies
 * disagree on how to resolve them.
 */

/** Longest accepted name, in UTF-8 bytes (of its NFC form). */
export const MAX_ROOM_NAME_BYTES = 512

/** Why a name was refused: one of a closed set, for messages and tests. */
export type RoomNameProblem =
  | 'empty'
  | 'too-long'
  | 'control-character'
  | 'bad-encoding'
  | 'empty-segment' // a leading or trailing `/`, or `//`
  | 'dot-segment' // a `.` or `..` segment (also when it arrived percent-encoded)

/** A valid name comes back in its canonical (NFC) form: use that one. */
export type RoomNameResult = { ok: true; name: string } | { ok: false; problem: RoomNameProblem }

const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f-\u009f]/
/** A UTF-16 surrogate without its partner: not a character, and not encodable as UTF-8. */
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/
const utf8 = new TextEncoder()

/**
 * Check a decoded room name against the rules above. On success `name` is
 * the NFC form, which is the document's one name.
 */
export function validateRoomName(name: string): RoomNameResult {
  if (name.length === 0) return { ok: false, problem: 'empty' }
  if (LONE_SURROGATE.test(name)) return { ok: false, problem: 'bad-encoding' }
  const canonical = name.normalize('NFC')
  if (CONTROL_CHARACTERS.test(canonical)) return { ok: false, problem: 'control-character' }
  // The cheap length test first: a UTF-8 byte is at most 3 per UTF-16 unit.
  if (canonical.length * 3 > MAX_ROOM_NAME_BYTES && utf8.encode(canonical).length > MAX_ROOM_NAME_BYTES) {
    return { ok: false, problem: 'too-long' }
  }
  for (const segment of canonical.split('/')) {
    if (segment === '') return { ok: false, problem: 'empty-segment' }
    if (segment === '.' || segment === '..') return { ok: false, problem: 'dot-segment' }
  }
  return { ok: true, name: canonical }
}

/**
 * The room name carried by a raw (still percent-encoded) URL path, relative to
 * where the relay is mounted: `roomNameFromPath('/team/q4%20plan')` is
 * `team/q4 plan`. A `%` that does not start a valid escape makes the name
 * invalid rather than guessed at. Give it the path as received: one that a
 * URL parser has already normalized has lost its `.` and `..` segments.
 */
export function roomNameFromPath(rawPath: string): RoomNameResult {
  const encoded = rawPath.startsWith('/') ? rawPath.slice(1) : rawPath
  let name: string
  try {
    name = decodeURIComponent(encoded)
  } catch {
    return { ok: false, problem: 'bad-encoding' }
  }
  return validateRoomName(name)
}

/**
 * The path a client should use for a name: the NFC form, each `/`-separated
 * segment percent-encoded, so `?`, `#` and `%` inside a name survive the trip.
 */
export function roomNameToPath(name: string): string {
  return name.normalize('NFC').split('/').map(encodeURIComponent).join('/')
}
