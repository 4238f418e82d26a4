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
  budget?: number,
): Promise<Y.Doc | null> {
  const replay = new LogReplay(limits, budget)
  replay.push(updates)
  return replay.finish()
}

/**
 * `replayUnchecked` fed as storage reads: `push` each part of the log as it
 * comes (it is applied while storage reads the next), then `finish`. Once
 * anything fails, the rest is not applied and `finish` gives null.
 */
export class LogReplay {
  private readonly doc = new Y.Doc({ gc: true })
  private readonly parts: (readonly Uint8Array[])[] = []
  /** The replay of what is pushed: it runs while there are parts, and ends when it has none left. */
  private running: Promise<void> | null = null
  private active = false
  private failed = false
  /** Updates and bytes pushed: the budget grows with them. */
  private count = 0
  private bytes = 0
  /** Time spent replaying (not waiting for storage). */
  private spentMs = 0

  constructor(
    private readonly limits: Pick<RelayLimits, 'maxTypeDepth' | 'maxRootTypes' | 'maxValueDepth'>,
    private readonly budget?: number,
  ) {}

  /** Updates pushed so far. */
  get pushed(): number {
    return this.count
  }

  push(updates: readonly Uint8Array[]): void {
    this.count += updates.length
    for (const update of updates) this.bytes += update.byteLength
    if (this.failed || updates.length === 0) return
    this.parts.push(updates)
    if (this.active) return
    // Set before the call: a run that applies everything without yielding ends inside it.
    this.active = true
    this.running = this.run()
  }

  /** Once everything pushed is applied: the document, or null when it must take the guarded way. */
  async finish(): Promise<Y.Doc | null> {
    await this.running
    const sound = !this.failed && !this.overBudget() && unsoundness(this.doc, this.limits) === null
    if (!sound) this.doc.destroy()
    return sound ? this.doc : null
  }

  /** Give up (the caller loads another way); the document is dropped once the current slice ends. */
  abandon(): void {
    this.failed = true
    this.parts.length = 0
    void this.finish()
  }

  private overBudget(): boolean {
    return this.spentMs > (this.budget ?? budgetMs(this.count, this.bytes))
  }

