import { describe, expect, it } from 'vitest'
import { cleanDocument } from './clean.ts'
import { parseMarkdown, toMarkdown } from './markdown.ts'
import { toPlainText } from './text.ts'

const read = (markdown: string) => cleanDocument(parseMarkdown(markdown))
const names = (markdown: string) => read(markdown).content.content.map((node) => node.type.name)

/** Everything the editor has, in one text. */
const EVERYTHING = `# Title

## Second

### Third

#### Fourth becomes third

Some **bold**, *italic*, ~~strike~~, \`code\`, a [link](https://example.com "with title"), <b>not html</b>,
a soft line break and a hard one\\
here, and *mixed **nesting***.

- one
- two
  - nested *a*
  - nested b
    1. deeper
- three

3. three
4. four

> quoted
> > deeper

\`\`\`js
let x = 1 *2* # not a heading
\`\`\`

    indented code

---

![alt text](https://example.com/x.png) <https://auto.example> 1\\. not a list * star _under_`

describe('Markdown', () => {
  it('reads every construct of the schema', () => {
    expect(names('# a\n\n## b\n\n### c\n\np\n\n- l\n\n1. o\n\n> q\n\n```\nc\n```\n\n---')).toEqual([
      'heading',
      'heading',
      'heading',
      'paragraph',
      'bullet_list',
      'ordered_list',
      'blockquote',
      'code_block',
      'horizontal_rule',
    ])
    const inline = read('**b** *i* ~~s~~ `c` [l](https://x.example)\\\nnext').firstChild!
    const marksOf = (text: string) => {
      let found: string[] = []
      inline.forEach((child) => {
        if (child.text === text) found = child.marks.map((mark) => mark.type.name)
      })
      return found
    }
    expect(marksOf('b')).toEqual(['bold'])
    expect(marksOf('i')).toEqual(['italic'])
    expect(marksOf('s')).toEqual(['strike'])
    expect(marksOf('c')).toEqual(['code'])
    expect(marksOf('l')).toEqual(['link'])
    expect(inline.content.content.some((child) => child.type.name === 'hard_break')).toBe(true)
  })

  it('nests lists and keeps the start number of a numbered one', () => {
    const doc = read('3. a\n   - b\n     - c')
    const list = doc.firstChild!
    expect(list.type.name).toBe('ordered_list')
    expect(list.attrs.order).toBe(3)
    const inner = list.firstChild!.child(1)
    expect(inner.type.name).toBe('bullet_list')
    expect(inner.firstChild!.child(1).type.name).toBe('bullet_list')
  })

  it('keeps headings within the editor’s three levels', () => {
    expect(parseMarkdown('###### six').firstChild!.attrs.level).toBe(3)
    expect(toMarkdown(read('#### four'))).toBe('### four')
  })

  it('round trip: Markdown → document → Markdown gives the same text the second time', () => {
    const once = toMarkdown(read(EVERYTHING))
    const twice = toMarkdown(read(once))
    expect(twice).toBe(once)
    // and the document itself survives the trip
    expect(read(once).toJSON()).toEqual(read(EVERYTHING).toJSON())
    expect(once).toContain('~~strike~~')
    expect(once).toContain('- nested *a*')
    expect(once).toContain('```\nlet x = 1 *2* # not a heading\n```')
  })

  it('writes the editor’s own documents as plain, conventional Markdown', () => {
    expect(toMarkdown(read('A *b* **c**\n\n* x\n* y\n\n1) one'))).toBe('A *b* **c**\n\n- x\n- y\n\n1. one')
  })

  it('leaves raw HTML and unsafe links as text, and escapes `<` on the way out', () => {
    const doc = read('<script>alert(1)</script> [x](javascript:alert(1)) [y](data:text/html,hi) <img src=x onerror=alert(1)>')
    let linked = 0
    doc.descendants((node) => {
      if (node.marks.some((mark) => mark.type.name === 'link')) linked++
    })
    expect(linked).toBe(0)
    expect(toPlainText(doc)).toContain('<script>alert(1)</script>')
    expect(toMarkdown(doc)).toContain('\\<script>')
  })

  it('an empty text is one empty paragraph', () => {
    expect(read('').toJSON()).toEqual({ type: 'doc', content: [{ type: 'paragraph' }] })
    expect(toMarkdown(read(''))).toBe('')
  })
})

describe('plain text', () => {
  it('keeps blocks apart: blank lines between top-level blocks, line breaks inside lists and quotes', () => {
    expect(toPlainText(read('# Plan\n\nFirst *line*\\\nsecond\n\n- one\n- two\n  - nested\n\n> a\n>\n> b\n\n---\n\n```\ncode\n  kept\n```'))).toBe(
      'Plan\n\nFirst line\nsecond\n\none\ntwo\nnested\n\na\nb\n\ncode\n  kept',
    )
  })
})
