import * as encoding from 'lib0/encoding'

/**
 * Hand-build protocol bytes: numbers as varUints, strings as varStrings,
 * byte arrays as they are. For tests that need frames no encoder would write.
 */
export function bytesOf(...parts: (number | string | Uint8Array)[]): Uint8Array {
  const encoder = encoding.createEncoder()
  for (const part of parts) {
    if (typeof part === 'number') encoding.writeVarUint(encoder, part)
    else if (typeof part === 'string') encoding.writeVarString(encoder, part)
    else encoding.writeUint8Array(encoder, part)
  }
  return encoding.toUint8Array(encoder)
}
