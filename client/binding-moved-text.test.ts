import { TextSelection } from 'prosemirror-state'
import { describe, expect, it } from 'vitest'
import * as Y from 'yjs'
import { schema } from '../shared/schema.ts'
import { boundEditor, paragraph, twoBoundEditors } from './binding-documents.testing.ts'
import { followMovedText, trackObserverCalls } from './binding-moved-text.ts'

const { nodes } = schema

/** Ada and Grace on one document, Grace's editor following moved text (as the editor sets it up). */
function twoPeople() {
  const { first: ada, second: grace } = twoBoundEditors()
  trackObserverCalls(grace.ydoc)
  return { ada, grace }
}

/** The text on each side of a caret, split at it ("Hello wor|ld"). */
function textAroundCaret(editor: ReturnType<typeof boundEditor>): string {
  const { $head } = editor.selection
  return `${$head.parent.textContent.slice(0, $head.parentOffset)}|${$head.parent.textContent.slice($head.parentOffset)}`
}

describe('a caret in text the other person moves', () => {
  it('follows the tail of a paragraph the other person split with Enter', () => {
    const { ada, grace } = twoPeople()
    ada.change(nodes.doc.create(null, [paragraph('Hello brave new world')]))
    grace.select((doc) => TextSelection.create(doc, 1 + 'Hello brave new wor'.length))
    ada.change(nodes.doc.create(null, [paragraph('Hello brave'), paragraph(' new world')]))
    expect(grace.doc.toJSON()).toEqual(ada.doc.toJSON())
    expect(grace.selection.$head.index(0)).toBe(1)
    expect(textAroundCaret(grace)).toBe(' new wor|ld')
  })

  it('follows its text into the heading the other person made of the paragraph, a selection too', () => {
    const { ada, grace } = twoPeople()
    ada.change(nodes.doc.create(null, [paragraph('alpha'), paragraph('gamma ray'), paragraph('delta')]))
    const start = 7 + 1 + 'gam'.length
    grace.select((doc) => TextSelection.create(doc, start, start + 'ma r'.length))
    ada.change(nodes.doc.create(null, [ada.doc.child(0), nodes.heading.create({ level: 2 }, schema.text('gamma ray')), ada.doc.child(2)]))
    expect(grace.doc.child(1).type).toBe(nodes.heading)
    const { from, to } = grace.selection
    expect(grace.doc.textBetween(from, to)).toBe('ma r')
    expect(grace.selection.$from.parent.type).toBe(nodes.heading)
  })

  it('follows its word past a typo fixed earlier in the paragraph (deleted text and mark boundaries are passed over)', () => {
    const { ada, grace } = twoPeople()
    // Each step a change of its own: "x" typed and deleted again leaves a deleted item before "he".
    for (const step of ['X he said ', 'X he said x', 'X he said ', 'X he said h', 'X he said he']) ada.change(nodes.doc.create(null, [paragraph(step)]))
    grace.select((doc) => TextSelection.create(doc, 1 + 'X he said h'.length))
    ada.change(nodes.doc.create(null, [paragraph('X'), paragraph(' he said he')]))
    expect(textAroundCaret(grace)).toBe(' he said h|e')
  })

  it('keeps a selection on the same words when the paragraph, with a repeated bold word, becomes a heading', () => {
    const { ada, grace } = twoPeople()
    const bold = schema.marks.bold.create()
    ada.change(nodes.doc.create(null, [nodes.paragraph.create(null, [schema.text('Plan '), schema.text('A', [bold]), schema.text(' or plan '), schema.text('A', [bold]), schema.text('.')])]))
    const from = 1 + 'Plan A or plan '.length
    grace.select((doc) => TextSelection.create(doc, from, from + 1))
    ada.change(nodes.doc.create(null, [nodes.heading.create({ level: 2 }, ada.doc.child(0).content)]))
    expect([grace.selection.from, grace.selection.to]).toEqual([from, from + 1])
  })

  it('stays in its own paragraph when two paragraphs become a list', () => {
    const { ada, grace } = twoPeople()
    const first = paragraph('So the end of part one')
    for (const step of ['Then', 'Thenx', 'Then', 'Then the end']) ada.change(nodes.doc.create(null, [first, paragraph(step)]))
    grace.select((doc) => TextSelection.create(doc, first.nodeSize + 1 + 'Then the e'.length))
    const item = (text: string) => nodes.listItem.create(null, paragraph(text))
    ada.change(nodes.doc.create(null, [nodes.bulletList.create(null, [item('So the end of part one'), item('Then the end')])]))
    expect(textAroundCaret(grace)).toBe('Then the e|nd')
  })

  it('is left where Yjs puts it when the text was deleted and not inserted again', () => {
    const { ada, grace } = twoPeople()
    ada.change(nodes.doc.create(null, [paragraph('keep this'), paragraph('drop')]))
    grace.select((doc) => TextSelection.create(doc, 11 + 2))
    ada.change(nodes.doc.create(null, [ada.doc.child(0)]))
    expect(grace.doc.childCount).toBe(1)
    expect(textAroundCaret(grace)).toBe('keep this|')
  })
})

describe('followMovedText', () => {
  it('leaves positions alone outside a transaction that deleted their character', () => {
    const doc = new Y.Doc()
    const text = doc.getText('t')
    text.insert(0, 'abc')
    const position = Y.createRelativePositionFromTypeIndex(text, 1)
    let seen: Y.Transaction | null = null
    doc.on('afterTransaction', (transaction: Y.Transaction) => (seen = transaction))
    text.insert(3, 'd')
    expect(followMovedText(doc, seen!, position)).toBe(position)
    expect(followMovedText(doc, seen!, null)).toBeNull()
  })
})
