/**
 * The formatting toolbar: buttons that run commands and show, after every
 * change, which marks and blocks are active and which commands apply.
 */
import type { Command, EditorState } from 'prosemirror-state'
import { Plugin } from 'prosemirror-state'
import { redoCommand, undoCommand } from 'y-prosemirror'
import { schema } from '../shared/schema.ts'
import {
  activeLink,
  insertHorizontalRule,
  isBlockActive,
  isInside,
  isMarkActive,
  setCodeBlock,
  setHeading,
  setLink,
  setParagraph,
  toggleBlockquote,
  toggleBold,
  toggleBulletList,
  toggleCode,
  toggleItalic,
  toggleOrderedList,
  toggleStrike,
} from './commands.ts'

interface ToolbarItem {
  id: string
  label: string
  title: string
  /** What the button runs; also asked (without dispatch) whether it applies now. */
  command: Command
  active?: (state: EditorState) => boolean
}

const { marks, nodes } = schema

/** Asks for a link's URL; replaceable for tests and embedding apps. */
export type LinkPrompt = (current: string | null) => string | null

const defaultLinkPrompt: LinkPrompt = (current) => window.prompt('Link address (empty to remove)', current ?? 'https://')

function items(promptForLink: LinkPrompt): ToolbarItem[][] {
  return [
    [
      { id: 'undo', label: '↶', title: 'Undo your last change (Mod-Z)', command: undoCommand },
      { id: 'redo', label: '↷', title: 'Redo (Mod-Shift-Z)', command: redoCommand },
    ],
    [
      { id: 'paragraph', label: '¶', title: 'Paragraph (Mod-Alt-0)', command: setParagraph, active: (s) => isBlockActive(s, nodes.paragraph) },
      ...([1, 2, 3] as const).map((level) => ({
        id: `heading${level}`,
        label: `H${level}`,
        title: `Heading ${level} (Mod-Alt-${level})`,
        command: setHeading(level),
        active: (s: EditorState) => isBlockActive(s, nodes.heading, { level }),
      })),
    ],
    [
      { id: 'bold', label: 'B', title: 'Bold (Mod-B)', command: toggleBold, active: (s) => isMarkActive(s, marks.bold) },
      { id: 'italic', label: 'I', title: 'Italic (Mod-I)', command: toggleItalic, active: (s) => isMarkActive(s, marks.italic) },
      { id: 'strike', label: 'S', title: 'Strikethrough (Mod-Shift-X)', command: toggleStrike, active: (s) => isMarkActive(s, marks.strike) },
      { id: 'code', label: '</>', title: 'Inline code (Mod-E)', command: toggleCode, active: (s) => isMarkActive(s, marks.code) },
      {
        id: 'link',
        label: 'Link',
        title: 'Link',
        // Asking applicability must not prompt; only a real click does.
        command: (state, dispatch, view) => {
          if (!dispatch) return true
          const href = promptForLink(activeLink(state))
          return href === null ? false : setLink(href)(view?.state ?? state, dispatch)
        },
        active: (s) => isMarkActive(s, marks.link),
      },
    ],
    [
      { id: 'bullet_list', label: '•', title: 'Bulleted list (Mod-Shift-8)', command: toggleBulletList, active: (s) => isInside(s, nodes.bullet_list) },
      { id: 'ordered_list', label: '1.', title: 'Numbered list (Mod-Shift-7)', command: toggleOrderedList, active: (s) => isInside(s, nodes.ordered_list) },
      { id: 'blockquote', label: '❝', title: 'Quote (Mod-Shift-9)', command: toggleBlockquote, active: (s) => isInside(s, nodes.blockquote) },
      { id: 'code_block', label: '{ }', title: 'Code block (Mod-Alt-C)', command: setCodeBlock, active: (s) => isBlockActive(s, nodes.code_block) },
      { id: 'horizontal_rule', label: '―', title: 'Horizontal rule', command: insertHorizontalRule },
    ],
  ]
}

/** A plugin that renders the toolbar into `host` and keeps it current. */
export function toolbarPlugin(host: HTMLElement, promptForLink: LinkPrompt = defaultLinkPrompt): Plugin {
  return new Plugin({
    view(view) {
      const buttons: { item: ToolbarItem; button: HTMLButtonElement }[] = []
      host.setAttribute('role', 'toolbar')
      host.setAttribute('aria-label', 'Formatting')
      for (const group of items(promptForLink)) {
        const groupEl = document.createElement('span')
        groupEl.className = 'collab-editor__toolbar-group'
        for (const item of group) {
          const button = document.createElement('button')
          button.type = 'button'
          button.className = 'collab-editor__button'
          button.dataset.command = item.id
          button.textContent = item.label
          button.title = item.title
          button.setAttribute('aria-label', item.title)
          // Keep the editor's selection: act on mousedown, never take focus.
          button.addEventListener('mousedown', (event) => {
            event.preventDefault()
            item.command(view.state, view.dispatch, view)
            view.focus()
          })
          groupEl.append(button)
          buttons.push({ item, button })
        }
        host.append(groupEl)
      }
      const refresh = (): void => {
        for (const { item, button } of buttons) {
          const active = item.active?.(view.state) ?? false
          button.classList.toggle('is-active', active)
          button.setAttribute('aria-pressed', String(active))
          button.disabled = !view.editable || !item.command(view.state)
        }
      }
      refresh()
      return { update: refresh, destroy: () => host.replaceChildren() }
    },
  })
}
