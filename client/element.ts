/**
 * `<collab-editor server="ws://…" document="…" user-name="…">`: the editor
 * as a custom element, for pages with no build step. It renders into its own
 * light DOM (ProseMirror's selection handling is most reliable there).
 *
 * The element runs at most one editor. Every lifecycle callback only asks for
 * a `reconcile()` in a microtask, which compares the editor the attributes
 * and connection call for with the one running and makes the difference: it
 * starts, restarts (`server`, `document`, `token`, `read-only`, `history`, `full-layout`), renames
 * (`user-name`, `user-color`) or destroys. Callbacks arrive in many orders
 * (an upgrade reports every attribute and then the connection; a script may
 * set attributes before or after appending; a move is a disconnect and a
 * connect), and acting on each one separately is how one element ends up
 * with two editors and two connections.
 */
import { createCollabEditor, type CollabEditor } from './editor.ts'
import type { EditorStatus } from './sync-status.ts'

/** The element's tag name. */
export const ELEMENT_NAME = 'collab-editor'

/** What an editor is started with; a change to any of these needs a new editor (a new Y.Doc and connection). */
interface EditorConfig {
  server: string
  document: string
  token: string | null
  readOnly: boolean
  /** The History button (`history` attribute). */
  history: boolean
  /** Every block laid out always, however long the document (`full-layout` attribute; see `windowing`). */
  fullLayout: boolean
}

/** Who is typing; changed on the running editor, without reconnecting. */
interface EditorUser {
  name: string | undefined
  color: string | undefined
}

const sameConfig = (a: EditorConfig, b: EditorConfig): boolean =>
  a.server === b.server && a.document === b.document && a.token === b.token && a.readOnly === b.readOnly && a.history === b.history && a.fullLayout === b.fullLayout

// Server-side rendering and Node import this module too (`collab-relay/client`
// exports more than the element), where there is no HTMLElement to extend: the
// class is then inert and `defineCollabEditorElement` is never called.
const ElementBase = (typeof HTMLElement === 'undefined' ? class {} : HTMLElement) as typeof HTMLElement

export class CollabEditorElement extends ElementBase {
  static observedAttributes = ['server', 'document', 'user-name', 'user-color', 'read-only', 'token', 'history', 'full-layout']
  private running: { editor: CollabEditor; config: EditorConfig; user: EditorUser } | null = null
  private reconcileQueued = false

  /**
   * The running editor: there is one from the microtask after the element is
   * on the page with both `server` and `document`, until it is removed.
   */
  get handle(): CollabEditor | null {
    return this.running?.editor ?? null
  }

  connectedCallback(): void {
    this.queueReconcile()
  }

  disconnectedCallback(): void {
    this.queueReconcile()
  }

  attributeChangedCallback(_name: string, previous: string | null, next: string | null): void {
    if (previous !== next) this.queueReconcile()
  }

  // One microtask for any number of callbacks: the upgrade's attributes and
  // connection, or a move's disconnect and connect, settle before anything
  // starts or stops (so a move keeps its editor and connection).
  private queueReconcile(): void {
    if (this.reconcileQueued) return
    this.reconcileQueued = true
    queueMicrotask(() => {
      this.reconcileQueued = false
      this.reconcile()
    })
  }

  /** Make the running editor match the attributes and whether the element is on the page. */
  private reconcile(): void {
    const wanted = this.isConnected ? this.wantedConfig() : null
    if (this.running && !(wanted && sameConfig(this.running.config, wanted))) {
      const { editor } = this.running
      this.running = null
      editor.destroy()
    }
    if (!wanted) return
    const user = this.wantedUser()
    if (!this.running) {
      this.running = { editor: this.start(wanted, user), config: wanted, user }
    } else if (this.running.user.name !== user.name || this.running.user.color !== user.color) {
      this.running.user = user
      this.running.editor.setUser(user)
    }
  }

  /** The configuration the attributes ask for; null until both `server` and `document` are set. */
  private wantedConfig(): EditorConfig | null {
    const server = this.getAttribute('server')
    const documentName = this.getAttribute('document')
    if (!server || !documentName) return null
    return { server, document: documentName, token: this.getAttribute('token'), readOnly: this.hasAttribute('read-only'), history: this.hasAttribute('history'), fullLayout: this.hasAttribute('full-layout') }
  }

  private wantedUser(): EditorUser {
    return { name: this.getAttribute('user-name') ?? undefined, color: this.getAttribute('user-color') ?? undefined }
  }

  private start(config: EditorConfig, user: EditorUser): CollabEditor {
    return createCollabEditor(this, {
      server: config.server,
      document: config.document,
      user,
      readOnly: config.readOnly,
      history: config.history,
      ...(config.fullLayout ? { windowing: false as const } : {}),
      token: config.token ?? undefined,
      onStatus: (status: EditorStatus) => this.dispatchEvent(new CustomEvent('status', { detail: status })),
    })
  }
}

/** Register `<collab-editor>` (once; safe to call again). */
export function defineCollabEditorElement(): void {
  if (!customElements.get(ELEMENT_NAME)) customElements.define(ELEMENT_NAME, CollabEditorElement)
}
