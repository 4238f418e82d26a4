/**
 * A caret follows its text when the other person moves it.
 *
 * y-prosemirror writes some structural edits by deleting text and inserting
 * the same text again elsewhere: Enter in the middle of a paragraph removes
 * the tail from it and inserts it in a new paragraph; turning a paragraph
 * into a heading or a quote, or indenting a list item, replaces the block,
 * its text included. Someone else whose caret was in that text had it tied
 * (as a Yjs relative position) to a character that is now deleted, and Yjs
 * places such a position where the character was: the split point, the start
 * of the next block. Their next keystrokes then land there, in the wrong
 * paragraph.
 *
 * So before the binding restores the local selection after a remote change
 * (binding-selection-restore.ts), each end tied to a character this very
 * transaction deleted is moved to the same character of the same text where
 * the transaction inserted it again, when it did: the run of deleted text
 * around the character is looked for in the runs of text the transaction
 * inserted. Text that was deleted and not inserted again is left to Yjs.
 */
import * as Y from 'yjs'

/** The Yjs transaction whose observers are running, per document (see `trackObserverCalls`). */
const observing = new WeakMap<Y.Doc, Y.Transaction>()

/** Note each transaction of `doc` while its observers (the binding's rendering) run; returns the function that stops. */
export function trackObserverCalls(doc: Y.Doc): () => void {
  const start = (transaction: Y.Transaction): void => void observing.set(doc, transaction)
  const end = (): void => void observing.delete(doc)
  doc.on('beforeObserverCalls', start)
  doc.on('afterTransaction', end)
  return () => {
    doc.off('beforeObserverCalls', start)
    doc.off('afterTransaction', end)
    observing.delete(doc)
  }
}

/** The transaction whose observers are running on `doc`, if any (and if tracked). */
export function transactionBeingObserved(doc: Y.Doc): Y.Transaction | null {
  return observing.get(doc) ?? null
}

/**
 * `position` moved to where `transaction` inserted again the text it
 * deleted under it, or `position` itself when it is not tied to such text,
 * or when that text was inserted in more than one place (which one is
 * a guess: better left to Yjs than put in someone else's words).
 */
export function followMovedText(doc: Y.Doc, transaction: Y.Transaction, position: Y.RelativePosition | null): Y.RelativePosition | null {
  const id = position?.item
  if (!position || !id || !Y.isDeleted(transaction.deleteSet, id)) return position
  let struct: Y.Item | Y.GC
  try {
    struct = Y.getItem(doc.store, id)
  } catch {
    return position
  }
  if (!(struct instanceof Y.Item) || !(struct.content instanceof Y.ContentString)) return position
  // Text deleted earlier and mark boundaries are invisible: a run goes on across them.
  const deletedBefore = (item: Y.Item): boolean => item.deleted && !Y.isDeleted(transaction.deleteSet, item.id)
  const insertedHere = (item: Y.Item): boolean => !item.deleted && item.id.clock >= (transaction.beforeState.get(item.id.client) ?? 0)
  const gone = textRun(struct, (item) => Y.isDeleted(transaction.deleteSet, item.id), deletedBefore)
  const offset = gone.offsetOf(struct) + (id.clock - struct.id.clock)
  let found: { run: ReturnType<typeof textRun>; at: number } | null = null
  for (const run of insertedTextRuns(doc, transaction, insertedHere)) {
    const at = run.text.indexOf(gone.text)
    if (at < 0) continue
    if (found || run.text.indexOf(gone.text, at + 1) >= 0) return position
    found = { run, at }
  }
  const target = found?.run.idAt(found.at + offset)
  return target ? new Y.RelativePosition(null, null, target, position.assoc) : position
}

/**
 * The run of string items in one text around `item` that `belongs` accepts,
 * passing over mark boundaries and the items `invisible` accepts.
 */
function textRun(item: Y.Item, belongs: (item: Y.Item) => boolean, invisible: (item: Y.Item) => boolean) {
  const isText = (other: Y.Item): boolean => other.content instanceof Y.ContentString && belongs(other)
  const passable = (other: Y.Item): boolean => other.content instanceof Y.ContentFormat || (!isText(other) && invisible(other))
  let first = item
  for (let at = item.left; at !== null && (isText(at) || passable(at)); at = at.left) if (isText(at)) first = at
  const items: Y.Item[] = []
  for (let at: Y.Item | null = first; at !== null && (isText(at) || passable(at)); at = at.right) if (isText(at)) items.push(at)
  const strings = items.map((part) => (part.content as Y.ContentString).str)
  return {
    items,
    text: strings.join(''),
    /** Where `part` starts in the run's text. */
    offsetOf(part: Y.Item): number {
      let offset = 0
      for (let index = 0; index < items.length && items[index] !== part; index++) offset += strings[index].length
      return offset
    },
    /** The ID of the character at `offset` in the run's text. */
    idAt(offset: number): Y.ID | null {
      for (let index = 0; index < items.length; index++) {
        if (offset < strings[index].length) return Y.createID(items[index].id.client, items[index].id.clock + offset)
        offset -= strings[index].length
      }
      return null
    },
  }
}

/** Each run of text `transaction` inserted (and did not delete again), once. */
function* insertedTextRuns(doc: Y.Doc, transaction: Y.Transaction, insertedHere: (item: Y.Item) => boolean): Generator<ReturnType<typeof textRun>> {
  // Items of the runs already given: a run is read once, from whichever of its items comes first.
  const covered = new Set<Y.Item>()
  for (const [client, after] of transaction.afterState) {
    const before = transaction.beforeState.get(client) ?? 0
    if (after <= before) continue
    const structs = doc.store.clients.get(client) ?? []
    let first: number
    try {
      first = Y.findIndexSS(structs, before)
    } catch {
      continue
    }
    for (let index = first; index < structs.length; index++) {
      const struct = structs[index]
      if (!(struct instanceof Y.Item) || !(struct.content instanceof Y.ContentString) || !insertedHere(struct) || covered.has(struct)) continue
      const run = textRun(struct, insertedHere, (item) => item.deleted)
      for (const item of run.items) covered.add(item)
      yield run
    }
  }
}
