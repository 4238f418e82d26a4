import * as encoding from 'lib0/encoding'
import * as Y from 'yjs'
import { parseUpdate, type ParseLimits } from './update-parse.ts'

/**
 * What a deleted document leaves behind, and how an offline copy of it is
 * recognised when it comes back.
 *
 * A browser keeps its own copy of a document (the editor's IndexedDB copy,
 * any y-websocket client's unsent state) and offers it to the relay on every
 * connect. After the document is deleted, such a copy would create it again,
 * content and all, from whichever browser opens the link next. So a delete
 * keeps the state vector of what it deleted, and a client whose sync step 1
 * says it holds some of that content, which the document under that name
 * now lacks, is closed with 4410 before it is sent anything: it is told the
 * document is gone, and the editor drops its copy (client/editor.ts). So is
 * one that sends such content in an update: a client may connect before its
 * offline copy is loaded (the editor does), and send the copy once it is.
 *
 * Only content the current document lacks counts: when the same updates were
 * written back on purpose (through the HTTP API, say), every editor of the
 * new document holds them, and must still get in.
 */

/** The state vector kept by a delete: everything `updates` hold, over what was kept before (`before`). */
export function deletedStateVector(updates: readonly Uint8Array[], before?: Uint8Array): Uint8Array {
  const clocks = before ? Y.decodeStateVector(before) : new Map<number, number>()
  for (const update of updates) {
    let to: Map<number, number>
    try {
      to = Y.parseUpdateMeta(update).to
    } catch {
      // A stored update Yjs cannot read was never part of anyone's document.
      continue
    }
    for (const [client, clock] of to) if (clock > (clocks.get(client) ?? 0)) clocks.set(client, clock)
  }
  return encodeStateVector(clocks)
}

/**
 * Whether a client with state vector `offered` holds content of a deleted
 * document (`deleted`, decoded) that `doc` does not have.
 */
export function offersDeletedContent(offered: Map<number, number>, deleted: Map<number, number>, doc: Y.Doc): boolean {
  for (const [client, clock] of offered) {
    const gone = deleted.get(client)
    if (gone !== undefined && Math.min(clock, gone) > Y.getState(doc.store, client)) return true
  }
  return false
}

/**
 * Whether `update` holds content of a deleted document (`deleted`, decoded)
 * that `doc` does not have. It is read by the guard's own parser, within the
 * same limits (Yjs's would decode whatever it is given); bytes the parser
 * refuses are not deleted content: the guard refuses them next.
 */
export function updateBringsBackDeleted(update: Uint8Array, deleted: Map<number, number>, doc: Y.Doc, limits: ParseLimits): boolean {
  let parsed
  try {
    parsed = parseUpdate(update, limits)
  } catch {
    return false
  }
  for (const { client, structs } of parsed.clients) {
    const gone = deleted.get(client)
    if (gone === undefined || structs.length === 0) continue
    const last = structs[structs.length - 1]
    // The update's clocks of this client, against the deleted ones the document lacks from its own state on.
    const from = Math.max(structs[0].clock, Y.getState(doc.store, client))
    if (from < Math.min(last.clock + last.length, gone)) return true
  }
  return false
}

/** Yjs's state vector encoding (v1: a count, then client and clock pairs), which it writes only from a document. */
function encodeStateVector(clocks: Map<number, number>): Uint8Array {
  const encoder = encoding.createEncoder()
  encoding.writeVarUint(encoder, clocks.size)
  for (const [client, clock] of clocks) {
    encoding.writeVarUint(encoder, client)
    encoding.writeVarUint(encoder, clock)
  }
  return encoding.toUint8Array(encoder)
}
