/**
 * The formatting toolbar: buttons that run commands and show, after every
 * change, which marks and blocks are active and which commands apply.
 *
 * It follows the ARIA toolbar pattern: one tab stop (roving tabindex), the
 * arrow keys, Home and End move between buttons, Enter or Space runs one and
 * puts the caret back in the text. Buttons that do not apply stay focusable
 * (aria-disabled, not disabled), so arrowing through the toolbar does not
 * skip them and a keyboard user learns they exist.
 */
import type { Command, EditorState } from 'prosemirror-state'
import { Plugin } from 'prosemirror-state'
import { schema } from '../shared/schema.ts'
import { insertHorizontalRule, isBlockActive, isInside, isMarkActive } from './commands.ts'
import { openImageDialog } from './image-dialog.ts'
import { insertTable } from './tables.ts'
import { keyBindings, type KeyBinding } from './keymap.ts'
import { rovingTabindex } from './roving-tabindex.ts'
import { ariaKeyShortcut, shortcutLabel } from './shortcut-label.ts'

interface ToolbarItem {
  /** Also the button's `data-command`. */
  id: string
  /** What the button shows (a glyph). */
  label: string
  /** Its accessible name. */
  name: string
  /** What the button runs; also asked (without dispatch) whether it applies now. */
  command: Command
  /** The key that does the same, for the tooltip and `aria-keyshortcuts`. */
  key?: string
  /** For toggles (marks, blocks): whether it is on here; shown as aria-pressed. */
  active?: (state: EditorState) => boolean
  /** The button opens a popover (link, image) rather than acting at once. */
  popup?: boolean
}

const { marks, nodes } = schema

/**
 * A button's accessible name: its description, with the visible label added
 * when that is readable text the description lacks ("Heading 1, H1"), so
 * that a speech-input user who says what they see names the button (WCAG
 * 2.5.3, Label in Name). Symbols (B, ¶, •) are not read that way.
 */
function accessibleName(label: string, description: string): string {
  const readable = label.length > 1 && /[a-z0-9]/i.test(label)
  return readable && !description.toLowerCase().includes(label.toLowerCase()) ? `${description}, ${label}` : description
}

/** A button for a key binding: its name and shortcut come from the keymap's table. */
const bound = (id: string, label: string, binding: KeyBinding, active?: (state: EditorState) => boolean): ToolbarItem => ({
  id,
  label,
  name: accessibleName(label, binding.description),
  command: binding.command,
  key: binding.keys[0],
  active,
})

function items(): ToolbarItem[][] {
  const b = keyBindings
  return [
    [bound('undo', '↶', b.undo), bound('redo', '↷', b.redo)],
    [
      bound('paragraph', '¶', b.paragraph, (s) => isBlockActive(s, nodes.paragraph)),
      bound('heading1', 'H1', b.heading1, (s) => isBlockActive(s, nodes.heading, { level: 1 })),
      bound('heading2', 'H2', b.heading2, (s) => isBlockActive(s, nodes.heading, { level: 2 })),
      bound('heading3', 'H3', b.heading3, (s) => isBlockActive(s, nodes.heading, { level: 3 })),
    ],
    [
      bound('bold', 'B', b.bold, (s) => isMarkActive(s, marks.bold)),
      bound('italic', 'I', b.italic, (s) => isMarkActive(s, marks.italic)),
      bound('underline', 'U', b.underline, (s) => isMarkActive(s, marks.underline)),
      bound('strike', 'S', b.strike, (s) => isMarkActive(s, marks.strike)),
      bound('code', '</>', b.code, (s) => isMarkActive(s, marks.code)),
      { ...bound('link', 'Link', b.link), name: 'Link', popup: true },
    ],
    [
      bound('bulletList', '•', b.bulletList, (s) => isInside(s, nodes.bulletList)),
      bound('orderedList', '1.', b.orderedList, (s) => isInside(s, nodes.orderedList)),
      bound('taskList', '☑', b.taskList, (s) => isInside(s, nodes.taskList)),
      bound('blockquote', '❝', b.blockquote, (s) => isInside(s, nodes.blockquote)),
      bound('codeBlock', '{ }', b.codeBlock, (s) => isBlockActive(s, nodes.codeBlock)),
      { id: 'horizontalRule', label: '―', name: 'Horizontal rule', command: insertHorizontalRule },
    ],
    [
      // The table's own toolbar (table-toolbar.ts) appears once the caret is in it.
      { id: 'table', label: '⊞', name: 'Insert table', command: insertTable() },
      // A word, as for Link: no picture glyph is in every font (an emoji shows as a box without one).
      { id: 'image', label: 'Image', name: 'Image', command: openImageDialog, popup: true },
    ],
  ]
}

