import * as Y from 'yjs'
import type { RelayLimits } from './limits.ts'
import type { AcceptedStruct, PendingOverlay } from './pending-overlay.ts'
import { keptDeletes } from './update-deletes.ts'
import { cutIntoParts, type AcceptedPart, type KeptRange } from './update-parts.ts'
import { NO_CLIENT, parseUpdate, StructKind, UpdateRefused, type ParseLimits, type ParsedStruct, type ParsedUpdate } from './update-parse.ts'

/**
 * Decides, before storage or Yjs sees it, what of a peer's update the room
 * may apply, and cuts it into parts that each cost a bounded amount of work.
 *
 * It replays, against the room's document plus what is accepted but not yet
 * applied (`PendingOverlay`), the order in which Yjs would integrate the
 * update's structs (mirroring `integrateStructs` in Yjs's `encoding.js`).
 * That tells exactly which structs Yjs could integrate, so that:
 * - nothing is left for Yjs to keep "pending" (Yjs re-merges and retries its
 *   pending structs and deletions on every later update, so one update with
 *   unmet dependencies taxes every keystroke after it). What depends on
 *   content the document lacks is cut off; the sender keeps it and offers it
 *   again at its next sync, once the document has what it needs;
 * - types nest at most `maxTypeDepth` deep (deleting or collecting a deeper
 *   nest recurses past the stack, half-way through a transaction);
 * - an item refers only to earlier structs of its own client, and its parent
 *   is a type (otherwise Yjs throws half-way through applying);
 * - the number of root types of a document stays bounded.
 * An update refused here closes its sender's connection; nothing of it is
 * stored or applied.
 */

/** The limits the guard enforces (see `RelayLimits`). */
export type GuardLimits = ParseLimits & Pick<RelayLimits, 'maxTypeDepth' | 'maxRootTypes' | 'partBudget'>

export type { AcceptedPart } from './update-parts.ts'

export interface GuardResult {
  parts: AcceptedPart[]
  /** Structs or deletions left out because they depend on content the document lacks. */
  cut: boolean
}


/** What a reference resolves to: the fields of `AcceptedStruct` that matter for placing an item, and the item when the document has it. */
interface Target extends Pick<AcceptedStruct, 'gc' | 'holdsType' | 'contentDeleted' | 'level' | 'place'> {
  item?: Y.Item
}

const GC_TARGET: Target = { gc: true, holdsType: false, contentDeleted: false, level: 0, place: '' }

/**
 * How far the guard follows the list from an item's left neighbour looking
 * for its right one. Yjs walks the same path to integrate the item, so it is
 * also work; honest neighbours are a few items apart (further only where
 * thousands of separate edits were made concurrently at that very spot). An
 * item whose neighbours are further apart is cut off, like one whose
 * neighbours are out of order.
 */
const MAX_NEIGHBOUR_WALK = 10_000
/**
 * Steps between neighbours one update may take in all: an honest item's
 * neighbours are next to each other or a few concurrent inserts apart, so
 * this is far above what editing needs, and bounds what Yjs is made to walk.
 */
const MAX_WALK_PER_UPDATE = 1_000_000

/** Throws `UpdateRefused`. `limits` are the parse limits and the guard's own. */
export function guardUpdate(doc: Y.Doc, overlay: PendingOverlay | null, update: Uint8Array, limits: GuardLimits): GuardResult {
  const parsed = parseUpdate(update, limits)
  return new Replay(doc, overlay, parsed, limits).run(update)
}

const refuse = (kind: 'malformed' | 'limit', message: string): never => {
  throw new UpdateRefused(kind, message)
}

class Replay {
  private readonly store: Y.Doc['store']
  private readonly state = new Map<number, number>()
  /** Structs integrated so far in this update, per client, in clock order. */
  private readonly accepted = new Map<number, ParsedStruct[]>()
  /** Structs Yjs would integrate, in the order it would. */
  private readonly visits: ParsedStruct[] = []
  // Made when first needed: most updates name no root type and reach no other client's item.
  private newRootSet: Set<string> | null = null
  private rootNameMap: Map<Y.AbstractType<unknown>, string> | null = null
  /** Steps walked between neighbours in this update so far. */
  private walked = 0

  constructor(
    private readonly doc: Y.Doc,
    private readonly overlay: PendingOverlay | null,
    private readonly parsed: ParsedUpdate,
    private readonly limits: GuardLimits,
  ) {
    this.store = doc.store
  }

