/**
 * Helpers for the documents API tests: URLs, requests, and editor content
 * written the way the browser editor writes it (y-prosemirror on the
 * `prosemirror` fragment), through a stock client.
 */
import * as Y from 'yjs'
import { prosemirrorToYXmlFragment } from 'y-prosemirror'
import { cleanDocument } from '../../shared/convert/clean.ts'
import { parseMarkdown, toMarkdown } from '../../shared/convert/markdown.ts'
import { readProseMirror } from '../../shared/convert/yjs.ts'
import { FRAGMENT_NAME } from '../../shared/schema.ts'
import type { TestClient, TestRelay } from './harness.ts'

/** `http://127.0.0.1:PORT/api/documents/<name, one encoded segment>` (or the list, without a name). */
export function documentUrl(relay: TestRelay, name?: string, query = ''): string {
  return `${relay.server.url}/api/documents${name === undefined ? '' : `/${encodeURIComponent(name)}`}${query}`
}

/** `fetch` with a bearer token, when one is given. */
export function call(url: string, init: RequestInit & { token?: string } = {}): Promise<Response> {
  const { token, headers, ...rest } = init
  return fetch(url, { ...rest, headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(headers as Record<string, string> | undefined) } })
}

/** PUT Markdown. */
export function putMarkdown(relay: TestRelay, name: string, markdown: string, init: RequestInit & { token?: string } = {}): Promise<Response> {
  return call(documentUrl(relay, name), { ...init, method: 'PUT', headers: { 'content-type': 'text/markdown', ...(init.headers as Record<string, string> | undefined) }, body: markdown })
}

/** The text of a response, with its status, for assertions that say both. */
export async function statusAndText(response: Response): Promise<[number, string]> {
  return [response.status, await response.text()]
}

/** Write `markdown` into a client's fragment as the browser editor's y-prosemirror binding does. */
export function editAsEditor(client: TestClient, markdown: string): void {
  prosemirrorToYXmlFragment(cleanDocument(parseMarkdown(markdown)), client.doc.getXmlFragment(FRAGMENT_NAME))
}

/** A Yjs document's rich text as Markdown. */
export function markdownOf(doc: Y.Doc): string {
  return toMarkdown(readProseMirror(doc))
}

/** How often `needle` occurs in `text`. */
export function occurrences(text: string, needle: string): number {
  return text.split(needle).length - 1
}

export const base64url = (bytes: Uint8Array): string => Buffer.from(bytes).toString('base64url')
