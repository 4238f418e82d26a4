/**
 * The table toolbar: rows and columns added and deleted, the header row
 * turned on and off, the table deleted. It floats just above the table
 * while the caret is in one, in room kept free for it, so it covers no
 * text (below the table when its top is scrolled away), like the link
 * popover; it is an ARIA toolbar (one Tab stop, arrow keys between
 * labelled buttons). From the text, Alt-F10 goes to it (the key CKEditor and
 * TinyMCE use for their contextual toolbars) and Escape comes back; a click
 * on it leaves the caret where it was.
 */
import type { Command, EditorState, Plugin } from 'prosemirror-state'
import { addColumnAfter, addColumnBefore, addRowAfter, addRowBefore, deleteTable, findTable, isInTable } from 'prosemirror-tables'
import type { EditorView } from 'prosemirror-view'
import { placeInside } from './dom-element.ts'
import { createOpenRequests, type RequestedView } from './open-requests.ts'
import { rovingTabindex, type RovingTabindex } from './roving-tabindex.ts'
import { deleteColumn, deleteRow, hasHeaderRow, toggleHeaderRow } from './tables.ts'

interface TableAction {
  /** Also the button's `data-command`. */
  id: string
  /** What the button shows; its accessible name contains it (WCAG 2.5.3). */
  label: string
  /** Its accessible name. */
  name: string
  command: Command
  /** For the header row toggle: whether it is on, shown as aria-pressed. */
  pressed?: (state: EditorState) => boolean
}

/** The toolbar's buttons, in groups. */
export const TABLE_ACTIONS: readonly (readonly TableAction[])[] = [
  [
    { id: 'addRowBefore', label: 'Row above', name: 'Insert row above', command: addRowBefore },
    { id: 'addRowAfter', label: 'Row below', name: 'Insert row below', command: addRowAfter },
    { id: 'deleteRow', label: 'Delete row', name: 'Delete row', command: deleteRow },
  ],
  [
    { id: 'addColumnBefore', label: 'Column left', name: 'Insert column left', command: addColumnBefore },
    { id: 'addColumnAfter', label: 'Column right', name: 'Insert column right', command: addColumnAfter },
    { id: 'deleteColumn', label: 'Delete column', name: 'Delete column', command: deleteColumn },
  ],
  [{ id: 'toggleHeaderRow', label: 'Header row', name: 'Header row', command: toggleHeaderRow, pressed: hasHeaderRow }],
  [{ id: 'deleteTable', label: 'Delete table', name: 'Delete table', command: deleteTable }],
]

/** Requests to move focus to the toolbar (each Alt-F10 once). */
const toolbarRequests = createOpenRequests('collabTableToolbar')

/** Alt-F10: move focus to the table toolbar, when the caret is in a table of an editable document. */
export const focusTableToolbar: Command = (state, dispatch, view) => {
  if ((view && !view.editable) || !isInTable(state)) return false
  if (dispatch) dispatch(toolbarRequests.ask(state.tr))
  return true
}

/** A plugin that shows the table toolbar inside `host` (the editor's root, positioned). */
export function tableToolbarPlugin(host: HTMLElement): Plugin {
  return toolbarRequests.plugin((view) => new TableToolbarView(view, host))
}

class TableToolbarView implements RequestedView {
  private readonly bar: HTMLElement
  private readonly buttons: { action: TableAction; button: HTMLButtonElement }[] = []
  private readonly roving: RovingTabindex

  constructor(
    private readonly view: EditorView,
    private readonly host: HTMLElement,
  ) {
    this.bar = document.createElement('div')
    this.bar.className = 'collab-editor__table-toolbar'
    this.bar.setAttribute('role', 'toolbar')
    this.bar.setAttribute('aria-label', 'Table')
    this.bar.hidden = true
    for (const group of TABLE_ACTIONS) {
      const groupEl = document.createElement('span')
      groupEl.className = 'collab-editor__toolbar-group'
      for (const action of group) {
        const button = document.createElement('button')
        button.type = 'button'
        button.className = 'collab-editor__button collab-editor__table-button'
        button.dataset.command = action.id
        button.textContent = action.label
        button.setAttribute('aria-label', action.name)
        // A mouse click must not take focus: the caret stays in its cell.
        button.addEventListener('mousedown', (event) => event.preventDefault())
        button.addEventListener('click', () => this.run(action, button))
        groupEl.append(button)
        this.buttons.push({ action, button })
      }
      this.bar.append(groupEl)
    }
    this.roving = rovingTabindex(
      this.bar,
      this.buttons.map(({ button }) => button),
    )
    this.bar.addEventListener('keydown', this.onKeydown)
    host.addEventListener('focusin', this.refresh)
    host.addEventListener('focusout', this.onFocusOut)
    host.addEventListener('scroll', this.place, true)
    host.append(this.bar)
    this.refresh()
  }

  update(_view: EditorView, requested: boolean): void {
    this.refresh()
    if (requested && !this.bar.hidden) this.roving.focus()
  }

  destroy(): void {
    this.roving.destroy()
    this.host.removeEventListener('focusin', this.refresh)
    this.host.removeEventListener('focusout', this.onFocusOut)
    this.host.removeEventListener('scroll', this.place, true)
    this.bar.remove()
  }

  /** Runs the action on the caret's table, then back to the text (which a keyboard user left for the toolbar). */
  private run(action: TableAction, button: HTMLButtonElement): void {
    if (button.getAttribute('aria-disabled') === 'true') return
    this.view.focus()
    action.command(this.view.state, this.view.dispatch, this.view)
  }

  /** Shown while the caret is in a table and focus is in the text or on the toolbar; buttons that do not apply are marked so. */
  private refresh = (): void => {
    if (this.view.isDestroyed) return
    const { state } = this.view
    const focused = this.view.hasFocus() || this.bar.contains(document.activeElement)
    const show = this.view.editable && isInTable(state) && focused
    this.bar.hidden = !show
    if (!show) return
    for (const { action, button } of this.buttons) {
      button.setAttribute('aria-disabled', String(!action.command(state)))
      if (action.pressed) {
        const pressed = action.pressed(state)
        button.setAttribute('aria-pressed', String(pressed))
        button.classList.toggle('is-active', pressed)
      }
    }
    this.place()
  }

  /** Focus leaving both the text and the toolbar hides it; moving between the two does not. */
  private onFocusOut = (event: FocusEvent): void => {
    const to = event.relatedTarget instanceof Node ? event.relatedTarget : null
    if (to && (this.bar.contains(to) || this.view.dom.contains(to))) return
    this.bar.hidden = true
  }

  private onKeydown = (event: KeyboardEvent): void => {
    if (event.key !== 'Escape') return
    event.preventDefault()
    event.stopPropagation()
    this.view.focus()
  }

  /**
   * Above the table, in the room the styles keep there (blocks.css), or
   * below it when that is not in view (the table's top scrolled away), or
   * at the bottom of the view for a table taller than it; within the
   * editor's width.
   */
  private place = (): void => {
    if (this.bar.hidden || this.view.isDestroyed) return
    const table = findTable(this.view.state.selection.$head)
    const dom = table ? this.view.nodeDOM(table.pos) : null
    if (!(dom instanceof HTMLElement)) return
    const rect = dom.getBoundingClientRect()
    const area = (this.view.dom.parentElement ?? this.view.dom).getBoundingClientRect()
    const height = this.bar.offsetHeight
    const gap = 4
    let top = rect.top - height - gap
    if (top < area.top) top = Math.min(rect.bottom + gap, area.bottom - height - gap)
    placeInside(this.bar, this.host, rect.left, top)
  }
}
