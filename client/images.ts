/**
 * Images by address (no upload): what the image dialog accepts, the command
 * that inserts or changes an image, and how an image shows in the editor,
 * with its description in its place when it does not load.
 */
import type { Node } from 'prosemirror-model'
import { type Command, type EditorState, NodeSelection, Plugin } from 'prosemirror-state'
import type { EditorView, NodeView } from 'prosemirror-view'
import { safeImageSrc, schema } from '../shared/schema.ts'
import { insertBlock } from './insert-block.ts'

/** What the dialog asks for. */
export interface ImageInput {
  src: string
  alt: string
  /** The person said the image adds nothing to the text (a flourish, a divider): it gets an empty alt. */
  decorative: boolean
}

/** What `checkImage` makes of the dialog's fields: the attributes to store, or which field is wrong and why. */
export type ImageCheck = { ok: true; src: string; alt: string } | { ok: false; field: 'src' | 'alt'; message: string }

export const UNSAFE_IMAGE_MESSAGE = 'Only web (http, https) and relative addresses can be images.'
export const MISSING_ALT_MESSAGE = 'Describe the image for people who cannot see it, or mark it as decorative.'

/**
 * Check the dialog's fields. The schema's `safeImageSrc` decides which
 * addresses load (it renders every image, whoever inserted it); one it would
 * blank is refused out loud here (`javascript:`, `data:`, `file:`…). A bare
 * host gets https:, as links do. A description is required unless the image
 * is marked decorative: an empty alt must be a choice, not an omission
 * (WCAG 1.1.1), since screen readers skip an image with an empty alt.
 */
export function checkImage(input: ImageInput): ImageCheck {
  let src = input.src.trim()
  if (src === '') return { ok: false, field: 'src', message: 'Enter the image’s address.' }
  if (!/^[a-z][a-z0-9+.-]*:/i.test(src) && !/^[/.]/.test(src)) src = `https://${src}`
  if (safeImageSrc(src) === '') return { ok: false, field: 'src', message: UNSAFE_IMAGE_MESSAGE }
  const alt = input.decorative ? '' : input.alt.trim().replace(/\s+/g, ' ')
  if (!input.decorative && alt === '') return { ok: false, field: 'alt', message: MISSING_ALT_MESSAGE }
  return { ok: true, src, alt }
}

/** The image the selection is on, if it is one (clicked, or reached with the arrow keys). */
export function selectedImage(state: EditorState): Node | null {
  const { selection } = state
  return selection instanceof NodeSelection && selection.node.type === schema.nodes.image ? selection.node : null
}

/**
 * Insert an image (where `insertBlock` puts blocks, the caret after it), or
 * with an image selected change its address and description, keeping its
 * size and title.
 */
export const setImage =
  (src: string, alt: string): Command =>
  (state, dispatch) => {
    const current = selectedImage(state)
    if (current) {
      if (dispatch) dispatch(state.tr.setNodeMarkup(state.selection.from, undefined, { ...current.attrs, src, alt }).scrollIntoView())
      return true
    }
    const tr = insertBlock(state, schema.nodes.image.create({ src, alt }), 'after')
    if (!tr) return false
    dispatch?.(tr)
    return true
  }

const BROKEN_CLASS = 'is-broken'

/**
 * An image in the editor: the <img> at most as wide as the text, and when it
 * fails to load (a typo, a page that moved), a box with its description in
 * its place, since a browser shows a broken image's alt text only when it
 * fits, and often as a bare icon.
 */
class ImageView implements NodeView {
  readonly dom: HTMLElement
  private readonly img: HTMLImageElement
  private readonly fallback: HTMLElement

  constructor(private node: Node) {
    this.dom = document.createElement('div')
    this.dom.className = 'collab-editor__image'
    this.img = document.createElement('img')
    this.img.draggable = false
    this.fallback = document.createElement('span')
    this.fallback.className = 'collab-editor__image-fallback'
    // The <img> keeps its alt for screen readers; the box repeats it for the eyes only.
    this.fallback.setAttribute('aria-hidden', 'true')
    this.img.addEventListener('error', this.onError)
    this.img.addEventListener('load', this.onLoad)
    this.dom.append(this.img, this.fallback)
    this.render()
  }

  private render(): void {
    const { src, alt, title, width, height } = this.node.attrs
    const safe = safeImageSrc(src)
    this.dom.classList.remove(BROKEN_CLASS)
    this.img.alt = String(alt ?? '')
    setOrRemove(this.img, 'title', title ? String(title) : null)
    setOrRemove(this.img, 'width', positive(width))
    setOrRemove(this.img, 'height', positive(height))
    this.fallback.textContent = alt ? `Image not loaded: ${alt}` : 'Image not loaded'
    this.fallback.title = safe
    if (this.img.getAttribute('src') !== safe) {
      if (safe) this.img.src = safe
      else this.img.removeAttribute('src')
    }
    if (!safe || (this.img.complete && this.img.naturalWidth === 0 && this.img.getAttribute('src'))) this.dom.classList.add(BROKEN_CLASS)
  }

  private onError = (): void => void this.dom.classList.add(BROKEN_CLASS)
  private onLoad = (): void => void this.dom.classList.remove(BROKEN_CLASS)

  update(node: Node): boolean {
    if (node.type !== this.node.type) return false
    this.node = node
    this.render()
    return true
  }

  destroy(): void {
    this.img.removeEventListener('error', this.onError)
    this.img.removeEventListener('load', this.onLoad)
  }
}

const positive = (value: unknown): string | null => (Number(value) > 0 ? String(Number(value)) : null)

function setOrRemove(element: HTMLElement, name: string, value: string | null): void {
  if (value === null) element.removeAttribute(name)
  else element.setAttribute(name, value)
}

/** The image node view; a double click on an image opens it for editing (`onEdit`). */
export function imagePlugin(onEdit: (view: EditorView) => void): Plugin {
  return new Plugin({
    props: {
      nodeViews: { [schema.nodes.image.name]: (node) => new ImageView(node) },
      handleDoubleClickOn(view, _pos, node, nodePos, _event, direct) {
        if (!direct || node.type !== schema.nodes.image || !view.editable) return false
        view.dispatch(view.state.tr.setSelection(NodeSelection.create(view.state.doc, nodePos)))
        onEdit(view)
        return true
      },
    },
  })
}
