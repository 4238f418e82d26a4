/**
 * What the editor tells the person about their work: the connection, and an
 * honest "saved": whether every local change has reached the relay's
 * storage.
 *
 * "Saved" stays inside the y-websocket protocol (see shared/PROTOCOL.md,
 * "Saved state"): when local edits settle, the client sends sync step 1;
 * the relay answers with step 2 and then its own step 1, whose state vector
 * counts committed updates only. Saved means that vector covers ours.
 */
import * as decoding from 'lib0/decoding'
import type { WebsocketProvider } from 'y-websocket'
import * as Y from 'yjs'
import { describeCloseCode } from '../shared/close-codes.ts'
import { encodeSyncStep1, MessageType, SyncStep } from '../shared/protocol.ts'

/** `WebSocket.OPEN`, the same in browsers and in Node's `ws` (the provider's socket may be either). */
const SOCKET_OPEN = 1

/**
 * The connection as a person sees it. `refused`: the relay will not let this
 * editor in (`problem` says why) and it has stopped trying; nothing typed
 * could be saved, so the editor is not editable.
 */
export type ConnectionState = 'connecting' | 'syncing' | 'synced' | 'offline' | 'refused'

/** What this person may do with the document: `read` shows it and their presence, `write` edits too. */
export type Access = 'read' | 'write'

/**
 * Why the editor is not simply connected, when it knows: a closed set to
 * switch on (`code`), each with the sentence the status line shows
 * (`message`). The relay's own words, where it gave any, are in `reason`.
 */
export type EditorProblem =
  /** The token expired (close 4401) and the token function is asked for a fresh one. Connection `connecting`. */
  | { code: 'renewing'; message: string }
  /** The token expired (close 4401) and there is no token function to renew it. Connection `refused`. */
  | { code: 'expired'; message: string }
  /** No token, or one the relay does not accept (`GET /auth` answered 401). Connection `refused`. */
  | { code: 'unauthorized'; message: string; reason: string }
  /** The token does not open this document (`GET /auth` answered 403). Connection `refused`. */
  | { code: 'forbidden'; message: string; reason: string }
  /** Too many connections (HTTP 429) or messages (close 4429): it waits, then retries. Connection `offline`. */
  | { code: 'rate-limited'; message: string; retryInSeconds: number }
  /** The token function threw or gave no token: it is asked again with backoff. Connection `offline`. */
  | { code: 'token-unavailable'; message: string; reason: string }
  /** The relay closed the connection for good for another reason (4413: a change over its limits; other 44xx). Connection `refused`. */
  | { code: 'closed'; message: string; closeCode: number; reason: string }

export interface EditorStatus {
  connection: ConnectionState
  /** Every local change is in the relay's storage. */
  saved: boolean
  /** What the grant allows (from `GET /auth`, the relay's permission-denied message, or `readOnly`). */
  access: Access
  /** Why the editor is refused, waiting or renewing its token; null when there is nothing to explain. */
  problem: EditorProblem | null
  /** Why the relay last closed the connection, when it said (close codes from shared/close-codes.ts). */
  lastClose: { code: number; reason: string } | null
}

/** Wait this long after the last local edit before asking whether it is saved. */
const SETTLE_MS = 300
/** Ask again this long after an answer that said "not yet". */
const RECHECK_MS = 1000

export interface StatusTracker {
  readonly status: EditorStatus
  /** Change the fields the provider's events cannot tell (access, problem, `refused`); see client/connection.ts. */
  set(patch: Partial<EditorStatus>): void
  destroy(): void
}

