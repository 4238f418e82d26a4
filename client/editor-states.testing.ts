/**
 * Helpers for the editor's unit tests (not part of the editor): a state with
 * the caret or a selection where a test wants it, and a command run on it.
 */
import type { Node } from 'prosemirror-model'
import { EditorState, TextSelection, type Command, type Plugin } from 'prosemirror-state'
import { schema } from '../shared/schema.ts'

/** `document` with the text selection `from`–`to` (a caret when `to` is left out). */
export function stateOf(document: Node, from: number, to = from, plugins: Plugin[] = []): EditorState {
  const state = EditorState.create({ schema, doc: document, plugins })
  return state.apply(state.tr.setSelection(TextSelection.create(state.doc, from, to)))
}

/** The state after `command`; throws if the command does not apply. */
export function run(state: EditorState, command: Command): EditorState {
  let next = state
  if (!command(state, (tr) => (next = state.apply(tr)))) throw new Error('the command did not apply')
  return next
}
