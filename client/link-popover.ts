/**
 * The link popover, in place of `window.prompt` (which blocks the page, shows
 * no errors and cannot be styled or tested). Two faces:
 * - with the caret in a link, it shows the address with Open, Edit and Remove;
 * - Mod-K or the toolbar's link button (`openLinkPopover`) opens a form for
 *   the address: Enter applies, Escape cancels, an unsafe address is refused
 *   with a message.
 * Plain DOM inside the editor's root, positioned under the selection.
 */
import type { Command, Plugin } from 'prosemirror-state'
import type { EditorView } from 'prosemirror-view'
import { safeHref } from '../shared/schema.ts'
import { activeLink, linkExtent, setLink } from './commands.ts'
import { element, onEscape, placeInside, uniqueId } from './dom-element.ts'
import { createOpenRequests, type RequestedView } from './open-requests.ts'

/** What `checkLinkUrl` makes of an address: the href to store, or why not. */
export type LinkCheck = { ok: true; href: string } | { ok: false; message: string }

export const UNSAFE_LINK_MESSAGE = 'Only web (http, https), mailto: and relative addresses can be links.'

const EMAIL = /^[^\s@/:?#]+@[^\s@/:?#]+\.[^\s@/:?#]+$/

/**
 * Check an address typed into the popover. The schema's `safeHref` decides
 * what may be a link (it is what renders every link, whoever wrote it); here
 * an address it would disarm is refused out loud rather than stored as `#`.
 * A bare e-mail address becomes a mailto: link, a bare host an https: one.
 */
export function checkLinkUrl(input: string): LinkCheck {
  const value = input.trim()
  if (value === '') return { ok: false, message: 'Enter an address.' }
  if (EMAIL.test(value)) return { ok: true, href: `mailto:${value}` }
  const href = safeHref(value)
  // safeHref answers '#' for every scheme it does not allow (javascript:, data:, vbscript:…).
  if (href === '#' && value !== '#') return { ok: false, message: UNSAFE_LINK_MESSAGE }
  return { ok: true, href }
}

/** Requests to open the form (each Mod-K opens it once). */
const linkPopoverRequests = createOpenRequests('collabLinkPopover')

/** Open the link form for the selection (Mod-K, the toolbar's link button). Not in a read-only editor. */
export const openLinkPopover: Command = (state, dispatch, view) => {
  if (view && !view.editable) return false
  if (dispatch) dispatch(linkPopoverRequests.ask(state.tr))
  return true
}

/** A plugin that shows the link popover inside `host` (the editor's root, positioned). */
export function linkPopoverPlugin(host: HTMLElement): Plugin {
  return linkPopoverRequests.plugin((view) => new LinkPopoverView(view, host))
}

class LinkPopoverView implements RequestedView {
  private readonly popover: HTMLElement
  private mode: 'hidden' | 'view' | 'edit' = 'hidden'
  /** Set while the popover's content is replaced: Chromium reports the removal of a focused button as focus leaving. */
  private replacing = false

  constructor(
    private readonly view: EditorView,
    private readonly host: HTMLElement,
  ) {
    // tabindex -1: a click on the popover's padding keeps focus inside it, so it is not taken for leaving.
    this.popover = element('div', 'collab-editor__link-popover', { role: 'dialog', 'aria-label': 'Link', tabindex: '-1' })
    this.popover.hidden = true
    this.popover.addEventListener('keydown', this.onKeydown)
    host.addEventListener('focusout', this.onFocusOut)
    host.addEventListener('focusin', this.onFocusIn)
    // The content area scrolls on its own; the popover is placed relative to the root.
    host.addEventListener('scroll', this.place, true)
    host.append(this.popover)
  }

  update(_view: EditorView, requested: boolean): void {
    if (requested) {
      this.showForm()
    } else if (this.mode === 'edit') {
      // Other people's edits keep arriving while the form is open: only follow the text.
      this.place()
    } else {
      this.showLinkIfAny()
    }
  }

  destroy(): void {
    this.host.removeEventListener('focusout', this.onFocusOut)
    this.host.removeEventListener('focusin', this.onFocusIn)
    this.host.removeEventListener('scroll', this.place, true)
    this.popover.remove()
  }

  /** The caret in a link, with focus in the editor or the popover: show the address and what can be done. */
  private showLinkIfAny(): void {
    const { state } = this.view
    const link = state.selection.empty ? linkExtent(state) : null
    const focused = this.view.hasFocus() || this.popover.contains(document.activeElement)
    if (!link || !focused) return this.hide()
    if (this.mode === 'view' && this.popover.dataset.href === link.href) return this.place()
    this.mode = 'view'
    this.popover.dataset.href = link.href
    this.popover.dataset.mode = 'view'
    this.popover.setAttribute('aria-label', 'Link')
    const address = element('span', 'collab-editor__link-address', { title: link.href })
    address.textContent = link.href
    const open = element('a', 'collab-editor__link-action', {
      href: safeHref(link.href),
      target: '_blank',
      // The opened page gets no handle on this one (window.opener) and no Referer with the document's name.
      rel: 'noopener noreferrer',
      'aria-label': 'Open link in a new tab',
    })
    open.textContent = 'Open'
    const actions: HTMLElement[] = [open]
    if (this.view.editable) {
      actions.push(this.button('Edit', 'Edit link', () => this.showForm()))
      actions.push(this.button('Remove', 'Remove link', () => this.apply('')))
    }
    this.render(address, ...actions)
    this.show()
  }

  /** The form for the address, filled with the link's current one. */
  private showForm(): void {
    if (!this.view.editable) return
    const current = activeLink(this.view.state)
    this.mode = 'edit'
    this.popover.dataset.mode = 'edit'
    delete this.popover.dataset.href
    this.popover.setAttribute('aria-label', current ? 'Edit link' : 'Add link')
    const form = element('form', 'collab-editor__link-form')
    const errorId = uniqueId('collab-link-error')
    const input = element('input', 'collab-editor__link-input', {
      type: 'text',
      inputmode: 'url',
      autocomplete: 'off',
      spellcheck: 'false',
      placeholder: 'https://…',
      'aria-label': 'Link address',
      'aria-describedby': errorId,
    })
    input.value = current ?? ''
    const error = element('p', 'collab-editor__link-error', { id: errorId, 'aria-live': 'assertive' })
    const apply = element('button', 'collab-editor__link-action', { type: 'submit' })
    apply.textContent = 'Apply'
    const cancel = this.button('Cancel', 'Cancel', () => this.close(true))
    form.append(input, apply, cancel, error)
    form.addEventListener('submit', (event) => {
      event.preventDefault()
      if (input.value.trim() === '') return this.apply('') // an emptied address removes the link
      const checked = checkLinkUrl(input.value)
      if (!checked.ok) {
        error.textContent = checked.message
        input.setAttribute('aria-invalid', 'true')
        input.focus()
        return
      }
      this.apply(checked.href)
    })
    input.addEventListener('input', () => {
      error.textContent = ''
      input.removeAttribute('aria-invalid')
    })
    this.render(form)
    this.show()
    input.focus()
    input.select()
  }

  private button(text: string, label: string, onClick: () => void): HTMLButtonElement {
    const button = element('button', 'collab-editor__link-action', { type: 'button', 'aria-label': label })
    button.textContent = text
    button.addEventListener('click', onClick)
    return button
  }

  /** Set (or, with '', remove) the link on the selection or around the caret, and go back to the text. */
  private apply(href: string): void {
    setLink(href)(this.view.state, this.view.dispatch)
    this.close(true)
  }

  private close(refocus: boolean): void {
    this.hide()
    if (refocus) this.view.focus()
  }

  private render(...children: HTMLElement[]): void {
    this.replacing = true
    try {
      this.popover.replaceChildren(...children)
    } finally {
      this.replacing = false
    }
  }

  private show(): void {
    this.popover.hidden = false
    this.place()
  }

  private hide(): void {
    if (this.mode === 'hidden') return
    this.mode = 'hidden'
    this.popover.hidden = true
    this.render()
    delete this.popover.dataset.href
    delete this.popover.dataset.mode
  }

  /** Under the selection's start, kept inside the editor's width (a phone's screen, say). */
  private place = (): void => {
    if (this.mode === 'hidden' || this.view.isDestroyed) return
    const { from } = this.view.state.selection
    const at = this.view.coordsAtPos(Math.min(from, this.view.state.doc.content.size))
    placeInside(this.popover, this.host, at.left, at.bottom + 6)
  }

  private onKeydown = onEscape(() => this.close(true))

  // The form closes when focus leaves it (a click in the text, Tab past Cancel);
  // the address view when focus leaves both it and the text.
  private onFocusOut = (event: FocusEvent): void => {
    if (this.replacing) return
    const to = event.relatedTarget instanceof Node ? event.relatedTarget : null
    const inPopover = to !== null && this.popover.contains(to)
    if (this.mode === 'edit' && !inPopover) this.hide()
    else if (this.mode === 'view' && !inPopover && !(to && this.view.dom.contains(to))) this.hide()
  }

  private onFocusIn = (event: FocusEvent): void => {
    if (this.mode !== 'edit' && event.target instanceof Node && this.view.dom.contains(event.target)) this.showLinkIfAny()
  }
}

