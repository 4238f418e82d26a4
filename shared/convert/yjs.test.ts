import { describe, expect, it } from 'vitest'
import * as Y from 'yjs'
import { FRAGMENT_NAME } from '../schema.ts'
import { cleanDocument } from './clean.ts'
import { parseMarkdown, toMarkdown } from './markdown.ts'
import { readProseMirror, replaceContentUpdate } from './yjs.ts'

const md = (markdown: string) => cleanDocument(parseMarkdown(markdown))

function docWith(markdown: string): Y.Doc {
  const doc = new Y.Doc()
  Y.applyUpdate(doc, replaceContentUpdate(doc, md(markdown))!)
  return doc
}

describe('Yjs ↔ ProseMirror', () => {
  it('writes and reads back the same document', () => {
    const doc = docWith('# Plan\n\n- one\n  - two\n\nSome **bold** [link](https://x.example)')
    expect(toMarkdown(readProseMirror(doc))).toBe('# Plan\n\n- one\n  - two\n\nSome **bold** [link](https://x.example)')
  })

  it('reading never changes the document read, even where y-prosemirror gives up on an element', () => {
    const doc = docWith('kept')
    doc.getXmlFragment(FRAGMENT_NAME).insert(0, [new Y.XmlElement('not_in_the_schema')])
    const before = Y.encodeStateAsUpdate(doc)
    const snapshot = Y.encodeSnapshot(Y.snapshot(doc))
    expect(toMarkdown(readProseMirror(doc))).toBe('kept')
    expect(Y.encodeSnapshot(Y.snapshot(doc))).toEqual(snapshot)
    expect(Y.encodeStateAsUpdate(doc)).toEqual(before)
  })

  it('a replacement is one update that changes only what differs, and none when nothing does', () => {
    const doc = docWith('# Title\n\nfirst\n\nsecond')
    const fragment = doc.getXmlFragment(FRAGMENT_NAME)
    const [title, , second] = fragment.toArray()
    const updates: Uint8Array[] = []
    doc.on('update', (update: Uint8Array) => updates.push(update))

    Y.applyUpdate(doc, replaceContentUpdate(doc, md('# Title\n\nfirst, edited\n\nsecond'))!)
    expect(updates).toHaveLength(1)
    expect(toMarkdown(readProseMirror(doc))).toBe('# Title\n\nfirst, edited\n\nsecond')
    // The blocks that stayed are the same Yjs elements: carets inside them stay put.
    expect(fragment.get(0)).toBe(title)
    expect(fragment.get(2)).toBe(second)

    expect(replaceContentUpdate(doc, md('# Title\n\nfirst, edited\n\nsecond'))).toBeNull()
  })

  it('merges with a concurrent edit instead of overwriting it', () => {
    const server = docWith('one\n\ntwo')
    const peer = new Y.Doc()
    Y.applyUpdate(peer, Y.encodeStateAsUpdate(server))
    // The peer types into "two" while the server replaces "one".
    const peerText = (peer.getXmlFragment(FRAGMENT_NAME).get(1) as Y.XmlElement).get(0) as Y.XmlText
    peerText.insert(3, ' and more')
    const replacement = replaceContentUpdate(server, md('ONE\n\ntwo'))!
    Y.applyUpdate(peer, replacement)
    Y.applyUpdate(server, replacement)
    Y.applyUpdate(server, Y.encodeStateAsUpdate(peer))
    expect(toMarkdown(readProseMirror(server))).toBe('ONE\n\ntwo and more')
    expect(toMarkdown(readProseMirror(peer))).toBe('ONE\n\ntwo and more')
  })
})
