/**
 * A structure-aware mutator for Yjs updates, for fuzzing the relay's guard:
 * it decodes a valid update into structs and deletions, bends them the way a
 * hostile peer would (clocks, counts, lengths, references, nesting, delete
 * sets, gaps), and encodes the result again in the v1 format. Everything it
 * produces decodes at the framing level; whether Yjs could apply it is the
 * question the guard must answer.
 */
import * as encoding from 'lib0/encoding'
import * as Y from 'yjs'
import type { Random } from './random.ts'

type Struct = Y.Item | Y.GC | Y.Skip

/** What one mutation did, for the failure message. */
export interface Mutation {
  update: Uint8Array
  did: string[]
}

const pick = <T>(random: Random, list: readonly T[]): T => list[Math.floor(random() * list.length)]
const int = (random: Random, below: number): number => Math.floor(random() * below)

/** Clocks a mutation likes: small ones, ones near the edges, huge ones. */
function clockFor(random: Random, near: number): number {
  switch (int(random, 5)) {
    case 0:
      return 0
    case 1:
      return Math.max(0, near + int(random, 5) - 2)
    case 2:
      return near + 1 + int(random, 1000)
    case 3:
      return 2 ** 31 + int(random, 1000)
    default:
      return int(random, Math.max(1, near * 2))
  }
}

/** The hostile peer's own client ID and the next clock the document expects from it. */
export interface Attacker {
  client: number
  clock: number
}

/**
 * Mutate `update` (built against a document whose clients are `knownClients`)
 * with 1–4 random structural changes; with `lies`, references too (an item
 * claiming neighbours it never had can lead peers to different orders: a
 * CRDT trusts what a writer says it saw). The structs are first moved to the
 * attacker's client ID, continuing its clock: a peer that forges another
 * client's IDs can always overwrite that client's future edits (a CRDT
 * trusts IDs; that is a matter of who may write, not of structure), so the
 * fuzzing keeps to structure, where the guard must hold.
 */
export function mutateUpdate(update: Uint8Array, random: Random, knownClients: readonly number[], attacker: Attacker, options: { lies: boolean }): Mutation {
  const { structs, ds } = Y.decodeUpdate(update)
  const list: Struct[] = asAttacker(structs, attacker)
  const deletes: [number, number, number][] = []
  for (const [client, items] of ds.clients) for (const item of items) deletes.push([client, item.clock, item.len])
  const did: string[] = []
  // References may point anywhere; new structs only ever carry IDs no honest peer uses.
  const own = [attacker.client, 7, 2 ** 30]
  const clients = [...knownClients, ...own]
  const rounds = 1 + int(random, 4)
  // Without `lies`, only changes that keep every reference true: no struct
  // moves (a struct's clock is implied by those before it, so moving,
  // dropping or resizing one re-labels the rest, and their references then
  // point at other structs than they meant).
  const kinds = options.lies ? [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11] : [6, 7, 8, 9, 10]
  for (let round = 0; round < rounds; round++) {
    const target = list.length > 0 ? list[int(random, list.length)] : null
    switch (pick(random, kinds)) {
      case 0:
        if (target) {
          target.id.clock = clockFor(random, target.id.clock)
          did.push('moved a struct’s clock')
        }
        break
      case 1:
        if (target instanceof Y.Item) {
          target.origin = Y.createID(pick(random, clients), clockFor(random, target.id.clock))
          did.push('pointed an origin elsewhere')
        }
        break
      case 2:
        if (target instanceof Y.Item) {
          target.rightOrigin = Y.createID(pick(random, clients), clockFor(random, target.id.clock))
          did.push('pointed a right origin elsewhere')
        }
        break
      case 3:
        if (target instanceof Y.Item) {
          target.origin = null
          target.rightOrigin = null
          target.parent = (random() < 0.5 ? Y.createID(pick(random, clients), clockFor(random, target.id.clock)) : pick(random, ["t", "honest", "other", ""])) as unknown as Y.ID
          did.push('gave an item an explicit parent')
        }
        break
      case 4:
        if (target) {
          list.splice(list.indexOf(target), 0, cloneStruct(target))
          did.push('duplicated a struct')
        }
        break
      case 5:
        if (target) {
          list.splice(list.indexOf(target), 1)
          did.push('dropped a struct (a gap)')
        }
        break
      case 6:
        list.push(new Y.Skip(Y.createID(pick(random, own), clockFor(random, 10)), 1 + int(random, 20)))
        did.push('added a skip')
        break
      case 7:
        list.push(new Y.GC(Y.createID(pick(random, own), clockFor(random, 10)), int(random, 3) === 0 ? 0 : 1 + int(random, 50)))
        did.push('added a GC struct')
        break
      case 8: {
        // A nest of maps, each inside the previous.
        const client = pick(random, own)
        const depth = 1 + int(random, 300)
        let clock = clockFor(random, 0)
        let parent: Y.ID | string = 'nest'
        for (let level = 0; level < depth; level++) {
          const item = new Y.Item(Y.createID(client, clock), null, null, null, null, parent as never, level === 0 ? null : 'k', new Y.ContentType(new Y.Map()))
          list.push(item)
          parent = Y.createID(client, clock)
          clock++
        }
        did.push(`added a nest ${depth} deep`)
        break
      }
      case 9:
        for (let i = 1 + int(random, 20); i > 0; i--) deletes.push([pick(random, clients), clockFor(random, 10), int(random, 4) === 0 ? 0 : 1 + int(random, 100)])
        did.push('added deletions')
        break
      case 10:
        deletes.reverse()
        did.push('reversed the deletions')
        break
      case 11:
        if (target instanceof Y.Item) {
          target.content = pick(random, [new Y.ContentString(''), new Y.ContentDeleted(0), new Y.ContentAny([]), new Y.ContentString('x'.repeat(1 + int(random, 5)))])
          did.push('changed an item’s content')
        }
        break
    }
  }
  return { update: encodeStructs(list, deletes), did }
}

