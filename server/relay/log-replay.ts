import * as Y from 'yjs'
import { misplacement } from './integration-check.ts'
import type { RelayLimits } from './limits.ts'
import { createYielder } from './yielder.ts'

/**
 * The quick way to open a stored log: apply it straight to Yjs, then check
 * the result for everything the guard stops.
 *
 * What this relay stores has passed its update guard, so replaying it through
 * the guard again (which costs about as much as applying it, twice over for
 * a long log of keystrokes) almost always finds nothing. Replaying it
 * unchecked and then inspecting the document once finds the same things,
 * because each of them either makes Yjs throw or leaves a mark in the
 * document:
 * - malformed bytes, an item whose parent is not a type, or one that refers
 *   to a later struct of its own client: Yjs throws (caught here);
 * - content that depends on what the log does not hold: Yjs keeps it
 *   pending;
 * - types nested too deep, too many root types, JSON or `Any` values nested
 *   too deep, an item placed outside its neighbours: visible in the document.
 * Any of these returns null, and the caller loads the log again through the
 * guard, update by update, which sets the culprits aside with their reasons.
 * Only a log written before the guard existed (or by something else) can
 * take that path.
 *
 * The guard also bounds how far Yjs walks to place an item; unchecked, a
 * log crafted to make every item walk far could take very long. The replay
 * gives up, and leaves it to the guard, once it has taken longer than an
 * honest log of its size could (`budgetMs`).
 */
export async function replayUnchecked(
  updates: readonly Uint8Array[],
  limits: Pick<RelayLimits, 'maxTypeDepth' | 'maxRootTypes' | 'maxValueDepth'>,
  budget = budgetMs(updates),
): Promise<Y.Doc | null> {
  const doc = new Y.Doc({ gc: true })
  const yielder = createYielder()
  const started = performance.now()
  let sound = false
  try {
    for (let index = 0; index < updates.length; ) {
      // A few hundred updates a transaction: Yjs's end-of-transaction work
      // (merging structs) then runs once for many updates, while the
      // unmerged structs a transaction leaves behind stay few (applying the
      // trace 300 a transaction took 0.7-0.8 s, 3,000 about 1.1 s, 30,000
      // about 3 s, all of it in one 0.9-1.1 s).
      Y.transact(doc, () => {
        const end = Math.min(updates.length, index + UPDATES_PER_TRANSACTION)
        for (; index < end; index++) Y.applyUpdate(doc, updates[index])
      })
      if (!yielder.due) continue
      if (performance.now() - started > budget) return null
      await yielder.maybeYield()
    }
    if (performance.now() - started > budget) return null
    sound = unsoundness(doc, limits) === null
    return sound ? doc : null
  } catch {
    // Whatever Yjs threw on, the guarded load finds and sets aside.
    return null
  } finally {
    if (!sound) doc.destroy()
  }
}

const UPDATES_PER_TRANSACTION = 256

/**
 * How long an honest log of this size may take to replay: applying the
 * automerge-paper trace's 259,778 keystrokes takes about 3 µs each on two
 * cores, and its compacted 160 KB about 0.1 µs a byte; the budget is ten
 * times that, and a second more, so a busy machine does not fall back for
 * nothing.
 */
export function budgetMs(updates: readonly Uint8Array[]): number {
  let bytes = 0
  for (const update of updates) bytes += update.byteLength
  return 1_000 + updates.length * 0.03 + bytes * 0.001
}

