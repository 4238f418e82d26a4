/**
 * A faster `absolutePositionToRelativePosition` for y-prosemirror (1.3.7):
 * the narrow change to the binding that issue 13 allows.
 *
 * The binding turns a ProseMirror position into a Yjs relative position by
 * walking the fragment from its first block, looking up every block's
 * ProseMirror node (for its size) in the binding's mapping, until it reaches
 * the block that holds the position. It does so about eight times a
 * keystroke (the undo plugin's `prevSel`, the binding's own selection
 * bookkeeping, the caret plugin's awareness update), so a keystroke at the
 * end of 8,000 paragraphs paid for 64,000 map lookups: about 4 ms, and
 * 1.3 ms at 2,000 (CPU profiles in bench/README.md).
 *
 * Here the mapping the editor hands the binding (`PositionIndexedMapping`)
 * also keeps the sizes of the top-level blocks in a Fenwick tree, updated as
 * the binding writes the mapping, so finding the block that holds a position
 * takes O(log n). Inside that block the binding's own walk runs, started at
 * the block; at a block's edges and past the document's end, the answer the
 * walk would reach is given directly. The result is the full walk's, which
 * the tests check position by position through random edits. The full walk
 * still answers wherever that cannot be sure to hold:
 * - the first position inside a block that starts with an element (a list's
 *   first item), and a walk inside a block that would run past its end (a
 *   nested mapping entry out of step with the block's);
 * - a mapping that is not this one, and a fragment holding text at its top
 *   level;
 * - a Yjs list ahead of the mapping: inside a transaction that has changed
 *   the list of blocks (once it ends, an observer has the index read the
 *   list again), a block Yjs has and the binding has not mapped right before
 *   the position, a block found deleted.
 *
 * The binding's own function is replaced at build time by
 * `scripts/vite-binding-positions.ts` (vite and vitest alike), which renames
 * it and exports `withPositionIndex(walk)` under its name.
 */
import type { Node } from 'prosemirror-model'
import * as Y from 'yjs'

// y-prosemirror types its mapping's keys as `AbstractType<any>`.
type YType = Y.AbstractType<any>
/** y-prosemirror's mapping: a Yjs type to its ProseMirror node (text: its nodes). */
type Mapped = Node | Node[]
type Walk = (pos: number, type: Y.XmlFragment | Y.XmlElement, mapping: Map<YType, Mapped>) => Y.RelativePosition

/** A block of the fragment as the binding sees it: a Yjs type with its item. */
type Block = Y.XmlElement

let bindingWalk: Walk | null = null

/** The binding's own walk, once y-prosemirror has loaded (for tests and fallbacks). */
export function walkOfBinding(): Walk | null {
  return bindingWalk
}

/** The size of a mapped ProseMirror node, or null for what is not one node (text maps to an array). */
function sizeOf(value: unknown): number | null {
  const size = (value as { nodeSize?: unknown } | undefined)?.nodeSize
  return typeof size === 'number' ? size : null
}

/**
 * The binding's mapping (Yjs type to ProseMirror node), which also indexes
 * the top-level blocks' sizes. Give it to `ySyncPlugin(fragment, { mapping })`.
 */
export class PositionIndexedMapping extends Map<YType, Mapped> {
  #root: Y.XmlFragment | null = null
  /** Top-level blocks in order, each one's index, size, and the Fenwick tree over the sizes (1-based). */
  #blocks: Block[] = []
  #indexOf = new Map<YType, number>()
  #sizes: number[] = []
  /** Each block's entry in this mapping, as `get` would give it (undefined: none yet). */
  #nodes: (Mapped | undefined)[] = []
  #tree: number[] = []
  #valid = false
  /** The fragment holds something other than elements at its top level: never indexed. */
  #unsupported = false

