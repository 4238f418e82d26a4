/**
 * A hand-written writer for the Yjs v1 update encoding, for inputs Yjs itself
 * would never produce (zero-length structs, clients with no structs, delete
 * sets for clients nobody has seen...). It mirrors, field for field, what
 * yjs 13.6 reads in `readClientsStructRefs` (src/utils/encoding.js),
 * `readDeleteSet` (src/utils/DeleteSet.js) and `readItemContent`
 * (src/structs/Item.js), with `UpdateDecoderV1`: every number a varUint,
 * every string a varString, the info byte a raw byte.
 *
 *   update  = varUint(clientCount) clientStructs* deleteSet
 *   clientStructs = varUint(structCount) varUint(client) varUint(firstClock) struct*
 *   struct  = GC: info(0) varUint(len) | Skip: info(10) varUint(len) | item
 *   item    = info [origin: client clock] [rightOrigin: client clock]
 *             [if neither: varUint(parentIsRoot) (varString(rootName) | client clock) [varString(parentSub)]]
 *             content
 *   deleteSet = varUint(clientCount) { varUint(client) varUint(rangeCount) { varUint(clock) varUint(len) }* }*
 */
import * as encoding from 'lib0/encoding'

/** The low five bits of an info byte: which struct, or which content an item holds. */
export const StructRef = {
  GC: 0,
  DELETED: 1,
  JSON: 2,
  BINARY: 3,
  STRING: 4,
  EMBED: 5,
  FORMAT: 6,
  TYPE: 7,
  ANY: 8,
  DOC: 9,
  SKIP: 10,
} as const

/** The high bits of an item's info byte. */
export const InfoFlag = {
  ORIGIN: 0x80,
  RIGHT_ORIGIN: 0x40,
  PARENT_SUB: 0x20,
} as const

/** `ContentType` type refs (yjs src/types/*.js `Y*RefID`) for the types that carry no extra fields. */
export const TypeRef = {
  ARRAY: 0,
  MAP: 1,
  TEXT: 2,
  XML_FRAGMENT: 4,
} as const

/** One struct's ID: a client and a clock. */
export interface StructId {
  client: number
  clock: number
}

/** An item's content, limited to the kinds the hostile builders need. */
export type ItemContent =
  | { kind: 'string'; text: string }
  | { kind: 'type'; typeRef: number }
  | { kind: 'deleted'; length: number }
  | { kind: 'any'; values: readonly encoding.AnyEncodable[] }
  | { kind: 'binary'; bytes: Uint8Array }

/** An item as written on the wire. Without origins it needs a parent (a root type's name or a type item's ID). */
export interface ItemSpec {
  origin?: StructId
  rightOrigin?: StructId
  parent?: { root: string } | { item: StructId }
  /** The map key, for items inside a map (only written when the item has no origins). */
  parentSub?: string
  content: ItemContent
}

/** `varUint(structCount) varUint(client) varUint(firstClock)`: the head of one client's structs. */
export function writeClientHeader(encoder: encoding.Encoder, structCount: number, client: number, firstClock: number): void {
  encoding.writeVarUint(encoder, structCount)
  encoding.writeVarUint(encoder, client)
  encoding.writeVarUint(encoder, firstClock)
}

/** A GC struct of `length` clocks (0 is accepted by the decoder, and by Yjs's integration). */
export function writeGc(encoder: encoding.Encoder, length: number): void {
  encoding.writeUint8(encoder, StructRef.GC)
  encoding.writeVarUint(encoder, length)
}

/** A Skip struct: a hole of `length` clocks the receiver is meant to step over. */
export function writeSkip(encoder: encoding.Encoder, length: number): void {
  encoding.writeUint8(encoder, StructRef.SKIP)
  encoding.writeVarUint(encoder, length)
}

/** One item, as `Item.write` would write it with offset 0. */
export function writeItem(encoder: encoding.Encoder, item: ItemSpec): void {
  const refByKind = { string: StructRef.STRING, type: StructRef.TYPE, deleted: StructRef.DELETED, any: StructRef.ANY, binary: StructRef.BINARY }
  const copiesParent = item.origin !== undefined || item.rightOrigin !== undefined
  const info =
    refByKind[item.content.kind] |
    (item.origin ? InfoFlag.ORIGIN : 0) |
    (item.rightOrigin ? InfoFlag.RIGHT_ORIGIN : 0) |
    (!copiesParent && item.parentSub !== undefined ? InfoFlag.PARENT_SUB : 0)
  encoding.writeUint8(encoder, info)
  if (item.origin) writeId(encoder, item.origin)
  if (item.rightOrigin) writeId(encoder, item.rightOrigin)
  if (!copiesParent) {
    // Yjs reads the parent only when it cannot copy it from a neighbour.
    if (!item.parent) throw new Error('writeItem: an item without origins needs a parent')
    if ('root' in item.parent) {
      encoding.writeVarUint(encoder, 1)
      encoding.writeVarString(encoder, item.parent.root)
    } else {
      encoding.writeVarUint(encoder, 0)
      writeId(encoder, item.parent.item)
    }
    if (item.parentSub !== undefined) encoding.writeVarString(encoder, item.parentSub)
  }
  const content = item.content
  switch (content.kind) {
    case 'string':
      encoding.writeVarString(encoder, content.text)
      return
    case 'type':
      encoding.writeVarUint(encoder, content.typeRef)
      return
    case 'deleted':
      encoding.writeVarUint(encoder, content.length)
      return
    case 'any':
      encoding.writeVarUint(encoder, content.values.length)
      for (const value of content.values) encoding.writeAny(encoder, value)
      return
    case 'binary':
      encoding.writeVarUint8Array(encoder, content.bytes)
      return
  }
}

function writeId(encoder: encoding.Encoder, id: StructId): void {
  encoding.writeVarUint(encoder, id.client)
  encoding.writeVarUint(encoder, id.clock)
}

/** Deletions of one client: `[clock, length]` ranges, written in the order given (Yjs does not re-sort them). */
export interface ClientDeletes {
  client: number
  ranges: readonly (readonly [clock: number, length: number])[]
}

/** A delete set, clients and ranges in the order given. */
export function writeDeleteSet(encoder: encoding.Encoder, deletes: readonly ClientDeletes[]): void {
  encoding.writeVarUint(encoder, deletes.length)
  for (const { client, ranges } of deletes) {
    encoding.writeVarUint(encoder, client)
    encoding.writeVarUint(encoder, ranges.length)
    for (const [clock, length] of ranges) {
      encoding.writeVarUint(encoder, clock)
      encoding.writeVarUint(encoder, length)
    }
  }
}

/** An update with no structs and this delete set. */
export function deleteOnlyUpdate(deletes: readonly ClientDeletes[]): Uint8Array {
  const encoder = encoding.createEncoder()
  encoding.writeVarUint(encoder, 0)
  writeDeleteSet(encoder, deletes)
  return encoding.toUint8Array(encoder)
}

/** An update of one client's items starting at `firstClock`, with no deletions. */
export function itemsUpdate(client: number, firstClock: number, items: readonly ItemSpec[]): Uint8Array {
  const encoder = encoding.createEncoder()
  encoding.writeVarUint(encoder, 1)
  writeClientHeader(encoder, items.length, client, firstClock)
  for (const item of items) writeItem(encoder, item)
  encoding.writeVarUint(encoder, 0)
  return encoding.toUint8Array(encoder)
}
