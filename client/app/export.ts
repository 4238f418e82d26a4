// Export from the document page, with the same conversions as the HTTP API
// (shared/convert): Markdown, a standalone HTML page, and PDF through the
// browser's print dialog (the print stylesheet in app.css shows only the
// document, under its title).
import type { Node } from 'prosemirror-model'
import { toHtml } from '../../shared/convert/html.ts'
import { toMarkdown } from '../../shared/convert/markdown.ts'

const browserDom = {
  document: window.document,
  parse: (html: string) => new window.DOMParser().parseFromString(html, 'text/html').body,
}

/** A file name for `title`: what file systems accept, never empty. */
export function fileNameFor(title: string, extension: string): string {
  const base = title
    .replace(/[\\/:*?"<>|\u0000-\u001f]+/g, ' ')
    .replace(/\s+/g, ' ')
    .trim()
    .slice(0, 100)
  return `${base || 'Untitled'}.${extension}`
}

const escapeHtml = (text: string): string => text.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!)

export function markdownFile(doc: Node): string {
  return toMarkdown(doc)
}

/** A page that opens on its own: the title as its <title>, the content as the API renders it. */
export function htmlFile(doc: Node, title: string): string {
  return (
    `<!doctype html>\n<html>\n<head>\n<meta charset="utf-8">\n<title>${escapeHtml(title || 'Untitled')}</title>\n</head>\n` +
    `<body>\n${toHtml(doc, browserDom)}\n</body>\n</html>\n`
  )
}

/** Hand `content` to the browser as a download. */
export function download(content: string, fileName: string, type: string): void {
  const url = URL.createObjectURL(new Blob([content], { type: `${type};charset=utf-8` }))
  const link = document.createElement('a')
  link.href = url
  link.download = fileName
  document.body.append(link)
  link.click()
  link.remove()
  // Revoked after the click has been handled, not before the download starts.
  setTimeout(() => URL.revokeObjectURL(url), 10_000)
}
