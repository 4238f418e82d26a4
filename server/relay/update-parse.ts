import * as decoding from 'lib0/decoding'
import type { RelayLimits } from './limits.ts'
import { checkJson, malformed, overLimit, skipAny, skipString, UpdateRefused } from './update-values.ts'

export { UpdateRefused, jsonNestedDeeper } from './update-values.ts'

/**
 * A reader for Yjs updates (v1 encoding) that is ours, not Yjs's: it checks
 * the shape of what a peer sent before Yjs sees a byte of it, allocates
 * little, and remembers where each struct's bytes are so an update can be
 * cut into parts (see `update-guard.ts`).
 *
 * Yjs decodes trustingly: it builds objects for millions of empty structs,
 * recurses through nested `Any` values, and creates a root type for every
 * name it reads. This reader refuses, before any of that:
 * - zero-length structs and delete ranges, clients with no structs, trailing bytes
 *   (no Yjs encoder writes them);
 * - unknown content or type references;
 * - delete ranges of a client out of order or overlapping (Yjs encoders sort and
 *   merge them; unsorted ranges make applying them quadratic);
 * - JSON and `Any` values nested deeper than `maxValueDepth`;
 * - more clients, structs or delete ranges than the limits allow.
 */

/** Struct kinds: a garbage-collected range, a gap marker, or an item with content. */
export const StructKind = { GC: 0, SKIP: 1, ITEM: 2 } as const
export type StructKind = (typeof StructKind)[keyof typeof StructKind]

/**
 * One struct of an update, with where its bytes are. References are kept as
 * plain numbers (client -1: none) rather than objects: an update may hold
 * hundreds of thousands of structs, and this is the relay's hot path.
 */
export interface ParsedStruct {
  kind: StructKind
  client: number
  clock: number
  length: number
  /** Byte offsets of the struct's encoding in the update (`update.subarray(start, end)`). */
  start: number
  end: number
  /** The item to the left when it was inserted. */
  originClient: number
  originClock: number
  /** The item to the right when it was inserted. */
  rightClient: number
  rightClock: number
  /** The item holding the parent type, when given explicitly. */
  parentClient: number
  parentClock: number
  /** The root type's name, when the item sits directly in a root type. */
  parentRoot: string | null
  /** The key in a map, when the parent is given explicitly and is a map. */
  parentSub: string | null
  /** Whether the item's content is a type (so items can live inside it). */
  holdsType: boolean
  /** Whether the item's content is ContentDeleted (a collected item that keeps its length). */
  contentDeleted: boolean
  /** Set by the guard: the struct is, or will be turned into, GC (its parent is gone). */
  gc: boolean
  /** Set by the guard: nesting level of the type the struct sits in (0 for a root type). */
  level: number
  /** Set by the guard: which type (and map key) the item sits in, to compare with its neighbours'. */
  place: string
  /** Set by the guard: its neighbours' order is only known once Yjs has placed it (see `misplacedItem`). */
  verify: boolean
  /** Set by the guard: the work integrating it costs Yjs (1, plus the steps between its neighbours). */
  work: number
}

/** No reference: the client field of an absent origin, right origin or parent. */
export const NO_CLIENT = -1

/** One client's run of structs, in clock order. */
export interface ParsedClientStructs {
  client: number
  structs: ParsedStruct[]
}

/** A client's deleted ranges, sorted and disjoint: `[clock, length]` pairs. */
export interface ParsedDeletes {
  client: number
  ranges: [number, number][]
}

export interface ParsedUpdate {
  clients: ParsedClientStructs[]
  deletes: ParsedDeletes[]
  structCount: number
  rangeCount: number
}

/** Shape limits for one update (see `RelayLimits`). */
export type ParseLimits = Pick<RelayLimits, 'maxUpdateClients' | 'maxUpdateStructs' | 'maxUpdateDeleteRanges' | 'maxValueDepth'>

