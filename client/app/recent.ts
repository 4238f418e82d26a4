// The documents this browser opened, newest first, with the title each had
// when last seen: the home page's "Recent" list works without any server
// listing (which needs an admin grant when access control is on).

export interface RecentDocument {
  name: string
  title: string
  /** ms since the epoch. */
  openedAt: number
}

const KEY = 'collab-editor:recent'
const KEEP = 50
const PENDING_TITLE_KEY = 'collab-editor:pending-title:'

export function recentDocuments(): RecentDocument[] {
  try {
    const parsed: unknown = JSON.parse(localStorage.getItem(KEY) ?? '[]')
    if (!Array.isArray(parsed)) return []
    return parsed.filter(
      (entry): entry is RecentDocument => typeof entry?.name === 'string' && typeof entry.title === 'string' && typeof entry.openedAt === 'number',
    )
  } catch {
    return []
  }
}

function save(entries: RecentDocument[]): void {
  try {
    localStorage.setItem(KEY, JSON.stringify(entries.slice(0, KEEP)))
  } catch {
    // Storage full or blocked: the list is a convenience, nothing is lost.
  }
}

/** Put `name` first (or refresh its title, keeping its place when `touch` is false). */
export function rememberDocument(name: string, title: string, touch = true): void {
  const entries = recentDocuments()
  const index = entries.findIndex((entry) => entry.name === name)
  if (!touch && index >= 0) {
    entries[index] = { ...entries[index], title }
    save(entries)
    return
  }
  if (index >= 0) entries.splice(index, 1)
  save([{ name, title, openedAt: Date.now() }, ...entries])
}

export function forgetDocument(name: string): void {
  save(recentDocuments().filter((entry) => entry.name !== name))
}

/**
 * A title chosen before the document exists ("New document", an imported
 * file's name): the document page sets it once it has synced, if the
 * document has none by then. Session storage: it is for the next page only.
 */
export function setPendingTitle(name: string, title: string): void {
  try {
    sessionStorage.setItem(PENDING_TITLE_KEY + name, title)
  } catch {
    // The document opens untitled.
  }
}

export function takePendingTitle(name: string): string | null {
  try {
    const title = sessionStorage.getItem(PENDING_TITLE_KEY + name)
    sessionStorage.removeItem(PENDING_TITLE_KEY + name)
    return title
  } catch {
    return null
  }
}
