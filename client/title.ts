/**
 * The document's title (`shared/document-title.ts`) bound to a text field:
 * what someone types there reaches everyone at once, and what others type
 * shows up without moving this person's caret. Title edits join the editor's
 * own undo history, so Mod-Z takes back one's own renames too, never others'.
 */
import { ySyncPluginKey, yUndoPluginKey } from 'y-prosemirror'
import * as Y from 'yjs'
import { cleanTitle, MAX_TITLE_LENGTH, textEdit, TITLE_NAME } from '../shared/document-title.ts'
import type { CollabEditor } from './editor.ts'

export interface TitleBinding {
  /** The title as the document holds it now ('' when none). */
  readonly title: string
  /** Stop listening; the field keeps its text. */
  destroy(): void
}

/**
 * Keep `input` and the document's title in step. `onChange` hears every
 * change of the title, local or remote (for the tab's title, say).
 *
 * @example
 * bindTitle(editor, document.querySelector('input#title')!, (title) => (document.title = title || 'Untitled'))
 */
export function bindTitle(editor: CollabEditor, input: HTMLInputElement, onChange?: (title: string) => void): TitleBinding {
  const text = editor.doc.getText(TITLE_NAME)
  input.maxLength = MAX_TITLE_LENGTH
  // The y-prosemirror undo manager tracks transactions whose origin is the
  // sync plugin's key; the title joins its scope under that same origin.
  const undoManager = (yUndoPluginKey.getState(editor.view.state) as { undoManager?: Y.UndoManager } | undefined)?.undoManager
  undoManager?.addToScope(text)

  const show = (): void => {
    const value = text.toString()
    if (input.value !== value) {
      // Keep the caret where it was relative to the text around it.
      const focused = document.activeElement === input
      const start = input.selectionStart ?? 0
      const end = input.selectionEnd ?? 0
      const edit = textEdit(input.value, value)
      const shift = (at: number): number => (edit && at > edit.index ? Math.max(edit.index, at - edit.remove) + edit.insert.length : at)
      input.value = value
      if (focused) input.setSelectionRange(shift(start), shift(end))
    }
    onChange?.(cleanTitle(value))
  }
  const observer = (): void => show()
  text.observe(observer)

  const onInput = (): void => {
    const edit = textEdit(text.toString(), input.value.replace(/[\r\n]+/g, ' '))
    if (!edit) return
    editor.doc.transact(() => {
      if (edit.remove > 0) text.delete(edit.index, edit.remove)
      if (edit.insert) text.insert(edit.index, edit.insert)
    }, ySyncPluginKey)
  }
  // Enter hands the caret back to the document, as in other editors' title fields.
  // Mod-Z in the field is the document's undo (one's own changes only), not the field's own.
  const onKeydown = (event: KeyboardEvent): void => {
    if (event.isComposing) return
    if (event.key === 'Enter') {
      event.preventDefault()
      editor.view.focus()
      return
    }
    const mod = /Mac|iPhone|iPad/.test(navigator.platform) ? event.metaKey : event.ctrlKey
    const key = event.key.toLowerCase()
    if (mod && !event.altKey && (key === 'z' || key === 'y')) {
      event.preventDefault()
      if (key === 'y' || event.shiftKey) undoManager?.redo()
      else undoManager?.undo()
    }
  }
  // Moving between the title and the text starts a new undo step: one undo
  // never takes back a rename together with the typing just before it.
  const newStep = (): void => undoManager?.stopCapturing()
  input.addEventListener('input', onInput)
  input.addEventListener('keydown', onKeydown)
  input.addEventListener('focus', newStep)
  input.addEventListener('blur', newStep)
  show()
  return {
    get title() {
      return cleanTitle(text.toString())
    },
    destroy() {
      text.unobserve(observer)
      input.removeEventListener('input', onInput)
      input.removeEventListener('keydown', onKeydown)
      input.removeEventListener('focus', newStep)
      input.removeEventListener('blur', newStep)
    },
  }
}
