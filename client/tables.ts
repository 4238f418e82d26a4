/**
 * Tables: prosemirror-tables' plugins (cell selection, copy and paste of
 * cells, column resizing, tables kept rectangular: see table-repair.ts for
 * how, with several people), inserting a table, Tab
 * and Shift-Tab between cells, and the commands the table toolbar runs.
 */
import type { Node } from 'prosemirror-model'
import { type Command, EditorState, type Plugin, Selection, type Transaction } from 'prosemirror-state'
import {
  addRowAfter,
  columnResizing,
  deleteColumn as deleteColumns,
  deleteRow as deleteRows,
  findTable,
  goToNextCell,
  isInTable,
  rowIsHeader,
  selectedRect,
  TableMap,
  tableEditing,
  toggleHeader,
} from 'prosemirror-tables'
import { schema } from '../shared/schema.ts'
import { insertBlock } from './insert-block.ts'
import { fixingOwnChangesOnly, repairingOthersChanges } from './table-repair.ts'

const { nodes } = schema

/** The table the toolbar inserts: three rows of three cells, the first row a header row. */
export const NEW_TABLE = { rows: 3, columns: 3 } as const

/** A table of empty cells (each holds an empty paragraph), with or without a header row. */
export function createTable(rows: number, columns: number, headerRow: boolean): Node {
  if (!(rows >= 1 && columns >= 1)) throw new RangeError(`createTable: ${rows}×${columns} is not a table`)
  const row = (cell: typeof nodes.tableCell): Node =>
    nodes.tableRow.create(
      null,
      Array.from({ length: columns }, () => cell.create(null, nodes.paragraph.create())),
    )
  return nodes.table.create(
    null,
    Array.from({ length: rows }, (_, index) => row(index === 0 && headerRow ? nodes.tableHeader : nodes.tableCell)),
  )
}

/**
 * Insert a table with a header row, where `insertBlock` puts blocks, and
 * put the caret in its first cell. Not inside a table: nested tables are
 * valid, but Tab, the table toolbar and the header row would then act on
 * the innermost one, which is more confusing than useful.
 */
export const insertTable =
  (rows: number = NEW_TABLE.rows, columns: number = NEW_TABLE.columns): Command =>
  (state, dispatch) => {
    if (isInTable(state)) return false
    const tr = insertBlock(state, createTable(rows, columns, true), 'inside')
    if (!tr) return false
    dispatch?.(tr)
    return true
  }

/**
 * Tab in a table: the next cell, or after the last cell a new row and its
 * first cell (as in Google Docs and Word), so a table grows by typing.
 */
export const nextCellOrNewRow: Command = (state, dispatch, view) => {
  if (!isInTable(state)) return false
  if (goToNextCell(1)(state, dispatch)) return true
  // A reader's last cell: no row to add, and the key goes on (focus may leave the editor).
  if (view && !view.editable) return false
  if (!dispatch) return true
  let grown: Transaction | undefined
  addRowAfter(state, (tr) => (grown = tr))
  if (!grown) return false
  // Where the next cell is now: goToNextCell asked of the grown document (it only reads).
  const tr = grown
  goToNextCell(1)(EditorState.create({ doc: tr.doc, selection: tr.selection }), (moved) => void tr.setSelection(moved.selection))
  dispatch(tr.scrollIntoView())
  return true
}

/** Shift-Tab in a table: the previous cell. In the first cell it does nothing here, so focus can leave the editor. */
export const previousCell: Command = goToNextCell(-1)

/**
 * Turn the table's header row on or off: its first row, wherever the caret
 * is. (prosemirror-tables' own `toggleHeaderRow` keeps its old meaning, the
 * caret's row; its `toggleHeader('row')` is the first row.)
 */
export const toggleHeaderRow: Command = toggleHeader('row')

/**
 * A command that removes rows or columns, with the caret put back in the
 * table afterwards: in the cell that took the caret's place, or the one
 * before it when the last row or column went. (Left to mapping, a caret in
 * a deleted last row lands after the table, and the table toolbar goes.)
 * It does not apply where it would remove every row or column, which
 * prosemirror-tables refuses only when it runs, not when asked (the toolbar
 * asks, to mark buttons that do not apply).
 */
function removing(axis: 'row' | 'column', remove: Command): Command {
  return (state, dispatch, view) => {
    if (!isInTable(state)) return false
    const before = selectedRect(state)
    const all = axis === 'row' ? before.top === 0 && before.bottom === before.map.height : before.left === 0 && before.right === before.map.width
    if (all) return false
    if (!dispatch) return true
    return remove(
      state,
      (tr) => {
        // The table starts where it did: only its inside changed.
        const table = tr.doc.nodeAt(before.tableStart - 1)
        if (table?.type === nodes.table) {
          const map = TableMap.get(table)
          const row = Math.min(before.top, map.height - 1)
          const col = Math.min(before.left, map.width - 1)
          tr.setSelection(Selection.near(tr.doc.resolve(before.tableStart + map.map[row * map.width + col] + 1)))
        }
        dispatch(tr)
      },
      view,
    )
  }
}

/** Delete the caret's row (or the selected rows); not the table's only row. */
export const deleteRow: Command = removing('row', deleteRows)

/** Delete the caret's column (or the selected columns); not the table's only column. */
export const deleteColumn: Command = removing('column', deleteColumns)

/** Whether the selection is in a table whose first row is a header row (for the toolbar's pressed state). */
export function hasHeaderRow(state: EditorState): boolean {
  const table = findTable(state.selection.$head)
  if (!table) return false
  return rowIsHeader(TableMap.get(table.node), table.node, 0)
}

/** Options for `tablePlugins`. */
export interface TablePluginOptions {
  /**
   * Whether this editor is the one to repair tables that other people's
   * changes left broken (table-repair.ts): one editor of those present,
   * the same for all. Default: always (an editor on its own).
   */
  isRepairer?: () => boolean
}

/**
 * The table plugins, in the order prosemirror-tables asks for: column
 * resizing before table editing, which handles mouse and arrow keys broadly.
 */
export function tablePlugins(options: TablePluginOptions = {}): Plugin[] {
  return [
    columnResizing({ cellMinWidth: 48 }),
    fixingOwnChangesOnly(tableEditing()),
    repairingOthersChanges(options.isRepairer ?? (() => true)),
  ]
}