// Yjs content references (the low five bits of a struct's info byte).
const CONTENT_GC = 0
const CONTENT_DELETED = 1
const CONTENT_JSON = 2
const CONTENT_BINARY = 3
const CONTENT_STRING = 4
const CONTENT_EMBED = 5
const CONTENT_FORMAT = 6
const CONTENT_TYPE = 7
const CONTENT_ANY = 8
const CONTENT_DOC = 9
const CONTENT_SKIP = 10
// Type references inside ContentType: 0 array … 6 xml text; 3 (element) and 5 (hook) carry a name.
const TYPE_REF_MAX = 6
const TYPE_XML_ELEMENT = 3
const TYPE_XML_HOOK = 5

/**
 * Parse and check an update. Throws `UpdateRefused`; a decoding error of lib0
 * (a length past the end, an integer too large) becomes `malformed`.
 */
export function parseUpdate(update: Uint8Array, limits: ParseLimits): ParsedUpdate {
  try {
    return parse(update, limits)
  } catch (error) {
    if (error instanceof UpdateRefused) throw error
    throw new UpdateRefused('malformed', `does not decode: ${(error as Error).message}`)
  }
}

function parse(update: Uint8Array, limits: ParseLimits): ParsedUpdate {
  const decoder = decoding.createDecoder(update)
  const numClients = decoding.readVarUint(decoder)
  claim(decoder, numClients, 3)
  if (numClients > limits.maxUpdateClients) overLimit(`${numClients} clients (at most ${limits.maxUpdateClients})`)
  const clients: ParsedClientStructs[] = []
  const seen = new Set<number>()
  let structCount = 0
  for (let c = 0; c < numClients; c++) {
    const numStructs = decoding.readVarUint(decoder)
    if (numStructs === 0) malformed('a client with no structs')
    claim(decoder, numStructs, 2)
    structCount += numStructs
    if (structCount > limits.maxUpdateStructs) overLimit(`more than ${limits.maxUpdateStructs} structs`)
    const client = decoding.readVarUint(decoder)
    if (seen.has(client)) malformed(`client ${client} appears twice`)
    seen.add(client)
    let clock = decoding.readVarUint(decoder)
    const structs: ParsedStruct[] = new Array(numStructs)
    for (let s = 0; s < numStructs; s++) {
      const struct = readStruct(decoder, client, clock, limits)
      if (struct.length === 0) malformed('a zero-length struct')
      clock += struct.length
      if (clock > Number.MAX_SAFE_INTEGER) malformed('clock overflow')
      structs[s] = struct
    }
    clients.push({ client, structs })
  }
  const { deletes, rangeCount } = readDeletes(decoder, limits)
  if (decoding.hasContent(decoder)) malformed('trailing bytes after the delete set')
  return { clients, deletes, structCount, rangeCount }
}

/**
 * A count of entries needing at least `bytesEach` bytes must fit in what is
 * left: otherwise the bytes are not an update at all (malformed), rather than
 * an update over a limit.
 */
function claim(decoder: decoding.Decoder, count: number, bytesEach: number): void {
  if (count * bytesEach > decoder.arr.length - decoder.pos) malformed(`claims ${count} entries in ${decoder.arr.length - decoder.pos} bytes`)
}

function readStruct(decoder: decoding.Decoder, client: number, clock: number, limits: ParseLimits): ParsedStruct {
  const start = decoder.pos
  const info = decoding.readUint8(decoder)
  const ref = info & 0b11111
  const struct: ParsedStruct = {
    kind: StructKind.ITEM,
    client,
    clock,
    length: 0,
    start,
    end: 0,
    originClient: NO_CLIENT,
    originClock: 0,
    rightClient: NO_CLIENT,
    rightClock: 0,
    parentClient: NO_CLIENT,
    parentClock: 0,
    parentRoot: null,
    parentSub: null,
    holdsType: false,
    contentDeleted: ref === CONTENT_DELETED,
    gc: ref === CONTENT_GC,
    level: 0,
    place: '',
    verify: false,
    work: 1,
  }
  if (ref === CONTENT_GC || ref === CONTENT_SKIP) {
    struct.kind = ref === CONTENT_GC ? StructKind.GC : StructKind.SKIP
    struct.length = decoding.readVarUint(decoder)
    struct.end = decoder.pos
    return struct
  }
  if (info & 0x80) {
    struct.originClient = decoding.readVarUint(decoder)
    struct.originClock = decoding.readVarUint(decoder)
  }
  if (info & 0x40) {
    struct.rightClient = decoding.readVarUint(decoder)
    struct.rightClock = decoding.readVarUint(decoder)
  }
  if ((info & 0xc0) === 0) {
    // No origins: the parent is written out, as a root type's name or the item holding the type.
    if (decoding.readVarUint(decoder) === 1) struct.parentRoot = decoding.readVarString(decoder)
    else {
      struct.parentClient = decoding.readVarUint(decoder)
      struct.parentClock = decoding.readVarUint(decoder)
    }
    if (info & 0x20) struct.parentSub = decoding.readVarString(decoder) // the key in a map
  }
  struct.length = readContent(decoder, ref, limits, struct)
  struct.end = decoder.pos
  return struct
}