  run(update: Uint8Array): GuardResult {
    const kept = this.integrate()
    const deletes = this.keptDeletes()
    const cut = deletes.cut || kept.some((count, i) => count < this.parsed.clients[i].structs.length)
    // Whole: every struct is new and every deletion still to do; otherwise only what is left goes on.
    const whole = !cut && !deletes.dropped && this.visits.length === this.parsed.structCount
    const work = this.visits.reduce((sum, struct) => sum + struct.work, 0) + deletes.ranges.reduce((sum, range) => sum + range.work, 0)
    if (work === 0) return { parts: [], cut }
    if (whole && work <= this.limits.partBudget) {
      return { parts: [{ ...this.footprint(this.visits), update, whole: true }], cut: false }
    }
    return { parts: this.cutIntoParts(update, deletes.ranges), cut }
  }

  private get newRoots(): Set<string> {
    return (this.newRootSet ??= new Set())
  }

  private get rootNames(): Map<Y.AbstractType<unknown>, string> {
    return (this.rootNameMap ??= new Map())
  }

  private stateOf(client: number): number {
    let state = this.state.get(client)
    if (state === undefined) {
      state = this.overlay?.stateOf(client) ?? Y.getState(this.store, client)
      this.state.set(client, state)
    }
    return state
  }

  /**
   * Replay Yjs's integration order. Returns, per client of the update, how
   * many of its structs (a prefix) Yjs would integrate now.
   */
  private integrate(): number[] {
    const clients = this.parsed.clients
    const readers = clients.map((entry) => ({ i: 0, refs: entry.structs }))
    const indexOf = new Map<number, number>()
    clients.forEach((entry, index) => indexOf.set(entry.client, index))
    const kept = clients.map((entry) => entry.structs.length)
    // Yjs takes clients from the highest ID down.
    let order = clients.map((_, index) => index).sort((a, b) => clients[a].client - clients[b].client)
    // Structs waiting for another client's, with their position in their client's run.
    const stack: { index: number; pos: number; struct: ParsedStruct }[] = []
    const nextTarget = (): number | null => {
      while (order.length > 0) {
        const last = order[order.length - 1]
        if (readers[last].i < readers[last].refs.length) return last
        order.pop()
      }
      return null
    }
    // Everything on the stack waits for something that will not come: those
    // clients stop here (Yjs would keep the rest pending).
    const block = (): void => {
      for (const { index, pos } of stack) {
        kept[index] = Math.min(kept[index], pos)
        readers[index].i = readers[index].refs.length
        order = order.filter((candidate) => candidate !== index)
      }
      stack.length = 0
    }
    const take = (index: number): { index: number; pos: number; struct: ParsedStruct } => {
      const pos = readers[index].i++
      return { index, pos, struct: readers[index].refs[pos] }
    }
    let current = nextTarget()
    if (current === null) return kept
    let head = take(current)
    for (;;) {
      const struct = head.struct
      if (struct.kind !== StructKind.SKIP) {
        const offset = this.stateOf(struct.client) - struct.clock
        if (offset < 0) {
          stack.push(head)
          block()
        } else {
          const missing = this.missing(struct)
          if (missing !== null) {
            stack.push(head)
            const index = indexOf.get(missing)
            const reader = index === undefined ? null : readers[index]
            if (!reader || reader.i >= reader.refs.length) block()
            else {
              head = take(index!)
              continue
            }
          } else if (!this.admit(struct, offset)) {
            // Placed where the document's order contradicts it: cut off like a missing dependency.
            stack.push(head)
            block()
          }
        }
      }
      if (stack.length > 0) head = stack.pop()!
      else if (current !== null && readers[current].i < readers[current].refs.length) head = take(current)
      else {
        current = nextTarget()
        if (current === null) break
        head = take(current)
      }
    }
    return kept
  }

  /** The first client whose content a reference of `struct` needs and the document lacks (as Yjs's `getMissing`). */
  private missing(struct: ParsedStruct): number | null {
    if (struct.kind !== StructKind.ITEM) return null
    const { client, originClient, rightClient, parentClient } = struct
    if (originClient !== NO_CLIENT && originClient !== client && struct.originClock >= this.stateOf(originClient)) return originClient
    if (rightClient !== NO_CLIENT && rightClient !== client && struct.rightClock >= this.stateOf(rightClient)) return rightClient
    if (parentClient !== NO_CLIENT && parentClient !== client && struct.parentClock >= this.stateOf(parentClient)) return parentClient
    return null
  }

