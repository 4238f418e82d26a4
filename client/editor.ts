/**
 * `createCollabEditor`: a ProseMirror editor bound to a Yjs document that a
 * stock y-websocket provider keeps in sync with the relay, with carets,
 * per-person undo, offline persistence and an honest status line.
 */
import { dropCursor } from 'prosemirror-dropcursor'
import { gapCursor } from 'prosemirror-gapcursor'
import { EditorState, Plugin, type Transaction } from 'prosemirror-state'
import { EditorView } from 'prosemirror-view'
import { IndexeddbPersistence } from 'y-indexeddb'
import { ySyncPlugin, ySyncPluginKey, yCursorPlugin, yUndoPlugin, yUndoPluginKey } from 'y-prosemirror'
import { readAuthMessage } from 'y-protocols/auth'
import type { Awareness } from 'y-protocols/awareness'
import { WebsocketProvider } from 'y-websocket'
import * as Y from 'yjs'
import { CloseCode } from '../shared/close-codes.ts'
import { roomNameToPath } from '../shared/room-name.ts'
import { MessageType } from '../shared/protocol.ts'
import { FRAGMENT_NAME, schema } from '../shared/schema.ts'
import { authUrlFor } from './auth-check.ts'
import { trackObserverCalls } from './binding-moved-text.ts'
import { PositionIndexedMapping } from './binding-positions.ts'
import { blockPlugins } from './blocks.ts'
import { manageConnection, type TokenSource } from './connection.ts'
import { createHistoryApi } from './history-api.ts'
import { createHistoryPanel, type HistoryPanel } from './history-panel.ts'
import { markdownInputRules } from './input-rules.ts'
import { placeholderPlugin } from './placeholder.ts'
import { keepCaretWithOwnText } from './same-spot-typing.ts'
import { undoStepsPlugin } from './undo-steps.ts'
import { blockWindowPlugin } from './block-window.ts'
import { editorKeymaps, keyBindings } from './keymap.ts'
import { linkPopoverPlugin } from './link-popover.ts'
import { buildCaret, buildSelection, refreshCaretsOnChange, renderPeople } from './presence.ts'
import { statusLabel, trackStatus, type EditorStatus } from './sync-status.ts'
import { shortcutHelpPlugin } from './shortcut-help.ts'
import { toolbarPlugin } from './toolbar.ts'
import { cleanName, colorForName, guestName, safeColor, type CollabUser } from './user.ts'

/** Options for `createCollabEditor`. */
export interface CollabEditorOptions {
  /** The relay: `ws://host:1234`, `wss://…`, or `http(s)://…` (turned into ws(s)). */
  server: string
  /** The document's name; any string the relay accepts (`/`, spaces, Unicode). */
  document: string
  /** Who is typing. The colour defaults to one derived from the name. Default: a guest name. */
  user?: { name?: string; color?: string }
  /**
   * An access token, sent as `?token=` on the WebSocket (and as a bearer
   * token to the relay's `GET /auth` check). A function is called before the
   * first connection and before every reconnection, and the connection waits
   * for its answer: when the relay closes a connection because its token
   * expired (4401), the editor gets a fresh one this way and carries on. A
   * plain string that expires ends the session ("Access expired").
   */
  token?: TokenSource
  /**
   * Show the document without letting this person change it. Default false.
   * The editor is read-only anyway when the token grants only reading.
   */
  readOnly?: boolean
  /** Keep a copy in this browser (IndexedDB) so offline edits survive a reload. Default true. */
  offline?: boolean
  /** Show the bar with status and people, and the formatting toolbar. Default true. */
  chrome?: boolean
  /** Called with every new status (connection, saved state, access, problem). */
  onStatus?: (status: EditorStatus) => void
  /** Hint shown in an empty document. Default "Start writing…"; '' for none. */
  placeholder?: string
  /**
   * A History button in the bar (with the chrome): the document's versions,
   * each shown read-only and compared with now; naming and restoring them
   * for those who may edit. Needs a relay with the versions API
   * (`/api/documents/:name/versions`), reachable from the page (CORS on
   * another origin). Default false: a page that embeds the editor gains no
   * new controls or requests by upgrading; the demo app turns it on.
   */
  history?: boolean
  /**
   * Long documents lay out only the blocks near the screen and the
   * selection, so typing stays within a frame however long the document is
   * (client/block-window.ts). From how many top-level blocks (default 1,000),
   * or `false` to lay out every block always. While it is on, the browser's
   * find (Ctrl+F) and printing still see the whole document; assistive
   * technology reads the blocks laid out, not those far from the screen.
   */
  windowing?: false | { fromBlocks?: number }
}

