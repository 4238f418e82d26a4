/**
 * What the load scenarios of bench/relay.ts send and read, built by hand so
 * that thousands of simulated editors cost the load generator next to
 * nothing: no `Y.Doc` per editor, no decoding of whole updates on arrival.
 *
 * Every editor types at the end of its own text: keystroke k of client c is
 * a one-character string item with clock k whose left origin is (c, k - 1),
 * the update a stock Yjs client sends when typing after its previous
 * character (its right origin would name whatever followed; none is equally
 * valid and integrates the same way for a relay, which never looks). The
 * first keystroke has no origin and names its parent, the root type "text".
 * `checkKeystrokeEncoding` compares the bytes with a real `Y.Doc`'s once per
 * run.
 */
import * as decoding from 'lib0/decoding'
import * as encoding from 'lib0/encoding'
import * as Y from 'yjs'

/** The root type every editor types into (the stock editor's is "prosemirror"; the relay does not care). */
const ROOT_TYPE = 'text'
/** Yjs v1 struct header bits and the content reference of a string. */
const HAS_ORIGIN = 0x80
const HAS_RIGHT_ORIGIN = 0x40
const HAS_PARENT_SUB = 0x20
const CONTENT_STRING = 4

/** The Yjs v1 update of keystroke `clock` of `client`: one character appended after its previous one. */
export function keystrokeUpdate(client: number, clock: number, char: string): Uint8Array {
  const encoder = encoding.createEncoder()
  encoding.writeVarUint(encoder, 1) // clients with structs
  encoding.writeVarUint(encoder, 1) // structs of that client
  encoding.writeVarUint(encoder, client)
  encoding.writeVarUint(encoder, clock)
  if (clock > 0) {
    encoding.writeUint8(encoder, HAS_ORIGIN | CONTENT_STRING)
    encoding.writeVarUint(encoder, client)
    encoding.writeVarUint(encoder, clock - 1)
  } else {
    // No origin on either side: the parent is written instead, as a root type name.
    encoding.writeUint8(encoder, CONTENT_STRING)
    encoding.writeVarUint(encoder, 1)
    encoding.writeVarString(encoder, ROOT_TYPE)
  }
  encoding.writeVarString(encoder, char)
  encoding.writeVarUint(encoder, 0) // empty delete set
  return encoding.toUint8Array(encoder)
}

/**
 * A y-protocols awareness update for one client: its name and a caret, as
 * y-prosemirror's cursor plugin writes it (relative positions of anchor and
 * head, here just after the editor's last character).
 */
export function cursorAwareness(client: number, awarenessClock: number, name: string, textClock: number): Uint8Array {
  const at = `{"type":null,"tname":null,"item":{"client":${client},"clock":${textClock}},"assoc":0}`
  const state = `{"user":{"name":"${name}","color":"#30bced"},"cursor":{"anchor":${at},"head":${at}}}`
  const encoder = encoding.createEncoder()
  encoding.writeVarUint(encoder, 1)
  encoding.writeVarUint(encoder, client)
  encoding.writeVarUint(encoder, awarenessClock)
  encoding.writeVarString(encoder, state)
  return encoding.toUint8Array(encoder)
}

/**
 * Calls `found(client, from, to)` for each client's inserted clock range in a
 * received v1 update. The common case, a single string item as ours and
 * @y/websocket-server pass it on, is read in a few varints; anything else
 * (Hocuspocus merges the updates of one turn) goes through `Y.parseUpdateMeta`.
 */
export function forEachInsertRange(update: Uint8Array, found: (client: number, from: number, to: number) => void): void {
  const single = readSingleItem(update)
  if (single) {
    found(single.client, single.clock, single.clock + single.length)
    return
  }
  const meta = Y.parseUpdateMeta(update)
  for (const [client, from] of meta.from) {
    const to = meta.to.get(client) ?? from
    if (to > from) found(client, from, to)
  }
}

function readSingleItem(update: Uint8Array): { client: number; clock: number; length: number } | null {
  const decoder = decoding.createDecoder(update)
  if (decoding.readVarUint(decoder) !== 1 || decoding.readVarUint(decoder) !== 1) return null
  const client = decoding.readVarUint(decoder)
  const clock = decoding.readVarUint(decoder)
  const info = decoding.readUint8(decoder)
  if ((info & 0x1f) !== CONTENT_STRING) return null
  if (info & HAS_ORIGIN) {
    decoding.readVarUint(decoder)
    decoding.readVarUint(decoder)
  }
  if (info & HAS_RIGHT_ORIGIN) {
    decoding.readVarUint(decoder)
    decoding.readVarUint(decoder)
  }
  if ((info & (HAS_ORIGIN | HAS_RIGHT_ORIGIN)) === 0) {
    if (decoding.readVarUint(decoder) === 1) decoding.readVarString(decoder)
    else {
      decoding.readVarUint(decoder)
      decoding.readVarUint(decoder)
    }
    if (info & HAS_PARENT_SUB) decoding.readVarString(decoder)
  }
  // Y.Text counts UTF-16 code units, as does a JavaScript string.
  return { client, clock, length: decoding.readVarString(decoder).length }
}

/** Throws unless `keystrokeUpdate` writes what a `Y.Doc` typing the same characters writes, and `forEachInsertRange` reads it back. */
export function checkKeystrokeEncoding(): void {
  const doc = new Y.Doc()
  doc.clientID = 123_456
  const sent: Uint8Array[] = []
  doc.on('update', (update: Uint8Array) => sent.push(update))
  const text = doc.getText(ROOT_TYPE)
  for (const [i, char] of ['a', 'b', 'c'].entries()) {
    text.insert(text.length, char)
    const ours = keystrokeUpdate(doc.clientID, i, char)
    if (!equalBytes(ours, sent[i])) throw new Error(`keystroke ${i}: hand-encoded update differs from Yjs's`)
    let range: number[] = []
    forEachInsertRange(ours, (...args) => (range = args))
    if (range.join() !== `${doc.clientID},${i},${i + 1}`) throw new Error(`keystroke ${i}: read back as ${range.join()}`)
  }
  const merged = Y.mergeUpdates(sent)
  const ranges: string[] = []
  forEachInsertRange(merged, (...args) => ranges.push(args.join()))
  if (ranges.join(';') !== `${doc.clientID},0,3`) throw new Error(`merged keystrokes read back as ${ranges.join(';')}`)
  doc.destroy()
}

const equalBytes = (a: Uint8Array, b: Uint8Array): boolean => a.length === b.length && a.every((byte, i) => byte === b[i])
