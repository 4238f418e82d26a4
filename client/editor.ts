/**
 * `createCollabEditor`: a ProseMirror editor bound to a Yjs document that a
 * stock y-websocket provider keeps in sync with the relay, with carets,
 * per-person undo, offline persistence and an honest status line.
 */
import { dropCursor } from 'prosemirror-dropcursor'
import { gapCursor } from 'prosemirror-gapcursor'
import { EditorState, type Transaction } from 'prosemirror-state'
import { EditorView } from 'prosemirror-view'
import { IndexeddbPersistence } from 'y-indexeddb'
import { ySyncPlugin, yCursorPlugin, yUndoPlugin } from 'y-prosemirror'
import type { Awareness } from 'y-protocols/awareness'
import { WebsocketProvider } from 'y-websocket'
import * as Y from 'yjs'
import { roomNameToPath } from '../shared/room-name.ts'
import { FRAGMENT_NAME, schema } from '../shared/schema.ts'
import { markdownInputRules } from './input-rules.ts'
import { placeholderPlugin } from './placeholder.ts'
import { editorKeymaps } from './keymap.ts'
import { buildCaret, buildSelection, refreshCaretsOnChange, renderPeople } from './presence.ts'
import { statusLabel, trackStatus, type EditorStatus } from './sync-status.ts'
import { toolbarPlugin, type LinkPrompt } from './toolbar.ts'
import { cleanName, colorForName, guestName, safeColor, type CollabUser } from './user.ts'

/** Options for `createCollabEditor`. */
export interface CollabEditorOptions {
  /** The relay: `ws://host:1234`, `wss://…`, or `http(s)://…` (turned into ws(s)). */
  server: string
  /** The document's name; any string the relay accepts (`/`, spaces, Unicode). */
  document: string
  /** Who is typing. The colour defaults to one derived from the name. Default: a guest name. */
  user?: { name?: string; color?: string }
  /** An access token sent as `?token=`; a function is asked again before every (re)connect. */
  token?: string | (() => string | Promise<string>)
  /** Show the document without letting this person change it. Default false. */
  readOnly?: boolean
  /** Keep a copy in this browser (IndexedDB) so offline edits survive a reload. Default true. */
  offline?: boolean
  /** Show the bar with status and people, and the formatting toolbar. Default true. */
  chrome?: boolean
  /** Called with every new status (connection and saved state). */
  onStatus?: (status: EditorStatus) => void
  /** How the link button asks for an address. Default: `window.prompt`. */
  promptForLink?: LinkPrompt
  /** Hint shown in an empty document. Default "Start writing…"; '' for none. */
  placeholder?: string
}

/** What `createCollabEditor` returns. */
export interface CollabEditor {
  view: EditorView
  doc: Y.Doc
  provider: WebsocketProvider
  awareness: Awareness
  /** The current connection and saved state. */
  readonly status: EditorStatus
  /** Change this person's name (and colour) for everyone. */
  setUser(user: { name?: string; color?: string }): void
  /** Disconnect, stop persisting, remove the editor from the page. */
  destroy(): void
}

/**
 * Create a collaborative editor inside `place`.
 *
 * @example
 * import { createCollabEditor } from 'collab-relay/client'
 * import 'collab-relay/client/style.css'
 * const editor = createCollabEditor(document.querySelector('#editor')!, {
 *   server: 'ws://127.0.0.1:1234',
 *   document: 'team/specs/q4 plan',
 *   user: { name: 'Ada' },
 * })
 */
