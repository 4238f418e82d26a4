import { NodeSelection, TextSelection } from 'prosemirror-state'
import { describe, expect, it } from 'vitest'
import * as Y from 'yjs'
import { schema } from '../shared/schema.ts'
import { boundEditor, paragraph } from './binding-documents.testing.ts'
import { PositionIndexedMapping } from './binding-positions.ts'
import { bindingRestore } from './binding-selection-restore.ts'

const { nodes } = schema

/** Two people on one document: each editor's Yjs document sends its changes to the other's. */
function twoPeople() {
  const first = boundEditor(new PositionIndexedMapping())
  const second = boundEditor(new PositionIndexedMapping())
  first.ydoc.on('update', (update: Uint8Array, origin: unknown) => origin !== 'remote' && Y.applyUpdate(second.ydoc, update, 'remote'))
  second.ydoc.on('update', (update: Uint8Array, origin: unknown) => origin !== 'remote' && Y.applyUpdate(first.ydoc, update, 'remote'))
  return { first, second }
}

describe('restoring the selection after a remote change', () => {
  it('is installed in place of the binding’s restore', () => {
    expect(bindingRestore()).toBeTypeOf('function')
  })

  it('renders the change when the other person deletes the node one has selected', () => {
    const { first, second } = twoPeople()
    first.change(nodes.doc.create(null, [paragraph('start'), nodes.horizontalRule.create()]))
    expect(second.doc.toJSON()).toEqual(first.doc.toJSON())
    // The first person clicks the rule at the end (a node selection); the second deletes it.
    first.select((doc) => NodeSelection.create(doc, 7))
    expect(first.selection).toBeInstanceOf(NodeSelection)
    second.change(nodes.doc.create(null, [second.doc.child(0)]))
    // The binding's own restore throws here (no node after the document's end), and the
    // first person's editor would keep showing the rule.
    expect(first.doc.toJSON()).toEqual(second.doc.toJSON())
    expect(first.doc.childCount).toBe(1)
    // A caret beside where the rule was: the end of the text before it.
    expect(first.selection).toBeInstanceOf(TextSelection)
    expect(first.selection.from).toBe(6)
    // And both go on editing from there.
    first.change(nodes.doc.create(null, [first.doc.child(0), paragraph('more')]))
    expect(second.doc.toJSON()).toEqual(first.doc.toJSON())
  })

  it('keeps a node selection the binding can restore', () => {
    const { first, second } = twoPeople()
    first.change(nodes.doc.create(null, [paragraph('start'), nodes.horizontalRule.create(), paragraph('end')]))
    first.select((doc) => NodeSelection.create(doc, 7))
    // The second person types at the end: the rule is still there and stays selected.
    second.change(nodes.doc.create(null, [second.doc.child(0), second.doc.child(1), paragraph('end, and more')]))
    expect(first.doc.toJSON()).toEqual(second.doc.toJSON())
    expect(first.selection).toBeInstanceOf(NodeSelection)
    expect((first.selection as NodeSelection).node.type).toBe(nodes.horizontalRule)
  })
})
