import { describe, expect, it } from 'vitest'
import * as Y from 'yjs'
import { TITLE_NAME } from './document-title.ts'
import { FRAGMENT_NAME } from './schema.ts'
import { compareVersions } from './version-compare.ts'

const ADA = 1001
const GRACE = 2002
const clients = { [ADA]: 'Ada', [GRACE]: 'Grace' }

/** A person's copy of the document, writing with `client` as its Yjs client ID. */
function peer(client: number, from?: Y.Doc, gc = true): Y.Doc {
  const doc = new Y.Doc({ gc })
  doc.clientID = client
  if (from) Y.applyUpdate(doc, Y.encodeStateAsUpdate(from))
  return doc
}

const sync = (from: Y.Doc, to: Y.Doc): void => Y.applyUpdate(to, Y.encodeStateAsUpdate(from))
const state = (doc: Y.Doc): Uint8Array => Y.encodeStateAsUpdate(doc)

/** An element as y-prosemirror stores a node: its children are elements or one XmlText of its text. */
function element(name: string, children: (Y.XmlElement | string)[] = [], attrs: Record<string, unknown> = {}): Y.XmlElement {
  const el = new Y.XmlElement(name)
  for (const [key, value] of Object.entries(attrs)) el.setAttribute(key, value as string)
  el.insert(
    0,
    children.map((child) => {
      if (typeof child !== 'string') return child
      const text = new Y.XmlText()
      text.insert(0, child)
      return text
    }),
  )
  return el
}

const blocks = (doc: Y.Doc): Y.XmlFragment => doc.getXmlFragment(FRAGMENT_NAME)
/** The XmlText of the `index`th top-level block (a paragraph or heading). */
const textOf = (doc: Y.Doc, index: number): Y.XmlText => (blocks(doc).get(index) as Y.XmlElement).get(0) as Y.XmlText

/** Ada's draft: a heading and two paragraphs. */
function draft(): Y.Doc {
  const ada = peer(ADA)
  blocks(ada).insert(0, [element('heading', ['Plan'], { level: 2 }), element('paragraph', ['Ship the editor today']), element('paragraph', ['Old notes'])])
  return ada
}

