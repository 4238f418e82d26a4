/**
 * Undo steps the size people expect (as in Google Docs): one undo takes
 * back a word, or what was typed since the last pause, never a whole
 * paragraph typed at speed. Yjs's UndoManager merges changes made less than
 * `captureTimeout` (500 ms) apart into one step, so steady typing would
 * otherwise become one step; here a new step starts where a word starts and
 * where a new block begins. Only this person's own changes are tracked
 * (y-prosemirror's undo manager), so the steps are theirs alone.
 */
import { Plugin } from 'prosemirror-state'
import type { EditorView } from 'prosemirror-view'
import { yUndoPluginKey } from 'y-prosemirror'
import type * as Y from 'yjs'

/** This person's undo manager (y-prosemirror's), to start a new undo step at a chosen point. */
export const undoManagerOf = (view: EditorView): Y.UndoManager | undefined =>
  (yUndoPluginKey.getState(view.state) as { undoManager?: Y.UndoManager } | undefined)?.undoManager

const SPACE = /\s/

export function undoStepsPlugin(): Plugin {
  return new Plugin({
    props: {
      handleTextInput(view, from, _to, text) {
        // A word starts: the character typed is not a space and the one before the caret is.
        const before = from > 0 ? view.state.doc.textBetween(from - 1, from, '\n', '\n') : '\n'
        if (text.length > 0 && !SPACE.test(text[0]) && (before === '' || SPACE.test(before))) undoManagerOf(view)?.stopCapturing()
        return false
      },
      handleKeyDown(view, event) {
        if (event.key === 'Enter' && !event.isComposing) undoManagerOf(view)?.stopCapturing()
        return false
      },
    },
  })
}
