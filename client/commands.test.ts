import { describe, expect, it } from 'vitest'
import type { Node } from 'prosemirror-model'
import { TextSelection } from 'prosemirror-state'
import { schema } from '../shared/schema.ts'
import { run, stateOf } from './editor-states.testing.ts'
import {
  activeLink,
  insertHardBreak,
  insertHorizontalRule,
  isBlockActive,
  isInside,
  isMarkActive,
  linkExtent,
  setCodeBlock,
  setHeading,
  setLink,
  toggleBlockquote,
  toggleBold,
  toggleBulletList,
  toggleCode,
  toggleItalic,
  toggleUnderline,
  toggleOrderedList,
} from './commands.ts'

const { nodes, marks } = schema
const p = (text: string) => nodes.paragraph.create(null, schema.text(text))

/** A state over `doc` with the text selection from..to (positions in the doc). */
describe('mark commands', () => {
  it('toggle bold on and off over a selection, and report it active', () => {
    const state = stateOf(nodes.doc.create(null, p('hello world')), 1, 6)
    const bold = run(state, toggleBold)
    expect(bold.doc.rangeHasMark(1, 6, marks.bold)).toBe(true)
    expect(bold.doc.rangeHasMark(6, 12, marks.bold)).toBe(false)
    expect(isMarkActive(bold, marks.bold)).toBe(true)
    expect(isMarkActive(bold, marks.italic)).toBe(false)
    const plain = run(bold, toggleBold)
    expect(plain.doc.rangeHasMark(1, 6, marks.bold)).toBe(false)
  })

  it('underlines a selection (Tiptap\'s underline mark, stored under that name)', () => {
    const state = stateOf(nodes.doc.create(null, p('hello world')), 7, 12)
    const underlined = run(state, toggleUnderline)
    expect(underlined.doc.rangeHasMark(7, 12, marks.underline)).toBe(true)
    expect(underlined.doc.rangeHasMark(1, 7, marks.underline)).toBe(false)
    expect(isMarkActive(underlined, marks.underline)).toBe(true)
    expect(underlined.doc.toJSON().content[0].content[1]).toEqual({ type: 'text', text: 'world', marks: [{ type: 'underline' }] })
  })

  it('inline code removes the other marks it excludes', () => {
    const italic = run(stateOf(nodes.doc.create(null, p('x = 1')), 1, 6), toggleItalic)
    const coded = run(italic, toggleCode)
    expect(coded.doc.rangeHasMark(1, 6, marks.code)).toBe(true)
    expect(coded.doc.rangeHasMark(1, 6, marks.italic)).toBe(false)
  })

  it('sets a link on a selection and removes it with an empty address', () => {
    const linked = run(stateOf(nodes.doc.create(null, p('see docs')), 5, 9), setLink('example.com/docs'))
    expect(linked.doc.rangeHasMark(5, 9, marks.link)).toBe(true)
    const atLink = linked.apply(linked.tr.setSelection(TextSelection.create(linked.doc, 6)))
    expect(activeLink(atLink)).toBe('https://example.com/docs')
    const unlinked = run(stateOf(linked.doc, 5, 9), setLink(''))
    expect(unlinked.doc.rangeHasMark(5, 9, marks.link)).toBe(false)
  })

  it('finds the whole link around the caret, across marks inside it, and not at its edges', () => {
    const link = marks.link.create({ href: 'https://a.example' })
    // "see " + "the " (link) + "docs" (link, bold) + " now"
    const para = nodes.paragraph.create(null, [
      schema.text('see '),
      schema.text('the ', [link]),
      schema.text('docs', [link, marks.bold.create()]),
      schema.text(' now'),
    ])
    const doc = nodes.doc.create(null, para)
    expect(linkExtent(stateOf(doc, 7))).toEqual({ from: 5, to: 13, href: 'https://a.example' })
    expect(linkExtent(stateOf(doc, 11))).toEqual({ from: 5, to: 13, href: 'https://a.example' })
    expect(linkExtent(stateOf(doc, 5))).toBeNull() // before the link
    expect(linkExtent(stateOf(doc, 13))).toBeNull() // after it: typing there is not linked
    expect(linkExtent(stateOf(doc, 2))).toBeNull()
  })

  it('with the caret in a link, changes or removes that whole link', () => {
    const link = marks.link.create({ href: 'https://old.example' })
    const doc = nodes.doc.create(null, nodes.paragraph.create(null, [schema.text('a '), schema.text('link', [link]), schema.text(' b')]))
    const edited = run(stateOf(doc, 5), setLink('https://new.example'))
    expect(edited.doc.textContent).toBe('a link b')
    expect(linkExtent(stateOf(edited.doc, 5))).toEqual({ from: 3, to: 7, href: 'https://new.example' })
    const removed = run(stateOf(edited.doc, 5), setLink(''))
    expect(removed.doc.rangeHasMark(0, removed.doc.content.size, marks.link)).toBe(false)
  })

  it('inserts the address as linked text when nothing is selected', () => {
    const state = run(stateOf(nodes.doc.create(null, p('go ')), 4), setLink('https://a.example'))
    expect(state.doc.textContent).toBe('go https://a.example')
    expect(state.doc.rangeHasMark(4, 21, marks.link)).toBe(true)
    expect(state.selection.from).toBe(21)
  })
})

