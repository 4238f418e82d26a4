import * as encoding from 'lib0/encoding'
import type { AcceptedStruct } from './pending-overlay.ts'
import type { ParsedStruct } from './update-parse.ts'

/** One part of an accepted update, to store and apply in order. */
export interface AcceptedPart {
  /** The part as a v1 update: the original bytes when the update is applied whole. */
  update: Uint8Array
  /** Whether `update` is the peer's update unchanged. */
  whole: boolean
  structs: Map<number, AcceptedStruct[]>
  rootNames: string[]
  /** Items to check once applied (`misplacedItem`): those whose neighbours arrive in the same update. */
  checks: { client: number; clock: number }[]
}

/** A deleted range the document can apply now, with the work it costs. */
export interface KeptRange {
  client: number
  clock: number
  length: number
  work: number
}

/**
 * Cut the kept structs (in the order Yjs integrates them), then the
 * deletions, into parts of at most `budget` work each (a part holds at least
 * one): each part is an update of its own, applied with the event loop free
 * in between. Deletions come after every struct: they may delete what the
 * update adds.
 */
export function cutIntoParts(
  update: Uint8Array,
  visits: readonly ParsedStruct[],
  deletes: readonly KeptRange[],
  budget: number,
  footprint: (visits: ParsedStruct[]) => Omit<AcceptedPart, 'update' | 'whole'>,
): AcceptedPart[] {
  const parts: AcceptedPart[] = []
  let start = 0
  let work = 0
  for (let i = 0; i < visits.length; i++) {
    if (i > start && work + visits[i].work > budget) {
      const slice = visits.slice(start, i)
      parts.push({ ...footprint(slice), update: encodePart(update, slice, []), whole: false })
      start = i
      work = 0
    }
    work += visits[i].work
  }
  if (start < visits.length) {
    const slice = visits.slice(start)
    parts.push({ ...footprint(slice), update: encodePart(update, slice, []), whole: false })
  }
  let batch: KeptRange[] = []
  work = 0
  const flush = (): void => {
    parts.push({ structs: new Map(), rootNames: [], checks: [], update: encodePart(update, [], batch), whole: false })
    batch = []
    work = 0
  }
  for (const range of deletes) {
    if (batch.length > 0 && work + range.work > budget) flush()
    batch.push(range)
    work += range.work
  }
  if (batch.length > 0) flush()
  return parts
}

/**
 * Encode some of an update's structs and deletions as an update of their
 * own. A struct's v1 bytes do not depend on its neighbours (its clock is
 * implied by the run it is in), so each client's run is copied as it came,
 * behind a new header.
 */
function encodePart(update: Uint8Array, visits: ParsedStruct[], deletes: KeptRange[]): Uint8Array {
  const encoder = encoding.createEncoder()
  // Integration visits each client's structs in clock order: a contiguous run per client.
  const runs = new Map<number, { first: ParsedStruct; last: ParsedStruct; count: number }>()
  for (const struct of visits) {
    const run = runs.get(struct.client)
    if (run) {
      run.last = struct
      run.count++
    } else runs.set(struct.client, { first: struct, last: struct, count: 1 })
  }
  encoding.writeVarUint(encoder, runs.size)
  for (const [client, run] of runs) {
    encoding.writeVarUint(encoder, run.count)
    encoding.writeVarUint(encoder, client)
    encoding.writeVarUint(encoder, run.first.clock)
    encoding.writeUint8Array(encoder, update.subarray(run.first.start, run.last.end))
  }
  // Ranges arrive grouped by client, in order: one entry per client.
  const byClient = new Map<number, KeptRange[]>()
  for (const range of deletes) {
    const list = byClient.get(range.client)
    if (list) list.push(range)
    else byClient.set(range.client, [range])
  }
  encoding.writeVarUint(encoder, byClient.size)
  for (const [client, ranges] of byClient) {
    encoding.writeVarUint(encoder, client)
    encoding.writeVarUint(encoder, ranges.length)
    for (const range of ranges) {
      encoding.writeVarUint(encoder, range.clock)
      encoding.writeVarUint(encoder, range.length)
    }
  }
  return encoding.toUint8Array(encoder)
}