/** A plugin that renders the toolbar into `host` and keeps it current. */
export function toolbarPlugin(host: HTMLElement): Plugin {
  return new Plugin({
    view(view) {
      const buttons: { item: ToolbarItem; button: HTMLButtonElement }[] = []
      host.setAttribute('role', 'toolbar')
      host.setAttribute('aria-label', 'Formatting')
      host.setAttribute('aria-orientation', 'horizontal')
      for (const group of items()) {
        const groupEl = document.createElement('span')
        groupEl.className = 'collab-editor__toolbar-group'
        for (const item of group) {
          const button = document.createElement('button')
          button.type = 'button'
          button.className = 'collab-editor__button'
          button.dataset.command = item.id
          button.textContent = item.label
          button.title = item.key ? `${item.name} (${shortcutLabel(item.key)})` : item.name
          button.setAttribute('aria-label', item.name)
          if (item.key) button.setAttribute('aria-keyshortcuts', ariaKeyShortcut(item.key))
          if (item.popup) button.setAttribute('aria-haspopup', 'dialog')
          // A mouse click must not take focus: the editor keeps its selection.
          button.addEventListener('mousedown', (event) => event.preventDefault())
          // Click covers the mouse and Enter/Space on a focused button. Focus
          // goes to the text first, so that a popover the command opens keeps it.
          button.addEventListener('click', () => {
            // Asked now rather than read from aria-disabled, which may be a moment behind (see `update` below).
            if (!view.editable || !item.command(view.state)) return
            view.focus()
            item.command(view.state, view.dispatch, view)
          })
          groupEl.append(button)
          buttons.push({ item, button })
        }
        host.append(groupEl)
      }

      // Roving tabindex: the toolbar is one Tab stop, the last button used.
      const roving = rovingTabindex(
        host,
        buttons.map(({ button }) => button),
      )

      const refresh = (): void => {
        pending = null
        for (const { item, button } of buttons) {
          if (item.active) {
            const active = item.active(view.state)
            button.classList.toggle('is-active', active)
            button.setAttribute('aria-pressed', String(active))
          }
          button.setAttribute('aria-disabled', String(!view.editable || !item.command(view.state)))
        }
      }
      // After a keystroke the buttons' states are worked out once the browser
      // is idle, not before the character is painted: several of them ask
      // ProseMirror whether a block fits where the caret is, which walks every
      // block before it (2.5 ms a keystroke at 8,000 paragraphs). A burst of
      // transactions is refreshed once.
      let pending: (() => void) | null = null
      refresh()
      return {
        update: () => {
          pending ??= whenIdle(refresh)
        },
        destroy: () => {
          pending?.()
          roving.destroy()
          host.replaceChildren()
        },
      }
    },
  })
}

/** Run `task` when the browser is next idle (within 100 ms); returns a cancel function. */
function whenIdle(task: () => void): () => void {
  if (typeof requestIdleCallback === 'function') {
    const id = requestIdleCallback(task, { timeout: 100 })
    return () => cancelIdleCallback(id)
  }
  // Safari has no requestIdleCallback: after the next frame's work.
  const id = setTimeout(task, 16)
  return () => clearTimeout(id)
}
