/**
 * What an imported document may hold. Content coming from outside (HTML,
 * Markdown, ProseMirror JSON sent over the HTTP API) passes through
 * `cleanDocument` before it becomes a Yjs update, so a link to
 * `javascript:` or `data:` never reaches the stored document (the schema's
 * `toDOM` would neutralise it on display, but other readers of the document
 * might not), and attributes are in the ranges the editor renders.
 */
import { Fragment, type Mark, type Node } from 'prosemirror-model'
import { HEADING_LEVELS, safeHref, schema } from '../schema.ts'

/** Largest list start number kept; past it a list starts at 1 (a billion-digit number is not a list). */
const MAX_LIST_START = 999_999_999

/**
 * A copy of `doc` that is safe to store: links only to the addresses
 * `safeHref` lets through (others lose the link and keep their text;
 * scheme-less ones get `https://`), heading levels within 1–3, list starts
 * whole numbers. Throws a RangeError when the content does not fit the
 * schema (`Node.check`).
 */
export function cleanDocument(doc: Node): Node {
  const cleaned = cleanNode(doc)
  cleaned.check()
  return cleaned
}

function cleanNode(node: Node): Node {
  if (node.isText) return schema.text(node.text!, cleanMarks(node.marks))
  const children: Node[] = []
  node.content.forEach((child) => children.push(cleanNode(child)))
  return node.type.create(cleanAttrs(node), Fragment.fromArray(children), cleanMarks(node.marks))
}

function cleanAttrs(node: Node): Node['attrs'] {
  switch (node.type.name) {
    case 'heading': {
      const level = Number(node.attrs.level)
      const highest = HEADING_LEVELS[HEADING_LEVELS.length - 1]
      return { ...node.attrs, level: Number.isInteger(level) ? Math.min(Math.max(level, HEADING_LEVELS[0]), highest) : HEADING_LEVELS[0] }
    }
    case 'ordered_list': {
      const order = Number(node.attrs.order)
      return { ...node.attrs, order: Number.isInteger(order) && order >= 0 && order <= MAX_LIST_START ? order : 1 }
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
    const title = typeof mark.attrs.title === 'string' && mark.attrs.title !== '' ? mark.attrs.title : null
    kept.push(schema.marks.link.create({ href, title }))
  }
  return kept
}
