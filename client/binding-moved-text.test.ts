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
