/**
 * Task lists: checkable items (`taskList` > `taskItem {checked}`), made by
 * the toolbar, Mod-Alt-4 or by typing `[ ] ` / `[x] ` at the start of a
 * paragraph. Enter, Tab, Shift-Tab and Backspace treat task items as list
 * items; whether an item is done is an attribute of its node, changed by a
 * transaction like any edit, so it reaches everyone and undo takes it back.
 * The checkbox itself is drawn by `task-item-view.ts`.
 */
import { chainCommands } from 'prosemirror-commands'
import { InputRule } from 'prosemirror-inputrules'
import { liftListItem, sinkListItem, splitListItem } from 'prosemirror-schema-list'
import type { Command, EditorState } from 'prosemirror-state'
import type { EditorView } from 'prosemirror-view'
import { schema } from '../shared/schema.ts'
import { undoManagerOf } from './undo-steps.ts'

const { nodes } = schema

/** Both kinds of list item: lists nest in either, and Tab/Shift-Tab act on the innermost one. */
const ITEM_TYPES = [nodes.listItem, nodes.taskItem]

/**
 * Enter in a task: a new task, not done whatever the one it came from (as
 * Tiptap does). prosemirror-schema-list applies the new item's attributes
 * only when splitting at the end; in the middle it copies them.
 */
const splitTask: Command = (state, dispatch) =>
  splitListItem(nodes.taskItem, { checked: false })(
    state,
    dispatch &&
      ((tr) => {
        const item = taskItemAt(tr)
        if (item?.checked) tr.setNodeMarkup(item.pos, undefined, { checked: false })
        dispatch(tr)
      }),
  )

/** Enter in a list: a new item (on an empty one: out of the list). */
export const splitItem: Command = chainCommands(splitListItem(nodes.listItem), splitTask)

/** Tab in a list: indent the item under the one before (a bullet in a bullet list, a task in a task list). */
export const sinkItem: Command = sinkListItem(ITEM_TYPES)

/** Shift-Tab in a list: outdent the item, or out of the list at the top level. */
export const liftItem: Command = liftListItem(ITEM_TYPES)

/**
 * Backspace at the very start of a task: outdent it (at the top level it
 * becomes a paragraph), rather than join it to the task before, which
 * would hide its text inside that task.
 */
export const liftTaskAtStart: Command = (state, dispatch) => {
  const { $from, empty } = state.selection
  if (!empty || $from.parentOffset > 0 || $from.depth < 2) return false
  if ($from.node(-1).type !== nodes.taskItem || $from.index(-1) !== 0) return false
  return liftListItem(nodes.taskItem)(state, dispatch)
}

/** The task item the selection (of a state or a transaction) is in, the innermost, and where it starts. */
export function taskItemAt(state: Pick<EditorState, 'selection'>): { pos: number; checked: boolean } | null {
  const { $from } = state.selection
  for (let depth = $from.depth; depth > 0; depth--) {
    const node = $from.node(depth)
    if (node.type === nodes.taskItem) return { pos: $from.before(depth), checked: node.attrs.checked === true }
  }
  return null
}

/** Mark the task item at `pos` done or not done. */
export const setTaskChecked =
  (pos: number, checked: boolean): Command =>
  (state, dispatch) => {
    const node = state.doc.nodeAt(pos)
    if (node?.type !== nodes.taskItem) return false
    if (dispatch) dispatch(state.tr.setNodeMarkup(pos, undefined, { ...node.attrs, checked }))
    return true
  }

/**
 * Mark the task at `pos` done or not as an undo step of its own: Yjs would
 * merge it with typing less than 500 ms before or after it, and one undo
 * would then take back both.
 */
export function setTaskCheckedAsStep(view: EditorView, pos: number, checked: boolean): boolean {
  const undoManager = undoManagerOf(view)
  undoManager?.stopCapturing()
  const done = setTaskChecked(pos, checked)(view.state, view.dispatch)
  undoManager?.stopCapturing()
  return done
}

/** Check or uncheck the task the caret is in (Mod-Enter), as clicking its box does. */
export const toggleTaskAtCaret: Command = (state, dispatch, view) => {
  if (view && !view.editable) return false
  const item = taskItemAt(state)
  if (!item) return false
  if (view && dispatch) return setTaskCheckedAsStep(view, item.pos, !item.checked)
  return setTaskChecked(item.pos, !item.checked)(state, dispatch)
}

/**
 * `[ ] ` or `[x] ` (also `[] `, `[X] `) typed at the start of a paragraph:
 * the paragraph becomes a task, open or done, joined to a task list right
 * before it. Not in a list item's first paragraph (a task list cannot come
 * first there), nor in headings or code.
 */
export function taskListInputRule(): InputRule {
  return new InputRule(/^\s*\[([ xX]?)\]\s$/, (state, match, start, end) => {
    if (state.doc.resolve(start).parent.type !== nodes.paragraph) return null
    const tr = state.tr.delete(start, end)
    const range = tr.doc.resolve(start).blockRange()
    if (!range || !range.parent.canReplaceWith(range.startIndex, range.endIndex, nodes.taskList)) return null
    const checked = match[1].toLowerCase() === 'x'
    tr.wrap(range, [{ type: nodes.taskList }, { type: nodes.taskItem, attrs: { checked } }])
    // Right after a task list: one list, not two.
    if (tr.doc.resolve(range.start).nodeBefore?.type === nodes.taskList) tr.join(range.start)
    return tr
  })
}
