import { describe, expect, it } from 'vitest'
import type { Node } from 'prosemirror-model'
import { EditorState, type Transaction } from 'prosemirror-state'
import { TableMap } from 'prosemirror-tables'
import { ySyncPluginKey } from 'y-prosemirror'
import { schema } from '../shared/schema.ts'
import { run, stateOf } from './editor-states.testing.ts'
import { createTable, deleteColumn, deleteRow, hasHeaderRow, insertTable, nextCellOrNewRow, previousCell, tablePlugins, toggleHeaderRow } from './tables.ts'

const { nodes } = schema
const p = (text = '') => nodes.paragraph.create(null, text ? schema.text(text) : null)
const doc = (...blocks: Node[]) => nodes.doc.create(null, blocks)
/** `document` with the table plugins, the caret at `from`. */
const inTables = (document: Node, from: number, plugins = tablePlugins()): EditorState => stateOf(document, from, from, plugins)

/** Each row's cells as `h:text` (header) or `c:text`. */
function grid(table: Node): string[][] {
  const rows: string[][] = []
  table.forEach((row) => {
    const cells: string[] = []
    row.forEach((cell) => void cells.push(`${cell.type === nodes.tableHeader ? 'h' : 'c'}:${cell.textContent}`))
    rows.push(cells)
  })
  return rows
}

const tableIn = (state: EditorState): Node => {
  let found: Node | null = null
  state.doc.descendants((node) => {
    if (node.type === nodes.table) found = node
    return !found
  })
  if (!found) throw new Error('no table')
  return found
}

/** The text of the cell the caret is in, and its row and column. */
function caretCell(state: EditorState): { row: number; col: number } {
  const { $head } = state.selection
  for (let depth = $head.depth; depth > 0; depth--) {
    if ($head.node(depth).type.spec.tableRole === 'row') return { row: $head.index(depth - 1), col: $head.index(depth) }
  }
  throw new Error('not in a table')
}

describe('createTable', () => {
  it('makes rows of empty cells, the first a header row when asked', () => {
    expect(grid(createTable(2, 3, true))).toEqual([
      ['h:', 'h:', 'h:'],
      ['c:', 'c:', 'c:'],
    ])
    expect(grid(createTable(1, 2, false))).toEqual([['c:', 'c:']])
    expect(() => createTable(0, 3, true)).toThrow(RangeError)
  })
})

describe('insertTable', () => {
  it('takes the place of an empty paragraph, with a paragraph after it, and the caret in the first cell', () => {
    const state = run(inTables(doc(p('Intro'), p()), 8), insertTable())
    expect(state.doc.childCount).toBe(3)
    expect(state.doc.child(0).textContent).toBe('Intro')
    expect(grid(state.doc.child(1))).toEqual([
      ['h:', 'h:', 'h:'],
      ['c:', 'c:', 'c:'],
      ['c:', 'c:', 'c:'],
    ])
    expect(state.doc.child(2).type).toBe(nodes.paragraph)
    expect(caretCell(state)).toEqual({ row: 0, col: 0 })
  })

  it('goes after a paragraph with text in it, without splitting it', () => {
    const state = run(inTables(doc(p('Hello world'), p('After')), 4), insertTable(2, 2))
    expect(state.doc.childCount).toBe(3)
    expect(state.doc.child(0).textContent).toBe('Hello world')
    expect(state.doc.child(1).type).toBe(nodes.table)
    expect(state.doc.child(2).textContent).toBe('After')
  })

  it('is not offered inside a table', () => {
    const inTable = run(inTables(doc(p()), 1), insertTable())
    expect(insertTable()(inTable)).toBe(false)
  })
})

describe('Tab and Shift-Tab in a table', () => {
  it('moves to the next cell, and from the last cell adds a row and goes to its first cell', () => {
    let state = run(inTables(doc(p()), 1), insertTable(2, 2))
    state = run(state, nextCellOrNewRow)
    expect(caretCell(state)).toEqual({ row: 0, col: 1 })
    state = run(state, nextCellOrNewRow)
    state = run(state, nextCellOrNewRow)
    expect(caretCell(state)).toEqual({ row: 1, col: 1 })
    state = run(state, nextCellOrNewRow)
    expect(grid(tableIn(state))).toEqual([
      ['h:', 'h:'],
      ['c:', 'c:'],
      ['c:', 'c:'],
    ])
    expect(caretCell(state)).toEqual({ row: 2, col: 0 })
    state = run(state, previousCell)
    expect(caretCell(state)).toEqual({ row: 1, col: 1 })
  })

  it('does nothing outside a table, so Tab keeps its other meanings', () => {
    const state = inTables(doc(p('x')), 1)
    expect(nextCellOrNewRow(state)).toBe(false)
    expect(previousCell(state)).toBe(false)
  })

  it('Shift-Tab in the first cell lets the key go (focus may leave the editor)', () => {
    const state = run(inTables(doc(p()), 1), insertTable(2, 2))
    expect(previousCell(state)).toBe(false)
  })
})

