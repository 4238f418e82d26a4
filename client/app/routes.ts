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
