/**
 * What an imported document may hold. Content coming from outside (HTML,
 * Markdown, ProseMirror JSON sent over the HTTP API) passes through
 * `cleanDocument` before it becomes a Yjs update, so a link to
 * `javascript:` or `data:`, or an image loading from one, never reaches the
 * stored document (the schema's `toDOM` would neutralise them on display,
 * but other readers of the document, a Tiptap app say, might not), and
 * attributes are of the types and in the ranges Tiptap and the editor
 * render.
 */
import { Fragment, type Mark, type Node } from 'prosemirror-model'
import { safeHref, safeImageSrc, schema } from '../schema.ts'

/** Largest list start number kept; past it a list starts at 1 (a billion-digit number is not a list). */
const MAX_LIST_START = 999_999_999

/** Largest column width or image size kept, in pixels. */
const MAX_PIXELS = 100_000
/** Largest cell span kept; a larger one is 1. */
const MAX_SPAN = 1_000
/** Longest code block language kept (`js`, `typescript`, `objective-c`). */
const MAX_LANGUAGE_LENGTH = 64
/** The `target` values a link may carry, as in HTML. */
const LINK_TARGETS = ['_blank', '_self', '_parent', '_top']

/**
 * A copy of `doc` that is safe to store: links only to the addresses
 * `safeHref` lets through (others lose the link and keep their text;
 * scheme-less ones get `https://`), images only from the addresses
 * `safeImageSrc` lets through (others are dropped), heading levels within
 * 1–6, list starts whole numbers, cell spans and widths whole numbers,
 * text attributes strings. Throws a RangeError when the content does not
 * fit the schema (`Node.check`).
 */
export function cleanDocument(doc: Node): Node {
  const cleaned = cleanNode(doc)
  cleaned.check()
  return cleaned
}

function cleanNode(node: Node): Node {
  if (node.isText) return schema.text(node.text!, cleanMarks(node.marks))
  const children: Node[] = []
  let dropped = false
  node.content.forEach((child) => {
    if (child.type === schema.nodes.image && safeImageSrc(child.attrs.src) === '') dropped = true
    else children.push(cleanNode(child))
  })
  const attrs = cleanAttrs(node)
  const content = Fragment.fromArray(children)
  const marks = cleanMarks(node.marks)
  // A dropped image may leave a cell or list item without the block it needs: an empty paragraph takes its place.
  return (dropped && node.type.createAndFill(attrs, content, marks)) || node.type.create(attrs, content, marks)
}

function cleanAttrs(node: Node): Node['attrs'] {
  switch (node.type.name) {
    case 'heading': {
      const level = Number(node.attrs.level)
      // Documents may hold h1 to h6 (Tiptap's range), whatever the toolbar offers.
      return { ...node.attrs, level: Number.isInteger(level) ? Math.min(Math.max(level, 1), 6) : 1 }
    }
    case 'orderedList': {
      const start = Number(node.attrs.start)
      const type = typeof node.attrs.type === 'string' && /^[1aAiI]$/.test(node.attrs.type) ? node.attrs.type : null
      return { ...node.attrs, start: Number.isInteger(start) && start >= 0 && start <= MAX_LIST_START ? start : 1, type }
    }
    case 'codeBlock': {
      const language = node.attrs.language
      const kept = typeof language === 'string' && language.length <= MAX_LANGUAGE_LENGTH && /^[\w+#.-]+$/.test(language)
      return { ...node.attrs, language: kept ? language : null }
    }
    case 'taskItem':
      return { ...node.attrs, checked: node.attrs.checked === true }
    case 'tableCell':
    case 'tableHeader': {
      const colspan = span(node.attrs.colspan)
      const widths = node.attrs.colwidth
      const colwidth =
        Array.isArray(widths) && widths.length === colspan && widths.every((width) => Number.isInteger(width) && width > 0 && width <= MAX_PIXELS) ? widths : null
      const align = ['left', 'center', 'right'].includes(node.attrs.align) ? node.attrs.align : null
      return { ...node.attrs, colspan, rowspan: span(node.attrs.rowspan), colwidth, align }
    }
    case 'image':
      return {
        ...node.attrs,
        src: safeImageSrc(node.attrs.src),
        alt: textOrNull(node.attrs.alt),
        title: textOrNull(node.attrs.title),
        width: size(node.attrs.width),
        height: size(node.attrs.height),
      }
    default:
      return node.attrs
  }
}

function cleanMarks(marks: readonly Mark[]): readonly Mark[] {
  const kept: Mark[] = []
  for (const mark of marks) {
    if (mark.type !== schema.marks.link) {
      kept.push(mark)
      continue
    }
    const given = String(mark.attrs.href ?? '').trim()
    const href = safeHref(given)
    // `safeHref` answers '#' for what it refuses; a link that was '#' stays one.
    if (href === '#' && given !== '#') continue
    // Tiptap's `target`, `rel` and `class` are kept when plausible, else take the defaults Tiptap gives them.
    const defaults = schema.marks.link.create({ href }).attrs
    kept.push(
      schema.marks.link.create({
        href,
        target: mark.attrs.target === null || LINK_TARGETS.includes(mark.attrs.target) ? mark.attrs.target : defaults.target,
        rel: mark.attrs.rel === null || (typeof mark.attrs.rel === 'string' && /^[\w -]*$/.test(mark.attrs.rel)) ? mark.attrs.rel : defaults.rel,
        class: typeof mark.attrs.class === 'string' && /^[\w -]*$/.test(mark.attrs.class) ? mark.attrs.class : null,
        title: textOrNull(mark.attrs.title),
      }),
    )
  }
  return kept
}

function span(value: unknown): number {
  return Number.isInteger(value) && (value as number) >= 1 && (value as number) <= MAX_SPAN ? (value as number) : 1
}

/** An image's width or height: a positive number of pixels, or none. */
function size(value: unknown): number | null {
  const n = typeof value === 'string' && value.trim() !== '' ? Number(value) : value
  return typeof n === 'number' && Number.isFinite(n) && n > 0 && n <= MAX_PIXELS ? n : null
}

function textOrNull(value: unknown): string | null {
  return typeof value === 'string' && value !== '' ? value : null
}
