/**
 * The schema's `toDOM` output (a `DOMOutputSpec`) written as an HTML string,
 * without a DOM: for HTML built where there is none to hand (the version
 * comparison runs in the relay, which keeps its DOM implementation for the
 * API's conversions). Everything the string holds is escaped here, so the
 * only markup in it is what the specs name.
 */
import type { DOMOutputSpec } from 'prosemirror-model'

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }

/** Text made safe for HTML content and for a double-quoted attribute value. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ESCAPES[c])
}

// Elements without content or end tag: writing `</br>` would make a second break.
const VOID_ELEMENTS = new Set(['area', 'br', 'col', 'embed', 'hr', 'img', 'input', 'link', 'meta', 'source', 'track', 'wbr'])

// What an attribute name may be here. Specs name their attributes in code, but
// a spec that ever took a name from a document must not be able to write an
// event handler (`onerror`) or break out of the tag.
const SAFE_ATTRIBUTE = /^(?!on)[a-z][a-z0-9-]*$/i
const SAFE_TAG = /^[a-z][a-z0-9]*$/i

/** Attributes as ` name="value"`, skipping null and undefined as the DOM serializer does. */
export function attributesHtml(attrs: Readonly<Record<string, unknown>>): string {
  let out = ''
  for (const [name, value] of Object.entries(attrs)) {
    if (value === null || value === undefined || !SAFE_ATTRIBUTE.test(name)) continue
    out += ` ${name}="${escapeHtml(String(value))}"`
  }
  return out
}

const isAttributes = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value) && !('nodeType' in value)

/**
 * Write `spec` as HTML, with `hole` (HTML already safe) where the spec's
 * content hole (`0`) is, and `extra` attributes added to its outermost
 * element. A spec that is a DOM node (none of this schema's are) writes just
 * the hole, so its content is never lost.
 *
 * @example
 * specHtml(['p', 0], 'Hi &amp; bye', { 'data-change': 'added' }) // '<p data-change="added">Hi &amp; bye</p>'
 */
export function specHtml(spec: DOMOutputSpec, hole: string, extra: Readonly<Record<string, unknown>> = {}): string {
  if (typeof spec === 'string') return escapeHtml(spec)
  if (!Array.isArray(spec)) return hole
  const [rawTag, ...rest] = spec as readonly unknown[]
  // A namespaced tag (`"http://www.w3.org/2000/svg svg"`) keeps its local name.
  const tag = String(rawTag).split(' ').pop() ?? ''
  if (!SAFE_TAG.test(tag)) return hole
  const attrs = isAttributes(rest[0]) ? (rest.shift() as Record<string, unknown>) : {}
  const open = `<${tag}${attributesHtml({ ...attrs, ...extra })}>`
  if (VOID_ELEMENTS.has(tag.toLowerCase())) return open
  let inner = ''
  for (const child of rest) inner += child === 0 ? hole : specHtml(child as DOMOutputSpec, hole)
  return `${open}${inner}</${tag}>`
}
