import type { Node } from 'prosemirror-model'
import { describe, expect, it } from 'vitest'
import { cleanDocument } from './clean.ts'
import { parseMarkdown, toMarkdown } from './markdown.ts'
import { schema } from '../schema.ts'
import { toPlainText } from './text.ts'

const read = (markdown: string) => cleanDocument(parseMarkdown(markdown))
const names = (markdown: string) => read(markdown).content.content.map((node) => node.type.name)

/** Everything the editor has, in one text. */
const EVERYTHING = `# Title

## Second

### Third

#### Fourth

Some **bold**, *italic*, ~~strike~~, \`code\`, a [link](https://example.com "with title"), <b>not html</b>,
a soft line break and a hard one\\
here, and *mixed **nesting***.

- one
- two
  - nested *a*
  - nested b
    1. deeper
- three

* [ ] todo
* [x] done *now*
  * [ ] nested task

| Name | **Status** | Note |
|:-----|:------:|----:|
| one | \`a\\|b\` | [x](https://x.example) |
| two |

3. three
4. four

> quoted
> > deeper

\`\`\`js
let x = 1 *2* # not a heading
\`\`\`

    indented code

---

![alt text](https://example.com/x.png "A title") <https://auto.example> 1\\. not a list * star _under_`

describe('Markdown', () => {
  it('reads every construct of the schema', () => {
    expect(names('# a\n\n## b\n\n### c\n\np\n\n- l\n\n1. o\n\n- [ ] t\n\n> q\n\n```\nc\n```\n\n---\n\n| h |\n|---|\n| c |\n\n![i](/i.png)')).toEqual([
      'heading',
      'heading',
      'heading',
      'paragraph',
      'bulletList',
      'orderedList',
      'taskList',
      'blockquote',
      'codeBlock',
      'horizontalRule',
      'table',
      'image',
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
    expect(inline.content.content.some((child) => child.type.name === 'hardBreak')).toBe(true)
  })

  it('nests lists and keeps the start number of a numbered one', () => {
    const doc = read('3. a\n   - b\n     - c')
    const list = doc.firstChild!
    expect(list.type.name).toBe('orderedList')
    expect(list.attrs.start).toBe(3)
    const inner = list.firstChild!.child(1)
    expect(inner.type.name).toBe('bulletList')
    expect(inner.firstChild!.child(1).type.name).toBe('bulletList')
  })

  it('keeps heading levels 1 to 6, as Tiptap documents have them', () => {
    expect(parseMarkdown('###### six').firstChild!.attrs.level).toBe(6)
    expect(toMarkdown(read('#### four'))).toBe('#### four')
  })

  it('reads and writes task lists: a bullet list whose items all have a box', () => {
    const doc = read('- [ ] open\n- [x] done\n  - [X] nested\n- [ ]')
    expect(doc.toJSON()).toEqual({
      type: 'doc',
      content: [
        {
          type: 'taskList',
          content: [
            { type: 'taskItem', attrs: { checked: false }, content: [{ type: 'paragraph', content: [{ type: 'text', text: 'open' }] }] },
            {
              type: 'taskItem',
              attrs: { checked: true },
              content: [
                { type: 'paragraph', content: [{ type: 'text', text: 'done' }] },
                { type: 'taskList', content: [{ type: 'taskItem', attrs: { checked: true }, content: [{ type: 'paragraph', content: [{ type: 'text', text: 'nested' }] }] }] },
              ],
            },
            { type: 'taskItem', attrs: { checked: false }, content: [{ type: 'paragraph' }] },
          ],
        },
      ],
    })
    expect(toMarkdown(doc)).toBe('- [ ] open\n- [x] done\n  - [x] nested\n- [ ] ')
    // A list with one item without a box is a bullet list; escaped boxes are text and stay escaped.
    expect(names('- [ ] a\n- b')).toEqual(['bulletList'])
    const escaped = read('- \\[ ] not a task')
    expect(escaped.firstChild!.type.name).toBe('bulletList')
    expect(escaped.textContent).toBe('[ ] not a task')
    expect(names(toMarkdown(escaped))).toEqual(['bulletList'])
  })

  it('reads and writes pipe tables: the first row as header cells, alignment per column, `|` escaped', () => {
    const doc = read('| a | **b** |\n|:--|--:|\n| 1 | `x\\|y` |\n| 2 |')
    const table = doc.firstChild!
    expect(table.type.name).toBe('table')
    expect(table.child(0).content.content.map((cell) => cell.type.name)).toEqual(['tableHeader', 'tableHeader'])
    expect(table.child(1).content.content.map((cell) => [cell.type.name, cell.attrs.align, cell.textContent])).toEqual([
      ['tableCell', 'left', '1'],
      ['tableCell', 'right', 'x|y'],
    ])
    // Cells hold paragraphs, as Tiptap's do; a missing cell is an empty one.
    expect(table.child(2).child(1).toJSON()).toEqual({ type: 'tableCell', attrs: { colspan: 1, rowspan: 1, colwidth: null, align: 'right' }, content: [{ type: 'paragraph' }] })
    expect(toMarkdown(doc)).toBe('| a | **b** |\n| :-- | --: |\n| 1 | `x\\|y` |\n| 2 |  |')
  })

  it('writes a cell holding more than a paragraph as its text on one line, and a spanning cell followed by empty ones', () => {
    const cell = (content: unknown[], attrs: Record<string, unknown> = {}) => ({ type: 'tableCell', attrs, content })
    const p = (text: string) => ({ type: 'paragraph', content: [{ type: 'text', text }] })
    const doc = cleanDocument(
      schema.nodeFromJSON({
        type: 'doc',
        content: [
          {
            type: 'table',
            content: [
              { type: 'tableRow', content: [cell([p('wide')], { colspan: 2 }), cell([p('c')])] },
              { type: 'tableRow', content: [cell([p('two'), p('paragraphs | here')]), cell([{ type: 'bulletList', content: [{ type: 'listItem', content: [p('*item*')] }] }]), cell([p('x')])] },
            ],
          },
        ],
      }),
    )
    expect(toMarkdown(doc)).toBe('| wide |  | c |\n| --- | --- | --- |\n| two paragraphs \\| here | \\*item\\* | x |')
  })

  it('reads images as blocks: one inside a paragraph splits it; alt, title and a safe address are kept', () => {
    const doc = read('before ![alt *text*](https://example.com/a.png "The title") after\n\n![](/relative.png)')
    expect(doc.toJSON().content).toEqual([
      { type: 'paragraph', content: [{ type: 'text', text: 'before' }] },
      { type: 'image', attrs: { src: 'https://example.com/a.png', alt: 'alt text', title: 'The title', width: null, height: null } },
      { type: 'paragraph', content: [{ type: 'text', text: 'after' }] },
      { type: 'image', attrs: { src: '/relative.png', alt: null, title: null, width: null, height: null } },
    ])
    expect(toMarkdown(doc)).toBe('before\n\n![alt text](https://example.com/a.png "The title")\n\nafter\n\n![](/relative.png)')
    // In a heading or a link, where no block may stand: its alt text.
    expect(read('# A ![logo](/l.png) heading\n\n[![badge](/b.png)](https://x.example)').textContent).toBe('A logo headingbadge')
    // In a list item, after the empty paragraph the item must start with, and written back the same.
    expect(toMarkdown(read('- ![a](/x.png)'))).toBe('- ![a](/x.png)')
  })

  it('drops images whose address is not http(s) or relative', () => {
    const doc = read('![a](data:image/png;base64,iVBORw0KGgo=)\n\n![b](javascript:alert(1))\n\n![c](ftp://x.example/c.png)\n\n![d](https://ok.example/d.png)')
    const images: string[] = []
    doc.descendants((node) => void (node.type.name === 'image' && images.push(node.attrs.src)))
    expect(images).toEqual(['https://ok.example/d.png'])
    // markdown-it refuses `javascript:` itself: that one stays text, as an unsafe link does.
    expect(doc.textContent).toBe('![b](javascript:alert(1))')
  })

  it('keeps the language of a fenced code block, and the text of underlined words', () => {
    const doc = read('```ts title\nlet x\n```')
    expect(doc.firstChild!.attrs.language).toBe('ts')
    expect(toMarkdown(doc)).toBe('```ts\nlet x\n```')
    const underlined = cleanDocument(schema.nodeFromJSON({ type: 'doc', content: [{ type: 'paragraph', content: [{ type: 'text', text: 'under', marks: [{ type: 'underline' }, { type: 'bold' }] }, { type: 'text', text: ' line' }] }] }))
    expect(toMarkdown(underlined)).toBe('**under** line')
  })

  it('round trip: Markdown → document → Markdown gives the same text the second time', () => {
    const once = toMarkdown(read(EVERYTHING))
    const twice = toMarkdown(read(once))
    expect(twice).toBe(once)
    // and the document itself survives the trip
    expect(read(once).toJSON()).toEqual(read(EVERYTHING).toJSON())
    expect(once).toContain('~~strike~~')
    expect(once).toContain('- nested *a*')
    expect(once).toContain('```js\nlet x = 1 *2* # not a heading\n```')
    // A list right after another of the same markers takes the other marker, or both would read as one.
    expect(once).toContain('- three\n\n* [ ] todo\n* [x] done *now*\n  - [ ] nested task')
    expect(once).toContain('| one | `a\\|b` | [x](https://x.example) |')
    expect(once).toContain('![alt text](https://example.com/x.png "A title")')
  })

  it('writes the editor’s own documents as plain, conventional Markdown', () => {
    expect(toMarkdown(read('A *b* **c**\n\n* x\n* y\n\n1) one'))).toBe('A *b* **c**\n\n- x\n- y\n\n1. one')
  })

  it('keeps lists that follow one another apart, by turns of marker', () => {
    const doc = read('- a\n\n* b\n\n- [ ] c\n\n1. d\n\n1) e')
    expect(doc.content.content.map((node) => node.type.name)).toEqual(['bulletList', 'bulletList', 'taskList', 'orderedList', 'orderedList'])
    // (prosemirror-markdown leaves two blank lines between lists of one type)
    expect(toMarkdown(doc)).toBe('- a\n\n\n* b\n\n- [ ] c\n\n1. d\n\n\n1) e')
    expect(read(toMarkdown(doc)).toJSON()).toEqual(doc.toJSON())
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

  it('writes text that would start a block at the start of a line so that it reads back as the same text', () => {
    // Each would read back as a list, heading, quote, rule, code block, table, HTML, another
    // character, or without the whitespace at its start or end.
    const texts = [
      '1) first point',
      '10) ten',
      '1)',
      '1.',
      '2024. a year',
      '&copy; 2026 &amp; co',
      '&#32; &#x41; &nbsp; AT&T',
      '    four leading spaces',
      ' one space',
      '\ttab',
      '    1) indented marker',
      '\u00a0no-break space',
      '+',
      '+ item',
      '+\titem',
      '- item',
      '* item',
      '> quote',
      '# heading',
      '###### six',
      '---',
      '- - -',
      '***',
      '___',
      '===',
      '```js',
      '~~~',
      '<div>',
      '<!-- comment -->',
      '| --- | --- |',
      ':-- | --:',
      '[ ] box',
      '[x]: /url',
      'ends with \\',
      'ends with a space ',
      'ends with a tab\t',
      '  ',
      '> ',
      // In a heading too: whitespace after the `#`s is dropped, and a last run of `#` after a
      // space (or the whole text) is the heading's optional closing sequence.
      '  two leading spaces',
      'Issue #',
      'C ##',
      'tab before\t#',
      '#',
      '##',
      '1. a',
      '# a',
      'two trailing spaces  ',
    ]
    const p = (...content: unknown[]) => ({ type: 'paragraph', content })
    const text = (value: string, marks?: unknown[]) => ({ type: 'text', text: value, ...(marks ? { marks } : {}) })
    // The places a line of text starts: a paragraph, after a hard break (the line before it then
    // makes `===`, `---` and `| --- |` underlines), a list item, a quote, inside a mark, a heading.
    const places: Record<string, (value: string) => unknown> = {
      paragraph: (value) => p(text(value)),
      'after a hard break': (value) => p(text('a | b'), { type: 'hardBreak' }, text(value)),
      'list item': (value) => ({ type: 'bulletList', content: [{ type: 'listItem', content: [p(text(value))] }] }),
      quote: (value) => ({ type: 'blockquote', content: [p(text('a')), p(text(value))] }),
      bold: (value) => p(text(value, [{ type: 'bold' }])),
      'heading 1': (value) => ({ type: 'heading', attrs: { level: 1 }, content: [text(value)] }),
      'heading 2': (value) => ({ type: 'heading', attrs: { level: 2 }, content: [text(value)] }),
    }
    // Blocks and their text, marks aside: whitespace at the edge of a mark is written outside it
    // (`**a **` would not be bold), which moves the mark but keeps the text.
    const blocksOf = (doc: Node) => {
      const out: string[] = []
      doc.descendants((node) => {
        const name = `${node.type.name}${node.attrs.level ?? ''}`
        out.push(node.isTextblock ? `${name}: ${node.textBetween(0, node.content.size, '', '\n')}` : name)
        return !node.isTextblock
      })
      return out.join('\n')
    }
    const failures: string[] = []
    for (const [place, block] of Object.entries(places)) {
      for (const value of texts) {
        const doc = schema.nodeFromJSON({ type: 'doc', content: [block(value)] })
        const markdown = toMarkdown(doc)
        const back = read(markdown)
        if (blocksOf(back) !== blocksOf(doc) || toMarkdown(back) !== markdown) failures.push(`${place}: ${JSON.stringify(value)} → ${JSON.stringify(markdown)} → ${JSON.stringify(toMarkdown(back))}`)
      }
    }
    expect(failures).toEqual([])
  })

  it('writes link and image addresses and titles so that they read back the same, addresses percent-encoded as markdown-it stores them', () => {
    // Each address, and the one markdown-it reads back: it percent-encodes what a URL may not hold
    // as it is (a space, `\`, `<`, `ü`, a `%` not starting an escape), so that one is written.
    const addresses: [string, string][] = [
      ['https://x.example/?a=1&amp;b=2', 'https://x.example/?a=1&amp;b=2'],
      ['https://x.example/&copy;', 'https://x.example/&copy;'],
      ['https://x.example/&#32;&#x41;', 'https://x.example/&#32;&#x41;'],
      ['https://x.example/(a)b)', 'https://x.example/(a)b)'],
      ['https://x.example/a(b', 'https://x.example/a(b'],
      ['https://x.example/a*b_c_[d]', 'https://x.example/a*b_c_%5Bd%5D'],
      ['https://x.example/a b', 'https://x.example/a%20b'],
      ['/relative path', '/relative%20path'],
      ['https://x.example/%20', 'https://x.example/%20'],
      ['https://x.example/50%', 'https://x.example/50%25'],
      ['https://x.example/a\\b<c>"d"`e', 'https://x.example/a%5Cb%3Cc%3E%22d%22%60e'],
      ['https://x.example/über', 'https://x.example/%C3%BCber'],
      ['mailto:a@x.example', 'mailto:a@x.example'],
    ]
    const titles = [null, 'with "quotes" (and parentheses)', 'a \\ backslash\\', '&copy; &#32;']
    const failures: string[] = []
    for (const [href, readBack] of addresses) {
      for (const title of titles) {
        // A link's text may be its address: written `<…>` when that reads back the same.
        for (const linkText of ['text', href]) {
          const doc = schema.nodeFromJSON({
            type: 'doc',
            content: [
              { type: 'paragraph', content: [{ type: 'text', text: linkText, marks: [{ type: 'link', attrs: { href, title } }] }] },
              { type: 'image', attrs: { src: href, alt: 'alt', title } },
            ],
          })
          const markdown = toMarkdown(doc)
          const back = parseMarkdown(markdown)
          const link = back.firstChild!.firstChild?.marks.find((mark) => mark.type.name === 'link')
          const image = back.maybeChild(1)
          const got = { text: back.firstChild!.textContent, href: link?.attrs.href, title: link?.attrs.title ?? null, src: image?.attrs.src, imageTitle: image?.attrs.title ?? null }
          const want = { text: linkText, href: readBack, title, src: readBack, imageTitle: title }
          if (JSON.stringify(got) !== JSON.stringify(want) || toMarkdown(back) !== markdown) failures.push(`${JSON.stringify(markdown)} → ${JSON.stringify(got)} → ${JSON.stringify(toMarkdown(back))}`)
        }
      }
    }
    expect(failures).toEqual([])
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

  it('writes task items with their box, table rows as tab-separated lines, images as their alt text', () => {
    expect(toPlainText(read('- [ ] open\n- [x] done\n\n| a | b |\n|---|---|\n| 1 | two *words* |\n\n![a chart](/c.png)\n\n![](/no-alt.png)\n\nend'))).toBe(
      '[ ] open\n[x] done\n\na\tb\n1\ttwo words\n\na chart\n\nend',
    )
  })
})
