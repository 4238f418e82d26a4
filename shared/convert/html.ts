/**
 * HTML both ways through the schema's own rules: `toDOM` to write,
 * `parseDOM` to read (prosemirror-model's `DOMSerializer` and `DOMParser`).
 * The elements are Tiptap's: tables (`<table>`, `<th>`, `<td>`), task lists
 * (`<ul data-type="taskList">` of `<li data-type="taskItem"
 * data-checked="true">`), images (`<img src alt title width height>`).
 * Reading keeps only what the schema knows, so `<script>`, `<style>`, event
 * handler attributes, `<svg>` and `<iframe>` never become content (their
 * text may, as plain text), and of an `<img>` only its address, alt text,
 * title and size; links and image addresses then pass `cleanDocument`
 * (an image from a `javascript:` or `data:` address, or any other the
 * schema's `safeImageSrc` refuses, is dropped there).
 *
 * The DOM is a parameter, not a global: the browser passes its own, the
 * server a DOM implementation (the relay uses linkedom,
 * `server/http/api/server-dom.ts`).
 */
import { DOMParser, DOMSerializer, type Node } from 'prosemirror-model'
import { schema } from '../schema.ts'

// The DOM types are named through prosemirror-model's signatures rather than
// the DOM lib's globals: shared/ also compiles into the server build, which
// has no DOM lib.
type DomNode = Parameters<DOMParser['parse']>[0]
type DomDocument = NonNullable<NonNullable<Parameters<DOMSerializer['serializeFragment']>[1]>['document']>

/** The DOM the conversions work with. */
export interface HtmlDom {
  /** Where output nodes are built: in a browser, `window.document`. */
  document: DomDocument
  /**
   * Parse HTML into an inert tree and return the node holding the content:
   * no script may run and nothing may load. In a browser,
   * `(html) => new DOMParser().parseFromString(html, 'text/html').body`
   * (never `innerHTML` on an element of the live page: its `<img onerror>` runs).
   */
  parse(html: string): DomNode
}

const domParser = DOMParser.fromSchema(schema)
const domSerializer = DOMSerializer.fromSchema(schema)

/**
 * Read HTML into a document of the editor's schema, keeping what its
 * `parseDOM` rules recognise. Pass the result through `cleanDocument`
 * before storing it.
 *
 * @example
 * const dom = { document: window.document, parse: (html: string) => new window.DOMParser().parseFromString(html, 'text/html').body }
 * parseHtml('<h2>Plan</h2><p onclick="x()">Ship <b>it</b></p>', dom).childCount // 2
 */
export function parseHtml(html: string, dom: HtmlDom): Node {
  return domParser.parse(dom.parse(html))
}

/**
 * The document's content as an HTML fragment (no `<html>` or `<body>`),
 * written by the schema's `toDOM`: links only to safe addresses, with
 * `rel="noopener noreferrer nofollow"`.
 *
 * @example
 * toHtml(doc, { document: window.document, parse }) // '<h1>Plan</h1><p>Ship <strong>it</strong></p>'
 */
export function toHtml(doc: Node, dom: HtmlDom): string {
  const container = dom.document.createElement('div')
  container.appendChild(domSerializer.serializeFragment(doc.content, { document: dom.document }))
  return container.innerHTML
}