/** Read an item's content; returns its length in clock units. */
function readContent(decoder: decoding.Decoder, ref: number, limits: ParseLimits, struct: ParsedStruct): number {
  switch (ref) {
    case CONTENT_DELETED:
      return decoding.readVarUint(decoder)
    case CONTENT_JSON: {
      const count = decoding.readVarUint(decoder)
      for (let i = 0; i < count; i++) {
        const json = decoding.readVarString(decoder)
        if (json !== 'undefined') checkJson(json, limits.maxValueDepth)
      }
      return count
    }
    case CONTENT_BINARY:
      decoding.readVarUint8Array(decoder)
      return 1
    case CONTENT_STRING:
      return skipString(decoder)
    case CONTENT_EMBED:
      checkJson(decoding.readVarString(decoder), limits.maxValueDepth)
      return 1
    case CONTENT_FORMAT:
      skipString(decoder)
      checkJson(decoding.readVarString(decoder), limits.maxValueDepth)
      return 1
    case CONTENT_TYPE: {
      const typeRef = decoding.readVarUint(decoder)
      if (typeRef > TYPE_REF_MAX) malformed(`unknown type reference ${typeRef}`)
      if (typeRef === TYPE_XML_ELEMENT || typeRef === TYPE_XML_HOOK) skipString(decoder)
      struct.holdsType = true
      return 1
    }
    case CONTENT_ANY: {
      const count = decoding.readVarUint(decoder)
      for (let i = 0; i < count; i++) skipAny(decoder, limits.maxValueDepth)
      return count
    }
    case CONTENT_DOC:
      skipString(decoder)
      skipAny(decoder, limits.maxValueDepth)
      return 1
    default:
      return malformed(`unknown content reference ${ref}`)
  }
}

function readDeletes(decoder: decoding.Decoder, limits: ParseLimits): { deletes: ParsedDeletes[]; rangeCount: number } {
  const numClients = decoding.readVarUint(decoder)
  claim(decoder, numClients, 3)
  if (numClients > limits.maxUpdateClients) overLimit(`deletions for ${numClients} clients (at most ${limits.maxUpdateClients})`)
  const deletes: ParsedDeletes[] = []
  const seen = new Set<number>()
  let rangeCount = 0
  for (let c = 0; c < numClients; c++) {
    const client = decoding.readVarUint(decoder)
    if (seen.has(client)) malformed(`deletions for client ${client} appear twice`)
    seen.add(client)
    const count = decoding.readVarUint(decoder)
    if (count === 0) malformed('a client with no deleted ranges')
    claim(decoder, count, 2)
    rangeCount += count
    if (rangeCount > limits.maxUpdateDeleteRanges) overLimit(`more than ${limits.maxUpdateDeleteRanges} deleted ranges`)
    const ranges: [number, number][] = new Array(count)
    let next = 0
    for (let r = 0; r < count; r++) {
      const clock = decoding.readVarUint(decoder)
      const length = decoding.readVarUint(decoder)
      if (length === 0) malformed('a zero-length deleted range')
      if (clock < next) malformed('deleted ranges out of order or overlapping')
      next = clock + length
      ranges[r] = [clock, length]
    }
    deletes.push({ client, ranges })
  }
  return { deletes, rangeCount }
}
