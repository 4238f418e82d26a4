/**
 * The image dialog: an image's address and its description (alt text), as
 * a small form under the caret, in the link popover's manner (Enter
 * applies, Escape cancels, an unsafe address is refused with a message,
 * focus goes back to the text). The toolbar's image button opens it to
 * insert an image, or to change the selected one; so does a double click on
 * an image. A description is required unless "Decorative" is ticked (see
 * `checkImage`).
 */
import type { Command, Plugin } from 'prosemirror-state'
import type { EditorView } from 'prosemirror-view'
import { checkImage, selectedImage, setImage } from './images.ts'
import { element, onEscape, placeInside, uniqueId } from './dom-element.ts'
import { createOpenRequests, type RequestedView } from './open-requests.ts'

/** Requests to open the dialog (each opens it once). */
const imageDialogRequests = createOpenRequests('collabImageDialog')

/** Open the image dialog: for the selected image, or to insert one where an image can go. Not in a read-only editor. */
export const openImageDialog: Command = (state, dispatch, view) => {
  if (view && !view.editable) return false
  // Asked without dispatching: could an image go here at all?
  if (!selectedImage(state) && !setImage('/', '')(state)) return false
  if (dispatch) dispatch(imageDialogRequests.ask(state.tr))
  return true
}

/** A plugin that shows the image dialog inside `host` (the editor's root, positioned). */
export function imageDialogPlugin(host: HTMLElement): Plugin {
  return imageDialogRequests.plugin((view) => new ImageDialogView(view, host))
}

class ImageDialogView implements RequestedView {
  private readonly dialog: HTMLElement
  private open = false
  /** Set while the dialog's content is replaced: Chromium reports the removal of a focused field as focus leaving. */
  private replacing = false

  constructor(
    private readonly view: EditorView,
    private readonly host: HTMLElement,
  ) {
    // tabindex -1: a click on the dialog's padding keeps focus inside it, so it is not taken for leaving.
    this.dialog = element('div', 'collab-editor__image-dialog', { role: 'dialog', 'aria-label': 'Insert image', tabindex: '-1' })
    this.dialog.hidden = true
    this.dialog.addEventListener('keydown', this.onKeydown)
    this.dialog.addEventListener('focusout', this.onFocusOut)
    host.addEventListener('scroll', this.place, true)
    host.append(this.dialog)
  }

  update(_view: EditorView, requested: boolean): void {
    if (requested) {
      this.show()
    } else if (this.open) {
      // Other people's edits keep arriving while the form is open: only follow the text.
      this.place()
    }
  }

  destroy(): void {
    this.host.removeEventListener('scroll', this.place, true)
    this.dialog.remove()
  }

  private show(): void {
    if (!this.view.editable) return
    const image = selectedImage(this.view.state)
    this.dialog.setAttribute('aria-label', image ? 'Edit image' : 'Insert image')
    const form = element('form', 'collab-editor__image-form')
    const errorId = uniqueId('collab-image-error')
    const srcId = uniqueId('collab-image-src')
    const altId = uniqueId('collab-image-alt')
    const decorativeId = uniqueId('collab-image-decorative')

    const srcLabel = element('label', 'collab-editor__image-label', { for: srcId })
    srcLabel.textContent = 'Image address'
    const src = element('input', 'collab-editor__image-input', {
      id: srcId,
      type: 'text',
      inputmode: 'url',
      autocomplete: 'off',
      spellcheck: 'false',
      placeholder: 'https://…',
      'aria-describedby': errorId,
    })
    src.value = image ? String(image.attrs.src ?? '') : ''
    const altLabel = element('label', 'collab-editor__image-label', { for: altId })
    altLabel.textContent = 'Description (alt text)'
    const alt = element('input', 'collab-editor__image-input', { id: altId, type: 'text', autocomplete: 'off', 'aria-describedby': errorId })
    alt.value = image ? String(image.attrs.alt ?? '') : ''
    const decorativeLabel = element('label', 'collab-editor__image-decorative', { for: decorativeId })
    const decorative = element('input', '', { id: decorativeId, type: 'checkbox' })
    // An image stored with an empty description was marked decorative.
    decorative.checked = image !== null && image.attrs.alt === ''
    alt.disabled = decorative.checked
    decorativeLabel.append(decorative, ' Decorative (no description needed)')
    const error = element('p', 'collab-editor__image-error', { id: errorId, 'aria-live': 'assertive' })
    const actions = element('div', 'collab-editor__image-actions')
    const apply = element('button', 'collab-editor__link-action', { type: 'submit' })
    apply.textContent = image ? 'Save' : 'Insert'
    const cancel = element('button', 'collab-editor__link-action', { type: 'button' })
    cancel.textContent = 'Cancel'
    cancel.addEventListener('click', () => this.close(true))
    actions.append(apply, cancel)
    form.append(srcLabel, src, altLabel, alt, decorativeLabel, error, actions)

    const clearError = (): void => {
      error.textContent = ''
      src.removeAttribute('aria-invalid')
      alt.removeAttribute('aria-invalid')
    }
    src.addEventListener('input', clearError)
    alt.addEventListener('input', clearError)
    decorative.addEventListener('change', () => {
      alt.disabled = decorative.checked
      clearError()
    })
    form.addEventListener('submit', (event) => {
      event.preventDefault()
      const checked = checkImage({ src: src.value, alt: alt.value, decorative: decorative.checked })
      if (!checked.ok) {
        const field = checked.field === 'src' ? src : alt
        error.textContent = checked.message
        field.setAttribute('aria-invalid', 'true')
        field.focus()
        return
      }
      setImage(checked.src, checked.alt)(this.view.state, this.view.dispatch)
      this.close(true)
    })

    this.render(form)
    this.dialog.hidden = false
    this.open = true
    this.place()
    src.focus()
    src.select()
  }

  private close(refocus: boolean): void {
    if (!this.open) return
    this.open = false
    this.dialog.hidden = true
    this.render()
    if (refocus) this.view.focus()
  }

  private render(...children: HTMLElement[]): void {
    this.replacing = true
    try {
      this.dialog.replaceChildren(...children)
    } finally {
      this.replacing = false
    }
  }

  /** Under the selection (under the image, when changing one), kept inside the editor's width. */
  private place = (): void => {
    if (!this.open || this.view.isDestroyed) return
    const { from } = this.view.state.selection
    const image = selectedImage(this.view.state) ? this.view.nodeDOM(from) : null
    const at = image instanceof HTMLElement ? image.getBoundingClientRect() : this.view.coordsAtPos(Math.min(from, this.view.state.doc.content.size))
    placeInside(this.dialog, this.host, at.left, at.bottom + 6)
  }

  private onKeydown = onEscape(() => this.close(true))

  // The form closes when focus leaves it (a click in the text, Tab past Cancel).
  private onFocusOut = (event: FocusEvent): void => {
    if (this.replacing) return
    const to = event.relatedTarget instanceof Node ? event.relatedTarget : null
    if (to !== null && this.dialog.contains(to)) return
    // A field being disabled (Decorative ticked) loses focus to nowhere; that is not leaving.
    if (to === null && this.dialog.contains(document.activeElement)) return
    this.close(false)
  }
}
