import { EditorState, NodeSelection, TextSelection } from 'prosemirror-state'
import { describe, expect, it, vi } from 'vitest'
import * as Y from 'yjs'
import { schema } from '../shared/schema.ts'
import { paragraph, twoBoundEditors } from './binding-documents.testing.ts'
import { bindingRestore, safeRestore, type Binding } from './binding-selection-restore.ts'

const { nodes } = schema

const twoPeople = twoBoundEditors

describe('restoring the selection after a remote change', () => {
  it('is installed in place of the binding’s restore', () => {
    expect(bindingRestore()).toBeTypeOf('function')
  })

  it('puts a caret beside a selected node the other person deleted, not a selection on the block after it', () => {
    const { first, second } = twoPeople()
    first.change(nodes.doc.create(null, [paragraph('start'), nodes.horizontalRule.create(), paragraph('end')]))
    first.select((doc) => NodeSelection.create(doc, 7))
    second.change(nodes.doc.create(null, [second.doc.child(0), second.doc.child(2)]))
    expect(first.doc.toJSON()).toEqual(second.doc.toJSON())
    // The binding would select the paragraph "end" (now where the rule was): typing would replace it.
    expect(first.selection).toBeInstanceOf(TextSelection)
    expect([first.selection.from, first.selection.to]).toEqual([6, 6])
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

  it('falls back to the text selection nearest to the restored anchor and head when the binding’s restore throws', () => {
    const doc = nodes.doc.create(null, [paragraph('one'), nodes.horizontalRule.create(), paragraph('three')])
    const tr = EditorState.create({ schema, doc }).tr
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {})
    try {
      const anchor = Y.createRelativePositionFromJSON({ type: null, tname: 'default', item: null, assoc: 0 })
      const head = Y.createRelativePositionFromJSON({ type: null, tname: 'default', item: null, assoc: -1 })
      // Anchor inside "one", head past the end (a document that shrank): the head is clamped.
      const toAbsolute = (_doc: Y.Doc, _type: Y.XmlFragment, position: Y.RelativePosition) => (position.assoc === 0 ? 2 : 99)
      const restore = safeRestore(() => {
        throw new RangeError('Position 99 out of range')
      }, toAbsolute)
      restore(tr, { type: 'text', anchor, head }, { doc: new Y.Doc() } as Binding)
      expect(tr.selection).toBeInstanceOf(TextSelection)
      expect([tr.selection.anchor, tr.selection.head]).toEqual([2, doc.content.size - 1])
      expect(warn).toHaveBeenCalledTimes(1)
      // An anchor that cannot be placed: the selection stays as mapped.
      const before = tr.selection
      safeRestore(
        () => {
          throw new RangeError('out of range')
        },
        () => null,
      )(tr, { type: 'text', anchor, head }, { doc: new Y.Doc() } as Binding)
      expect(tr.selection).toBe(before)
    } finally {
      warn.mockRestore()
    }
  })
})
