/**
 * Markdown both ways for the editor's schema (`shared/schema.ts`), with
 * prosemirror-markdown over markdown-it in its CommonMark preset plus
 * GitHub's `~~strike~~`, pipe tables and task lists. No DOM is needed, so
 * the server and the browser use the same code.
 *
 * What maps onto what: headings (levels 1–6), paragraphs, bullet and
 * numbered lists (nested; written tight, with `-` and `1.`), task lists
 * (`- [ ] a`, `- [x] b`: a bullet list all of whose items have the box),
 * block quotes, code blocks (fenced or indented; the fence's first word is
 * the language), `---`, hard breaks (`\` at the end of a line), pipe tables
 * (the first row is the header row; a cell holding more than one paragraph
 * is written as its text, on one line; spans are not kept), images
 * (`![alt](src "title")`, a block of their own: one inside a paragraph
 * splits it; width and height are not kept), `**bold**`, `*italic*`,
 * `~~strike~~`, `` `code` `` and links. Underline has no Markdown: its text
 * stays, plain. Raw HTML is text, not markup. The token-stream rewrites that
 * fit tables, task lists and images to the schema are in `markdown-tokens.ts`.
 */
import MarkdownIt from 'markdown-it'
import { MarkdownParser, MarkdownSerializer, MarkdownSerializerState, defaultMarkdownSerializer } from 'prosemirror-markdown'
import type { Mark, Node } from 'prosemirror-model'
import { schema } from '../schema.ts'
import { imageAlt, schemaBlocks } from './markdown-tokens.ts'

// `html: false`: HTML in Markdown stays literal text.
const tokenizer = MarkdownIt('commonmark', { html: false }).enable(['strikethrough', 'table']).use(schemaBlocks)

/** A cell's alignment as markdown-it writes it (`style="text-align:center"`). */
const cellAttrs = (token: { attrGet(name: string): string | null }) => ({ align: /text-align:(left|center|right)/.exec(token.attrGet('style') ?? '')?.[1] ?? null })

const parser = new MarkdownParser(schema, tokenizer, {
  blockquote: { block: 'blockquote' },
  paragraph: { block: 'paragraph' },
  // Keys are markdown-it's token names; values, the schema's (Tiptap's) names.
  list_item: { block: 'listItem' },
  bullet_list: { block: 'bulletList' },
  ordered_list: {
    block: 'orderedList',
    getAttrs: (token) => {
      const start = Number(token.attrGet('start') ?? 1)
      return { start: Number.isInteger(start) && start >= 0 ? start : 1 }
    },
  },
  task_list: { block: 'taskList' },
  task_item: { block: 'taskItem', getAttrs: (token) => ({ checked: token.meta?.checked === true }) },
  heading: { block: 'heading', getAttrs: (token) => ({ level: Number(token.tag.slice(1)) }) },
  code_block: { block: 'codeBlock', noCloseToken: true },
  fence: { block: 'codeBlock', getAttrs: (token) => ({ language: token.info.trim().split(/\s+/)[0] || null }), noCloseToken: true },
  hr: { node: 'horizontalRule' },
  table: { block: 'table' },
  thead: { ignore: true },
  tbody: { ignore: true },
  tr: { block: 'tableRow' },
  th: { block: 'tableHeader', getAttrs: cellAttrs },
  td: { block: 'tableCell', getAttrs: cellAttrs },
  image: {
    node: 'image',
    getAttrs: (token) => ({ src: token.attrGet('src'), alt: imageAlt(token) || null, title: token.attrGet('title') || null }),
  },
  hardbreak: { node: 'hardBreak' },
  em: { mark: 'italic' },
  strong: { mark: 'bold' },
  s: { mark: 'strike' },
  link: { mark: 'link', getAttrs: (token) => ({ href: token.attrGet('href'), title: token.attrGet('title') || null }) },
  code_inline: { mark: 'code', noCloseToken: true },
})

// prosemirror-markdown's serializers, keyed by its own (snake_case) node names.
const common = defaultMarkdownSerializer.nodes

/**
 * What of prosemirror-markdown's serializer state (1.13) its typings keep
 * internal and `LineStartState` needs: its constructor, the output so far and
 * the prefix (`> `, list indentation) each line of the current block starts with.
 * Should a release rename them, the round-trip tests in `markdown.test.ts` fail.
 */
interface StateInternals {
  out: string
  delim: string
  inAutolink?: boolean
}
type StateConstructor = new (nodes: MarkdownSerializer['nodes'], marks: MarkdownSerializer['marks'], options: MarkdownSerializerState['options']) => MarkdownSerializerState

/**
 * prosemirror-markdown's serializer state, escaping text at the start of
 * every line, not only a block's first: after a hard break, `- a`, `# a`,
 * `===` or `| --- |` would start a list, a heading, or turn the line before
 * into a heading or a table's header.
 */
