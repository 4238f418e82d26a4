/**
 * The keyboard shortcut help (Mod-/): a modal dialog listing the bindings it
 * is given, which are the ones the editor binds (client/keymap.ts), with Mod
 * shown as this platform's key. A native <dialog> opened with showModal(), so
 * the page behind it is inert and Escape closes it; focus then goes back to
 * the text.
 */
import type { Command, Plugin } from 'prosemirror-state'
import type { EditorView } from 'prosemirror-view'
import type { KeyBinding } from './keymap.ts'
import { createOpenRequests } from './open-requests.ts'
import { isMacPlatform, shortcutLabel } from './shortcut-label.ts'

/** Requests to open the help (each Mod-/ opens it once). */
const helpRequests = createOpenRequests('collabShortcutHelp')

/** Open the shortcut help. */
export const showShortcutHelp: Command = (state, dispatch) => {
  if (dispatch) dispatch(helpRequests.ask(state.tr))
  return true
}

/**
 * The help's rows: each binding's description and its keys as this platform
 * writes them. Kept apart from the DOM so that what is listed can be checked
 * against the table without a browser.
 */
export function shortcutRows(bindings: readonly KeyBinding[], mac: boolean): { description: string; keys: string[] }[] {
  return bindings.map((binding) => ({ description: binding.description, keys: binding.keys.map((key) => shortcutLabel(key, mac)) }))
}

/** A plugin that renders the help into `host` (the editor's root) and opens it on `showShortcutHelp`. */
export function shortcutHelpPlugin(host: HTMLElement, bindings: readonly KeyBinding[]): Plugin {
  return helpRequests.plugin((view) => {
    const dialog = renderDialog(view, bindings)
    host.append(dialog)
    return {
      update(_view, requested) {
        if (requested && !dialog.open && dialog.isConnected) dialog.showModal()
      },
      destroy: () => dialog.remove(),
    }
  })
}

function renderDialog(view: EditorView, bindings: readonly KeyBinding[]): HTMLDialogElement {
  const dialog = document.createElement('dialog')
  dialog.className = 'collab-editor__help'
  // Ids only need to be unique within the page, which may hold several editors.
  const titleId = `collab-help-${Math.random().toString(36).slice(2, 10)}`
  // <dialog> has these implicitly once modal; spelled out for tools that read attributes.
  dialog.setAttribute('role', 'dialog')
  dialog.setAttribute('aria-modal', 'true')
  dialog.setAttribute('aria-labelledby', titleId)

  const title = document.createElement('h2')
  title.id = titleId
  title.className = 'collab-editor__help-title'
  title.textContent = 'Keyboard shortcuts'

  const table = document.createElement('table')
  table.className = 'collab-editor__help-table'
  const head = table.createTHead().insertRow()
  for (const text of ['Action', 'Keys']) {
    const th = document.createElement('th')
    th.scope = 'col'
    th.textContent = text
    head.append(th)
  }
  const body = table.createTBody()
  for (const row of shortcutRows(bindings, isMacPlatform())) {
    const tr = body.insertRow()
    tr.insertCell().textContent = row.description
    const keys = tr.insertCell()
    row.keys.forEach((key, index) => {
      if (index > 0) keys.append(' or ')
      const kbd = document.createElement('kbd')
      kbd.textContent = key
      keys.append(kbd)
    })
  }

  const close = document.createElement('button')
  close.type = 'button'
  close.className = 'collab-editor__link-action collab-editor__help-close'
  close.textContent = 'Close'
  close.autofocus = true
  close.addEventListener('click', () => dialog.close())
  // Escape (the dialog's cancel) and Close both end here.
  dialog.addEventListener('close', () => {
    if (!view.isDestroyed) view.focus()
  })

  dialog.append(title, table, close)
  return dialog
}
