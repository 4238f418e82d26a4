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

/** The connection as a person sees it. */
export type ConnectionState = 'connecting' | 'syncing' | 'synced' | 'offline'

export interface EditorStatus {
  connection: ConnectionState
  /** Every local change is in the relay's storage. */
  saved: boolean
  /** Why the relay last closed the connection, when it said (close codes from shared/close-codes.ts). */
  lastClose: { code: number; reason: string } | null
}

/** Wait this long after the last local edit before asking whether it is saved. */
const SETTLE_MS = 300
/** Ask again this long after an answer that said "not yet". */
const RECHECK_MS = 1000

export interface StatusTracker {
  readonly status: EditorStatus
  destroy(): void
}

/** Follow a provider's connection and saved state; `onChange` gets every new status. */
export function trackStatus(provider: WebsocketProvider, doc: Y.Doc, onChange: (status: EditorStatus) => void): StatusTracker {
  let status: EditorStatus = { connection: 'connecting', saved: false, lastClose: null }
  let timer: ReturnType<typeof setTimeout> | null = null

  const update = (patch: Partial<EditorStatus>): void => {
    const next = { ...status, ...patch }
    if (next.connection === status.connection && next.saved === status.saved && next.lastClose === status.lastClose) return
    status = next
    onChange(status)
  }

  const scheduleCheck = (delayMs: number): void => {
    if (timer) return
    timer = setTimeout(() => {
      timer = null
      if (provider.wsconnected && provider.synced && provider.ws) {
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
  const onStatus = ({ status: s }: { status: 'connected' | 'disconnected' | 'connecting' }): void => {
    if (s === 'connected') update({ connection: provider.synced ? 'synced' : 'syncing' })
    else if (s === 'connecting') update({ connection: status.connection === 'offline' ? 'offline' : 'connecting' })
    else update({ connection: 'offline' })
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
    if (!provider.wsconnected) update({ connection: 'offline' })
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

/** A short label for a status, for the UI. */
export function statusLabel(status: EditorStatus): string {
  switch (status.connection) {
    case 'connecting':
      return 'Connecting…'
    case 'offline':
      return status.saved ? 'Offline, reconnecting…' : 'Offline, reconnecting… (changes kept on this device)'
    case 'syncing':
      return 'Syncing…'
    case 'synced':
      return status.saved ? 'Saved' : 'Saving…'
  }
}
