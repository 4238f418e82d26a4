import { describe, expect, it } from 'vitest'
import * as Y from 'yjs'
import { yXmlFragmentToProseMirrorRootNode } from 'y-prosemirror'
import { readProseMirror, replaceContentUpdate } from './convert/yjs.ts'
import { convertLegacyFormat, isLegacyFormat, LEGACY_FRAGMENT_NAME, legacyFormatUpdate } from './legacy-format.ts'
import { FRAGMENT_NAME, schema } from './schema.ts'

/** An element as y-prosemirror wrote it for the previous schema (attributes set, children inserted before integration). */
function element(name: string, attrs: Record<string, unknown>, children: (Y.XmlElement | Y.XmlText)[] = []): Y.XmlElement {
  const node = new Y.XmlElement(name)
  for (const [key, value] of Object.entries(attrs)) node.setAttribute(key, value as string)
  node.insert(0, children)
  return node
}

function text(...runs: [string, Record<string, unknown>?][]): Y.XmlText {
  const node = new Y.XmlText()
  node.applyDelta(runs.map(([insert, attributes]) => (attributes ? { insert, attributes } : { insert })))
  return node
}

/** A document of the previous format, as the relay stored them: every old name, a link, nesting. */
function legacyDoc(): Y.Doc {
  const doc = new Y.Doc()
  doc.getXmlFragment(LEGACY_FRAGMENT_NAME).insert(0, [
    element('heading', { level: 2 }, [text(['Plan'])]),
    element('paragraph', {}, [text(['See '], ['the spec', { link: { href: 'https://example.com/spec', title: null } }], [' and '], ['this', { bold: {}, italic: {} }])]),
    element('ordered_list', { order: 3 }, [
      element('list_item', {}, [element('paragraph', {}, [text(['three'])])]),
      element('list_item', {}, [element('paragraph', {}, [text(['four'])]), element('bullet_list', {}, [element('list_item', {}, [element('paragraph', {}, [text(['nested'])])])])]),
    ]),
    element('blockquote', {}, [element('paragraph', {}, [text(['one']), element('hard_break', {}), text(['two'])])]),
    element('code_block', {}, [text(['let x = 1\n'])]),
    element('horizontal_rule', {}),
  ])
  doc.getText('title').insert(0, 'A title')
  return doc
}

const p = (...content: unknown[]) => ({ type: 'paragraph', content })
const t = (value: string, marks?: unknown[]) => ({ type: 'text', text: value, ...(marks ? { marks } : {}) })
const item = (...content: unknown[]) => ({ type: 'listItem', content })

const EXPECTED = {
  type: 'doc',
  content: [
    { type: 'heading', attrs: { level: 2 }, content: [t('Plan')] },
    p(
      t('See '),
      t('the spec', [{ type: 'link', attrs: { href: 'https://example.com/spec', target: '_blank', rel: 'noopener noreferrer nofollow', class: null, title: null } }]),
      t(' and '),
      t('this', [{ type: 'bold' }, { type: 'italic' }]),
    ),
    { type: 'orderedList', attrs: { start: 3, type: null }, content: [item(p(t('three'))), item(p(t('four')), { type: 'bulletList', content: [item(p(t('nested')))] })] },
    { type: 'blockquote', content: [p(t('one'), { type: 'hardBreak' }, t('two'))] },
    { type: 'codeBlock', attrs: { language: null }, content: [t('let x = 1\n')] },
    { type: 'horizontalRule' },
  ],
}

