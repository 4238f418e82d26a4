/**
 * Where a new block (a table, an image) goes, as in Google Docs: it takes
 * the place of the empty paragraph the caret is in, or else goes after the
 * block the caret is in (or after a selected image), so no text is split.
 */
import type { Node } from 'prosemirror-model'
import { type EditorState, NodeSelection, Selection, type Transaction } from 'prosemirror-state'
import { schema } from '../shared/schema.ts'

/**
 * A transaction inserting `node` at the selection, or null where it cannot
 * go. A paragraph follows a block that would otherwise end the document (or
 * the quote, the cell…), so there is always somewhere to type after it. The
 * caret goes into the block's first text (`'inside'`, a table's first cell)
 * or to what follows it (`'after'`).
 */
export function insertBlock(state: EditorState, node: Node, caret: 'inside' | 'after'): Transaction | null {
  const { selection } = state
  let container: Node
  let index: number
  let from: number
  let to: number
  let replace = false
  if (selection instanceof NodeSelection && selection.node.isBlock) {
    container = selection.$from.parent
    index = selection.$from.index() + 1
    from = to = selection.to
  } else {
    const { $from } = selection
    if (!$from.parent.isTextblock) return null
    const depth = $from.depth
    container = $from.node(depth - 1)
    index = $from.index(depth - 1)
    replace =
      selection.empty &&
      $from.parent.type === schema.nodes.paragraph &&
      $from.parent.content.size === 0 &&
      container.canReplaceWith(index, index + 1, node.type)
    from = replace ? $from.before(depth) : $from.after(depth)
    to = $from.after(depth)
    if (!replace) index += 1
  }
  if (!replace && !container.canReplaceWith(index, index, node.type)) return null
  const endsContainer = (replace ? index + 1 : index) === container.childCount
  const tr = state.tr.replaceWith(from, to, endsContainer ? [node, schema.nodes.paragraph.create()] : node)
  // from + 1 is inside the new block; from + its size is right after it.
  tr.setSelection(caret === 'inside' ? Selection.near(tr.doc.resolve(from + 1)) : Selection.near(tr.doc.resolve(from + node.nodeSize)))
  return tr.scrollIntoView()
}
