/**
 * The documents API's conversions between a Yjs document and ProseMirror
 * JSON, HTML, Markdown and text (`shared/convert/`, with linkedom as the
 * server's DOM). They weigh about 40 MB of memory once loaded (linkedom,
 * markdown-it, y-prosemirror), which a relay that never serves a
 * conversion should not carry: `documents-api.ts` imports this module on
 * first use.
 */
import { Node } from 'prosemirror-model'
import * as Y from 'yjs'
import { cleanDocument } from '../../../shared/convert/clean.ts'
import { parseHtml, toHtml } from '../../../shared/convert/html.ts'
import { parseMarkdown, toMarkdown } from '../../../shared/convert/markdown.ts'
import { toPlainText } from '../../../shared/convert/text.ts'
import { readProseMirror } from '../../../shared/convert/yjs.ts'
import { schema } from '../../../shared/schema.ts'
import { MEDIA_TYPES, type Format } from './representations.ts'
import { createServerDom } from './server-dom.ts'

export { replaceContentUpdate } from '../../../shared/convert/yjs.ts'

const dom = createServerDom()

/** PUT content as a document of the schema (throws when it does not fit). */
export function parseContent(type: 'application/json' | 'text/markdown' | 'text/html', body: string): Node {
  const doc = type === 'application/json' ? Node.fromJSON(schema, JSON.parse(body)) : type === 'text/markdown' ? parseMarkdown(body) : parseHtml(body, dom)
  return cleanDocument(doc)
}

/** A representation's body and its `Content-Type`. */
export interface Representation {
  body: string | Uint8Array<ArrayBuffer>
  contentType: string
}

/** Render `doc` (the relay's committed copy: only read here) as `format`. */
export function represent(doc: Y.Doc, format: Format, stateVector: Uint8Array | null): Representation {
  if (format === 'yjs') {
    // Yjs encodes into an ArrayBuffer of its own (never a shared one).
    const update = (stateVector ? Y.encodeStateAsUpdate(doc, stateVector) : Y.encodeStateAsUpdate(doc)) as Uint8Array<ArrayBuffer>
    return { body: update, contentType: MEDIA_TYPES.yjs }
  }
  const node = readProseMirror(doc)
  switch (format) {
    case 'json': {
      const json = node.toJSON() as { type: string; content?: unknown[] }
      return { body: JSON.stringify({ ...json, content: json.content ?? [] }), contentType: 'application/json; charset=utf-8' }
    }
    case 'html':
      return { body: toHtml(node, dom), contentType: 'text/html; charset=utf-8' }
    case 'markdown':
      return { body: toMarkdown(node), contentType: 'text/markdown; charset=utf-8' }
    case 'text':
      return { body: toPlainText(node), contentType: 'text/plain; charset=utf-8' }
  }
}
