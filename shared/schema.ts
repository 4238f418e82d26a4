/**
 * The document schema, shared so the server can read and render documents
 * (HTML, text, JSON) without a DOM. Node and mark names and their attributes
 * are Tiptap's (StarterKit, tables, task lists, images), and the fragment is
 * Tiptap's default, so a Tiptap app and this editor open the same documents.
 * y-prosemirror stores node names and attributes as they are here: renaming
 * one is a data migration (see `legacy-format.ts` for the one done so far).
 * Attributes the editor does not use itself (a link's `target`, a cell's
 * `align`) are still declared, with Tiptap's defaults: the binding rewrites
 * an element whose stored attributes differ from the node's, so a missing
 * one would make the two editors undo each other's attributes.
 */
import { Schema, type DOMOutputSpec, type MarkSpec, type NodeSpec, type TagParseRule } from 'prosemirror-model'

/** The Y.XmlFragment of the Y.Doc that holds the rich-text document (Tiptap's Collaboration default). */
export const FRAGMENT_NAME = 'default'

/** Heading levels the toolbar offers; documents may hold 1 to 6, as Tiptap's do. */
export const HEADING_LEVELS = [1, 2, 3] as const

const cellAttrs = {
  colspan: { default: 1 },
  rowspan: { default: 1 },
  colwidth: { default: null },
  align: { default: null },
}

// The element type named through prosemirror-model's signature: shared/ also compiles into the server build, which has no DOM lib.
function cellAttrsFromDOM(dom: Parameters<NonNullable<TagParseRule['getAttrs']>>[0]): Record<string, unknown> {
  const widths = dom.getAttribute('colwidth')
  const align = (dom.style?.textAlign || dom.getAttribute('align') || '').toLowerCase()
  return {
    colspan: Number(dom.getAttribute('colspan') || 1),
    rowspan: Number(dom.getAttribute('rowspan') || 1),
    colwidth: widths && /^\d+(,\d+)*$/.test(widths) ? widths.split(',').map(Number) : null,
    align: ['left', 'center', 'right'].includes(align) ? align : null,
  }
}

