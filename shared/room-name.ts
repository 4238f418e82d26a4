/**
 * Room (document) names and how they travel in URLs.
 *
 * A stock y-websocket client connects to `serverUrl + '/' + name`, so the name
 * is the URL path after the first `/`, percent-decoded. The query string is
 * not part of it. Names are opaque otherwise: `/`, spaces and any Unicode are
 * allowed; control characters are not (they break logs and file names), and
 * the UTF-8 length is capped so a name can be a database key.
 */

/** Longest accepted name, in UTF-8 bytes. */
export const MAX_ROOM_NAME_BYTES = 512

/** Why a name was refused: one of a closed set, for messages and tests. */
export type RoomNameProblem = 'empty' | 'too-long' | 'control-character' | 'bad-encoding'

export type RoomNameResult = { ok: true; name: string } | { ok: false; problem: RoomNameProblem }

const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f-\u009f]/
const utf8 = new TextEncoder()

/** Check a decoded room name against the rules above. */
export function validateRoomName(name: string): RoomNameResult {
  if (name.length === 0) return { ok: false, problem: 'empty' }
  if (CONTROL_CHARACTERS.test(name)) return { ok: false, problem: 'control-character' }
  // The cheap length test first: a UTF-8 byte is at most 3 per UTF-16 unit.
  if (name.length * 3 > MAX_ROOM_NAME_BYTES && utf8.encode(name).length > MAX_ROOM_NAME_BYTES) {
    return { ok: false, problem: 'too-long' }
  }
  return { ok: true, name }
}

/**
 * The room name carried by a raw (still percent-encoded) URL path, relative to
 * where the relay is mounted: `roomNameFromPath('/team/q4%20plan')` is
 * `team/q4 plan`. A `%` that does not start a valid escape makes the name
 * invalid rather than guessed at.
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
 * The path a client should use for a name: each `/`-separated segment
 * percent-encoded, so `?`, `#` and `%` inside a name survive the trip.
 */
export function roomNameToPath(name: string): string {
  return name.split('/').map(encodeURIComponent).join('/')
}
