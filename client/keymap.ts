/**
 * Keyboard shortcuts. Undo and redo go to y-prosemirror's undo manager,
 * which tracks only this person's own changes.
 */
import { baseKeymap, chainCommands, exitCode } from 'prosemirror-commands'
import { keymap } from 'prosemirror-keymap'
import { liftListItem, sinkListItem, splitListItem } from 'prosemirror-schema-list'
import type { Command, Plugin } from 'prosemirror-state'
import { redo, undo } from 'y-prosemirror'
import { schema } from '../shared/schema.ts'
import {
  insertHardBreak,
  setCodeBlock,
  setHeading,
  setParagraph,
  toggleBlockquote,
  toggleBold,
  toggleBulletList,
  toggleCode,
  toggleItalic,
  toggleOrderedList,
  toggleStrike,
} from './commands.ts'

// y-prosemirror's undo changes the Yjs document directly, past ProseMirror's
// transaction filters: a read-only editor must not run it at all.
const undoCommand: Command = (state, _dispatch, view) => view?.editable !== false && undo(state)
const redoCommand: Command = (state, _dispatch, view) => view?.editable !== false && redo(state)

/** The editor's keymaps, most specific first. Mod is Cmd on macOS, Ctrl elsewhere. */
export function editorKeymaps(): Plugin[] {
  const item = schema.nodes.list_item
  return [
    keymap({
      'Mod-z': undoCommand,
      'Mod-Shift-z': redoCommand,
      'Mod-y': redoCommand,
      'Mod-b': toggleBold,
      'Mod-i': toggleItalic,
      'Mod-Shift-x': toggleStrike,
      'Mod-e': toggleCode,
      'Mod-Alt-0': setParagraph,
      'Mod-Alt-1': setHeading(1),
      'Mod-Alt-2': setHeading(2),
      'Mod-Alt-3': setHeading(3),
      'Mod-Alt-c': setCodeBlock,
      'Mod-Shift-7': toggleOrderedList,
      'Mod-Shift-8': toggleBulletList,
      'Mod-Shift-9': toggleBlockquote,
      // Leave a code block with Mod-Enter; a hard break elsewhere.
      'Mod-Enter': chainCommands(exitCode, insertHardBreak),
      'Shift-Enter': chainCommands(exitCode, insertHardBreak),
      Enter: splitListItem(item),
      Tab: sinkListItem(item),
      'Shift-Tab': liftListItem(item),
    }),
    keymap(baseKeymap),
  ]
}
