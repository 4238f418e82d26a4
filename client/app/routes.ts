// URLs of the demo app: `/d/<document>`, the name percent-encoded per segment.
import { roomNameFromPath, roomNameToPath } from '../../shared/room-name.ts'

export const DOCUMENT_PREFIX = '/d/'

/** The page of a document. */
export function documentPath(name: string): string {
  return DOCUMENT_PREFIX + roomNameToPath(name)
}

/** The document a page path names, or null. */
export function documentFromPath(pathname: string): string | null {
  if (!pathname.startsWith(DOCUMENT_PREFIX)) return null
  const parsed = roomNameFromPath(pathname.slice(DOCUMENT_PREFIX.length))
  return parsed.ok ? parsed.name : null
}

/**
 * The access token in a page's fragment, `#token=…`, or null. A fragment,
 * not the query: browsers send neither it to the server nor it in `Referer`
 * headers, so the token stays out of access logs and other sites' logs.
 */
export function tokenFromFragment(hash: string): string | null {
  const token = new URLSearchParams(hash.replace(/^#/, '')).get('token')
  return token ? token : null
}

/** The link to a document's page, with `#token=…` only when a token is given. */
export function shareLink(origin: string, name: string, token: string | null): string {
  const link = origin + documentPath(name)
  return token ? `${link}#${new URLSearchParams({ token })}` : link
}
