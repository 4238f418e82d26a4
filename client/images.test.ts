import { describe, expect, it } from 'vitest'
import type { Node } from 'prosemirror-model'
import { EditorState, NodeSelection, TextSelection } from 'prosemirror-state'
import { schema } from '../shared/schema.ts'
import { checkImage, MISSING_ALT_MESSAGE, selectedImage, setImage, UNSAFE_IMAGE_MESSAGE } from './images.ts'

const { nodes } = schema
const p = (text = '') => nodes.paragraph.create(null, text ? schema.text(text) : null)
const doc = (...blocks: Node[]) => nodes.doc.create(null, blocks)

describe('checkImage', () => {
  it('accepts web and relative addresses with a description, trimmed', () => {
    for (const src of ['https://example.com/cat.png', 'http://example.com/a.gif?x=1', '/media/cat.png', './cat.png']) {
      expect(checkImage({ src: ` ${src} `, alt: '  A  cat ', decorative: false })).toEqual({ ok: true, src, alt: 'A cat' })
    }
  })

  it('completes a bare host with https:, as links do', () => {
    expect(checkImage({ src: 'example.com/cat.png', alt: 'A cat', decorative: false })).toEqual({ ok: true, src: 'https://example.com/cat.png', alt: 'A cat' })
  })

  it('refuses scripts, data: and every other scheme with a message about the address', () => {
    for (const src of ['javascript:alert(1)', ' JavaScript:alert(1)', 'data:image/png;base64,iVBOR', 'file:///etc/passwd', 'ftp://example.com/a.png', 'blob:https://x/1']) {
      expect(checkImage({ src, alt: 'x', decorative: false })).toEqual({ ok: false, field: 'src', message: UNSAFE_IMAGE_MESSAGE })
    }
    expect(checkImage({ src: '  ', alt: 'x', decorative: false })).toMatchObject({ ok: false, field: 'src' })
  })

  it('asks for a description unless the image is marked decorative, which stores an empty one', () => {
    expect(checkImage({ src: '/a.png', alt: '   ', decorative: false })).toEqual({ ok: false, field: 'alt', message: MISSING_ALT_MESSAGE })
    expect(checkImage({ src: '/a.png', alt: 'ignored', decorative: true })).toEqual({ ok: true, src: '/a.png', alt: '' })
  })
})

describe('setImage', () => {
  it('inserts an image after the caret’s paragraph, or in place of an empty one, with somewhere to type after it', () => {
    const base = EditorState.create({ schema, doc: doc(p('Text'), p()) })
    let state = base.apply(base.tr.setSelection(TextSelection.create(base.doc, 3)))
    setImage('/a.png', 'A')(state, (tr) => (state = state.apply(tr)))
    expect(state.doc.child(1).type).toBe(nodes.image)
    expect(state.doc.child(1).attrs).toMatchObject({ src: '/a.png', alt: 'A' })
    expect(state.doc.child(2).type).toBe(nodes.paragraph)
    expect(state.doc.childCount).toBe(3)

    const empty = EditorState.create({ schema, doc: doc(p()) })
    let replaced = empty
    setImage('/b.png', '')(empty, (tr) => (replaced = empty.apply(tr)))
    expect(replaced.doc.childCount).toBe(2)
    expect(replaced.doc.firstChild!.type).toBe(nodes.image)
    expect(replaced.selection.$head.parent.type).toBe(nodes.paragraph)
  })

  it('changes the selected image’s address and description, keeping its size', () => {
    const image = nodes.image.create({ src: '/old.png', alt: 'Old', width: 120 })
    const base = EditorState.create({ schema, doc: doc(p('x'), image) })
    const selected = base.apply(base.tr.setSelection(NodeSelection.create(base.doc, 3)))
    expect(selectedImage(selected)).toBe(image)
    let state = selected
    setImage('/new.png', 'New')(selected, (tr) => (state = selected.apply(tr)))
    expect(state.doc.childCount).toBe(2)
    expect(state.doc.child(1).attrs).toMatchObject({ src: '/new.png', alt: 'New', width: 120 })
  })
})