  /**
   * Check a struct Yjs would integrate now, and record it. Returns false when
   * the item's neighbours contradict the document's order (see `placeItem`).
   */
  private admit(struct: ParsedStruct, offset: number): boolean {
    // A struct the document has whole already changes nothing: Yjs skips it, and so does what we store.
    if (offset >= struct.length) return true
    if (struct.kind === StructKind.ITEM) {
      // Earlier clocks of its own client only: those were created before it.
      const { client, clock } = struct
      if (
        (struct.originClient === client && struct.originClock >= clock) ||
        (struct.rightClient === client && struct.rightClock >= clock) ||
        (struct.parentClient === client && struct.parentClock >= clock)
      ) {
        refuse('malformed', 'an item refers to a later struct of its own client')
      }
      if (!this.placeItem(struct)) return false
      if (struct.gc) struct.holdsType = false
      else {
        if (struct.holdsType && struct.level + 1 > this.limits.maxTypeDepth) refuse('limit', `types nested deeper than ${this.limits.maxTypeDepth}`)
        if (struct.parentRoot !== null) this.noteRoot(struct.parentRoot)
      }
    }
    this.state.set(struct.client, struct.clock + struct.length)
    let list = this.accepted.get(struct.client)
    if (!list) this.accepted.set(struct.client, (list = []))
    list.push(struct)
    this.visits.push(struct)
    return true
  }

  /**
   * Where an item lands (sets `gc`, `level` and `place`): in which type (and
   * map key), or collected (its left, right or parent is gone). Its left and
   * right neighbours must sit in the same place, the left one before the
   * right one: Yjs assumes so, and throws half-way through integrating
   * otherwise (found by fuzzing). Returns false when they do not.
   *
   * Not refused but cut off: a peer can be led to an order of its own by an
   * item whose neighbours lie about what it saw (a writer can lie so; the
   * relay cannot tell such a lie from concurrent editing), and its honest
   * edits next to such items then contradict the relay's order. Closing
   * that peer would only make it reconnect and send them again.
   */
  private placeItem(struct: ParsedStruct): boolean {
    const left = struct.originClient !== NO_CLIENT ? this.resolve(struct.originClient, struct.originClock) : null
    const right = struct.rightClient !== NO_CLIENT ? this.resolve(struct.rightClient, struct.rightClock) : null
    if (left?.gc || right?.gc) {
      struct.gc = true
      return true
    }
    if (left && right) {
      if (left.place !== right.place) return false
      if (left.item && right.item) {
        const steps = this.stepsBetween(left.item, struct.originClock, right.item, struct.rightClock)
        if (steps < 0) return false
        // Yjs walks the same path to place the item: its work, and bounded per update.
        struct.work += steps
        this.walked += steps
        if (this.walked > MAX_WALK_PER_UPDATE) refuse('limit', `items placed more than ${MAX_WALK_PER_UPDATE} steps in all from their neighbours`)
      } else struct.verify = true
    }
    const neighbour = left ?? right
    if (neighbour) {
      struct.level = neighbour.level
      struct.place = neighbour.place
    } else if (struct.parentClient !== NO_CLIENT) {
      const parent = this.resolve(struct.parentClient, struct.parentClock)
      if (parent.gc || parent.contentDeleted) struct.gc = true
      else if (!parent.holdsType) refuse('malformed', 'an item whose parent is not a type')
      else {
        struct.level = parent.level + 1
        struct.place = placeKey(`${struct.parentClient}:${struct.parentClock}`, struct.parentSub)
      }
    } else {
      struct.place = placeKey(`root:${struct.parentRoot}`, struct.parentSub)
    }
    return true
  }

  /**
   * Follow the document's list from the left neighbour to the right one (a
   * bounded walk). Returns the steps taken, or -1 when the end of the list
   * comes first (the right neighbour is not to the right) or the walk is
   * longer than allowed.
   */
  private stepsBetween(left: Y.Item, leftClock: number, right: Y.Item, rightClock: number): number {
    if (left === right) return leftClock < rightClock ? 1 : -1
    let at: Y.Item | null = left.right
    for (let steps = 1; steps <= MAX_NEIGHBOUR_WALK; steps++) {
      if (at === right) return steps
      if (at === null) return -1
      at = at.right
    }
    return -1
  }

