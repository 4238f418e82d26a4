/**
 * `<collab-editor server="ws://…" document="…" user-name="…">`: the editor
 * as a custom element, for pages with no build step. It renders into its own
 * light DOM (ProseMirror's selection handling is most reliable there) and
 * restarts when `server`, `document` or `read-only` change.
 */
import { createCollabEditor, type CollabEditor } from './editor.ts'
import type { EditorStatus } from './sync-status.ts'

/** The element's tag name. */
export const ELEMENT_NAME = 'collab-editor'

export class CollabEditorElement extends HTMLElement {
  static observedAttributes = ['server', 'document', 'user-name', 'user-color', 'read-only', 'token']
  private editor: CollabEditor | null = null

  /** The running editor, once connected to the page. */
  get handle(): CollabEditor | null {
    return this.editor
  }

  connectedCallback(): void {
    this.start()
  }

  disconnectedCallback(): void {
    this.editor?.destroy()
    this.editor = null
  }

  attributeChangedCallback(name: string, previous: string | null, next: string | null): void {
    if (!this.isConnected || previous === next) return
    // Not started yet (waiting for `server` or `document`): maybe now it can.
    if (!this.editor) {
      this.start()
      return
    }
    if (name === 'user-name' || name === 'user-color') {
      this.editor.setUser({ name: this.getAttribute('user-name') ?? '', color: this.getAttribute('user-color') ?? undefined })
      return
    }
    this.editor.destroy()
    this.editor = null
    this.start()
  }

  private start(): void {
    const server = this.getAttribute('server')
    const documentName = this.getAttribute('document')
    if (!server || !documentName) return // wait for both attributes
    const token = this.getAttribute('token')
    this.editor = createCollabEditor(this, {
      server,
      document: documentName,
      user: { name: this.getAttribute('user-name') ?? undefined, color: this.getAttribute('user-color') ?? undefined },
      readOnly: this.hasAttribute('read-only'),
      token: token ?? undefined,
      onStatus: (status: EditorStatus) => this.dispatchEvent(new CustomEvent('status', { detail: status })),
    })
  }
}

/** Register `<collab-editor>` (once; safe to call again). */
export function defineCollabEditorElement(): void {
  if (!customElements.get(ELEMENT_NAME)) customElements.define(ELEMENT_NAME, CollabEditorElement)
}