/** What `createCollabEditor` returns. */
export interface CollabEditor {
  view: EditorView
  doc: Y.Doc
  provider: WebsocketProvider
  awareness: Awareness
  /** The current connection, saved state, access and problem. */
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
  // Reconnections are decided by client/connection.ts, which sets `shouldReconnect`.
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
  // Announced when it changes ("Offline", "Saved"), without interrupting.
  statusEl.setAttribute('role', 'status')
  statusEl.setAttribute('aria-live', 'polite')
  statusEl.setAttribute('aria-atomic', 'true')
  const people = document.createElement('span')
  bar.append(statusEl, people)
  const toolbar = document.createElement('div')
  toolbar.className = 'collab-editor__toolbar'
  const content = document.createElement('div')
  content.className = 'collab-editor__content'
  if (chrome) root.append(bar, toolbar)
  root.append(content)
  place.append(root)

  // No name keeps the one this editor has (a colour change alone must not
  // turn Ada into a new guest), an empty one makes a guest; no colour, or
  // one that is not `#rrggbb`, takes the name's.
  const setUser = (user: { name?: string; color?: string }): void => {
    const current = (awareness.getLocalState()?.user as CollabUser | undefined)?.name
    const name = (user.name === undefined ? current : cleanName(user.name)) || guestName()
    const me: CollabUser = { name, color: user.color && safeColor(user.color) === user.color ? user.color : colorForName(name) }
    awareness.setLocalStateField('user', me)
  }
  setUser(options.user ?? {})

  // Filled in once the status tracker and connection manager exist (they need the provider, the view needs them).
  let editable = (): boolean => options.readOnly !== true && options.token === undefined
  let history: HistoryPanel | null = null
  const view = new EditorView(content, {
    state: EditorState.create({
      schema,
      plugins: [
        // First: its view hides far blocks by index, so it must follow blocks added or removed before any
        // other view reads the layout; and its keys (Ctrl+F, Ctrl+Home/End while windowed) come before the keymaps'.
        ...(options.windowing === false ? [] : [blockWindowPlugin(options.windowing)]),
        // The mapping indexes the blocks' sizes, so the binding finds a position's block without walking the document (binding-positions.ts).
        ySyncPlugin(fragment, { mapping: new PositionIndexedMapping() }),
        yCursorPlugin(awareness, { cursorBuilder: buildCaret, selectionBuilder: buildSelection }),
        yUndoPlugin(),
        undoStepsPlugin(),
        markdownInputRules(),
        ...editorKeymaps(),
        dropCursor(),
        gapCursor(),
        // Tables, task lists, images; the table toolbar and image dialog live in the root, as the link popover does.
        ...blockPlugins(root, awareness),
        ...(options.placeholder === '' ? [] : [placeholderPlugin(options.placeholder ?? 'Start writing…')]),
        ...(chrome ? [toolbarPlugin(toolbar)] : []),
        // Mod-K and Mod-/ work without the chrome too: they live in the root, not the toolbar.
        linkPopoverPlugin(root),
        shortcutHelpPlugin(root, Object.values(keyBindings)),
        readOnlyGuard(() => editable()),
      ],
    }),
    editable: () => editable(),
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
    // A read-only view is still focusable, so that a reader can select text
    // and others see where (their caret is part of their presence).
    attributes: () => ({
      class: 'collab-editor__prosemirror',
      spellcheck: 'true',
      'aria-label': `Document ${options.document}`,
      ...(editable() ? {} : { tabindex: '0', 'aria-readonly': 'true' }),
    }),
  })
  // Given a mapping, y-prosemirror (1.3.7) skips the first render of the fragment it does
  // by itself otherwise; it is done here, so the view shows what the fragment holds.
  ;(ySyncPluginKey.getState(view.state) as { binding: { _forceRerender(): void } }).binding._forceRerender()

