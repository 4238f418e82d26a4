/**
 * Awareness updates at the byte level, without y-protocols' `Awareness`
 * class (which keeps a local state and a 3 s timer the relay has no use for).
 *
 *   update = varUint(count) { varUint(clientID) varUint(clock) varString(stateJSON) }*
 *
 * A state of `null` (the JSON text "null") removes the client's entry.
 */
import * as decoding from 'lib0/decoding'
import * as encoding from 'lib0/encoding'
import { ProtocolError } from './protocol.ts'

export interface AwarenessEntry {
  clientId: number
  clock: number
  /** The state as JSON text, exactly as received; `"null"` means removed. */
  stateJson: string
}

/** Decode an awareness update, checking that every state is valid JSON. */
export function decodeAwarenessUpdate(update: Uint8Array): AwarenessEntry[] {
  try {
    const decoder = decoding.createDecoder(update)
    const count = decoding.readVarUint(decoder)
    // Each entry takes at least 3 bytes, so a larger count is a lie we need not allocate for.
    if (count > update.length) throw new ProtocolError(`awareness entry count ${count} too large`)
    const entries: AwarenessEntry[] = []
    for (let i = 0; i < count; i++) {
      const clientId = decoding.readVarUint(decoder)
      const clock = decoding.readVarUint(decoder)
      const stateJson = decoding.readVarString(decoder)
      JSON.parse(stateJson)
      entries.push({ clientId, clock, stateJson })
    }
    if (decoding.hasContent(decoder)) throw new ProtocolError('trailing bytes after awareness update')
    return entries
  } catch (error) {
    if (error instanceof ProtocolError) throw error
    throw new ProtocolError(`malformed awareness update: ${(error as Error).message}`)
  }
}

/** Encode entries as an awareness update. */
export function encodeAwarenessUpdate(entries: readonly AwarenessEntry[]): Uint8Array {
  const encoder = encoding.createEncoder()
  encoding.writeVarUint(encoder, entries.length)
  for (const entry of entries) {
    encoding.writeVarUint(encoder, entry.clientId)
    encoding.writeVarUint(encoder, entry.clock)
    encoding.writeVarString(encoder, entry.stateJson)
  }
  return encoding.toUint8Array(encoder)
}

/** Whether an entry removes its client's state. */
export function isRemoval(entry: AwarenessEntry): boolean {
  return entry.stateJson === 'null'
}
