/**
 * A document's title lives in the document itself, as the Y.Text
 * `TITLE_NAME` beside the rich text: everyone editing sees it change live,
 * it is part of each person's undo history, and it travels with the
 * document (export, copies, storage) without a second store to keep in step.
 */
import type * as Y from 'yjs'

/** The Y.Text of the Y.Doc that holds the title. */
export const TITLE_NAME = 'title'

/** Longest title kept, in UTF-16 units; what is longer is cut. */
export const MAX_TITLE_LENGTH = 200

/** The title as a single trimmed line; '' when none was set. */
export function cleanTitle(raw: string): string {
  return raw.replace(/[\r\n\t]+/g, ' ').trim().slice(0, MAX_TITLE_LENGTH)
}

/**
 * The title `ydoc` holds, or '' when it has none. A document without one is
 * left as it was (no type is defined on it), and one whose `title` is some
 * other kind of type reads as untitled rather than throwing.
 */
export function readTitle(ydoc: Y.Doc): string {
  if (!ydoc.share.has(TITLE_NAME)) return ''
  try {
    return cleanTitle(ydoc.getText(TITLE_NAME).toString())
  } catch {
    return ''
  }
}

/** What to show for a document: its title, or its name when it has none. */
export function displayTitle(title: string, name: string): string {
  return cleanTitle(title) || name
}

/**
 * The smallest single edit that turns `before` into `after`: the common
 * start and end are kept, so a remote caret or a concurrent edit elsewhere
 * in the title is not disturbed by a whole-text replace.
 */
export function textEdit(before: string, after: string): { index: number; remove: number; insert: string } | null {
  if (before === after) return null
  let start = 0
  const shorter = Math.min(before.length, after.length)
  while (start < shorter && before.charCodeAt(start) === after.charCodeAt(start)) start++
  let end = 0
  while (end < shorter - start && before.charCodeAt(before.length - 1 - end) === after.charCodeAt(after.length - 1 - end)) end++
  return { index: start, remove: before.length - start - end, insert: after.slice(start, after.length - end) }
}
