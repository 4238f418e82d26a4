import * as Y from 'yjs'
import type { KeptRange } from './update-parts.ts'
import type { ParsedDeletes } from './update-parse.ts'

/** How many structs one unit of work moves when an item is split (array insertion is a memory move). */
const SPLIT_STRUCTS_PER_WORK = 1000

/**
 * The deletions of an update Yjs can apply now: those within what the
 * document will hold once the update's structs are in (`stateOf`), each
 * with its work. A range that starts or ends inside an item splits it, and a
 * split moves every later struct of that client. What lies beyond the
 * document is cut (`cut`); ranges the document has applied already are left
 * out (`dropped`): a client's sync repeats its whole delete set, and storing
 * and relaying it again on every connect would be waste.
 */
export function keptDeletes(
  store: Y.Doc['store'],
  deletes: readonly ParsedDeletes[],
  stateOf: (client: number) => number,
): { ranges: KeptRange[]; cut: boolean; dropped: boolean } {
  const ranges: KeptRange[] = []
  let cut = false
  let dropped = false
  for (const { client, ranges: all } of deletes) {
    const state = stateOf(client)
    const structs = store.clients.get(client)
    const docState = Y.getState(store, client)
    const splitWork = Math.max(1, (structs?.length ?? 0) / SPLIT_STRUCTS_PER_WORK)
    for (const [clock, length] of all) {
      if (clock >= state) {
        cut = true
        break
      }
      const end = Math.min(clock + length, state)
      if (end < clock + length) cut = true
      if (structs && end <= docState && alreadyDeleted(structs, clock, end)) {
        dropped = true
        continue
      }
      ranges.push({ client, clock, length: end - clock, work: 1 + splitsOf(structs, docState, clock, end) * splitWork })
    }
  }
  return { ranges, cut, dropped }
}

/** How many items of the document a deleted range [clock, end) splits (0–2). */
function splitsOf(structs: (Y.Item | Y.GC)[] | undefined, docState: number, clock: number, end: number): number {
  let splits = 0
  for (const at of [clock, end]) {
    if (at >= docState || !structs) continue
    const struct = structs[Y.findIndexSS(structs, at)]
    if (struct instanceof Y.Item && !struct.deleted && struct.id.clock < at) splits++
  }
  return splits
}

/** Whether every struct of the document in [clock, end) is deleted or collected already. */
function alreadyDeleted(structs: (Y.Item | Y.GC)[], clock: number, end: number): boolean {
  for (let i = Y.findIndexSS(structs, clock); i < structs.length; i++) {
    const struct = structs[i]
    if (struct.id.clock >= end) break
    if (struct instanceof Y.Item && !struct.deleted) return false
  }
  return true
}