  private async run(): Promise<void> {
    const yielder = createYielder()
    let started = performance.now()
    try {
      while (!this.failed && this.parts.length > 0) {
        const updates = this.parts.shift()!
        for (let index = 0; index < updates.length && !this.failed; ) {
          // A few hundred updates a transaction: Yjs's end-of-transaction
          // work (merging structs) then runs once for many updates, while
          // the unmerged structs a transaction leaves behind stay few
          // (applying the trace 300 a transaction took 0.7-0.8 s, 3,000
          // about 1.1 s, 30,000 about 3 s, all of it in one 0.9-1.1 s).
          Y.transact(this.doc, () => {
            const end = Math.min(updates.length, index + UPDATES_PER_TRANSACTION)
            for (; index < end; index++) Y.applyUpdate(this.doc, updates[index])
          })
          if (!yielder.due) continue
          this.spentMs += performance.now() - started
          if (this.overBudget()) this.failed = true
          await yielder.maybeYield()
          started = performance.now()
        }
      }
    } catch {
      // Whatever Yjs threw on, the guarded load finds and sets aside.
      this.failed = true
    } finally {
      this.spentMs += performance.now() - started
      this.active = false
    }
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
export function budgetMs(count: number, bytes: number): number {
  return 1_000 + count * 0.03 + bytes * 0.001
}

/** What is wrong with a document the guard would not have let happen, or null. */
export function unsoundness(doc: Y.Doc, limits: Pick<RelayLimits, 'maxTypeDepth' | 'maxRootTypes' | 'maxValueDepth'>): string | null {
  const { store } = doc
  if (store.pendingStructs || store.pendingDs) return 'content waits for structs or deletions the log does not hold'
  if (doc.share.size > limits.maxRootTypes) return `more than ${limits.maxRootTypes} root types`
  const order = new ListOrder(store)
  for (const [client, structs] of store.clients) {
    for (let index = 0; index < structs.length; index++) {
      const struct = structs[index]
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
      const wrong = order.misplacement(struct, client, index)
      if (wrong) return `item ${client}:${struct.id.clock} is not ${wrong}`
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
 *
 * Positions are kept per client in typed arrays beside the client's structs
 * (the struct at index i has its position at i; see `ClientOrder`). A
 * document full of edits has most items away from their origins (8,091 of
 * the trace's 10,971), so finding the struct that holds a clock is much of
 * the check: a search that stays in one contiguous array took it from 4 ms
 * to 2 (the trace compacted), and starting that search from a bucket of
 * clocks rather than the whole client took it to 1.4.
 */
class ListOrder {
  private readonly clients = new Map<number, ClientOrder>()
  private readonly numbered = new Set<Y.AbstractType<unknown>>()
  /** The last position given: every list gets a run of its own, so positions compare within a list. */
  private counter = 0
  /** The client looked up last: most documents have one or a few, so this skips the map. */
  private last: ClientOrder | null = null

  constructor(private readonly store: Y.Doc['store']) {}

  /** What is wrong with the place of `item` (the struct at `index` of `client`), or null. */
  misplacement(item: Y.Item, client: number, index: number): string | null {
    const nearLeft = !item.origin || (item.left !== null && holds(item.left, item.origin))
    const nearRight = !item.rightOrigin || (item.right !== null && holds(item.right, item.rightOrigin))
    if (nearLeft && nearRight) return null
    // A map entry's list is its key's history, newest last: short, and walked as the live check walks it.
    if (item.parentSub !== null) return misplacement(item)
    const parent = item.parent as Y.AbstractType<unknown>
    if (!this.numbered.has(parent)) this.number(parent)
    const here = this.of(client).positions[index]
    if (!nearLeft && !this.before(item.origin!, parent, here)) return 'to the right of its origin'
    if (!nearRight && !this.before(item.rightOrigin!, parent, here, true)) return 'to the left of its right origin'
    return null
  }

  /** Whether the struct holding `id` is in the list of `parent`, on the left of position `here` (on the right when `after`). */
  private before(id: Y.ID, parent: Y.AbstractType<unknown>, here: number, after = false): boolean {
    const order = this.of(id.client)
    const index = order.indexOf(id.clock)
    if (index < 0) return false
    const neighbour = order.structs[index]
    if (!(neighbour instanceof Y.Item) || neighbour.parent !== parent || neighbour.parentSub !== null) return false
    const there = order.positions[index]
    return after ? there > here : there < here
  }

  /** Give every item of `parent`'s list its position, left to right. */
  private number(parent: Y.AbstractType<unknown>): void {
    this.numbered.add(parent)
    let client = -1
    let order: ClientOrder | null = null
    let last = -1
    for (let at = parent._start; at !== null; at = at.right) {
      if (at.id.client !== client) {
        client = at.id.client
        order = this.of(client)
        last = -1
      }
      // Typing leaves runs of one client's structs in order: try the next one before looking up.
      const index = order!.structs[last + 1] === at ? last + 1 : order!.indexOf(at.id.clock)
      if (index >= 0) order!.positions[index] = ++this.counter
      last = index
    }
  }

  private of(client: number): ClientOrder {
    if (this.last?.client === client) return this.last
    let order = this.clients.get(client)
    if (!order) {
      order = new ClientOrder(client, this.store.clients.get(client) ?? [])
      this.clients.set(client, order)
    }
    this.last = order
    return order
  }
}

/**
 * One client's structs: each one's position in its list (0 until numbered),
 * and a lookup of the struct that holds a clock. The lookup splits the
 * client's clocks into about as many equal buckets as it has structs and
 * keeps, per bucket, the index of the struct holding the bucket's first
 * clock: a clock's struct is then found between two neighbouring entries,
 * almost always the first, with a binary search between them for a bucket
 * that spans many structs. The clocks are one entry a struct, the buckets at
 * most two (the width is the largest power of two under clocks per struct).
 */
class ClientOrder {
  readonly positions: Int32Array
  /** Each struct's first clock (built on the first lookup). */
  private clocks: Float64Array | null = null
  /** Per bucket, the index of the struct that holds its first clock; one more entry: the last struct. */
  private buckets: Int32Array | null = null
  private bucketWidth = 1

  constructor(
    readonly client: number,
    readonly structs: readonly (Y.Item | Y.GC)[],
  ) {
    this.positions = new Int32Array(structs.length)
  }

  /** Index of the struct that holds `clock`, or -1. */
  indexOf(clock: number): number {
    const { structs } = this
    if (structs.length === 0 || clock < 0) return -1
    if (this.clocks === null) this.prepare()
    const clocks = this.clocks!
    const buckets = this.buckets!
    const bucket = Math.floor(clock / this.bucketWidth)
    // Past the last bucket: only the last struct can hold it (checked below).
    const inBuckets = bucket < buckets.length - 1
    let low = inBuckets ? buckets[bucket] : structs.length - 1
    let high = inBuckets ? buckets[bucket + 1] : low
    while (low < high) {
      const middle = (low + high + 1) >> 1
      if (clocks[middle] <= clock) low = middle
      else high = middle - 1
    }
    const struct = structs[low]
    return struct.id.clock <= clock && clock < struct.id.clock + struct.length ? low : -1
  }

  private prepare(): void {
    const { structs } = this
    const count = structs.length
    const clocks = new Float64Array(count)
    for (let index = 0; index < count; index++) clocks[index] = structs[index].id.clock
    const last = structs[count - 1]
    const end = last.id.clock + last.length
    this.bucketWidth = 2 ** Math.max(0, Math.floor(Math.log2(end / count)))
    const bucketCount = Math.ceil(end / this.bucketWidth)
    const buckets = new Int32Array(bucketCount + 1)
    let index = 0
    for (let bucket = 0; bucket < bucketCount; bucket++) {
      const first = bucket * this.bucketWidth
      while (index + 1 < count && clocks[index + 1] <= first) index++
      buckets[bucket] = index
    }
    buckets[bucketCount] = count - 1
    this.clocks = clocks
    this.buckets = buckets
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