describe('block commands', () => {
  it('turns a paragraph into a heading of a level, and reports which', () => {
    const state = run(stateOf(nodes.doc.create(null, p('Title')), 2), setHeading(2))
    expect(state.doc.firstChild!.type).toBe(nodes.heading)
    expect(state.doc.firstChild!.attrs.level).toBe(2)
    expect(isBlockActive(state, nodes.heading, { level: 2 })).toBe(true)
    expect(isBlockActive(state, nodes.heading, { level: 1 })).toBe(false)
  })

  it('makes a code block', () => {
    const state = run(stateOf(nodes.doc.create(null, p('let x')), 2), setCodeBlock)
    expect(state.doc.firstChild!.type).toBe(nodes.codeBlock)
  })

  it('wraps in a blockquote and lifts out again', () => {
    const quoted = run(stateOf(nodes.doc.create(null, p('quote')), 2), toggleBlockquote)
    expect(quoted.doc.firstChild!.type).toBe(nodes.blockquote)
    expect(isInside(quoted, nodes.blockquote)).toBe(true)
    const lifted = run(quoted, toggleBlockquote)
    expect(lifted.doc.firstChild!.type).toBe(nodes.paragraph)
  })

  it('makes a list, switches its kind, and lifts out of it', () => {
    const bullets = run(stateOf(nodes.doc.create(null, p('item')), 2), toggleBulletList)
    expect(bullets.doc.firstChild!.type).toBe(nodes.bulletList)
    const numbered = run(bullets, toggleOrderedList)
    expect(numbered.doc.firstChild!.type).toBe(nodes.orderedList)
    expect(numbered.doc.firstChild!.firstChild!.type).toBe(nodes.listItem)
    const plain = run(numbered, toggleOrderedList)
    expect(plain.doc.firstChild!.type).toBe(nodes.paragraph)
  })

  it('inserts a horizontal rule', () => {
    const state = run(stateOf(nodes.doc.create(null, [p('a'), p('b')]), 2), insertHorizontalRule)
    const types: string[] = []
    state.doc.forEach((node) => types.push(node.type.name))
    expect(types).toContain('horizontalRule')
  })

  it('inserts a hard break in text but not in a code block', () => {
    const state = run(stateOf(nodes.doc.create(null, p('ab')), 2), insertHardBreak)
    expect(state.doc.firstChild!.child(1).type).toBe(nodes.hardBreak)
    const code = stateOf(nodes.doc.create(null, nodes.codeBlock.create(null, schema.text('x'))), 2)
    expect(insertHardBreak(code)).toBe(false)
  })
})
