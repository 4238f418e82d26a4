/**
 * The document schema, shared so the server can read and render documents
 * (HTML, text, JSON) without a DOM. The editor binds it to a Y.XmlFragment
 * named `FRAGMENT_NAME`; y-prosemirror stores node names and attributes as
 * they are here, so renaming a node or mark is a data migration.
 */
import { Schema, type DOMOutputSpec, type MarkSpec, type NodeSpec } from 'prosemirror-model'

/** The Y.XmlFragment of the Y.Doc that holds the rich-text document. */
export const FRAGMENT_NAME = 'prosemirror'

/** Heading levels offered: 1 to 3. */
export const HEADING_LEVELS = [1, 2, 3] as const

const nodes: Record<string, NodeSpec> = {
  doc: { content: 'block+' },
  paragraph: {
    content: 'inline*',
    group: 'block',
    parseDOM: [{ tag: 'p' }],
    toDOM: (): DOMOutputSpec => ['p', 0],
  },
  heading: {
    attrs: { level: { default: 1, validate: 'number' } },
    content: 'inline*',
    group: 'block',
    defining: true,
    parseDOM: HEADING_LEVELS.map((level) => ({ tag: `h${level}`, attrs: { level } })),
    toDOM: (node): DOMOutputSpec => [`h${clampLevel(node.attrs.level)}`, 0],
  },
  blockquote: {
    content: 'block+',
    group: 'block',
    defining: true,
    parseDOM: [{ tag: 'blockquote' }],
    toDOM: (): DOMOutputSpec => ['blockquote', 0],
  },
  code_block: {
    content: 'text*',
    marks: '',
    group: 'block',
    code: true,
    defining: true,
    parseDOM: [{ tag: 'pre', preserveWhitespace: 'full' }],
    toDOM: (): DOMOutputSpec => ['pre', ['code', 0]],
  },
  horizontal_rule: {
    group: 'block',
    parseDOM: [{ tag: 'hr' }],
    toDOM: (): DOMOutputSpec => ['hr'],
  },
  bullet_list: {
    content: 'list_item+',
    group: 'block',
    parseDOM: [{ tag: 'ul' }],
    toDOM: (): DOMOutputSpec => ['ul', 0],
  },
  ordered_list: {
    attrs: { order: { default: 1, validate: 'number' } },
    content: 'list_item+',
    group: 'block',
    parseDOM: [
      {
        tag: 'ol',
        getAttrs: (dom) => ({ order: dom.hasAttribute('start') ? Number(dom.getAttribute('start')) : 1 }),
      },
    ],
    toDOM: (node): DOMOutputSpec => (node.attrs.order === 1 ? ['ol', 0] : ['ol', { start: node.attrs.order }, 0]),
  },
  list_item: {
    // A paragraph first, then anything: that is what lets lists nest.
    content: 'paragraph block*',
    defining: true,
    parseDOM: [{ tag: 'li' }],
    toDOM: (): DOMOutputSpec => ['li', 0],
  },
  text: { group: 'inline' },
  hard_break: {
    inline: true,
    group: 'inline',
    selectable: false,
    parseDOM: [{ tag: 'br' }],
    toDOM: (): DOMOutputSpec => ['br'],
  },
}

const marks: Record<string, MarkSpec> = {
  link: {
    attrs: { href: { validate: 'string' }, title: { default: null } },
    inclusive: false,
    parseDOM: [
      {
        tag: 'a[href]',
        getAttrs: (dom) => ({ href: dom.getAttribute('href'), title: dom.getAttribute('title') }),
      },
    ],
    toDOM: (mark): DOMOutputSpec => ['a', { href: safeHref(mark.attrs.href), title: mark.attrs.title, rel: 'noopener noreferrer nofollow' }, 0],
  },
  bold: {
    parseDOM: [{ tag: 'strong' }, { tag: 'b' }, { style: 'font-weight=bold' }],
    toDOM: (): DOMOutputSpec => ['strong', 0],
  },
  italic: {
    parseDOM: [{ tag: 'em' }, { tag: 'i' }, { style: 'font-style=italic' }],
    toDOM: (): DOMOutputSpec => ['em', 0],
  },
  strike: {
    parseDOM: [{ tag: 's' }, { tag: 'del' }, { style: 'text-decoration=line-through' }],
    toDOM: (): DOMOutputSpec => ['s', 0],
  },
  code: {
    // Other marks may not wrap inline code; it is literal text.
    excludes: '_',
    parseDOM: [{ tag: 'code' }],
    toDOM: (): DOMOutputSpec => ['code', 0],
  },
}

/** The editor's schema. */
export const schema = new Schema({ nodes, marks })

function clampLevel(level: unknown): number {
  const n = Number(level)
  return n >= 1 && n <= 3 ? n : 1
}

/**
 * Links come from other people's documents: only http(s), mailto and
 * relative URLs are rendered as links, so nobody can plant `javascript:`.
 */
export function safeHref(href: unknown): string {
  const value = String(href ?? '').trim()
  if (/^(https?:|mailto:)/i.test(value) || /^[/#?.]/.test(value)) return value
  if (!/^[a-z][a-z0-9+.-]*:/i.test(value)) return value === '' ? '#' : `https://${value}`
  return '#'
}