  let shownEditable = editable()
  let forgotten = false
  const showStatus = (status: EditorStatus): void => {
    // The document was deleted for everyone: this browser's copy goes too, or
    // the next visit would offer it to the relay and bring the document back.
    if (!forgotten && status.problem?.code === 'closed' && status.problem.closeCode === CloseCode.DOCUMENT_DELETED.code) {
      forgotten = true
      void persistence?.clearData()
    }
    statusEl.textContent = statusLabel(status)
    root.dataset.connection = status.connection
    root.dataset.saved = String(status.saved)
    root.dataset.access = status.access
    options.onStatus?.(status)
    refreshEditable()
  }
  // Called on every status and access change; the view re-reads `editable`
  // and its attributes only when the answer changed.
  const refreshEditable = (): void => {
    history?.refresh()
    if (view.isDestroyed || editable() === shownEditable) return
    shownEditable = editable()
    // A focused element that becomes contenteditable gets no caret of its
    // own: give it one (the demo page focuses the editor before the first
    // access check has answered).
    const hadFocus = view.hasFocus()
    view.setProps({})
    if (hadFocus && shownEditable) view.focus()
  }
  const tracker = trackStatus(provider, doc, showStatus, options.readOnly === true ? 'read' : 'write')
  const connection = manageConnection({
    provider,
    authUrl: authUrlFor(serverUrl, options.document),
    token: options.token,
    readOnly: options.readOnly === true,
    status: tracker,
  })
  // Editable once the first access check (if any) is done, while the grant
  // allows writing and the relay has not refused this editor.
  editable = () => connection.settled && tracker.status.access === 'write' && tracker.status.connection !== 'refused'
  if (chrome && options.history === true) {
    // The API takes the token the connection uses now (a token function's latest).
    history = createHistoryPanel(createHistoryApi(serverUrl, options.document, () => provider.params.token), () => editable())
    bar.append(history.button)
    root.append(history.dialog)
  }
  connection.onChange = refreshEditable
  showStatus(tracker.status)
  const stopPeople = chrome ? renderPeople(people, awareness) : () => {}
  const stopCaretRefresh = refreshCaretsOnChange(view.dom, awareness)
  const stopKeepingCaret = keepCaretWithOwnText(view, doc)
  // The binding's selection restore reads the change being rendered (binding-moved-text.ts).
  const stopTracking = trackObserverCalls(doc)

  // The relay answers a reader's write with y-protocols' permission-denied
  // message (once per connection); the stock handler only logs it. This
  // happens only when the editor could not learn the grant beforehand (no
  // answer from GET /auth): what the person typed meanwhile was refused, so it
  // is taken back here, or it would stay on this device (and in its offline
  // copy) as text nobody else has, offered to the relay at every reconnect.
  provider.messageHandlers[MessageType.AUTH] = (_encoder, decoder) => {
    readAuthMessage(decoder, doc, (_doc, reason) => {
      connection.permissionDenied(reason)
      const undoManager = view.isDestroyed ? undefined : (yUndoPluginKey.getState(view.state) as { undoManager?: Y.UndoManager } | undefined)?.undoManager
      while (undoManager && undoManager.undoStack.length > 0) undoManager.undo()
    })
  }

  let destroyed = false
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
      history?.destroy()
      stopCaretRefresh()
      stopKeepingCaret()
      stopTracking()
      connection.destroy()
      tracker.destroy()
      view.destroy()
      provider.destroy()
      void persistence?.destroy()
      doc.destroy()
      root.remove()
    },
  }
}

/**
 * Drops every change to the document while the editor is not editable, except
 * those y-prosemirror makes to show other people's edits. A non-editable view
 * still runs key bindings (Enter, Mod-B) when it has focus, and a read-only
 * view keeps focus so that the reader's selection is shared.
 */
function readOnlyGuard(isEditable: () => boolean): Plugin {
  return new Plugin({
    filterTransaction: (transaction) =>
      !transaction.docChanged || isEditable() || (transaction.getMeta(ySyncPluginKey) as { isChangeOrigin?: boolean } | undefined)?.isChangeOrigin === true,
  })
}
