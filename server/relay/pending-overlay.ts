/**
 * What the guard must know about updates it accepted that are not applied to
 * the room's document yet (they wait for storage to commit them). A later
 * update may build on them: its references resolve here, and the client
 * clocks it continues from are here. Parts are applied, and so released, in
 * the order they were accepted.
 */

import type { ParsedStruct } from './update-parse.ts'

/** What the guard remembers of one accepted struct: the parsed struct, with `gc` and `level` settled. */
export type AcceptedStruct = Pick<ParsedStruct, 'clock' | 'length' | 'gc' | 'holdsType' | 'contentDeleted' | 'level' | 'place'>

/** One accepted part: how many structs of each client it added, and the root names it introduces. */
export interface PartFootprint {
  structs: Map<number, number>
  rootNames: string[]
}

interface ClientRun {
  list: AcceptedStruct[]
  head: number
}

export class PendingOverlay {
  private readonly runs = new Map<number, ClientRun>()
  private readonly roots = new Map<string, number>()

  /** The clock after the last pending struct of `client`, or undefined when it has none pending. */
  stateOf(client: number): number | undefined {
    const run = this.runs.get(client)
    if (!run || run.head === run.list.length) return undefined
    const last = run.list[run.list.length - 1]
    return last.clock + last.length
  }

  /** The pending struct of `client` covering `clock`, if any. */
  find(client: number, clock: number): AcceptedStruct | undefined {
    const run = this.runs.get(client)
    if (!run) return undefined
    let low = run.head
    let high = run.list.length - 1
    while (low <= high) {
      const mid = (low + high) >>> 1
      const struct = run.list[mid]
      if (clock < struct.clock) high = mid - 1
      else if (clock >= struct.clock + struct.length) low = mid + 1
      else return struct
    }
    return undefined
  }

  /** Whether a root type of this name is introduced by a pending part. */
  hasRoot(name: string): boolean {
    return this.roots.has(name)
  }

  get rootCount(): number {
    return this.roots.size
  }

  /** Record an accepted part's structs (in clock order per client). */
  add(structs: Map<number, AcceptedStruct[]>, rootNames: string[]): PartFootprint {
    const counts = new Map<number, number>()
    for (const [client, list] of structs) {
      if (list.length === 0) continue
      let run = this.runs.get(client)
      if (!run) this.runs.set(client, (run = { list: [], head: 0 }))
      for (const struct of list) run.list.push(struct)
      counts.set(client, list.length)
    }
    for (const name of rootNames) this.roots.set(name, (this.roots.get(name) ?? 0) + 1)
    return { structs: counts, rootNames }
  }

  /** The part was applied to the document (or dropped): forget it. Parts leave in the order they came. */
  release(footprint: PartFootprint): void {
    for (const [client, count] of footprint.structs) {
      const run = this.runs.get(client)
      if (!run) continue
      run.head += count
      if (run.head >= run.list.length) this.runs.delete(client)
      else if (run.head > 1024 && run.head * 2 > run.list.length) {
        run.list = run.list.slice(run.head)
        run.head = 0
      }
    }
    for (const name of footprint.rootNames) {
      const left = (this.roots.get(name) ?? 1) - 1
      if (left === 0) this.roots.delete(name)
      else this.roots.set(name, left)
    }
  }

  /** Forget everything (the room is being rebuilt). */
  clear(): void {
    this.runs.clear()
    this.roots.clear()
  }
}