/** Follow a provider's connection and saved state; `onChange` gets every new status. */
export function trackStatus(provider: WebsocketProvider, doc: Y.Doc, onChange: (status: EditorStatus) => void, access: Access = 'write'): StatusTracker {
  let status: EditorStatus = { connection: 'connecting', saved: false, access, problem: null, lastClose: null }
  let timer: ReturnType<typeof setTimeout> | null = null

  const update = (patch: Partial<EditorStatus>): void => {
    const next = { ...status, ...patch }
    if (
      next.connection === status.connection &&
      next.saved === status.saved &&
      next.access === status.access &&
      next.problem === status.problem &&
      next.lastClose === status.lastClose
    ) {
      return
    }
    status = next
    onChange(status)
  }

  const scheduleCheck = (delayMs: number): void => {
    if (timer) return
    timer = setTimeout(() => {
      timer = null
      // Open, not only "connected": after the relay's close frame (a 4401
      // expiry, say) the socket is CLOSING until its close event, and a send
      // then only logs "WebSocket is already in CLOSING or CLOSED state".
      if (provider.wsconnected && provider.synced && provider.ws?.readyState === SOCKET_OPEN) {
        provider.ws.send(encodeSyncStep1(Y.encodeStateVector(doc)) as Uint8Array<ArrayBuffer>)
      }
    }, delayMs)
  }

  // Peek at the relay's sync step 1 before the stock handler answers it.
  const handlers = provider.messageHandlers
  const stockSyncHandler = handlers[MessageType.SYNC]
  handlers[MessageType.SYNC] = (encoder, decoder, prov, emitSynced, messageType) => {
    const peek = decoding.clone(decoder)
    if (decoding.readVarUint(peek) === SyncStep.STEP1) {
      const saved = covers(Y.decodeStateVector(decoding.readVarUint8Array(peek)), doc)
      update({ saved })
      if (!saved && provider.synced) scheduleCheck(RECHECK_MS)
    }
    stockSyncHandler(encoder, decoder, prov, emitSynced, messageType)
  }

  const onDocUpdate = (_update: Uint8Array, origin: unknown): void => {
    if (origin === provider) return
    update({ saved: false })
    scheduleCheck(SETTLE_MS)
  }
  // While the token is being renewed the provider's own events (the old
  // socket's 'disconnected', the new one's 'connecting') must not turn
  // "Reconnecting…" into "Offline". A refused editor stays refused until
  // something connects it again.
  const renewing = (): boolean => status.problem?.code === 'renewing'
  const onStatus = ({ status: s }: { status: 'connected' | 'disconnected' | 'connecting' }): void => {
    if (s === 'connected') update({ connection: provider.synced ? 'synced' : 'syncing', problem: null })
    else if (s === 'connecting') {
      if (status.connection === 'refused') update({ connection: 'connecting', problem: null })
      else if (!renewing()) update({ connection: status.connection === 'offline' ? 'offline' : 'connecting' })
    } else if (!renewing()) update({ connection: 'offline' })
  }
  const onSync = (synced: boolean): void => {
    if (!provider.wsconnected) return
    update({ connection: synced ? 'synced' : 'syncing' })
    if (synced) scheduleCheck(0)
  }
  // A page opened while the relay is down never gets a 'disconnected' status
  // (that follows only a connection that had opened): failed attempts only
  // report a closed or failed socket.
  const onAttemptFailed = (): void => {
    if (!provider.wsconnected && !renewing() && status.connection !== 'refused') update({ connection: 'offline' })
  }
  const onClosed = (event: { code: number; reason: string }): void => {
    if (describeCloseCode(event.code)) update({ lastClose: { code: event.code, reason: event.reason } })
  }

  doc.on('update', onDocUpdate)
  provider.on('status', onStatus)
  provider.on('sync', onSync)
  provider.on('closed', onClosed)
  provider.on('connection-close', onAttemptFailed)
  provider.on('connection-error', onAttemptFailed)

  return {
    get status() {
      return status
    },
    set: update,
    destroy() {
      if (timer) clearTimeout(timer)
      doc.off('update', onDocUpdate)
      provider.off('status', onStatus)
      provider.off('sync', onSync)
      provider.off('closed', onClosed)
      provider.off('connection-close', onAttemptFailed)
      provider.off('connection-error', onAttemptFailed)
      handlers[MessageType.SYNC] = stockSyncHandler
    },
  }
}

/** Whether the relay's state vector includes every change this document has. */
export function covers(remote: Map<number, number>, doc: Y.Doc): boolean {
  for (const [client, clock] of Y.decodeStateVector(Y.encodeStateVector(doc))) {
    if ((remote.get(client) ?? 0) < clock) return false
  }
  return true
}

/**
 * A short label for a status, for the UI: the problem's sentence when there
 * is one, "Read only" for a reader, else the connection and saved state.
 */
export function statusLabel(status: EditorStatus): string {
  if (status.problem) return status.problem.message
  switch (status.connection) {
    case 'connecting':
      return 'Connecting…'
    case 'offline':
      return status.saved ? 'Offline, reconnecting…' : 'Offline, reconnecting… (changes kept on this device)'
    case 'syncing':
      return 'Syncing…'
    case 'synced':
      if (status.access === 'read') return 'Read only'
      return status.saved ? 'Saved' : 'Saving…'
    case 'refused':
      return 'Not allowed to open this document'
  }
}
