/**
 * Keyboard shortcuts: one table, `keyBindings`, that is both what the editor
 * binds and what the shortcut help (Mod-/) and the toolbar's tooltips show,
 * so the help can never list a key that does nothing. Undo and redo go to
 * y-prosemirror's undo manager, which tracks only this person's own changes.
 */
import { baseKeymap, chainCommands, exitCode } from 'prosemirror-commands'
import { keymap } from 'prosemirror-keymap'
import type { Command, Plugin } from 'prosemirror-state'
import { redoCommand as yRedo, undoCommand as yUndo } from 'y-prosemirror'
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
  toggleUnderline,
  toggleTaskList,
} from './commands.ts'
import { openLinkPopover } from './link-popover.ts'
import { showShortcutHelp } from './shortcut-help.ts'
import { focusTableToolbar } from './table-toolbar.ts'
import { nextCellOrNewRow, previousCell } from './tables.ts'
import { liftItem, liftTaskAtStart, sinkItem, splitItem, toggleTaskAtCaret } from './task-list.ts'

/** One shortcut: the keys that run a command, and what it does in words. */
export interface KeyBinding {
  /** prosemirror-keymap key names (`Mod-Shift-z`); Mod is Cmd on macOS, Ctrl elsewhere. The first is the one tooltips show. */
  readonly keys: readonly string[]
  /** What it does, as the shortcut help lists it and as the toolbar button's name. */
  readonly description: string
  readonly command: Command
}

// y-prosemirror's undo changes the Yjs document directly, past ProseMirror's
// transaction filters: a read-only editor must not run it at all.
const undo: Command = (state, dispatch, view) => view?.editable !== false && yUndo(state, dispatch, view)
const redo: Command = (state, dispatch, view) => view?.editable !== false && yRedo(state, dispatch, view)

/** Every shortcut the editor binds (beyond prosemirror-commands' `baseKeymap`), in the order the help lists them. */
export const keyBindings = {
  undo: { keys: ['Mod-z'], description: 'Undo', command: undo },
  redo: { keys: ['Mod-Shift-z', 'Mod-y'], description: 'Redo', command: redo },
  bold: { keys: ['Mod-b'], description: 'Bold', command: toggleBold },
  italic: { keys: ['Mod-i'], description: 'Italic', command: toggleItalic },
  underline: { keys: ['Mod-u'], description: 'Underline', command: toggleUnderline },
  strike: { keys: ['Mod-Shift-x'], description: 'Strikethrough', command: toggleStrike },
  code: { keys: ['Mod-e'], description: 'Inline code', command: toggleCode },
  link: { keys: ['Mod-k'], description: 'Add or edit a link', command: openLinkPopover },
  paragraph: { keys: ['Mod-Alt-0'], description: 'Paragraph', command: setParagraph },
  heading1: { keys: ['Mod-Alt-1'], description: 'Heading 1', command: setHeading(1) },
  heading2: { keys: ['Mod-Alt-2'], description: 'Heading 2', command: setHeading(2) },
  heading3: { keys: ['Mod-Alt-3'], description: 'Heading 3', command: setHeading(3) },
  codeBlock: { keys: ['Mod-Alt-c'], description: 'Code block', command: setCodeBlock },
  bulletList: { keys: ['Mod-Shift-8'], description: 'Bulleted list', command: toggleBulletList },
  orderedList: { keys: ['Mod-Shift-7'], description: 'Numbered list', command: toggleOrderedList },
  // Mod-Shift-9 is Google Docs' and Tiptap's checklist key, but it was the quote's here first;
  // the task list takes Notion's Mod-Alt-4, next to the headings' Mod-Alt-1…3.
  blockquote: { keys: ['Mod-Shift-9'], description: 'Quote', command: toggleBlockquote },
  taskList: { keys: ['Mod-Alt-4'], description: 'Task list', command: toggleTaskList },
  // Both leave a code block (exitCode); elsewhere Shift-Enter inserts a <br>, and Mod-Enter
  // checks or unchecks the task the caret is in (as in Notion), a <br> outside tasks.
  hardBreak: { keys: ['Shift-Enter'], description: 'Line break (in a code block: leave it)', command: chainCommands(exitCode, insertHardBreak) },
  toggleTask: { keys: ['Mod-Enter'], description: 'In a task: check or uncheck it (elsewhere: a line break)', command: chainCommands(exitCode, toggleTaskAtCaret, insertHardBreak) },
  split_list_item: { keys: ['Enter'], description: 'In a list: new item (on an empty item: leave the list)', command: splitItem },
  // In a list inside a table, Tab indents when the item can be indented, else it moves to the next cell.
  sink_list_item: { keys: ['Tab'], description: 'In a list: indent the item; in a table: next cell (after the last: a new row)', command: chainCommands(sinkItem, nextCellOrNewRow) },
  lift_list_item: { keys: ['Shift-Tab'], description: 'In a list: outdent the item; in a table: previous cell', command: chainCommands(liftItem, previousCell) },
  lift_task: { keys: ['Backspace'], description: 'At the start of a task: outdent it (at the top: make it a paragraph)', command: liftTaskAtStart },
  tableToolbar: { keys: ['Alt-F10'], description: 'In a table: go to the table toolbar (Escape comes back)', command: focusTableToolbar },
  help: { keys: ['Mod-/'], description: 'Show keyboard shortcuts', command: showShortcutHelp },
} as const satisfies Record<string, KeyBinding>

/** The table as prosemirror-keymap's `{ key: command }` object. */
export function bindingsToKeymap(bindings: readonly KeyBinding[]): Record<string, Command> {
  const map: Record<string, Command> = {}
  for (const binding of bindings) {
    for (const key of binding.keys) {
      // Two commands on one key would leave only the last one bound, and the help listing both.
      if (key in map) throw new Error(`keymap: ${key} is bound twice`)
      map[key] = binding.command
    }
  }
  return map
}

/** The editor's keymaps, most specific first. */
export function editorKeymaps(): Plugin[] {
  return [keymap(bindingsToKeymap(Object.values(keyBindings))), keymap(baseKeymap)]
}
