/**
 * Editing commands for the toolbar and keymap, and the questions the
 * toolbar asks to show what is active. Plain ProseMirror commands over the
 * shared schema.
 */
import { lift, setBlockType, toggleMark, wrapIn } from 'prosemirror-commands'
import type { MarkType, Node, NodeType } from 'prosemirror-model'
import { type Command, type EditorState, Selection, TextSelection, type Transaction } from 'prosemirror-state'
import { liftListItem, wrapInList } from 'prosemirror-schema-list'
import { safeHref, schema } from '../shared/schema.ts'

const { nodes, marks } = schema

export const toggleBold: Command = toggleMark(marks.bold)
export const toggleItalic: Command = toggleMark(marks.italic)
export const toggleUnderline: Command = toggleMark(marks.underline)
export const toggleStrike: Command = toggleMark(marks.strike)
export const toggleCode: Command = toggleMark(marks.code)
export const setParagraph: Command = setBlockType(nodes.paragraph)
export const setCodeBlock: Command = setBlockType(nodes.codeBlock)
export const setHeading = (level: 1 | 2 | 3): Command => setBlockType(nodes.heading, { level })

/** Wrap in a blockquote, or lift out of one. */
export const toggleBlockquote: Command = (state, dispatch) =>
  isInside(state, nodes.blockquote) ? lift(state, dispatch) : wrapIn(nodes.blockquote)(state, dispatch)

/** Make a list of the selection, lift it out of this kind of list, or switch the list's kind. */
export const toggleList =
  (type: NodeType): Command =>
  (state, dispatch) => {
    const list = closestList(state)
    if (!list) return wrapInList(type)(state, dispatch)
    if (list.node.type === type) return liftListItem(itemTypeOf(type))(state, dispatch)
    if (dispatch) dispatch(switchListKind(state, list, type))
    return true
  }

export const toggleBulletList: Command = toggleList(nodes.bulletList)
export const toggleOrderedList: Command = toggleList(nodes.orderedList)
export const toggleTaskList: Command = toggleList(nodes.taskList)

const itemTypeOf = (list: NodeType): NodeType => (list === nodes.taskList ? nodes.taskItem : nodes.listItem)

/**
 * The list as a list of another kind. Bullets and numbers share their item
 * type; a task list's items are another type, so the items are remade (as
 * open tasks) around the same content. Positions do not move, so the
 * selection is put back where it was.
 */
function switchListKind(state: EditorState, list: { node: Node; pos: number }, type: NodeType): Transaction {
  const itemType = itemTypeOf(type)
  if (list.node.firstChild?.type === itemType) return state.tr.setNodeMarkup(list.pos, type)
  const items: Node[] = []
  list.node.forEach((item) => void items.push(itemType.create(null, item.content)))
  const tr = state.tr.replaceWith(list.pos, list.pos + list.node.nodeSize, type.create(null, items))
  return tr.setSelection(Selection.fromJSON(tr.doc, state.selection.toJSON()))
}

export const insertHorizontalRule: Command = (state, dispatch) => {
  if (dispatch) dispatch(state.tr.replaceSelectionWith(nodes.horizontalRule.create()).scrollIntoView())
  return true
}

export const insertHardBreak: Command = (state, dispatch) => {
  if (state.selection.$from.parent.type.spec.code) return false
  if (dispatch) dispatch(state.tr.replaceSelectionWith(nodes.hardBreak.create()).scrollIntoView())
  return true
}

/**
 * Set a link on the selection (or remove it when `href` is empty). With an
 * empty selection inside a link, that whole link changes; elsewhere, the URL
 * itself is inserted as the link text.
 */
export const setLink =
  (href: string): Command =>
  (state, dispatch) => {
    const extent = state.selection.empty ? linkExtent(state) : null
    const { from, to } = extent ?? state.selection
    const empty = from === to
    const url = href.trim()
    if (!url) {
      if (dispatch) dispatch(state.tr.removeMark(from, to, marks.link))
      return true
    }
    const mark = marks.link.create({ href: safeHref(url) })
    if (!dispatch) return true
    if (empty) {
      const tr = state.tr.insert(from, schema.text(url, [mark]))
      dispatch(tr.setSelection(TextSelection.create(tr.doc, from + url.length)))
    } else {
      dispatch(state.tr.removeMark(from, to, marks.link).addMark(from, to, mark))
    }
    return true
  }

/** Whether a mark is on at the cursor, or anywhere in the selection. */
export function isMarkActive(state: EditorState, type: MarkType): boolean {
  const { from, $from, to, empty } = state.selection
  if (empty) return Boolean(type.isInSet(state.storedMarks ?? $from.marks()))
  return state.doc.rangeHasMark(from, to, type)
}

/** The href of the link at the cursor, if there is one. */
export function activeLink(state: EditorState): string | null {
  const { $from } = state.selection
  const mark = marks.link.isInSet(state.storedMarks ?? $from.marks())
  return mark ? String(mark.attrs.href) : null
}

/**
 * The link the caret is in: where it starts and ends (the run of text that
 * carries the same link mark) and its href. Null outside a link, and at its
 * edges, where typing would not extend it either (links are not inclusive).
 */
export function linkExtent(state: EditorState): { from: number; to: number; href: string } | null {
  const { $from } = state.selection
  const mark = marks.link.isInSet(state.storedMarks ?? $from.marks())
  if (!mark) return null
  // Runs of text carrying this very mark (same href); bold inside a link splits it into several text nodes.
  const runs: { from: number; to: number }[] = []
  $from.parent.forEach((child, offset) => {
    if (!mark.isInSet(child.marks)) return
    const last = runs[runs.length - 1]
    if (last && last.to === offset) last.to = offset + child.nodeSize
    else runs.push({ from: offset, to: offset + child.nodeSize })
  })
  const at = $from.parentOffset
  const range = runs.find((run) => run.from <= at && at <= run.to)
  const start = $from.start()
  return range ? { from: start + range.from, to: start + range.to, href: String(mark.attrs.href) } : null
}

/** Whether the selection's textblock is of this type (and attributes, for headings). */
export function isBlockActive(state: EditorState, type: NodeType, attrs: Record<string, unknown> = {}): boolean {
  const parent = state.selection.$from.parent
  if (parent.type !== type) return false
  return Object.entries(attrs).every(([key, value]) => parent.attrs[key] === value)
}

/** Whether the selection sits inside a node of this type at any depth. */
export function isInside(state: EditorState, type: NodeType): boolean {
  const { $from } = state.selection
  for (let depth = $from.depth; depth > 0; depth--) if ($from.node(depth).type === type) return true
  return false
}

function closestList(state: EditorState): { node: ReturnType<EditorState['doc']['nodeAt']> & object; pos: number } | null {
  const { $from } = state.selection
  for (let depth = $from.depth; depth > 0; depth--) {
    const node = $from.node(depth)
    if (node.type === nodes.bulletList || node.type === nodes.orderedList || node.type === nodes.taskList) return { node, pos: $from.before(depth) }
  }
  return null
}
