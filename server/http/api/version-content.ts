/**
 * What the versions routes do with a version's state: read it as a
 * document, compute the change that restores it, compare it. Loaded on
 * first use, with `conversions.ts` (y-prosemirror and the converters weigh
 * tens of MB a relay that never restores should not carry).
 *
 * A restore is a replacement like the API's PUT: the same
 * `replaceContentUpdate` (y-prosemirror's `updateYFragment` on a scratch copy
 * of the current document, only what differs replaced), with the title set
 * by the smallest text edit. So it is a new change on top of everyone's
 * history, not a rewind: live editors receive it like any edit, and what
 * an editor offline meanwhile typed merges with it when they reconnect.
 */
import * as Y from 'yjs'
import { readProseMirror, replaceContentUpdate } from '../../../shared/convert/yjs.ts'
import { textEdit, TITLE_NAME } from '../../../shared/document-title.ts'

// Loaded with the rest of this module: the comparison is y-prosemirror-free, but only these routes use it.
export { compareVersions } from '../../../shared/version-compare.ts'

/** A scratch Y.Doc holding a saved state; the caller destroys it. */
export function versionDoc(state: Uint8Array): Y.Doc {
  const doc = new Y.Doc()
  Y.applyUpdate(doc, state)
  return doc
}

/**
 * The Yjs update (v1) that makes `current`'s content and title read as the
 * version's, or null when they already do. Computed on copies: `current`
 * is only read.
 *
 * @example
 * const update = restoreUpdate(handle.doc, (await relay.loadVersion(name, id))!.state)
 * if (update) await handle.submit(update, { label: 'restore' })
 */
export function restoreUpdate(current: Y.Doc, versionState: Uint8Array): Uint8Array | null {
  const version = versionDoc(versionState)
  try {
    const content = replaceContentUpdate(current, readProseMirror(version))
    const title = titleUpdate(current, content, titleText(version) ?? '')
    if (content && title) return Y.mergeUpdates([content, title])
    return content ?? title
  } finally {
    version.destroy()
  }
}

/** The document's content as ProseMirror JSON (as the document GET answers it). */
export function documentJson(doc: Y.Doc): { type: string; content: unknown[] } {
  const json = readProseMirror(doc).toJSON() as { type: string; content?: unknown[] }
  return { ...json, content: json.content ?? [] }
}

/** The title text as held (not cleaned: restored as it was); null when there is none, or it is not a text. */
function titleText(doc: Y.Doc): string | null {
  const type = doc.share.get(TITLE_NAME)
  if (type === undefined) return null
  try {
    return doc.getText(TITLE_NAME).toString()
  } catch {
    return null
  }
}

/** The edit of the title to `target`, on top of `content`; null when none is needed (or the title is not a text). */
function titleUpdate(current: Y.Doc, content: Uint8Array | null, target: string): Uint8Array | null {
  const held = titleText(current)
  // A `title` of another kind (not one this editor wrote) is left alone.
  if (held === null && current.share.has(TITLE_NAME)) return null
  const edit = textEdit(held ?? '', target)
  if (edit === null) return null
  const copy = versionDoc(Y.encodeStateAsUpdate(current))
  try {
    if (content) Y.applyUpdate(copy, content)
    let update: Uint8Array | null = null
    // Only this transaction's change (not the copy's whole delete set, which a state-vector diff would carry).
    copy.on('update', (change: Uint8Array) => (update = change))
    copy.transact(() => {
      const text = copy.getText(TITLE_NAME)
      if (edit.remove > 0) text.delete(edit.index, edit.remove)
      if (edit.insert) text.insert(edit.index, edit.insert)
    })
    return update
  } finally {
    copy.destroy()
  }
}