function cellAttrsToDOM(attrs: Record<string, unknown>): Record<string, string> {
  const out: Record<string, string> = {}
  if (attrs.colspan !== 1) out.colspan = String(attrs.colspan)
  if (attrs.rowspan !== 1) out.rowspan = String(attrs.rowspan)
  if (Array.isArray(attrs.colwidth)) out.colwidth = attrs.colwidth.join(',')
  if (attrs.align === 'left' || attrs.align === 'center' || attrs.align === 'right') out.style = `text-align: ${attrs.align}`
  return out
}

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
    parseDOM: [1, 2, 3, 4, 5, 6].map((level) => ({ tag: `h${level}`, attrs: { level } })),
    toDOM: (node): DOMOutputSpec => [`h${clampLevel(node.attrs.level)}`, 0],
  },
  blockquote: {
    content: 'block+',
    group: 'block',
    defining: true,
    parseDOM: [{ tag: 'blockquote' }],
    toDOM: (): DOMOutputSpec => ['blockquote', 0],
  },
  codeBlock: {
    attrs: { language: { default: null } },
    content: 'text*',
    marks: '',
    group: 'block',
    code: true,
    defining: true,
    parseDOM: [
      {
        tag: 'pre',
        preserveWhitespace: 'full',
        getAttrs: (dom) => ({ language: /(?:^|\s)language-([\w+#-]+)/.exec(dom.querySelector('code')?.className ?? '')?.[1] ?? null }),
      },
    ],
    toDOM: (node): DOMOutputSpec => ['pre', ['code', node.attrs.language ? { class: `language-${node.attrs.language}` } : {}, 0]],
  },
  horizontalRule: {
    group: 'block',
    parseDOM: [{ tag: 'hr' }],
    toDOM: (): DOMOutputSpec => ['hr'],
  },
  bulletList: {
    content: 'listItem+',
    group: 'block list',
    parseDOM: [{ tag: 'ul', priority: 40 }],
    toDOM: (): DOMOutputSpec => ['ul', 0],
  },
  orderedList: {
    attrs: { start: { default: 1, validate: 'number' }, type: { default: null } },
    content: 'listItem+',
    group: 'block list',
    parseDOM: [
      {
        tag: 'ol',
        getAttrs: (dom) => ({
          start: dom.hasAttribute('start') ? Number(dom.getAttribute('start')) || 1 : 1,
          type: dom.getAttribute('type') || null,
        }),
      },
    ],
    toDOM: (node): DOMOutputSpec => {
      const attrs: Record<string, string> = {}
      if (node.attrs.start !== 1) attrs.start = String(node.attrs.start)
      if (typeof node.attrs.type === 'string' && /^[1aAiI]$/.test(node.attrs.type)) attrs.type = node.attrs.type
      return ['ol', attrs, 0]
    },
  },
  listItem: {
    // A paragraph first, then anything: that is what lets lists nest.
    content: 'paragraph block*',
    defining: true,
    parseDOM: [{ tag: 'li', priority: 40 }],
    toDOM: (): DOMOutputSpec => ['li', 0],
  },
  taskList: {
    content: 'taskItem+',
    group: 'block list',
    parseDOM: [{ tag: 'ul[data-type="taskList"]', priority: 60 }],
    toDOM: (): DOMOutputSpec => ['ul', { 'data-type': 'taskList' }, 0],
  },
  taskItem: {
    attrs: { checked: { default: false } },
    content: 'paragraph block*',
    defining: true,
    parseDOM: [
      {
        tag: 'li[data-type="taskItem"]',
        priority: 60,
        getAttrs: (dom) => ({ checked: dom.getAttribute('data-checked') === 'true' }),
      },
    ],
    toDOM: (node): DOMOutputSpec => [
      'li',
      { 'data-type': 'taskItem', 'data-checked': node.attrs.checked ? 'true' : 'false' },
      ['label', { contenteditable: 'false' }, ['input', node.attrs.checked ? { type: 'checkbox', checked: 'checked', disabled: 'disabled' } : { type: 'checkbox', disabled: 'disabled' }]],
      ['div', 0],
    ],
  },
  table: {
    content: 'tableRow+',
    group: 'block',
    tableRole: 'table',
    isolating: true,
    parseDOM: [{ tag: 'table' }],
    toDOM: (): DOMOutputSpec => ['table', ['tbody', 0]],
  },
  tableRow: {
    content: '(tableCell | tableHeader)*',
    tableRole: 'row',
    parseDOM: [{ tag: 'tr' }],
    toDOM: (): DOMOutputSpec => ['tr', 0],
  },
  tableHeader: {
    attrs: cellAttrs,
    content: 'block+',
    tableRole: 'header_cell',
    isolating: true,
    parseDOM: [{ tag: 'th', getAttrs: (dom) => cellAttrsFromDOM(dom) }],
    toDOM: (node): DOMOutputSpec => ['th', cellAttrsToDOM(node.attrs), 0],
  },
  tableCell: {
    attrs: cellAttrs,
    content: 'block+',
    tableRole: 'cell',
    isolating: true,
    parseDOM: [{ tag: 'td', getAttrs: (dom) => cellAttrsFromDOM(dom) }],
    toDOM: (node): DOMOutputSpec => ['td', cellAttrsToDOM(node.attrs), 0],
  },
  image: {
    attrs: { src: { default: null }, alt: { default: null }, title: { default: null }, width: { default: null }, height: { default: null } },
    group: 'block',
    draggable: true,
    parseDOM: [
      {
        tag: 'img[src]',
        getAttrs: (dom) => ({
          src: dom.getAttribute('src'),
          alt: dom.getAttribute('alt'),
          title: dom.getAttribute('title'),
          width: positiveNumber(dom.getAttribute('width')),
          height: positiveNumber(dom.getAttribute('height')),
        }),
      },
    ],
    toDOM: (node): DOMOutputSpec => {
      const attrs: Record<string, string> = { src: safeImageSrc(node.attrs.src), alt: String(node.attrs.alt ?? '') }
      if (node.attrs.title) attrs.title = String(node.attrs.title)
      if (positiveNumber(node.attrs.width)) attrs.width = String(positiveNumber(node.attrs.width))
      if (positiveNumber(node.attrs.height)) attrs.height = String(positiveNumber(node.attrs.height))
      return ['img', attrs]
    },
  },
  text: { group: 'inline' },
  hardBreak: {
    inline: true,
    group: 'inline',
    selectable: false,
    parseDOM: [{ tag: 'br' }],
    toDOM: (): DOMOutputSpec => ['br'],
  },
}

const marks: Record<string, MarkSpec> = {
  link: {
    // Tiptap's attributes and defaults; the page renders its own safe target and rel.
    attrs: {
      href: { validate: 'string' },
      target: { default: '_blank' },
      rel: { default: 'noopener noreferrer nofollow' },
      class: { default: null },
      title: { default: null },
    },
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
  underline: {
    parseDOM: [{ tag: 'u' }, { style: 'text-decoration=underline' }],
    toDOM: (): DOMOutputSpec => ['u', 0],
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
  return Number.isInteger(n) && n >= 1 && n <= 6 ? n : 1
}

function positiveNumber(value: unknown): number | null {
  const n = Number(value)
  return value !== null && value !== '' && Number.isFinite(n) && n > 0 ? n : null
}

/**
 * Images come from other people's documents too: only http(s) and relative
 * addresses load (no `data:`, as in Tiptap's default: images are linked, not
 * uploaded into the document); anything else renders as nothing.
 */
export function safeImageSrc(src: unknown): string {
  const value = String(src ?? '').trim()
  // Browsers drop tabs and newlines inside a URL before reading its scheme.
  const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(value.replace(/[\t\n\r]/g, ''))?.[1].toLowerCase()
  if (scheme === undefined) return value // relative: `/a.png`, `./a.png`, `images/a.png`, `//host/a.png`
  return scheme === 'http' || scheme === 'https' ? value : ''
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
