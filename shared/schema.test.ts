import { describe, expect, it } from 'vitest'
import { safeHref, safeImageSrc, schema } from './schema.ts'

const { nodes, marks } = schema
const p = (text?: string) => nodes.paragraph.create(null, text ? schema.text(text) : null)

describe('schema', () => {
  it('has every block and mark the editor offers', () => {
    for (const name of ['doc', 'paragraph', 'heading', 'blockquote', 'codeBlock', 'horizontalRule', 'bulletList', 'orderedList', 'listItem', 'hardBreak', 'text']) {
      expect(nodes[name], name).toBeDefined()
    }
    for (const name of ['bold', 'italic', 'strike', 'code', 'link']) expect(marks[name], name).toBeDefined()
  })

  it('nests lists: a list item is a paragraph followed by any blocks', () => {
    const inner = nodes.bulletList.create(null, nodes.listItem.create(null, p('inner')))
    const outer = nodes.orderedList.create(null, nodes.listItem.create(null, [p('outer'), inner]))
    expect(() => nodes.doc.create(null, outer).check()).not.toThrow()
    expect(() => nodes.listItem.create(null, inner).check()).toThrow()
  })

  it('keeps marks out of code blocks, and other marks off inline code', () => {
    expect(nodes.codeBlock.allowsMarkType(marks.bold)).toBe(false)
    const coded = marks.code.create()
    expect(coded.addToSet([marks.bold.create()])).toEqual([coded])
  })

  it('renders heading levels 1 to 3 and clamps anything else', () => {
    const spec = nodes.heading.spec.toDOM!
    expect(spec(nodes.heading.create({ level: 2 }))).toEqual(['h2', 0])
    expect(spec(nodes.heading.create({ level: 9 }))).toEqual(['h1', 0])
  })

  it('refuses attributes of the wrong type', () => {
    expect(() => nodes.heading.create({ level: 'big' })).toThrow(RangeError)
    expect(() => marks.link.create({ href: 42 })).toThrow(RangeError)
  })
})

describe('safeImageSrc', () => {
  it.each([
    ['https://example.com/a.png', 'https://example.com/a.png'],
    ['HTTP://x.y/b.gif', 'HTTP://x.y/b.gif'],
    ['/uploads/a.png', '/uploads/a.png'],
    ['images/a.png', 'images/a.png'],
    ['//cdn.example/a.png', '//cdn.example/a.png'],
    ['data:image/png;base64,iVBOR', ''],
    ['javascript:alert(1)', ''],
    ['java\tscript:alert(1)', ''],
    ['file:///etc/passwd', ''],
    ['', ''],
  ])('%s → %s', (input, expected) => {
    expect(safeImageSrc(input)).toBe(expected)
  })
})

describe('safeHref', () => {
  it.each([
    ['https://example.com/a?b#c', 'https://example.com/a?b#c'],
    ['http://x.y', 'http://x.y'],
    ['mailto:ada@example.com', 'mailto:ada@example.com'],
    ['/relative/path', '/relative/path'],
    ['#anchor', '#anchor'],
    ['example.com', 'https://example.com'],
    ['javascript:alert(1)', '#'],
    ['  JavaScript:alert(1)', '#'],
    ['data:text/html,<script>', '#'],
    ['', '#'],
  ])('%s → %s', (input, expected) => {
    expect(safeHref(input)).toBe(expected)
  })

  it('is what a link renders as, so stored javascript: links stay inert', () => {
    const dom = marks.link.spec.toDOM!(marks.link.create({ href: 'javascript:alert(1)' }), true) as unknown as [string, Record<string, string>]
    expect(dom[1].href).toBe('#')
    expect(dom[1].rel).toContain('noopener')
  })
})