class LineStartState extends (MarkdownSerializerState as unknown as StateConstructor) {
  override esc(text: string, startOfLine = false): string {
    const { out, delim } = this as unknown as StateInternals
    // At a line's start, all that is written of the line is the block's prefix.
    const atLineStart = startOfLine || out.slice(out.lastIndexOf('\n') + 1) === delim
    const escaped = super.esc(text, atLineStart)
    return atLineStart ? escapeLineStart(escaped) : escaped
  }

  // Whitespace ending a paragraph or heading is dropped by the reader too: its last character is
  // written as a reference. (Before a hard break it is kept; `\` ends that line.)
  override renderInline(parent: Node, fromBlockStart?: boolean): void {
    const internals = this as unknown as StateInternals
    const start = internals.out.length
    super.renderInline(parent, fromBlockStart)
    const { out, delim } = internals
    // Not the prefix alone: a text ending in a line break leaves the next line's `  ` or `> `.
    if (out.length > start && out.length - out.lastIndexOf('\n') - 1 > delim.length) internals.out = out.replace(/[ \t]$/, spaceReference)
  }
}

/**
 * prosemirror-markdown's serializer writing with `LineStartState`
 * (`serialize` is the library's own three steps with that state).
 */
class Serializer extends MarkdownSerializer {
  override serialize(content: Node, options: { tightLists?: boolean } = {}): string {
    const state = new LineStartState(this.nodes, this.marks, { ...this.options, ...options })
    state.renderContent(content)
    return (state as unknown as StateInternals).out
  }
}

/**
 * Escapes for text at the start of a line that prosemirror-markdown's own
 * (`#`, `-`, `*`, `>`, `+ `, `1. `) miss; `line` is escaped already. Each of
 * these would read back as a block, or as whitespace markdown-it drops.
 */
function escapeLineStart(line: string): string {
  return (
    line
      // List items: `1)`, and `1.` or `+` before a tab or the end (an empty item).
      .replace(/^(\d+)([.)])(?=[ \t]|$)/, '$1\\$2')
      .replace(/^\+(?=[ \t]|$)/, '\\+')
      // Underlines that make the line above a heading or a table's header row (`-` is escaped already).
      .replace(/^=+[ \t]*$/, '\\$&')
      .replace(/^[|:](?=[-:| \t]*$)/, '\\$&')
      // Indentation: four spaces or a tab start a code block, fewer are dropped. The first one as
      // a reference: the rest of the line then no longer starts with whitespace.
      .replace(/^[ \t]/, spaceReference)
  )
}

/**
 * Escapes for a heading's text, `line` as written. The reader takes the text
 * without the whitespace after the `#`s, and without a last run of `#` that
 * follows whitespace or is the whole text (the optional closing sequence:
 * `# C #` reads as "C"). Whitespace at the end is a reference already.
 */