/** What is wrong with a document the guard would not have let happen, or null. */
export function unsoundness(doc: Y.Doc, limits: Pick<RelayLimits, 'maxTypeDepth' | 'maxRootTypes' | 'maxValueDepth'>): string | null {
  const { store } = doc
  if (store.pendingStructs || store.pendingDs) return 'content waits for structs or deletions the log does not hold'
  if (doc.share.size > limits.maxRootTypes) return `more than ${limits.maxRootTypes} root types`
  const order = new ListOrder(store)
  for (const structs of store.clients.values()) {
    for (const struct of structs) {
      if (!(struct instanceof Y.Item)) continue
      const { content } = struct
      if (content instanceof Y.ContentType) {
        if (typeLevel(struct, limits.maxTypeDepth) + 1 > limits.maxTypeDepth) return `types nested deeper than ${limits.maxTypeDepth}`
      } else if (content instanceof Y.ContentAny || content instanceof Y.ContentJSON) {
        for (const value of content.arr) if (nestedDeeper(value, limits.maxValueDepth)) return `a value nested deeper than ${limits.maxValueDepth}`
      } else if (content instanceof Y.ContentEmbed) {
        if (nestedDeeper(content.embed, limits.maxValueDepth)) return `a value nested deeper than ${limits.maxValueDepth}`
      } else if (content instanceof Y.ContentFormat) {
        if (nestedDeeper(content.value, limits.maxValueDepth)) return `a value nested deeper than ${limits.maxValueDepth}`
      } else if (content instanceof Y.ContentDoc) {
        if (nestedDeeper(content.opts, limits.maxValueDepth)) return `a value nested deeper than ${limits.maxValueDepth}`
      }
      const wrong = order.misplacement(struct)
      if (wrong) return `item ${struct.id.client}:${struct.id.clock} is not ${wrong}`
    }
  }
  return null
}

/**
 * Whether items sit between their neighbours, for a whole document at once.
 * Most items sit right next to both (checked in one step); for the others,
 * the list they are in is numbered once, so that an origin many items away
 * costs a lookup rather than a walk (walking made checking a compacted
 * document take as long as applying it).
 */
class ListOrder {
  private readonly positions = new Map<Y.AbstractType<unknown>, Map<Y.Item, number>>()

  constructor(private readonly store: Y.Doc['store']) {}

  misplacement(item: Y.Item): string | null {
    const nearLeft = !item.origin || (item.left !== null && holds(item.left, item.origin))
    const nearRight = !item.rightOrigin || (item.right !== null && holds(item.right, item.rightOrigin))
    if (nearLeft && nearRight) return null
    // A map entry's list is its key's history, newest last: short, and walked as the live check walks it.
    if (item.parentSub !== null) return misplacement(item)
    const here = this.positionOf(item)
    if (!nearLeft && !this.before(item.origin!, item, here)) return 'to the right of its origin'
    if (!nearRight && !this.before(item.rightOrigin!, item, here, true)) return 'to the left of its right origin'
    return null
  }

  /** Whether the struct holding `id` is in `item`'s list, on the left of it (on the right when `after`). */
  private before(id: Y.ID, item: Y.Item, here: number, after = false): boolean {
    const structs = this.store.clients.get(id.client)
    if (!structs) return false
    const neighbour = structs[Y.findIndexSS(structs, id.clock)]
    if (!(neighbour instanceof Y.Item) || neighbour.parent !== item.parent || neighbour.parentSub !== null) return false
    const there = this.positionOf(neighbour)
    return after ? there > here : there < here
  }

  private positionOf(item: Y.Item): number {
    const parent = item.parent as Y.AbstractType<unknown>
    let numbered = this.positions.get(parent)
    if (!numbered) {
      numbered = new Map()
      let n = 0
      for (let at = parent._start; at !== null; at = at.right) numbered.set(at, n++)
      this.positions.set(parent, numbered)
    }
    return numbered.get(item) ?? -1
  }
}

function holds(item: Y.Item, id: Y.ID): boolean {
  return item.id.client === id.client && item.id.clock <= id.clock && id.clock < item.id.clock + item.length
}

/** Nesting level of the type an item sits in (0: a root type), counted up to `cap` + 1. */
function typeLevel(item: Y.Item, cap: number): number {
  let level = 0
  let type = item.parent as Y.AbstractType<unknown> | null
  while (type?._item && level <= cap) {
    level++
    type = type._item.parent as Y.AbstractType<unknown> | null
  }
  return level
}

/** Whether a JSON-like value nests arrays and objects deeper than `max` (the parse's `maxValueDepth`). */
function nestedDeeper(value: unknown, max: number, depth = 0): boolean {
  if (value === null || typeof value !== 'object') return false
  if (depth >= max) return true
  if (value instanceof Uint8Array) return false
  for (const child of Array.isArray(value) ? value : Object.values(value)) if (nestedDeeper(child, max, depth + 1)) return true
  return false
}