describe('toggleHeaderRow', () => {
  it('turns the first row into header cells and back, wherever the caret is in the table', () => {
    let state = run(inTables(doc(p()), 1), insertTable(3, 2))
    state = run(state, nextCellOrNewRow)
    state = run(state, nextCellOrNewRow)
    state = run(state, nextCellOrNewRow)
    expect(caretCell(state)).toEqual({ row: 1, col: 1 })
    state = run(state, toggleHeaderRow)
    expect(grid(tableIn(state)).map((row) => row.map((cell) => cell[0]).join(''))).toEqual(['cc', 'cc', 'cc'])
    state = run(state, toggleHeaderRow)
    expect(grid(tableIn(state)).map((row) => row.map((cell) => cell[0]).join(''))).toEqual(['hh', 'cc', 'cc'])
  })
})

describe('deleting rows and columns', () => {
  it('keeps the caret in the table: in the row or column that took its place, or the one before the last', () => {
    let state = run(inTables(doc(p()), 1), insertTable(3, 3))
    for (let i = 0; i < 8; i++) state = run(state, nextCellOrNewRow)
    expect(caretCell(state)).toEqual({ row: 2, col: 2 })
    state = run(state, deleteRow)
    expect(grid(tableIn(state))).toHaveLength(2)
    expect(caretCell(state)).toEqual({ row: 1, col: 2 })
    state = run(state, deleteColumn)
    expect(grid(tableIn(state))[0]).toHaveLength(2)
    expect(caretCell(state)).toEqual({ row: 1, col: 1 })
    state = run(state, previousCell)
    state = run(state, deleteColumn)
    expect(caretCell(state)).toEqual({ row: 1, col: 0 })
    // The last column (and the last row) cannot go: delete the table instead.
    expect(deleteColumn(state)).toBe(false)
    state = run(state, deleteRow)
    expect(deleteRow(state)).toBe(false)
    expect(grid(tableIn(state))).toEqual([['h:']])
  })
})

describe('hasHeaderRow', () => {
  it('tells whether the first row of the caret’s table is a header row', () => {
    const withHeader = run(inTables(doc(p()), 1), insertTable(2, 2))
    expect(hasHeaderRow(withHeader)).toBe(true)
    const plain = inTables(doc(createTable(2, 2, false), p()), 4)
    expect(hasHeaderRow(plain)).toBe(false)
    expect(hasHeaderRow(inTables(doc(p('x')), 1))).toBe(false)
  })
})

describe('table repairs', () => {
  /** A table whose second row lacks a cell, as two people adding a row and a column at once leave it. */
  function shortRow(state: EditorState): Transaction {
    const table = tableIn(state)
    // doc > table(0) > row(1) … the second row starts after the first.
    const secondRow = 1 + table.child(0).nodeSize
    const lastCell = table.child(1).lastChild!
    const end = secondRow + table.child(1).nodeSize - 1
    return state.tr.delete(end - lastCell.nodeSize, end)
  }

  it('repairs a table broken by this person’s own change', () => {
    const state = inTables(doc(createTable(2, 2, false), p()), 4)
    const next = state.apply(shortRow(state))
    expect(TableMap.get(tableIn(next)).problems ?? null).toBeNull()
    expect(grid(tableIn(next))[1]).toHaveLength(2)
  })

  it('leaves a table broken by a change from Yjs to the one editor that repairs those (table-repair.ts)', () => {
    const state = inTables(doc(createTable(2, 2, false), p()), 4)
    const next = state.apply(shortRow(state).setMeta(ySyncPluginKey, { isChangeOrigin: true }))
    expect(grid(tableIn(next))[1]).toHaveLength(1)
    // Whoever edits the table next repairs it with their change, like any change of their own.
    const edited = next.apply(next.tr.insertText('a', 4))
    expect(grid(tableIn(edited))[1]).toHaveLength(2)
  })

})
