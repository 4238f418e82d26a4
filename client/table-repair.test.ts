import { describe, expect, it } from 'vitest'
import type { Node } from 'prosemirror-model'
import { EditorState, TextSelection, type Transaction } from 'prosemirror-state'
import type { EditorView } from 'prosemirror-view'
import { ySyncPluginKey } from 'y-prosemirror'
import { schema } from '../shared/schema.ts'
import { hasLowestClientId } from './table-repair.ts'
import { createTable, tablePlugins } from './tables.ts'

const { nodes } = schema

/** Row lengths of the document's (first) table. */
function rowLengths(state: EditorState): number[] {
  const lengths: number[] = []
  state.doc.descendants((node) => {
    if (node.type === nodes.tableRow) lengths.push(node.childCount)
  })
  return lengths
}

/** Remove the last cell of the table's second row, as a row and a column added at once by two people leave it. */
function shortenSecondRow(state: EditorState): Transaction {
  const table = state.doc.firstChild!
  const end = 1 + table.child(0).nodeSize + table.child(1).nodeSize - 1
  return state.tr.delete(end - table.child(1).lastChild!.nodeSize, end)
}

/** An editor over a 2×2 table with the table plugins, and just enough of a view for their plugin views. */
function editor(isRepairer: () => boolean) {
  const doc: Node = nodes.doc.create(null, [createTable(2, 2, false), nodes.paragraph.create()])
  const start = EditorState.create({ schema, doc, plugins: tablePlugins({ isRepairer }) })
  const dispatched: Transaction[] = []
  const view = {
    state: start.apply(start.tr.setSelection(TextSelection.create(start.doc, 4))),
    editable: true,
    isDestroyed: false,
    dispatch(tr: Transaction) {
      dispatched.push(tr)
      view.state = view.state.apply(tr)
    },
  }
  const pluginViews = view.state.plugins.flatMap((plugin) => (plugin.spec.view ? [plugin.spec.view(view as unknown as EditorView)] : []))
  /** Apply a transaction as the view would, then tell the plugin views. */
  const apply = (tr: Transaction): void => {
    const before = view.state
    view.state = view.state.apply(tr)
    for (const pluginView of pluginViews) pluginView.update?.(view as unknown as EditorView, before)
  }
  return { view, dispatched, apply }
}

const fromYjs = (tr: Transaction): Transaction => tr.setMeta(ySyncPluginKey, { isChangeOrigin: true })
const nextTask = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 0))

describe('hasLowestClientId', () => {
  it('is true for exactly one of the editors present, and for none that sees itself alone', () => {
    const states = new Map<number, unknown>([
      [7, {}],
      [3, {}],
      [12, {}],
    ])
    expect([3, 7, 12].map((clientID) => hasLowestClientId({ clientID, getStates: () => states }))).toEqual([true, false, false])
    // Alone, it cannot know: someone else made the change it sees.
    expect(hasLowestClientId({ clientID: 12, getStates: () => new Map([[12, {}]]) })).toBe(false)
  })
})

describe('repairing tables broken by changes from others', () => {
  it('the repairer pads the short row just after the change, as its own change kept out of undo', async () => {
    const { view, dispatched, apply } = editor(() => true)
    apply(fromYjs(shortenSecondRow(view.state)))
    expect(rowLengths(view.state)).toEqual([2, 1])
    await nextTask()
    expect(rowLengths(view.state)).toEqual([2, 2])
    expect(dispatched).toHaveLength(1)
    expect(dispatched[0].getMeta('addToHistory')).toBe(false)
    expect(dispatched[0].getMeta(ySyncPluginKey)).toBeUndefined()
  })

  it('every other editor leaves it to the repairer, whose change it then receives', async () => {
    const { view, dispatched, apply } = editor(() => false)
    apply(fromYjs(shortenSecondRow(view.state)))
    await nextTask()
    expect(rowLengths(view.state)).toEqual([2, 1])
    expect(dispatched).toEqual([])
  })

  it('this person’s own changes are repaired as they are made, by everyone', () => {
    const { view, apply } = editor(() => false)
    apply(shortenSecondRow(view.state))
    expect(rowLengths(view.state)).toEqual([2, 2])
  })

  it('a read-only editor repairs nothing (its changes would be dropped)', async () => {
    const { view, dispatched, apply } = editor(() => true)
    view.editable = false
    apply(fromYjs(shortenSecondRow(view.state)))
    await nextTask()
    expect(dispatched).toEqual([])
  })
})
