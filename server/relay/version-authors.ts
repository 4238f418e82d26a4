/**
 * Who edited a document since its last version, for the next one: the
 * people, in the order they first edited, and the Yjs client IDs each wrote
 * with (so a comparison can say who changed what).
 *
 * A person is known by a name: the one their grant gives them, else the one
 * in their presence (`user.name`), else none. Presence often arrives after a
 * client's first edit, so a name missing at an edit is looked for again when
 * the authors are taken, and once more as the connection leaves (its
 * presence is removed then).
 *
 * Editors nobody named are listed once, together, as `UNNAMED_AUTHOR`; their
 * client IDs are kept with the name '' (known to have written, not known as
 * whom), so a comparison attributes their changes to no one.
 */

/** How the editors nobody named appear in a version's `authors`, once for all of them. */
export const UNNAMED_AUTHOR = 'Anonymous'

/** Names longer than this are cut (a name is a label, not a payload). */
const MAX_AUTHOR_NAME_LENGTH = 80

/** A version's `authors` and `clients` (see `VersionInfo`). */
export interface VersionAuthorship {
  authors: string[]
  clients: Record<string, string>
}

interface Editor {
  name: string | null
  clients: Set<number>
  /** Where to look for a name later (the editor's presence), while it is connected. */
  findName: (() => string | null) | null
}

/** A name as kept: one trimmed line, cut to length; null when nothing is left. */
export function authorName(raw: unknown): string | null {
  if (typeof raw !== 'string') return null
  const name = raw.replace(/[\u0000-\u001f\u007f]+/g, ' ').trim().slice(0, MAX_AUTHOR_NAME_LENGTH)
  return name === '' ? null : name
}

/** The authors since a room's last version (see the module comment). */
export class VersionAuthors {
  /** By editor (a connection, or a server-side name), in first-edit order. */
  private readonly editors = new Map<unknown, Editor>()
  /** Taken for a version whose save failed: they come first in the next one. */
  private carried: VersionAuthorship | null = null

  /** Whether anyone edited since the authors were last taken. */
  get empty(): boolean {
    return this.editors.size === 0 && this.carried === null
  }

  /**
   * `editor` (any key: a connection, a server-side name) committed an edit,
   * written with `clients`; `name` when known now, `findName` to look again later.
   */
  note(editor: unknown, name: string | null, clients: Iterable<number>, findName: (() => string | null) | null = null): void {
    let entry = this.editors.get(editor)
    if (!entry) this.editors.set(editor, (entry = { name: null, clients: new Set(), findName: null }))
    entry.name ??= name
    if (findName) entry.findName = findName
    for (const client of clients) entry.clients.add(client)
  }

  /** The editor is leaving (its presence is about to go): look for its name one last time. */
  settle(editor: unknown): void {
    const entry = this.editors.get(editor)
    if (!entry) return
    entry.name ??= entry.findName?.() ?? null
    entry.findName = null
  }

  /** The authorship so far, leaving it in place (for comparing a version with now). */
  peek(): VersionAuthorship {
    const authors: string[] = []
    const clients: Record<string, string> = {}
    for (const entry of this.editors.values()) {
      entry.name ??= entry.findName?.() ?? null
      const shown = entry.name ?? UNNAMED_AUTHOR
      if (!authors.includes(shown)) authors.push(shown)
      for (const client of entry.clients) {
        // A named writer wins over an unnamed one for the same client ID.
        if (!clients[String(client)]) clients[String(client)] = entry.name ?? ''
      }
    }
    const noted = { authors, clients }
    return this.carried ? mergeAuthorship(this.carried, noted) : noted
  }

  /** The authorship since the last version, for the version being saved; starts afresh. */
  take(): VersionAuthorship {
    const taken = this.peek()
    this.editors.clear()
    this.carried = null
    return taken
  }

  /**
   * A save failed: what it took goes into the next version, before anything
   * noted since. Saves run one after another, so a second failure puts back
   * authors taken later than the first's.
   */
  putBack(taken: VersionAuthorship): void {
    this.carried = this.carried ? mergeAuthorship(this.carried, taken) : taken
  }
}

/** `earlier`, then what `later` adds; a client ID keeps the first name it was given, unless that was ''. */
function mergeAuthorship(earlier: VersionAuthorship, later: VersionAuthorship): VersionAuthorship {
  const authors = [...earlier.authors, ...later.authors.filter((name) => !earlier.authors.includes(name))]
  const clients = { ...earlier.clients }
  for (const [client, name] of Object.entries(later.clients)) if (!clients[client]) clients[client] = name
  return { authors, clients }
}