export function createCollabEditor(place: HTMLElement, options: CollabEditorOptions): CollabEditor {
  if (!(place instanceof HTMLElement)) throw new TypeError('createCollabEditor: place must be an element')
  if (!options.server) throw new TypeError('createCollabEditor: options.server is required')
  if (!options.document) throw new TypeError('createCollabEditor: options.document is required')

  const serverUrl = options.server.replace(/^http/, 'ws').replace(/\/+$/, '')
  const doc = new Y.Doc()
  const fragment = doc.getXmlFragment(FRAGMENT_NAME)
  const provider = new WebsocketProvider(serverUrl, roomNameToPath(options.document), doc, { connect: false })
  const awareness = provider.awareness
  const persistence = options.offline === false ? null : new IndexeddbPersistence(`collab-editor:${serverUrl}/${options.document}`, doc)

  const root = document.createElement('div')
  root.className = 'collab-editor'
  const chrome = options.chrome !== false
  const bar = document.createElement('div')
  bar.className = 'collab-editor__bar'
  const statusEl = document.createElement('span')
  statusEl.className = 'collab-editor__status'
  statusEl.setAttribute('role', 'status')
  const people = document.createElement('span')
  bar.append(statusEl, people)
  const toolbar = document.createElement('div')
  toolbar.className = 'collab-editor__toolbar'
  const content = document.createElement('div')
  content.className = 'collab-editor__content'
  if (chrome) root.append(bar, toolbar)
  root.append(content)
  place.append(root)

  const setUser = (user: { name?: string; color?: string }): void => {
    const name = cleanName(user.name ?? '') || guestName()
    const me: CollabUser = { name, color: user.color ? safeColor(user.color) : colorForName(name) }
    awareness.setLocalStateField('user', me)
  }
  setUser(options.user ?? {})

  const readOnly = options.readOnly === true
  const view = new EditorView(content, {
    state: EditorState.create({
      schema,
      plugins: [
        ySyncPlugin(fragment),
        yCursorPlugin(awareness, { cursorBuilder: buildCaret, selectionBuilder: buildSelection }),
        yUndoPlugin(),
        markdownInputRules(),
        ...editorKeymaps(),
        dropCursor(),
        gapCursor(),
        ...(options.placeholder === '' || readOnly ? [] : [placeholderPlugin(options.placeholder ?? 'Start writing…')]),
        ...(chrome ? [toolbarPlugin(toolbar, options.promptForLink)] : []),
      ],
    }),
    editable: () => !readOnly,
    // A destroyed view must drop transactions, not throw on them. y-prosemirror
    // (1.3.7) queues some dispatches in a setTimeout(0) — the caret plugin's on
    // every awareness change, such as the focusout of an editor being removed
    // or a rename just before destroy() — and its guard for a destroyed
    // binding reads `binding.isDestroyed`, a field the binding no longer sets
    // (yjs/y-prosemirror#199, #265). The queued dispatch then reaches a view
    // whose docView is null: "Cannot read properties of null (reading 'matchesNode')".
    // (`this`, not `view`: the sync plugin dispatches while the constructor runs.)
    dispatchTransaction(this: EditorView, transaction: Transaction) {
      if (this.isDestroyed) return
      this.updateState(this.state.apply(transaction))
    },
    attributes: { class: 'collab-editor__prosemirror', spellcheck: 'true', 'aria-label': `Document ${options.document}` },
  })

  const showStatus = (status: EditorStatus): void => {
    statusEl.textContent = statusLabel(status)
    root.dataset.connection = status.connection
    root.dataset.saved = String(status.saved)
    options.onStatus?.(status)
  }
  const tracker = trackStatus(provider, doc, showStatus)
  showStatus(tracker.status)
  const stopPeople = chrome ? renderPeople(people, awareness) : () => {}
  const stopCaretRefresh = refreshCaretsOnChange(view.dom, awareness)

  // Ask for a fresh token before every connection attempt; the stock
  // provider reconnects by itself (with backoff), so hook its status.
  let destroyed = false
  const applyToken = async (): Promise<void> => {
    if (options.token === undefined) return
    const token = typeof options.token === 'function' ? await options.token() : options.token
    provider.params = { ...provider.params, token }
  }
  const onStatusForToken = ({ status }: { status: string }): void => {
    if (status === 'disconnected' && typeof options.token === 'function') void applyToken()
  }
  provider.on('status', onStatusForToken)
  void applyToken().then(() => {
    if (!destroyed) provider.connect()
  })

  return {
    view,
    doc,
    provider,
    awareness,
    get status() {
      return tracker.status
    },
    setUser,
    destroy() {
      if (destroyed) return
      destroyed = true
      stopPeople()
      stopCaretRefresh()
      tracker.destroy()
      provider.off('status', onStatusForToken)
      view.destroy()
      provider.destroy()
      void persistence?.destroy()
      doc.destroy()
      root.remove()
    },
  }
}