describe('compareVersions', () => {
  it('shows identical versions without a change', () => {
    const ada = draft()
    const result = compareVersions(state(ada), state(ada), clients)
    expect(result).toEqual({ html: '<h2>Plan</h2><p>Ship the editor today</p><p>Old notes</p>', added: 0, removed: 0, authors: [] })
  })

  it('marks text typed by two people with who typed it, and removed text without a name', () => {
    const ada = draft()
    const before = state(ada)
    const grace = peer(GRACE, ada)
    textOf(grace, 1).insert(4, ' now') // "Ship now the editor today"
    textOf(grace, 1).delete(19, 6) // " today"
    sync(grace, ada)
    textOf(ada, 0).insert(4, ' B')
    const result = compareVersions(before, state(ada), clients)
    expect(result.html).toBe(
      '<h2>Plan<ins data-author="Ada" title="Added by Ada"> B</ins></h2>' +
        '<p>Ship<ins data-author="Grace" title="Added by Grace"> now</ins> the editor<del> today</del></p><p>Old notes</p>',
    )
    expect(result.authors).toEqual(['Ada', 'Grace'])
    expect(result.added).toBe(6)
    expect(result.removed).toBe(6)
  })

  it('marks a new paragraph and a removed one as whole blocks', () => {
    const ada = draft()
    const before = state(ada)
    const grace = peer(GRACE, ada)
    blocks(grace).delete(2, 1)
    blocks(grace).insert(1, [element('paragraph', ['New idea'])])
    const result = compareVersions(before, state(grace), clients)
    expect(result.html).toBe(
      '<h2>Plan</h2>' +
        '<p data-change="added" data-author="Grace" title="Added by Grace"><ins data-author="Grace" title="Added by Grace">New idea</ins></p>' +
        '<p>Ship the editor today</p>' +
        '<p data-change="removed"><del>Old notes</del></p>',
    )
    expect(result).toMatchObject({ added: 8, removed: 9, authors: ['Grace'] })
  })

  it('finds removed text the relay has already collected as garbage', () => {
    // The relay's copy collects garbage: the newer state holds the deleted
    // paragraph only as a tombstone, its text comes from the older state.
    const ada = draft()
    const before = state(ada)
    const relay = peer(9, ada, true)
    blocks(relay).delete(2, 1)
    expect(Y.encodeStateAsUpdate(relay).length).toBeLessThan(before.length)
    expect(compareVersions(before, state(relay), clients).html).toContain('<p data-change="removed"><del>Old notes</del></p>')
  })

  it('keeps marks, shows added marked text inside the insertion and reformatted text as such', () => {
    const ada = draft()
    const before = state(ada)
    const grace = peer(GRACE, ada)
    const text = textOf(grace, 1)
    text.insert(text.length, ' safely', { bold: {} })
    text.format(0, 4, { italic: {} })
    text.insert(text.length, ' docs', { link: { href: 'javascript:alert(1)', title: 'see "docs"' } })
    const { html } = compareVersions(before, state(grace), clients)
    expect(html).toContain('<span data-change="formatted" title="Formatting changed"><em>Ship</em></span> the editor today')
    expect(html).toContain('<ins data-author="Grace" title="Added by Grace"><strong> safely</strong></ins>')
    expect(html).toContain('<ins data-author="Grace" title="Added by Grace"><a href="#" title="see &quot;docs&quot;" rel="noopener noreferrer nofollow"> docs</a></ins>')
  })

  it('shows a change in a table cell inside its table', () => {
    const ada = peer(ADA)
    const cell = (text: string): Y.XmlElement => element('tableCell', [element('paragraph', [text])])
    blocks(ada).insert(0, [element('table', [element('tableRow', [cell('A1'), cell('B1')])])])
    const before = state(ada)
    const grace = peer(GRACE, ada)
    const b1 = ((((blocks(grace).get(0) as Y.XmlElement).get(0) as Y.XmlElement).get(1) as Y.XmlElement).get(0) as Y.XmlElement).get(0) as Y.XmlText
    b1.delete(1, 1)
    b1.insert(1, '2')
    const { html } = compareVersions(before, state(grace), clients)
    expect(html).toBe('<table><tbody><tr><td><p>A1</p></td><td><p>B<del>1</del><ins data-author="Grace" title="Added by Grace">2</ins></p></td></tr></tbody></table>')
  })

  it('marks a changed block attribute (a heading level, a ticked task)', () => {
    const ada = peer(ADA)
    blocks(ada).insert(0, [element('heading', ['Plan'], { level: 2 }), element('taskList', [element('taskItem', [element('paragraph', ['Ship'])], { checked: false })])])
    const before = state(ada)
    const grace = peer(GRACE, ada)
    ;(blocks(grace).get(0) as Y.XmlElement).setAttribute('level', 3 as unknown as string)
    ;((blocks(grace).get(1) as Y.XmlElement).get(0) as Y.XmlElement).setAttribute('checked', true as unknown as string)
    const { html } = compareVersions(before, state(grace), clients)
    expect(html).toContain('<h3 data-change="changed">Plan</h3>')
    expect(html).toContain('<li data-type="taskItem" data-checked="true" data-change="changed">')
  })

  it('shows a changed title first, and leaves an unchanged one out', () => {
    const ada = draft()
    ada.getText(TITLE_NAME).insert(0, 'Roadmap')
    const before = state(ada)
    const grace = peer(GRACE, ada)
    grace.getText(TITLE_NAME).insert(7, ' 2025')
    grace.getText(TITLE_NAME).delete(0, 4)
    const result = compareVersions(before, state(grace), clients)
    expect(result.html).toMatch(/^<p data-part="title"><del>Road<\/del>map<ins data-author="Grace" title="Added by Grace"> 2025<\/ins><\/p><h2>/)
    expect(compareVersions(before, before, clients).html).not.toContain('data-part')
  })

  it('escapes text and names, and names no one it does not know', () => {
    const ada = draft()
    const before = state(ada)
    const stranger = peer(777, ada)
    textOf(stranger, 2).insert(0, '<script>alert(1)</script> & ')
    const grace = peer(GRACE, stranger)
    textOf(grace, 2).insert(0, 'x')
    const { html, authors } = compareVersions(before, state(grace), { [GRACE]: '<b>Grace</b>', 777: '' })
    expect(html).toContain('<p><ins data-author="&lt;b&gt;Grace&lt;/b&gt;" title="Added by &lt;b&gt;Grace&lt;/b&gt;">x</ins><ins>&lt;script&gt;alert(1)&lt;/script&gt; &amp; </ins>Old notes</p>')
    expect(html).not.toMatch(/<script|<b>/)
    expect(authors).toEqual(['<b>Grace</b>'])
  })

  it('reads what the later of two states added as added, whichever order they are passed in', () => {
    const ada = draft()
    const before = state(ada)
    const grace = peer(GRACE, ada)
    textOf(grace, 2).insert(9, '!')
    expect(compareVersions(before, state(grace), clients)).toMatchObject({ added: 1, removed: 0 })
    // Passed the other way round, the older state is the one that "added" nothing and "removed" the mark.
    expect(compareVersions(state(grace), before, clients)).toMatchObject({ added: 0, removed: 1, html: expect.stringContaining('<p>Old notes<del>!</del></p>') })
  })

  it('keeps the text of elements the schema does not know, without their markup', () => {
    const ada = peer(ADA)
    blocks(ada).insert(0, [element('iframe', ['inside'], { src: 'https://evil.example' })])
    expect(compareVersions(new Uint8Array([0, 0]), state(ada), clients).html).toBe('<ins data-author="Ada" title="Added by Ada">inside</ins>')
  })
})
