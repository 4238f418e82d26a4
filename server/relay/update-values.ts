import * as decoding from 'lib0/decoding'

/**
 * Readers for the values inside a Yjs update (strings, JSON, lib0 `Any`)
 * that check them without building them, and the error every check throws.
 * Used by `update-parse.ts`; `jsonNestedDeeper` by `presence.ts` too.
 */

/** Why an update was refused: `malformed` (no encoder writes it) or over a `limit`. */
export class UpdateRefused extends Error {
  override name = 'UpdateRefused'
  constructor(
    readonly kind: 'malformed' | 'limit',
    message: string,
  ) {
    super(message)
  }
}

export const malformed = (message: string): never => {
  throw new UpdateRefused('malformed', message)
}
export const overLimit = (message: string): never => {
  throw new UpdateRefused('limit', message)
}

/**
 * Skip a string, checking it is UTF-8 as Yjs's (fatal) decoder will; returns
 * its length in UTF-16 units, the unit Yjs counts text in. Decoding each
 * string only to measure it was most of the cost of reading typed text.
 */
export function skipString(decoder: decoding.Decoder): number {
  const length = decoding.readVarUint(decoder)
  const bytes = decoder.arr
  const end = decoder.pos + length
  if (end > bytes.length) malformed('a string past the end of the update')
  let units = 0
  // Read in place: a subarray per string would cost an allocation each.
  for (let i = decoder.pos; i < end; ) {
    const lead = bytes[i]
    if (lead < 0x80) {
      units++
      i++
      continue
    }
    let need: number
    let min: number
    if (lead >= 0xc2 && lead <= 0xdf) (need = 1), (min = 0x80)
    else if (lead >= 0xe0 && lead <= 0xef) (need = 2), (min = 0x800)
    else if (lead >= 0xf0 && lead <= 0xf4) (need = 3), (min = 0x10000)
    else return malformed('a string that is not UTF-8')
    let code = lead & (0x3f >> need)
    if (i + need >= end) return malformed('a string that is not UTF-8')
    for (let k = 1; k <= need; k++) {
      const next = bytes[i + k]
      if ((next & 0xc0) !== 0x80) return malformed('a string that is not UTF-8')
      code = (code << 6) | (next & 0x3f)
    }
    if (code < min || code > 0x10ffff || (code >= 0xd800 && code <= 0xdfff)) return malformed('a string that is not UTF-8')
    units += code >= 0x10000 ? 2 : 1
    i += need + 1
  }
  decoder.pos = end
  return units
}

/**
 * Skip one lib0 `Any` value without building it, refusing nesting deeper than
 * `depthLeft` allows (lib0 reads and writes these recursively: a deep enough
 * value overflows the stack, and so would every later encode of the document
 * holding it). The recursion here is bounded by that same limit.
 */
export function skipAny(decoder: decoding.Decoder, depthLeft: number): void {
  const type = decoding.readUint8(decoder)
  switch (type) {
    case 127: // undefined
    case 126: // null
    case 121: // false
    case 120: // true
      return
    case 125:
      decoding.readVarInt(decoder)
      return
    case 124: // float32
      decoding.readUint32(decoder)
      return
    case 123: // float64
    case 122: // bigint64
      decoding.readUint32(decoder)
      decoding.readUint32(decoder)
      return
    case 119:
      skipString(decoder)
      return
    case 116:
      decoding.readVarUint8Array(decoder)
      return
    case 118: // object: (key, value) pairs
    case 117: {
      // array
      if (depthLeft <= 0) overLimit('a value nested too deeply')
      const count = decoding.readVarUint(decoder)
      for (let i = 0; i < count; i++) {
        if (type === 118) skipString(decoder)
        skipAny(decoder, depthLeft - 1)
      }
      return
    }
    default:
      malformed(`unknown value type ${type}`)
  }
}

/** Refuse text that is not JSON (Yjs parses it while decoding), or is nested deeper than `maxDepth` (Yjs re-serializes it recursively). */
export function checkJson(json: string, maxDepth: number): void {
  checkJsonDepth(json, maxDepth)
  try {
    JSON.parse(json)
  } catch {
    malformed('content that is not JSON')
  }
}

function checkJsonDepth(json: string, maxDepth: number): void {
  if (jsonNestedDeeper(json, maxDepth)) overLimit(`a value nested deeper than ${maxDepth}`)
}

/** Whether JSON text nests arrays and objects deeper than `maxDepth` (a scan, without parsing). */
export function jsonNestedDeeper(json: string, maxDepth: number): boolean {
  let depth = 0
  let inString = false
  for (let i = 0; i < json.length; i++) {
    const c = json.charCodeAt(i)
    if (inString) {
      if (c === 92) i++ // backslash: skip the escaped character
      else if (c === 34) inString = false
    } else if (c === 34) inString = true
    else if (c === 91 || c === 123) {
      if (++depth > maxDepth) return true
    } else if (c === 93 || c === 125) depth--
  }
  return false
}

