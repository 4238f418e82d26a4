/**
 * When a remote change arrives, y-prosemirror (1.3.7) renders the new
 * document in one transaction and then puts the local selection back where
 * it was, from Yjs relative positions it took before the change
 * (`restoreRelativeSelection`). That throws when the place no longer fits
 * the selection: a node selection whose node the other person deleted
 * (`NodeSelection.create` finds no node there), or a position past the new
 * document's end (`resolve` out of range). The throw aborts the rendering
 * before its transaction is dispatched, so the editor keeps showing the
 * document from before the change (y-protocols logs the error) until some
 * later remote change renders again; the person types into a stale view.
 * The same cases are reported upstream (yjs/y-prosemirror issues 202, 272).
 *
 * Here a restore that throws is answered with the selection nearest to the
 * place the binding would have restored (a caret beside a node that is
 * gone), or, when that place cannot be found either, with the selection as
 * the rendering transaction mapped it. Either way the transaction is
 * dispatched with the remote change. A restore that works is the binding's.
 *
 * `scripts/vite-binding-positions.ts` renames the binding's function and
 * declares `withSafeRestore(itsOwnRestore, relativePositionToAbsolutePosition)`
 * under its name.
 */
import { Selection, type Transaction } from 'prosemirror-state'
import type * as Y from 'yjs'

/** What the binding passes: itself, of which this reads the Yjs document, its fragment and its mapping. */
interface Binding {
  doc: Y.Doc
  type: Y.XmlFragment
  mapping: Map<Y.AbstractType<any>, unknown>
}
/** The relative selection the binding took before the change (`getRelativeSelection`). */
interface RelativeSelection {
  type: string
  anchor: Y.RelativePosition | null
  head: Y.RelativePosition | null
}
type Restore = (tr: Transaction, selection: RelativeSelection | null, binding: Binding) => void
type ToAbsolute = (doc: Y.Doc, type: Y.XmlFragment, position: Y.RelativePosition, mapping: Binding['mapping']) => number | null

let restoreOfBinding: Restore | null = null

/** The binding's own restore, once y-prosemirror has loaded (for tests). */
export function bindingRestore(): Restore | null {
  return restoreOfBinding
}

/** Installed by the rewritten y-prosemirror module, once. */
export function withSafeRestore(restore: Restore, toAbsolute: ToAbsolute): Restore {
  restoreOfBinding = restore
  return safeRestore(restore, toAbsolute)
}

export function safeRestore(restore: Restore, toAbsolute: ToAbsolute): Restore {
  return (tr, selection, binding) => {
    try {
      restore(tr, selection, binding)
      return
    } catch {
      // Below: the nearest selection that fits the new document.
    }
    if (selection?.anchor == null) return
    let anchor: number | null = null
    try {
      anchor = toAbsolute(binding.doc, binding.type, selection.anchor, binding.mapping)
    } catch {
      // The anchor cannot be placed in the new document: the mapped selection stays.
    }
    if (anchor === null) return
    const at = Math.max(0, Math.min(anchor, tr.doc.content.size))
    tr.setSelection(Selection.near(tr.doc.resolve(at)))
  }
}