  private resolve(client: number, clock: number): Target {
    if (clock < Y.getState(this.store, client)) {
      const structs = this.store.clients.get(client)!
      const found = structs[Y.findIndexSS(structs, clock)]
      if (!(found instanceof Y.Item)) return GC_TARGET
      return {
        gc: false,
        holdsType: found.content instanceof Y.ContentType,
        contentDeleted: found.content instanceof Y.ContentDeleted,
        level: levelOf(found, this.limits.maxTypeDepth),
        place: this.placeOf(found),
        item: found,
      }
    }
    const pending = this.overlay?.find(client, clock) ?? this.findAccepted(client, clock)
    if (!pending) return refuse('malformed', 'a reference to a struct that does not exist')
    return pending
  }

  /** The place key of an item of the document (see `ParsedStruct.place`). */
  private placeOf(item: Y.Item): string {
    const parent = item.parent as Y.AbstractType<unknown> | null
    if (!parent) return ''
    if (parent._item) return placeKey(`${parent._item.id.client}:${parent._item.id.clock}`, item.parentSub)
    let name = this.rootNames.get(parent)
    if (name === undefined) {
      name = ''
      for (const [key, type] of this.doc.share) if (type === parent) name = key
      this.rootNames.set(parent, name)
    }
    return placeKey(`root:${name}`, item.parentSub)
  }

  private findAccepted(client: number, clock: number): ParsedStruct | undefined {
    const list = this.accepted.get(client)
    if (!list) return undefined
    let low = 0
    let high = list.length - 1
    while (low <= high) {
      const mid = (low + high) >>> 1
      const struct = list[mid]
      if (clock < struct.clock) high = mid - 1
      else if (clock >= struct.clock + struct.length) low = mid + 1
      else return struct
    }
    return undefined
  }

  private noteRoot(name: string): void {
    if (this.doc.share.has(name) || this.newRoots.has(name) || this.overlay?.hasRoot(name)) return
    this.newRoots.add(name)
    if (this.doc.share.size + (this.overlay?.rootCount ?? 0) + this.newRoots.size > this.limits.maxRootTypes) {
      refuse('limit', `more than ${this.limits.maxRootTypes} root types in one document`)
    }
  }

  /** The deletions Yjs can apply now, with their work (see `keptDeletes`). */
  private keptDeletes(): { ranges: KeptRange[]; cut: boolean; dropped: boolean } {
    return keptDeletes(this.store, this.parsed.deletes, (client) => this.stateOf(client))
  }

  private footprint(visits: ParsedStruct[]): Omit<AcceptedPart, 'update' | 'whole'> {
    const structs = new Map<number, AcceptedStruct[]>()
    const rootNames = new Set<string>()
    const checks: { client: number; clock: number }[] = []
    for (const struct of visits) {
      let list = structs.get(struct.client)
      if (!list) structs.set(struct.client, (list = []))
      list.push(struct)
      if (struct.parentRoot !== null && this.newRootSet?.has(struct.parentRoot)) rootNames.add(struct.parentRoot)
      if (struct.verify && !struct.gc) checks.push({ client: struct.client, clock: struct.clock })
    }
    return { structs, rootNames: [...rootNames], checks }
  }

  /** Cut the kept structs (in integration order), then the deletions, into parts within the budget. */
  private cutIntoParts(update: Uint8Array, deletes: KeptRange[]): AcceptedPart[] {
    return cutIntoParts(update, this.visits, deletes, this.limits.partBudget, (visits) => this.footprint(visits))
  }
}

/** A type (by its root name or the ID of the item holding it) and a map key, as one comparable string. */
function placeKey(type: string, parentSub: string | null): string {
  return parentSub === null ? type : `${type}\u0000${parentSub}`
}

/** Nesting level of the type an item of the document sits in (0: a root type). Stops counting past `cap`. */
function levelOf(item: Y.Item, cap: number): number {
  let level = 0
  let type = item.parent as Y.AbstractType<unknown> | null
  while (type && type._item && level <= cap) {
    level++
    type = type._item.parent as Y.AbstractType<unknown> | null
  }
  return level
}
