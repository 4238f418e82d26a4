/**
 * Two people typing at the same spot keep their own runs of characters
 * together instead of alternating them ("HHeelllloo").
 *
 * y-prosemirror (1.3.7) remembers this person's caret across a remote change
 * as a Yjs relative position tied to the character AFTER the caret. When
 * someone else inserts right at the caret, their text lands before that
 * character, so the caret is carried past it; the next keystroke then
 * follows the other person's character, and the runs interleave. Tying an
 * empty caret to the character BEFORE it (assoc -1) keeps it after this
 * person's own last character, where Yjs also places their next one, and
 * the other person's text goes on beyond. The documents converge either way;
 * only where each caret ends up changes.
 *
 * This is done from outside the binding: on every Yjs transaction the
 * binding records the selection to restore afterwards
 * (`beforeTransactionSelection`, only when none is recorded yet, on
 * 'beforeAllTransactions'); Yjs then emits 'beforeTransaction', where this
 * listener replaces an empty caret's anchor and head with left-tied positions,
 * which is what the binding restores.
 */
import type { EditorView } from 'prosemirror-view'
import { absolutePositionToRelativePosition, ySyncPluginKey } from 'y-prosemirror'
import * as Y from 'yjs'

interface RecordedSelection {
  type: string
  anchor: Y.RelativePosition | null
  head: Y.RelativePosition | null
}

interface Binding {
  type: Y.XmlFragment
  mapping: Map<unknown, unknown>
  beforeTransactionSelection: RecordedSelection | null
}

/** The caret's position tied to the character before it, or null where it has none in its text block. */
function tiedToCharacterBefore(view: EditorView, binding: Binding): Y.RelativePosition | null {
  const { selection } = view.state
  if (!selection.empty) return null
  const $caret = selection.$head
  if (!$caret.nodeBefore?.isText) return null
  // The character before the caret, as y-prosemirror addresses it: a position
  // tied (right) to it. The same item with assoc -1 means "just after it".
  const before = absolutePositionToRelativePosition(selection.head - 1, binding.type, binding.mapping as never) as Y.RelativePosition
  if (!before?.item) return null
  return new Y.RelativePosition(before.type, before.tname, before.item, -1)
}

/** Start keeping this editor's caret with its own text; returns the function that stops it. */
export function keepCaretWithOwnText(view: EditorView, doc: Y.Doc): () => void {
  // The binding records the selection once per batch of transactions
  // ('beforeAllTransactions'); it is replaced at the batch's first
  // transaction, where the origin is known. This person's own edits
  // (origin: the sync plugin's key) are skipped: the binding records their
  // selection itself, and working out a position walks the document, which
  // every keystroke would otherwise pay for twice.
  let batchStarted = false
  const onBatch = (): void => {
    batchStarted = true
  }
  const onTransaction = (transaction: Y.Transaction): void => {
    if (!batchStarted) return
    batchStarted = false
    if (view.isDestroyed || transaction.origin === ySyncPluginKey) return
    const binding = (ySyncPluginKey.getState(view.state) as { binding?: Binding } | undefined)?.binding
    if (!binding) return
    const tied = tiedToCharacterBefore(view, binding)
    if (tied) binding.beforeTransactionSelection = { type: view.state.selection.toJSON().type as string, anchor: tied, head: tied }
  }
  doc.on('beforeAllTransactions', onBatch)
  doc.on('beforeTransaction', onTransaction)
  return () => {
    doc.off('beforeAllTransactions', onBatch)
    doc.off('beforeTransaction', onTransaction)
  }
}
