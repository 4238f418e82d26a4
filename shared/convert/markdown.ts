/**
 * Markdown both ways for the editor's schema (`shared/schema.ts`), with
 * prosemirror-markdown over markdown-it in its CommonMark preset plus `~~strike~~`.
 * No DOM is needed, so the server and the browser use the same code.
 *
 * What maps onto what: headings (levels 4–6 become 3, the deepest the
 * editor has), paragraphs, bullet and numbered lists (nested; written tight,
 * with `-` and `1.`), block quotes, code blocks (fenced or indented; the
 * fence's language is dropped, the schema keeps none), `---`, hard breaks
 * (`\` at the end of a line), `**bold**`, `*italic*`, `~~strike~~`,
 * `` `code` `` and links. Raw HTML is text, not markup. The schema has no
 * images: `![alt](src)` becomes a link to `src` reading `alt`.
 */
import MarkdownIt from 'markdown-it'
import { MarkdownParser, MarkdownSerializer, defaultMarkdownSerializer, type MarkdownSerializerState } from 'prosemirror-markdown'
import type { Node } from 'prosemirror-model'
import { HEADING_LEVELS, schema } from '../schema.ts'

// `html: false`: HTML in Markdown stays literal text. Images are switched off
// at the tokenizer, so `![alt](src)` reads as `!` and a link.
const tokenizer = MarkdownIt('commonmark', { html: false }).enable('strikethrough').disable('image')

const deepestHeading = HEADING_LEVELS[HEADING_LEVELS.length - 1]

const parser = new MarkdownParser(schema, tokenizer, {
  blockquote: { block: 'blockquote' },
  paragraph: { block: 'paragraph' },
  list_item: { block: 'list_item' },
  bullet_list: { block: 'bullet_list' },
  ordered_list: {
    block: 'ordered_list',
    getAttrs: (token) => {
      const start = Number(token.attrGet('start') ?? 1)
      return { order: Number.isInteger(start) && start >= 0 ? start : 1 }
    },
  },
  heading: { block: 'heading', getAttrs: (token) => ({ level: Math.min(Number(token.tag.slice(1)), deepestHeading) }) },
  code_block: { block: 'code_block', noCloseToken: true },
  fence: { block: 'code_block', noCloseToken: true },
  hr: { node: 'horizontal_rule' },
  hardbreak: { node: 'hard_break' },
  em: { mark: 'italic' },
  strong: { mark: 'bold' },
  s: { mark: 'strike' },
  link: { mark: 'link', getAttrs: (token) => ({ href: token.attrGet('href'), title: token.attrGet('title') || null }) },
  code_inline: { mark: 'code', noCloseToken: true },
})

const { image: _image, bullet_list: _bullets, ...commonNodes } = defaultMarkdownSerializer.nodes

const serializer = new MarkdownSerializer(
  {
    ...commonNodes,
    bullet_list: (state: MarkdownSerializerState, node: Node) => state.renderList(node, '  ', () => '- '),
  },
  {
    link: defaultMarkdownSerializer.marks.link,
    bold: defaultMarkdownSerializer.marks.strong,
    italic: defaultMarkdownSerializer.marks.em,
    strike: { open: '~~', close: '~~', mixable: true, expelEnclosingWhitespace: true },
    code: defaultMarkdownSerializer.marks.code,
  },
  // `<` escaped too: text reading `<b>` stays text in renderers that allow HTML.
  { escapeExtraCharacters: /</g },
)

/**
 * Parse Markdown into a document of the editor's schema. Links are taken as
 * markdown-it validates them (no `javascript:`, `vbscript:`, `file:` or
 * `data:`); pass the result through `cleanDocument` before storing it.
 *
 * @example
 * const doc = parseMarkdown('# Plan\n\n- ship **it**')
 * doc.firstChild!.type.name // 'heading'
 */
export function parseMarkdown(markdown: string): Node {
  return parser.parse(markdown)
}

/**
 * The document as Markdown (CommonMark with `~~strike~~`), ending without a
 * newline. `toMarkdown(parseMarkdown(toMarkdown(doc)))` equals
 * `toMarkdown(doc)`: the first conversion settles every choice.
 *
 * @example
 * toMarkdown(parseMarkdown('Some *text*')) // 'Some *text*'
 */
export function toMarkdown(doc: Node): string {
  return serializer.serialize(doc, { tightLists: true })
}