/**
 * The update's structs moved to the attacker's client, one after the other
 * from its next clock; references into the update move along, references to
 * anything else stay as they were.
 */
function asAttacker(structs: readonly Struct[], attacker: Attacker): Struct[] {
  const moved: { client: number; from: number; to: number; at: number }[] = []
  let next = attacker.clock
  for (const struct of structs) {
    moved.push({ client: struct.id.client, from: struct.id.clock, to: struct.id.clock + struct.length, at: next })
    next += struct.length
  }
  const move = (id: Y.ID | null): Y.ID | null => {
    if (!id) return id
    const range = moved.find((entry) => entry.client === id.client && entry.from <= id.clock && id.clock < entry.to)
    return range ? Y.createID(attacker.client, range.at + (id.clock - range.from)) : id
  }
  return structs.map((struct, i) => {
    const id = Y.createID(attacker.client, moved[i].at)
    if (struct instanceof Y.Item) {
      const parent = struct.parent instanceof Y.ID ? move(struct.parent) : struct.parent
      return new Y.Item(id, null, move(struct.origin), null, move(struct.rightOrigin), parent, struct.parentSub, struct.content.copy())
    }
    return struct instanceof Y.GC ? new Y.GC(id, struct.length) : new Y.Skip(id, struct.length)
  })
}

function cloneStruct(struct: Struct): Struct {
  if (struct instanceof Y.Item) {
    return new Y.Item(Y.createID(struct.id.client, struct.id.clock), null, struct.origin, null, struct.rightOrigin, struct.parent, struct.parentSub, struct.content.copy())
  }
  return struct instanceof Y.GC ? new Y.GC(Y.createID(struct.id.client, struct.id.clock), struct.length) : new Y.Skip(Y.createID(struct.id.client, struct.id.clock), struct.length)
}

/**
 * Encode structs and deletions in the v1 layout, in the order given: runs of
 * one client are grouped as they come (a client may then appear twice, which
 * the guard must refuse), each run's clock taken from its first struct.
 */
export function encodeStructs(structs: readonly Struct[], deletes: readonly [number, number, number][]): Uint8Array {
  const encoder = new Y.UpdateEncoderV1()
  const runs: Struct[][] = []
  for (const struct of structs) {
    const last = runs.at(-1)
    if (last && last[0].id.client === struct.id.client) last.push(struct)
    else runs.push([struct])
  }
  encoding.writeVarUint(encoder.restEncoder, runs.length)
  for (const run of runs) {
    encoding.writeVarUint(encoder.restEncoder, run.length)
    encoder.writeClient(run[0].id.client)
    encoding.writeVarUint(encoder.restEncoder, run[0].id.clock)
    for (const struct of run) struct.write(encoder, 0)
  }
  const byClient = new Map<number, [number, number][]>()
  for (const [client, clock, length] of deletes) {
    const ranges = byClient.get(client) ?? []
    ranges.push([clock, length])
    byClient.set(client, ranges)
  }
  encoding.writeVarUint(encoder.restEncoder, byClient.size)
  for (const [client, ranges] of byClient) {
    encoding.writeVarUint(encoder.restEncoder, client)
    encoding.writeVarUint(encoder.restEncoder, ranges.length)
    for (const [clock, length] of ranges) {
      encoder.writeDsClock(clock)
      encoder.writeDsLen(length)
    }
  }
  return encoder.toUint8Array()
}
