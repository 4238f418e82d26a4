/**
 * Where a change moved the top-level blocks of a document: the window of
 * block-window.ts hides blocks by their index, so after blocks are added,
 * removed or replaced it finds where the blocks it showed went.
 */
import type { Node } from 'prosemirror-model'

/** Blocks before `start` are the same; old blocks from `end` on are the same, `shift` places later; those between were replaced. */
export interface BlockChange {
  readonly start: number
  /** In the old document. */
  readonly end: number
  /** Where the unchanged blocks after the change start in the new document, minus `end`. */
  readonly shift: number
}

/** How the top-level blocks of `before` map onto `after`; null when they are the same. */
export function blockChange(before: Node, after: Node): BlockChange | null {
  if (before === after) return null
  const diffStart = after.content.findDiffStart(before.content)
  if (diffStart === null) return null
  const diffEnd = after.content.findDiffEnd(before.content)!
  const start = blockAt(after, diffStart, false)
  let endAfter = blockAt(after, diffEnd.a, true)
  let endBefore = blockAt(before, diffEnd.b, true)
  // The suffix the two share can overlap the prefix (a block added next to one just like it):
  // move both of its ends past `start`, which keeps the shift.
  const overlap = Math.max(0, start - Math.min(endAfter, endBefore))
  endAfter += overlap
  endBefore += overlap
  return { start, end: endBefore, shift: endAfter - endBefore }
}

/**
 * The index of the block at `pos`: the block that contains it, or starts
 * there. With `after`, a position inside a block counts as that block's end
 * (the first index whose block starts at or after `pos`).
 */
function blockAt(doc: Node, pos: number, after: boolean): number {
  let offset = 0
  for (let i = 0; i < doc.childCount; i++) {
    const size = doc.child(i).nodeSize
    if (pos === offset) return i
    if (pos < offset + size) return after ? i + 1 : i
    offset += size
  }
  return doc.childCount
}

/**
 * Where old block `index` is after the change. A replaced block gives -1,
 * or with `clamp` the first (`start`) or last (`end`) of the blocks that
 * took its place; when nothing did (a deletion), the block after the gap
 * (`start`) or the one before it (`end`, -1 at the document's start). A
 * range mapped with `start` at its first block and `end` at its last is
 * then empty exactly when all of it was deleted.
 */
export function mapBlock(change: BlockChange, index: number, clamp?: 'start' | 'end'): number {
  if (index < change.start) return index
  if (index >= change.end) return index + change.shift
  if (!clamp) return -1
  const endAfter = change.end + change.shift
  return clamp === 'start' ? change.start : endAfter - 1
}