function escapeHeadingText(line: string): string {
  return line.replace(/(^|[ \t])(#+)$/, '$1\\$2').replace(/^[ \t]/, spaceReference)
}

/** An `&` that would start a character reference (`&copy;`, `&#32;`): markdown-it would read it as the character. */
const REFERENCE_START = /&(?=#\d+;|#[xX][\da-fA-F]+;|[A-Za-z][A-Za-z\d]*;)/

/**
 * A link's or image's address as markdown-it stores what it reads: it
 * percent-encodes what may not stand in a URL as it is (`a b` becomes
 * `a%20b`; a space would also end the address), so writing that form makes
 * the first conversion settle the address. An `&` starting a reference is
 * escaped, as in text; prosemirror-markdown escapes the parentheses.
 */
function destination(address: unknown): string {
  return tokenizer.normalizeLink(String(address ?? '')).replace(new RegExp(REFERENCE_START, 'g'), '\\&')
}

/** A link's or image's title, `\` and references escaped (prosemirror-markdown escapes the `"` around it), or null when there is none. */
function escapeTitle(title: unknown): string | null {
  return title ? String(title).replace(new RegExp(`\\\\|${REFERENCE_START.source}`, 'g'), '\\$&') : null
}

/**
 * Whether `<address>` reads back as a link to `address` whose text is
 * `address`: an absolute URI (CommonMark's autolink) that markdown-it
 * neither percent-encodes as the address nor decodes as the text. Inside
 * `<…>` escapes are not read, so nothing else could be written there.
 */
function readsBackAsAutolink(address: string): boolean {
  return /^[a-zA-Z][a-zA-Z\d+.-]{1,31}:[^<>\x00-\x20]*$/.test(address) && tokenizer.normalizeLink(address) === address && tokenizer.normalizeLinkText(address) === address
}

type MarkString = (state: MarkdownSerializerState, mark: Mark, parent: Node, index: number) => string
const libraryLink = defaultMarkdownSerializer.marks.link as { open: MarkString; close: MarkString; mixable: boolean }

/**
 * A space or tab as its numeric character reference (`&#32;`, `&#9;`):
 * whitespace has no backslash escape, and markdown-it reads the reference
 * back as the same character (`&nbsp;` would be another one).
 */
function spaceReference(space: string): string {
  return `&#${space.charCodeAt(0)};`
}

const serializer = new Serializer(
  {
    doc: common.doc,
    text: common.text,
    paragraph: common.paragraph,
    heading: (state, node) => {
      state.write(`${state.repeat('#', node.attrs.level)} `)
      const internals = state as unknown as StateInternals
      const start = internals.out.length
      state.renderInline(node, false)
      internals.out = internals.out.slice(0, start) + escapeHeadingText(internals.out.slice(start))
      state.closeBlock(node)
    },
    blockquote: common.blockquote,
    // prosemirror-markdown's code block writes `params` after the fence: ours is `language`.
    codeBlock: (state, node, parent, index) => common.code_block(state, withAttrs(node, { params: node.attrs.language ?? '' }), parent, index),
    horizontalRule: common.horizontal_rule,
    hardBreak: common.hard_break,
    listItem: writeListItem,
    taskItem: writeListItem,
    bulletList: (state, node, parent, index) => {
      const bullet = listMarker(parent, index, ['-', '*'])
      state.renderList(node, '  ', () => `${bullet} `)
    },
    taskList: (state, node, parent, index) => {
      const bullet = listMarker(parent, index, ['-', '*'])
      state.renderList(node, '  ', (i) => (node.child(i).attrs.checked ? `${bullet} [x] ` : `${bullet} [ ] `))
    },
    image: (state, node, parent, index) => {
      // Written inline by prosemirror-markdown; here it is a block of its own.
      common.image(state, withAttrs(node, { ...node.attrs, src: destination(node.attrs.src), title: escapeTitle(node.attrs.title) }), parent, index)
      state.closeBlock(node)
    },
    table: writeTable,
    orderedList: (state, node, parent, index) => {
      const start = Number(node.attrs.start) || 1
      const width = String(start + node.childCount - 1).length
      const space = state.repeat(' ', width + 2)
      const delimiter = listMarker(parent, index, ['.', ')'])
      state.renderList(node, space, (i) => {
        const number = String(start + i)
        return state.repeat(' ', width - number.length) + number + delimiter + ' '
      })
    },
  },
  {
    link: {
      mixable: libraryLink.mixable,
      // prosemirror-markdown writes a link whose text is its address as `<address>`: kept for one that reads back the same.
      open: (state, mark, parent, index) => {
        const open = libraryLink.open(state, mark, parent, index)
        if (open !== '<' || readsBackAsAutolink(mark.attrs.href)) return open
        ;(state as unknown as StateInternals).inAutolink = false
        return '['
      },
      close: (state, mark, parent, index) => libraryLink.close(state, mark.type.create({ ...mark.attrs, href: destination(mark.attrs.href), title: escapeTitle(mark.attrs.title) }), parent, index),
    },
    bold: defaultMarkdownSerializer.marks.strong,
    italic: defaultMarkdownSerializer.marks.em,
    // No Markdown for it: the text stays, unmarked.
    underline: { open: '', close: '', mixable: true, expelEnclosingWhitespace: true },
    strike: { open: '~~', close: '~~', mixable: true, expelEnclosingWhitespace: true },
    code: defaultMarkdownSerializer.marks.code,
  },
  // `<` escaped too: text reading `<b>` stays text in renderers that allow HTML. And `&` where it
  // would start a character reference (`&copy;`, `&#32;`), which markdown-it would read as the
  // character: `\&` reads back as `&` (any ASCII punctuation may be escaped), as `&amp;` would,
  // and is shorter. A lone `&` (`AT&T`) stays as it is.
  { escapeExtraCharacters: new RegExp(`<|${REFERENCE_START.source}`, 'g') },
)

/**
 * Parse Markdown into a document of the editor's schema. Links and images
 * are taken as markdown-it validates them (no `javascript:`, `vbscript:` or
 * `file:`; `data:` only for images); pass the result through `cleanDocument`
 * before storing it (it drops images that do not load from http(s) or a
 * relative address).
 *
 * @example
 * const doc = parseMarkdown('# Plan\n\n- ship **it**')
 * doc.firstChild!.type.name // 'heading'
 */
export function parseMarkdown(markdown: string): Node {
  return parser.parse(markdown)
}

/**
 * The document as Markdown (CommonMark with GitHub's `~~strike~~`, pipe
 * tables and task lists), ending without a newline. `toMarkdown(parseMarkdown(toMarkdown(doc)))` equals
 * `toMarkdown(doc)`: the first conversion settles every choice (addresses are written percent-encoded,
 * as markdown-it stores them). Text is escaped where it would read back as markup, at the start of
 * any line too (`1\) a`, `&#32;` for a space that starts or ends a paragraph or heading, `\#` ending
 * a heading), so it reads back as the same text. Not kept: a hard break in a heading (Markdown has
 * none: the heading ends there) and a newline inside a text outside code (it reads back as a space;
 * the editor writes hard breaks).
 *
 * @example
 * toMarkdown(parseMarkdown('Some *text*')) // 'Some *text*'
 */
export function toMarkdown(doc: Node): string {
  return serializer.serialize(doc, { tightLists: true })
}

/** The kinds of list written with the same markers: one right after another would read back as a single list. */
const MARKER_KINDS: Record<string, string> = { bulletList: 'bullet', taskList: 'bullet', orderedList: 'ordered' }

/**
 * The marker for the list at `index` of `parent`: the first of `markers`,
 * the second when it follows a list written with the first, and so on by
 * turns. In CommonMark a change of marker is what ends a list.
 */
function listMarker(parent: Node, index: number, markers: [string, string]): string {
  const kind = MARKER_KINDS[parent.child(index).type.name]
  let before = 0
  while (index - before - 1 >= 0 && MARKER_KINDS[parent.child(index - before - 1).type.name] === kind) before++
  return markers[before % 2]
}

/**
 * A list item's content. An item that starts with an image holds an empty
 * paragraph before it (the schema wants a paragraph first; reading
 * `- ![a](src)` puts one there): written without it, so the item reads
 * back the same.
 */
function writeListItem(state: MarkdownSerializerState, item: Node): void {
  const skipFirst = item.childCount > 1 && item.firstChild!.content.size === 0 && item.child(1).type === schema.nodes.image
  item.forEach((child, _offset, index) => {
    if (index > 0 || !skipFirst) state.render(child, item, index)
  })
}

/** `node` seen with other attributes, for prosemirror-markdown serializers that read attributes of their own names. */
function withAttrs(node: Node, attrs: Record<string, unknown>): Node {
  return Object.create(node, { attrs: { value: attrs } }) as Node
}

/**
 * A table as a GitHub pipe table: the first row is the header row (Markdown
 * has no other), the first row's alignments are the columns'. A cell
 * spanning columns is followed by empty ones; rows are padded to the widest.
 */
function writeTable(state: MarkdownSerializerState, table: Node): void {
  const rows: string[][] = []
  const aligns: unknown[] = []
  table.forEach((row, _offset, rowIndex) => {
    const cells: string[] = []
    row.forEach((cell) => {
      const span = Math.max(1, Number(cell.attrs.colspan) || 1)
      cells.push(cellMarkdown(cell), ...Array<string>(span - 1).fill(''))
      if (rowIndex === 0) aligns.push(...Array<unknown>(span).fill(cell.attrs.align))
    })
    rows.push(cells)
  })
  const columns = Math.max(1, ...rows.map((cells) => cells.length))
  const line = (cells: string[]): string => `| ${Array.from({ length: columns }, (_, i) => cells[i] ?? '').join(' | ')} |`
  const rule = Array.from({ length: columns }, (_, i) => ({ left: ':--', center: ':-:', right: '--:' })[String(aligns[i])] ?? '---')
  const lines = [line(rows[0] ?? []), `| ${rule.join(' | ')} |`, ...rows.slice(1).map(line)]
  // Line by line: `write` puts the enclosing quote's or list's prefix at the start of each.
  lines.forEach((text, i) => {
    if (i > 0) state.ensureNewLine()
    state.write(text)
  })
  state.closeBlock(table)
}

/**
 * A cell's content on one line, `|` escaped: a single paragraph with its
 * formatting (hard breaks become spaces), anything else as its plain text.
 */
function cellMarkdown(cell: Node): string {
  const only = cell.childCount === 1 && cell.firstChild!.type === schema.nodes.paragraph ? cell.firstChild! : null
  let paragraph: Node
  if (only) {
    const inline: Node[] = []
    only.forEach((child) => inline.push(child.type === schema.nodes.hardBreak ? schema.text(' ', child.marks) : child))
    paragraph = schema.nodes.paragraph.create(null, inline)
  } else {
    const text = cell.textBetween(0, cell.content.size, ' ', ' ')
    paragraph = schema.nodes.paragraph.create(null, text ? schema.text(text) : null)
  }
  return serializer.serialize(schema.nodes.doc.create(null, paragraph)).replace(/\n+/g, ' ').replace(/\|/g, '\\|')
}
