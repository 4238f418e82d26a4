/**
 * What the History panel shows of a version: its content, written by the
 * schema's `toDOM` (never `innerHTML` of document text), or the relay's
 * comparison with now.
 *
 * The comparison arrives as HTML (`shared/version-compare.ts` writes it, and
 * escapes every text and attribute value). It is parsed inert and then
 * checked, not cleaned: every element and attribute must be one that
 * writer produces, with link and image addresses the schema's own helpers
 * leave as they are. Anything else means the answer is not the relay's
 * comparison (a proxy's page, a relay of another make), and nothing of it
 * is shown: a relay must not be able to run script in the page that
 * embeds the editor, which until now it could not.
 */
import { DOMSerializer } from 'prosemirror-model'
import { safeHref, safeImageSrc, schema } from '../shared/schema.ts'

/** What a comparison shows, for the panel's summary. */
export interface ComparisonSummary {
  /** Characters added and removed (the text of `<ins>` and `<del>`). */
  added: number
  removed: number
  /** The names on additions, distinct, in document order. */
  authors: string[]
}

/**
 * Show a version's ProseMirror JSON in `container`. Throws (a RangeError
 * from prosemirror-model) for JSON that is not a document of the schema.
 */
export function showVersion(container: HTMLElement, json: unknown): void {
  const doc = schema.nodeFromJSON(json)
  container.replaceChildren(DOMSerializer.fromSchema(schema).serializeFragment(doc.content, { document: container.ownerDocument }))
  nameCheckboxes(container)
}

/**
 * Show the relay's comparison HTML in `container`, once checked (see the
 * module comment). Null, and nothing shown, when the check fails.
 */
export function showComparison(container: HTMLElement, html: string): ComparisonSummary | null {
  const body = new DOMParser().parseFromString(html, 'text/html').body
  for (const element of body.querySelectorAll('*')) if (!isWritten(element)) return null
  container.replaceChildren(...Array.from(body.childNodes))
  nameCheckboxes(container)
  const length = (selector: string): number => Array.from(container.querySelectorAll(selector)).reduce((sum, el) => sum + (el.textContent ?? '').length, 0)
  const authors = new Set(Array.from(container.querySelectorAll('[data-author]'), (el) => el.getAttribute('data-author') ?? ''))
  return { added: length('ins'), removed: length('del'), authors: [...authors].filter(Boolean) }
}

// The elements the schema's toDOM writes, and the comparison's own.
const TAGS = new Set(
  'p h1 h2 h3 h4 h5 h6 blockquote pre code hr ul ol li label input div table tbody tr th td img br a strong em u s ins del span'.split(' '),
)
// Attribute → whether a value is one the writer produces.
const ANY = (): boolean => true
const ATTRIBUTES: Record<string, (value: string, element: Element) => boolean> = {
  'data-change': (value) => ['added', 'removed', 'changed', 'formatted'].includes(value),
  'data-author': ANY,
  'data-part': (value) => value === 'title',
  'data-type': (value) => value === 'taskList' || value === 'taskItem',
  'data-checked': ANY,
  title: ANY,
  alt: ANY,
  class: (value) => /^language-[\w+#-]+$/.test(value),
  href: (value) => safeHref(value) === value,
  src: (value) => safeImageSrc(value) === value,
  rel: ANY,
  width: (value) => /^[\d.]+$/.test(value),
  height: (value) => /^[\d.]+$/.test(value),
  colspan: (value) => /^\d+$/.test(value),
  rowspan: (value) => /^\d+$/.test(value),
  colwidth: (value) => /^\d+(,\d+)*$/.test(value),
  start: (value) => /^-?\d+$/.test(value),
  style: (value) => /^text-align: (left|center|right)$/.test(value),
  type: (value, element) => (element.tagName === 'INPUT' ? value === 'checkbox' : /^[1aAiI]$/.test(value)),
  checked: ANY,
  disabled: ANY,
  contenteditable: (value) => value === 'false',
}

function isWritten(element: Element): boolean {
  if (!TAGS.has(element.localName) || element.namespaceURI !== 'http://www.w3.org/1999/xhtml') return false
  return Array.from(element.attributes).every(({ name, value }) => Object.hasOwn(ATTRIBUTES, name) && ATTRIBUTES[name](value, element))
}

// A task item's checkbox is drawn by toDOM without a name; in the editor its
// node view gives it one (task-item-view.ts). Here it is only shown.
function nameCheckboxes(container: HTMLElement): void {
  for (const box of container.querySelectorAll<HTMLInputElement>('input[type="checkbox"]')) {
    box.setAttribute('aria-label', box.checked ? 'Done' : 'Not done')
    box.tabIndex = -1
  }
}
