/**
 * How a document is shown over HTTP: the formats, which one a request asks
 * for (`?format=` first, then `Accept`), the ETag of each, and the bytes.
 */
import { createHash } from 'node:crypto'
import type { Context } from 'hono'
import { accepts } from 'hono/accepts'
import * as Y from 'yjs'
import { ApiError } from './api-errors.ts'

/** The formats `?format=` names. */
export const TEXT_FORMATS = ['json', 'html', 'markdown', 'text'] as const
export type TextFormat = (typeof TEXT_FORMATS)[number]
/** Every representation: the text formats and the Yjs state (`yjs`, by `Accept: application/octet-stream` only). */
export type Format = TextFormat | 'yjs'

export const MEDIA_TYPES = {
  json: 'application/json',
  html: 'text/html',
  markdown: 'text/markdown',
  text: 'text/plain',
  yjs: 'application/octet-stream',
} as const satisfies Record<Format, string>

const FORMAT_OF_MEDIA_TYPE = new Map<string, Format>(Object.entries(MEDIA_TYPES).map(([format, type]) => [type, format as Format]))

/**
 * The representation a GET asks for: `?format=` when given, else the best
 * `Accept` match (q-values honoured; `*\/*` or no header: JSON). 406 when
 * `Accept` names only types the API does not have.
 */
export function chooseFormat(c: Context, format: TextFormat | undefined): Format {
  if (format !== undefined) return format
  const chosen = accepts(c, {
    header: 'Accept',
    supports: Object.values(MEDIA_TYPES),
    default: MEDIA_TYPES.json,
    match: (entries, config) => {
      const refused = new Set(entries.filter((entry) => entry.q <= 0).map((entry) => entry.type.toLowerCase()))
      const ranked = entries
        .filter((entry) => entry.q > 0)
        .sort((a, b) => b.q - a.q || specificity(b.type) - specificity(a.type))
      for (const entry of ranked) {
        const type = entry.type.toLowerCase()
        const fits = (supported: string): boolean =>
          !refused.has(supported) && (type === '*/*' || type === '*' || supported === type || (type.endsWith('/*') && supported.startsWith(type.slice(0, -1))))
        // For a wildcard, JSON first (the default), then the order of MEDIA_TYPES.
        const found = [config.default, ...config.supports].find(fits)
        if (found) return found
      }
      return ''
    },
  })
  const found = FORMAT_OF_MEDIA_TYPE.get(chosen)
  if (!found) throw new ApiError(406, `no representation matches Accept; available: ${Object.values(MEDIA_TYPES).join(', ')}`)
  return found
}

function specificity(type: string): number {
  if (type === '*/*' || type === '*') return 0
  return type.endsWith('/*') ? 1 : 2
}

/**
 * The ETag of a representation of `doc` as it is now: a hash of its Yjs
 * snapshot (state vector and delete set: a deletion changes no state vector,
 * but it changes the document) with what tells representations apart.
 */
export function etagOf(doc: Y.Doc, format: Format, stateVector: Uint8Array | null): string {
  const hash = createHash('sha256').update(Y.encodeSnapshot(Y.snapshot(doc))).update(`\0${format}\0`)
  if (stateVector) hash.update(stateVector)
  return `"${hash.digest('base64url').slice(0, 27)}"`
}

/** Whether an `If-None-Match` header names `etag` (weak comparison, as RFC 9110 has it for this header), or is `*`. */
export function ifNoneMatchHits(header: string | undefined, etag: string): boolean {
  if (header === undefined) return false
  const opaque = (tag: string): string => tag.trim().replace(/^W\//, '')
  return header.split(',').some((tag) => tag.trim() === '*' || opaque(tag) === opaque(etag))
}