  override set(key: YType, value: Mapped): this {
    super.set(key, value)
    if (this.#valid) this.#changed(key, value)
    return this
  }

  override delete(key: YType): boolean {
    const had = super.delete(key)
    const index = this.#valid ? this.#indexOf.get(key) : undefined
    // A block's entry dropped while the block stays: the binding does this to every block a
    // remote change touched, then maps it again. Until then it counts as unmapped (size 0), as a
    // rebuild would count it, rather than reading the whole list again on every remote
    // keystroke. A block removed from the fragment is the root observer's.
    if (index !== undefined) {
      this.#nodes[index] = undefined
      if (this.#sizes[index] !== 0) this.#add(index, -this.#sizes[index])
    }
    return had
  }

  override clear(): void {
    super.clear()
    this.#valid = false
  }

  /**
   * The top-level block the walk stops at for `pos` and where it starts (a
   * null block: `pos` lies at or past the end, which `start` then is), or
   * null when the index cannot say.
   */
  locate(root: Y.XmlFragment, pos: number): { block: Block | null; start: number } | null {
    if (!this.#current(root)) return null
    const found = this.#search(pos)
    // A block with no mapping entry yet (size 0) right before the stop: the walk would stop at
    // it instead, so leave that to the walk.
    if (found.start === pos && found.index > 0 && this.#sizes[found.index - 1] === 0) return null
    if (found.index === this.#blocks.length) return { block: null, start: found.start }
    const block = this.#blocks[found.index]
    const item = block._item
    // Removed from the fragment, or its mapping entry replaced, since the index was built.
    if (item === null || item.deleted || item.parent !== root || sizeOf(super.get(block)) !== this.#sizes[found.index]) return null
    return { block, start: found.start }
  }

  /**
   * The top-level blocks of `root` in order, with each one's entry in this
   * mapping, or null when the index cannot say (as for `locate`). Read only:
   * valid until the next change to the mapping or the fragment.
   */
  topLevel(root: Y.XmlFragment): { blocks: readonly Block[]; nodes: readonly (Mapped | undefined)[] } | null {
    return this.#current(root) ? { blocks: this.#blocks, nodes: this.#nodes } : null
  }

  /** Bring the index up to date with `root`'s list of blocks; false when it cannot be. */
  #current(root: Y.XmlFragment): boolean {
    if (root !== this.#root) {
      this.#root = root
      this.#valid = false
      // Any change to the list of blocks (a block swapped for another keeps their count) makes
      // the index read the list again. Plain observers run before the binding's deep one, so
      // the index is marked before anything the binding dispatches asks it.
      root.observe(() => {
        if (root === this.#root) this.#valid = false
      })
    }
    // Inside a transaction that has changed the list, before any observer has run: not now.
    if (root.doc?._transaction?.changed.has(root as YType)) return false
    if (!this.#valid || root._length !== this.#blocks.length) this.#rebuild(root)
    return !this.#unsupported
  }

  /** A block's node replaced: its new size. A block added or removed is the root observer's. */
  #changed(key: YType, value: Mapped): void {
    const index = this.#indexOf.get(key)
    if (index === undefined) return
    this.#nodes[index] = value
    const size = sizeOf(value)
    if (size === null) this.#valid = false
    else if (size !== this.#sizes[index]) this.#add(index, size - this.#sizes[index])
  }

  #rebuild(root: Y.XmlFragment): void {
    this.#blocks = []
    this.#indexOf.clear()
    this.#sizes = []
    this.#nodes = []
    this.#unsupported = false
    for (let item = root._start; item !== null; item = item.right) {
      if (item.deleted) continue
      const type = (item.content as { type?: unknown }).type
      if (!(type instanceof Y.XmlElement)) {
        this.#unsupported = true
        break
      }
      const node = super.get(type)
      const size = node === undefined ? 0 : sizeOf(node)
      if (size === null) {
        this.#unsupported = true
        break
      }
      this.#indexOf.set(type, this.#blocks.length)
      this.#blocks.push(type)
      this.#sizes.push(size)
      this.#nodes.push(node)
    }
    // Linear Fenwick construction: each node passes its sum to its parent.
    const n = this.#sizes.length
    const tree = new Array<number>(n + 1).fill(0)
    for (let i = 1; i <= n; i++) {
      tree[i] += this.#sizes[i - 1]
      const parent = i + (i & -i)
      if (parent <= n) tree[parent] += tree[i]
    }
    this.#tree = tree
    this.#valid = true
  }

  #add(index: number, delta: number): void {
    this.#sizes[index] += delta
    for (let i = index + 1; i < this.#tree.length; i += i & -i) this.#tree[i] += delta
  }

  /** The first block whose end lies beyond `pos`, as the walk would find it (or the count of blocks), and its start. */
  #search(pos: number): { index: number; start: number } {
    const n = this.#sizes.length
    let index = 0
    let rest = pos
    let step = 1
    while (step * 2 <= n) step *= 2
    for (; step > 0; step >>= 1) {
      if (index + step <= n && this.#tree[index + step] <= rest) {
        index += step
        rest -= this.#tree[index]
      }
    }
    return { index, start: pos - rest }
  }
}

/**
 * Where the full walk ends for a position at or past the fragment's end (a
 * ProseMirror state a step ahead of the mapping asks for those: the binding
 * records the caret of a keystroke that is not in the mapping yet). The walk
 * leaves the last block and answers the fragment's end, tied to the
 * fragment: whether it gets there by its "end of the parent" step (nothing
 * left) or by climbing (some left), that is the same position.
 */
function pastTheEnd(type: Y.XmlFragment): Y.RelativePosition {
  // What Yjs's createRelativePositionFromTypeIndex(type, type._length, assoc) gives,
  // without its walk over every block (a keystroke asks for it): the type's end.
  const assoc = type.length === 0 ? -1 : 0
  return type._item === null
    ? new Y.RelativePosition(null, Y.findRootTypeKey(type), null, assoc)
    : new Y.RelativePosition(Y.createID(type._item.id.client, type._item.id.clock), null, null, assoc)
}

/**
 * The walk's answer at a block's first position inside (a caret at the start
 * of a line), where a walk started at the block would give its own
 * start-of-type answer instead: in a block that starts with text, the start
 * of that text; in an empty block, the block itself. Null for anything else.
 */
function atBlockStart(block: Block, type: Y.XmlFragment): Y.RelativePosition | null {
  const first = block._first
  if (first === null) return block._length === 0 ? new Y.RelativePosition(block._item!.id, null, null) : null
  const text = (first.content as { type?: unknown }).type
  return text instanceof Y.XmlText ? Y.createRelativePositionFromTypeIndex(text, 0, type.length === 0 ? -1 : 0) : null
}

/** Installed by the rewritten y-prosemirror module, once: the binding's walk, indexed. */
export function withPositionIndex(walk: Walk): Walk {
  bindingWalk = walk
  return indexedWalk(walk)
}

/**
 * `walk` made to start at the block that holds the position when the
 * mapping is a `PositionIndexedMapping`: the full walk over the fragment
 * runs only for the cases listed at the top of this file.
 */
export function indexedWalk(walk: Walk): Walk {
  return (pos, type, mapping) => {
    if (pos === 0 || !(mapping instanceof PositionIndexedMapping) || !(type instanceof Y.XmlFragment)) return walk(pos, type, mapping)
    const found = mapping.locate(type, pos)
    if (found === null) return walk(pos, type, mapping)
    const { block, start } = found
    if (block === null) return type._first === null ? walk(pos, type, mapping) : pastTheEnd(type)
    const inside = pos - start
    // Between two blocks, the walk stops as it steps onto the second: a position tied to it,
    // in the fragment (the first block starts at 0, which the walk answers before any block).
    if (inside === 0) {
      return type._item === null ? new Y.RelativePosition(null, Y.findRootTypeKey(type), block._item!.id) : new Y.RelativePosition(type._item.id, null, block._item!.id)
    }
    if (inside === 1) return atBlockStart(block, type) ?? walk(pos, type, mapping)
    // The full walk enters a block with children (`_first` skips deleted ones) with
    // `inside - 1` left, which is where this walk starts.
    if (block._first === null) return walk(pos, type, mapping)
    let result: Y.RelativePosition
    try {
      result = walk(inside - 1, block, mapping)
    } catch {
      return walk(pos, type, mapping)
    }
    // The walk ran past the block's end, where the full walk would go on to the next block.
    // With the mapping's sizes agreeing at every level it cannot (the block's size bounds
    // what is left); a nested entry out of step with the block's can make it.
    const blockId = block._item!.id
    if (result.item === null && result.type !== null && result.type.client === blockId.client && result.type.clock === blockId.clock) {
      return walk(pos, type, mapping)
    }
    return result
  }
}