describe('the previous format (fragment `prosemirror`, ProseMirror example names)', () => {
  it('moves into Tiptap’s fragment with Tiptap’s names, `order` as `start`, links with Tiptap’s attributes', () => {
    const doc = legacyDoc()
    expect(isLegacyFormat(doc)).toBe(true)
    expect(convertLegacyFormat(doc, 'upgrade')).toBe(true)
    expect(yXmlFragmentToProseMirrorRootNode(doc.getXmlFragment(FRAGMENT_NAME), schema).toJSON()).toEqual(EXPECTED)
    expect(doc.getXmlFragment(LEGACY_FRAGMENT_NAME).length).toBe(0)
    expect(doc.getText('title').toString()).toBe('A title')
  })

  it('converts in one transaction carrying the caller’s origin', () => {
    const doc = legacyDoc()
    const origins: unknown[] = []
    // (Defining the new fragment runs an empty transaction of Yjs's own: it changes nothing, so sends no update.)
    doc.on('update', (_update: Uint8Array, origin: unknown) => origins.push(origin))
    convertLegacyFormat(doc, 'upgrade')
    expect(origins).toEqual(['upgrade'])
  })

  it('does nothing a second time, nor to a document already in the new format, empty, or of other types', () => {
    const doc = legacyDoc()
    convertLegacyFormat(doc, 'upgrade')
    const updates: Uint8Array[] = []
    doc.on('update', (update: Uint8Array) => updates.push(update))
    expect(convertLegacyFormat(doc, 'again')).toBe(false)
    expect(legacyFormatUpdate(doc)).toBeNull()

    // Someone wrote the new fragment (a Tiptap app, say): the old one stays as it is.
    const both = legacyDoc()
    both.getXmlFragment(FRAGMENT_NAME).insert(0, [element('paragraph', {}, [text(['new'])])])
    expect(convertLegacyFormat(both, 'upgrade')).toBe(false)
    expect(both.getXmlFragment(LEGACY_FRAGMENT_NAME).length).toBe(6)

    const empty = new Y.Doc()
    expect(convertLegacyFormat(empty, 'upgrade')).toBe(false)
    // Nothing was defined on it either.
    expect([...empty.share.keys()]).toEqual([])
    const other = new Y.Doc()
    other.getText(LEGACY_FRAGMENT_NAME).insert(0, 'not rich text')
    expect(convertLegacyFormat(other, 'upgrade')).toBe(false)
    expect(updates).toEqual([])
  })

  it('as an update: the document given is left alone, and the update converts any copy of it', () => {
    const doc = legacyDoc()
    const before = Y.encodeStateAsUpdate(doc)
    const update = legacyFormatUpdate(doc)!
    expect(Y.encodeStateAsUpdate(doc)).toEqual(before)
    const copy = new Y.Doc()
    Y.applyUpdate(copy, before)
    Y.applyUpdate(copy, update)
    expect(readProseMirror(copy).toJSON()).toEqual(EXPECTED)
    expect(copy.getXmlFragment(LEGACY_FRAGMENT_NAME).length).toBe(0)
  })

  it('is the same update for the same state, so two relays converting at once add the content once', () => {
    const stored = Y.encodeStateAsUpdate(legacyDoc())
    const load = () => {
      const doc = new Y.Doc()
      Y.applyUpdate(doc, stored)
      return doc
    }
    const first = legacyFormatUpdate(load())!
    const second = legacyFormatUpdate(load())!
    expect(second).toEqual(first)
    const doc = load()
    Y.applyUpdate(doc, first)
    Y.applyUpdate(doc, second)
    expect(readProseMirror(doc).toJSON()).toEqual(EXPECTED)
    // Under a client ID of its own, not one of the document's writers.
    const writer = new Y.Doc()
    Y.applyUpdate(writer, first)
    expect([...writer.store.clients.keys()].some((client) => load().store.clients.has(client))).toBe(false)
  })

  it('leaves nothing for the editor’s binding to rewrite: the stored attributes are the nodes’ and marks’ own', () => {
    const doc = legacyDoc()
    convertLegacyFormat(doc, 'upgrade')
    // y-prosemirror writes back only what differs from the document it reads.
    expect(replaceContentUpdate(doc, readProseMirror(doc))).toBeNull()
  })
})
