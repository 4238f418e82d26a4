/**
 * When a remote change arrives, y-prosemirror (1.3.7) renders the new
 * document in one transaction and then puts the local selection back where
 * it was, from Yjs relative positions it took before the change
 * (`restoreRelativeSelection`). Two cases go wrong when the other person
 * deleted the node one has selected (an image, a rule):
 * - the node selection is restored on whatever now stands at that place,
 *   the next block, so the next keystroke would replace the other person's
 *   paragraph;
 * - at the document's end there is no node there, and the restore throws.
 *   So does a position past the new document's end. The throw aborts the
 *   rendering before its transaction is dispatched, so the editor keeps
 *   showing the document from before the change (y-protocols logs the
 *   error) until some later remote change renders again.
 * Both are reported upstream (yjs/y-prosemirror issues 202 and 272).
 *
 * Here a node selection whose node is gone from Yjs, and any restore that
 * throws, become a text selection nearest to the restored place: a caret
 * beside where the node was (before it where there is text before it). A
 * restore that cannot even place that falls back to the selection as the
 * rendering transaction mapped it. Every other restore is the binding's,
 * after a text selection's ends tied to text the change moved (deleted and
 * inserted again) follow it (binding-moved-text.ts).
 *
 * `scripts/vite-binding-positions.ts` renames the binding's function and
 * declares `withSafeRestore(itsOwnRestore, toAbsolute)` under its name.
 */
import { TextSelection, type Transaction } from 'prosemirror-state'
import * as Y from 'yjs'
import { followMovedText, transactionBeingObserved } from './binding-moved-text.ts'

/** What the binding passes: itself, of which this reads the Yjs document, its fragment and its mapping. */
export interface Binding {
  doc: Y.Doc
  type: Y.XmlFragment
  mapping: Map<Y.AbstractType<any>, unknown>
}
/** The relative selection the binding took before the change (`getRelativeSelection`). */
export interface RelativeSelection {
  type: string
  anchor: Y.RelativePosition | null
  head: Y.RelativePosition | null
}
export type Restore = (tr: Transaction, selection: RelativeSelection | null, binding: Binding) => void
/** The binding's `relativePositionToAbsolutePosition`. */
export type ToAbsolute = (doc: Y.Doc, type: Y.XmlFragment, position: Y.RelativePosition, mapping: Binding['mapping']) => number | null

let restoreOfBinding: Restore | null = null

/** The binding's own restore, once y-prosemirror has loaded (for tests). */
export function bindingRestore(): Restore | null {
  return restoreOfBinding
}

/**
 * Installed by the rewritten y-prosemirror module, once, while that module
 * loads: `toAbsolute` is then called through, not read (the binding's
 * modules import each other, and its function is not defined yet).
 */
export function withSafeRestore(restore: Restore, toAbsolute: ToAbsolute): Restore {
  restoreOfBinding = restore
  return safeRestore(restore, toAbsolute)
}

export function safeRestore(restore: Restore, toAbsolute: ToAbsolute): Restore {
  return (tr, selection, binding) => {
    if (selection?.type === 'node' && isGone(binding.doc, selection.anchor)) {
      nearest(tr, selection, binding, toAbsolute, true)
      return
    }
    const change = selection?.type === 'text' ? transactionBeingObserved(binding.doc) : null
    if (selection && change) {
      selection = { ...selection, anchor: followMovedText(binding.doc, change, selection.anchor), head: followMovedText(binding.doc, change, selection.head) }
    }
    try {
      restore(tr, selection, binding)
    } catch (error) {
      // The binding sets the selection last, so a throw leaves `tr` as it was.
      console.warn('collab-editor: the selection could not be put back after a remote change; placing it nearby', error)
      if (selection) nearest(tr, selection, binding, toAbsolute, selection.type === 'node')
    }
  }
}

/** Whether a relative position is tied to an item that has been deleted (a node selection's node, say). */
function isGone(doc: Y.Doc, position: Y.RelativePosition | null): boolean {
  const id = position?.item
  if (!id) return false
  let struct: Y.Item | Y.GC
  try {
    struct = Y.getItem(doc.store, id)
  } catch {
    return false
  }
  return !(struct instanceof Y.Item) || struct.deleted
}

/**
 * The text selection nearest to the restored anchor and head (both at the
 * anchor when `caret`), searching backwards first, as ProseMirror does for a
 * bookmark that lands between blocks. Left as mapped when the anchor cannot
 * be placed.
 */
function nearest(tr: Transaction, selection: RelativeSelection, binding: Binding, toAbsolute: ToAbsolute, caret: boolean): void {
  const place = (position: Y.RelativePosition | null): number | null => {
    if (position === null) return null
    const at = toAbsolute(binding.doc, binding.type, position, binding.mapping)
    return at === null ? null : Math.max(0, Math.min(at, tr.doc.content.size))
  }
  const anchor = place(selection.anchor)
  if (anchor === null) return
  const head = caret ? anchor : (place(selection.head) ?? anchor)
  tr.setSelection(TextSelection.between(tr.doc.resolve(anchor), tr.doc.resolve(head), -1))
}
