/**
 * y-prosemirror (1.3.7) writes every local ProseMirror change to Yjs with
 * `updateYFragment(doc, fragment, pmDoc, binding)`, which compares the whole
 * document: it lists every top-level Yjs block (`toArray`, a walk of the
 * fragment's items), every top-level ProseMirror node, and then looks each
 * block up in the mapping from both ends until it meets a changed one. At
 * 8,000 paragraphs that was the last piece of the binding's keystroke that
 * grew with the document (bench/README.md).
 *
 * Here, for the root fragment with a `PositionIndexedMapping`, the unchanged
 * blocks at both ends are found from the index's list of blocks and their
 * mapped nodes (an identity compare per block, no walk and no map lookups),
 * and the binding's own function runs on what lies between: a window over
 * the fragment and the node, which it treats as the whole. Its comparison,
 * updates, inserts and deletes then happen exactly as before, offset by the
 * unchanged prefix.
 *
 * The blocks skipped are those the binding's own loops skip first (their
 * mapped node is the ProseMirror node at the same place). Where its loops
 * would go on matching blocks by content past a changed one, the window
 * stops at the identical ones on the other side, so of two equal blocks it
 * may keep a different one; the document written is the same (the tests
 * compare both with the ProseMirror document through random edits).
 *
 * Everything else goes to the binding's function as it is: nested elements,
 * another mapping, a fragment the index cannot read (text at its top level,
 * a transaction that has already changed its list of blocks).
 *
 * `scripts/vite-binding-positions.ts` renames the binding's function and
 * exports `withChangedBlocks(itsOwnUpdate)` under its name.
 */
import type { Node } from 'prosemirror-model'
import * as Y from 'yjs'
import { PositionIndexedMapping } from './binding-positions.ts'

/** What the binding passes as `meta`: itself, of which the update reads the mapping (and its mark cache). */
interface Meta {
  mapping: Map<Y.AbstractType<any>, unknown>
}
export type Update = (y: Y.Doc, fragment: Y.XmlFragment, node: Node, meta: Meta) => void

let bindingUpdate: Update | null = null

/** The binding's own update, once y-prosemirror has loaded (for tests). */
export function updateOfBinding(): Update | null {
  return bindingUpdate
}

/** Installed by the rewritten y-prosemirror module, once. */
export function withChangedBlocks(update: Update): Update {
  bindingUpdate = update
  return changedBlocksUpdate(update)
}

/** `update` made to compare only the changed top-level blocks when it can (see the top of this file). */
export function changedBlocksUpdate(update: Update): Update {
  return (y, fragment, node, meta) => {
    const mapping = meta.mapping
    // Nested elements are fragments too (Y.XmlElement extends Y.XmlFragment).
    if (!(mapping instanceof PositionIndexedMapping) || fragment instanceof Y.XmlElement) return update(y, fragment, node, meta)
    const index = mapping.topLevel(fragment)
    if (index === null) return update(y, fragment, node, meta)
    const { blocks, nodes } = index
    const children = node.content.content
    const yCount = blocks.length
    const pCount = children.length
    const shorter = Math.min(yCount, pCount)
    let from = 0
    while (from < shorter && nodes[from] === children[from]) from++
    let after = 0
    while (after < shorter - from && nodes[yCount - 1 - after] === children[pCount - 1 - after]) after++
    mapping.set(fragment, node)
    if (from === yCount && from === pCount) return
    const pWindow = children.slice(from, pCount - after)
    // The binding compares top-level text as runs (mapped to arrays, so never among the
    // identical blocks): left to the whole comparison.
    if (pWindow.some((child) => child.isText)) return update(y, fragment, node, meta)
    const yWindow = blocks.slice(from, yCount - after)
    const windowFragment = {
      toArray: () => yWindow,
      get: (at: number) => fragment.get(from + at),
      delete: (at: number, length: number) => fragment.delete(from + at, length),
      insert: (at: number, content: (Y.XmlElement | Y.XmlText)[]) => fragment.insert(from + at, content),
      slice: (start: number, end: number) => fragment.slice(from + start, from + end),
    }
    // What the binding reads of a node it compares: its children (and, for an element, its type and attributes).
    const windowNode = { type: node.type, attrs: node.attrs, content: { content: pWindow } }
    try {
      update(y, windowFragment as unknown as Y.XmlFragment, windowNode as unknown as Node, meta)
    } finally {
      // The binding maps the fragment it was given to the node: here, the window to its node.
      mapping.delete(windowFragment as unknown as Y.XmlFragment)
    }
  }
}
