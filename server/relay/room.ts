import * as decoding from 'lib0/decoding'
import * as Y from 'yjs'
import { CloseCode } from '../../shared/close-codes.ts'
import { decodeClientFrame, encodeAwareness, encodePermissionDenied, encodeSyncStep1, encodeSyncStep2, encodeUpdate } from '../../shared/protocol.ts'
import type { DocumentStorage } from '../storage/types.ts'
import type { Connection } from './connection.ts'
import type { RelayLimits } from './limits.ts'
import { PendingOverlay, type PartFootprint } from './pending-overlay.ts'
import { encodeAwarenessUpdate, type AwarenessEntry } from '../../shared/awareness-codec.ts'
import { Presence, PresenceLimitError } from './presence.ts'
import type { RelayLogger } from './relay-socket.ts'
import { loadDocument } from './room-load.ts'
import { DocumentWriter, type PendingWrite } from './room-writes.ts'
import { misplacedItem } from './integration-check.ts'
import { guardUpdate } from './update-guard.ts'
import { UpdateRefused } from './update-parse.ts'
import { createYielder } from './yielder.ts'

/** What a room needs from the relay that owns it. */
export interface RoomContext {
  storage: DocumentStorage
  logger: RelayLogger
  limits: RelayLimits
  /** Merge the stored log into one update once it holds this many updates... */
  compactAfterUpdates: number
  /** ...or this many bytes. */
  compactAfterBytes: number
  /** First delay before retrying a failed write; doubles up to 30 s. */
  writeRetryMs: number
  /** Called once the room has had no connections for the idle period. */
  onIdle(room: Room): void
  /**
   * Called when Yjs threw while applying an update the guard let through: the
   * room's copy may be half-changed, so the relay closes its connections and
   * reloads it from storage (whose load sets the update aside).
   */
  onBroken(room: Room): void
  roomIdleMs: number
}

/** Where an update came from, carried with it to storage and back to the room. */
interface WriteOrigin {
  /** The connection that sent it (it is not relayed back there). */
  from: Connection
  /** What the guard's overlay holds for it until it is applied. */
  footprint: PartFootprint
  /** Items to check once applied (see `misplacedItem`). */
  checks: { client: number; clock: number }[]
}

/** How often the relay asks a connection to sync again after cutting off part of its update (ms). */
const RESYNC_INTERVAL_MS = 10_000
/** Updates per storage transaction at most. */
const MAX_BATCH_UPDATES = 2_000

/**
 * One document and the connections editing it.
 *
 * An update is checked by the guard (`update-guard.ts`) as it arrives,
 * appended to storage (one transaction per event-loop turn), and only then
 * applied to the room's `Y.Doc` and relayed. So every update another client
 * has seen is durable, the document never holds what Yjs would keep pending,
 * and the state vector the relay sends reflects saved work only (the
 * editor's "saved" indicator relies on that).
 */
export class Room {
  readonly connections = new Set<Connection>()
  private readonly presence: Presence<Connection>
  private readonly overlay = new PendingOverlay()
  /** Presence changes waiting to be relayed, the latest per client (see `relayPresence`). */
  private readonly presenceOut = new Map<number, AwarenessEntry>()
  private presenceTimer: ReturnType<typeof setTimeout> | null = null
  private presenceSentAt = 0
  private readonly writer: DocumentWriter<WriteOrigin>
  private idleTimer: ReturnType<typeof setTimeout> | null = null
  /** Yjs threw on an update: nothing more is applied; the relay reloads the room. */
  private broken = false
  /** Stored updates set aside at load because they could not be applied. */
  skippedUpdates = 0

  private constructor(
    readonly name: string,
    private readonly context: RoomContext,
    readonly doc: Y.Doc,
    stored: { head: number; count: number; bytes: number },
  ) {
    this.presence = new Presence<Connection>(context.limits)
    this.writer = new DocumentWriter<WriteOrigin>(
      {
        name,
        storage: context.storage,
        logger: context.logger,
        compactAfterUpdates: context.compactAfterUpdates,
        compactAfterBytes: context.compactAfterBytes,
        writeRetryMs: context.writeRetryMs,
        maxBatch: MAX_BATCH_UPDATES,
        commit: (batch) => this.commit(batch),
      },
      doc,
      stored,
    )
  }

  /** Load a room from storage. Rejects (and creates nothing) when storage fails. */
  static async load(name: string, context: RoomContext): Promise<Room> {
    const loaded = await loadDocument(name, context.storage, context.limits, context.logger)
    const room = new Room(name, context, loaded.doc, loaded)
    if (loaded.setAside.length > 0) {
      room.skippedUpdates = loaded.setAside.length
      for (const { reason } of loaded.setAside) context.logger.warn(`room "${name}": set a stored update aside (${reason}); it is kept in the quarantine`)
      // Out of the log, into the quarantine, in one transaction: the next load starts clean.
      await room.writer.compactNow(loaded.setAside)
    }
    return room
  }

  /** The last storage failure, until a write succeeds again. */
  get writeError(): Error | null {
    return this.writer.writeError
  }

  get pendingWrites(): number {
    return this.writer.pendingCount
  }

  /** Add a connection: it gets our state vector and everyone's presence. */
  join(connection: Connection): void {
    if (this.idleTimer) clearTimeout(this.idleTimer)
    this.idleTimer = null
    this.connections.add(connection)
    connection.send(encodeSyncStep1(Y.encodeStateVector(this.doc)))
    const presence = this.presence.encodeAll()
    if (presence) connection.send(encodeAwareness(presence))
  }

  /** Remove a connection, broadcasting the removal of its presence. */
  leave(connection: Connection): void {
    if (!this.connections.delete(connection)) return
    this.relayPresence(this.presence.removeAll(connection.ownedClientIds))
    if (this.connections.size === 0) this.scheduleIdleCheck()
  }

  /** Start the idle countdown if nobody is here (also used when a join was abandoned mid-load). */
  scheduleIdleCheck(): void {
    if (this.connections.size > 0 || this.idleTimer) return
    this.idleTimer = setTimeout(() => {
      this.idleTimer = null
      if (this.connections.size === 0) this.context.onIdle(this)
    }, this.context.roomIdleMs)
  }

  /**
   * Handle one frame from a member. Anything malformed closes that
   * connection (1007), anything over a limit too (4413), before it touches
   * the room.
   */
  handle(connection: Connection, frame: Uint8Array): void {
    let message
    try {
      message = decodeClientFrame(frame)
    } catch {
      connection.close(CloseCode.MALFORMED_MESSAGE)
      return
    }
    switch (message.kind) {
      case 'sync-step1':
        this.answerSync(connection, message.stateVector)
        return
      case 'sync-step2':
      case 'update':
        this.receiveUpdate(connection, message.update, message.kind === 'update' ? frame : null)
        return
      case 'awareness': {
        let accepted: AwarenessEntry[]
        try {
          accepted = this.presence.apply(connection, message.update, connection.ownedClientIds, { identity: connection.grant.user })
        } catch (error) {
          connection.close(error instanceof PresenceLimitError ? CloseCode.LIMIT_EXCEEDED : CloseCode.MALFORMED_MESSAGE)
          return
        }
        this.relayPresence(accepted)
        return
      }
      case 'query-awareness': {
        const presence = this.presence.encodeAll()
        if (presence) connection.send(encodeAwareness(presence))
        return
      }
      case 'auth':
      case 'unknown':
        // Auth messages flow server → client only; unknown types may come
        // from newer clients. Both are ignored (PROTOCOL.md).
        return
    }
  }

  /** Resolves once every frame received so far is handled, and every update committed and relayed. */
  async flush(): Promise<void> {
    for (;;) {
      await Promise.all([...this.connections].map((connection) => connection.inbound.idle()))
      await this.writer.flush()
      if ([...this.connections].every((connection) => connection.inbound.waiting === 0)) return
    }
  }

  /** Release the document. Call only after `flush()`, with no connections left. */
  destroy(): void {
    if (this.idleTimer) clearTimeout(this.idleTimer)
    this.idleTimer = null
    if (this.presenceTimer) clearTimeout(this.presenceTimer)
    this.presenceTimer = null
    this.overlay.clear()
    this.doc.destroy()
  }

  private answerSync(connection: Connection, stateVector: Uint8Array): void {
    // A state vector is a count and (client, clock) pairs: decoding a huge
    // one costs before Yjs even looks at the document. Bound it first.
    let claimed: number
    try {
      const decoder = decoding.createDecoder(stateVector)
      claimed = decoding.readVarUint(decoder)
      // Each entry is at least two bytes: a larger count is not a state vector at all.
      if (claimed * 2 > stateVector.length - decoder.pos) throw new RangeError('count past the end')
    } catch {
      connection.close(CloseCode.MALFORMED_MESSAGE)
      return
    }
    if (claimed > this.doc.store.clients.size + this.context.limits.maxUnknownStateVectorClients) {
      connection.close(CloseCode.LIMIT_EXCEEDED)
      return
    }
    let diff: Uint8Array
    try {
      diff = Y.encodeStateAsUpdate(this.doc, stateVector)
    } catch {
      connection.close(CloseCode.MALFORMED_MESSAGE)
      return
    }
    connection.send(encodeSyncStep2(diff))
    // Our state vector again, after the answer: it tells the client how
    // much of its work is committed (see PROTOCOL.md, "saved state").
    connection.send(encodeSyncStep1(Y.encodeStateVector(this.doc)))
  }

  /** The one way an update enters the room: guard, then storage, then the document and the other clients. */
  private receiveUpdate(connection: Connection, update: Uint8Array, updateFrame: Uint8Array | null): void {
    let result
    try {
      result = guardUpdate(this.doc, this.overlay, update, this.context.limits)
    } catch (error) {
      if (!(error instanceof UpdateRefused)) throw error
      this.context.logger.warn(`room "${this.name}": refused an update (${error.message})`)
      connection.close(error.kind === 'limit' ? CloseCode.LIMIT_EXCEEDED : CloseCode.MALFORMED_MESSAGE)
      return
    }
    if (result.parts.length === 0) {
      if (result.cut && updateFrame) this.askToSync(connection)
      return
    }
    if (connection.grant.access === 'read') {
      // Never stored, applied or relayed. A sync step 2 that adds nothing got
      // here with no parts (stock clients send one on every connect): silent.
      this.refuseWrite(connection)
      return
    }
    const addsContent = result.parts.some((part) => part.structs.size > 0)
    if (addsContent && this.writer.storedBytes + update.byteLength > this.context.limits.maxDocumentBytes) {
      this.context.logger.warn(`room "${this.name}": refused an update that would take the document past ${this.context.limits.maxDocumentBytes} bytes`)
      connection.close(CloseCode.LIMIT_EXCEEDED)
      return
    }
    for (const part of result.parts) {
      const footprint = this.overlay.add(part.structs, part.rootNames)
      // Relay the received bytes when they are applied whole; a sync step 2 or a part is framed as an update.
      const frame = part.whole && updateFrame ? updateFrame : encodeUpdate(part.update)
      connection.queueUpdate()
      this.writer.enqueue({ update: part.update, frame, origin: { from: connection, footprint, checks: part.checks } })
    }
    if (result.cut && updateFrame) this.askToSync(connection)
  }

  /**
   * A reader tried to change the document: tell it once, with y-protocols'
   * permission-denied message (stock clients log it; ours switch to
   * read-only). The connection stays open: it may still read and be seen.
   */
  private refuseWrite(connection: Connection): void {
    if (connection.toldReadOnly) return
    connection.toldReadOnly = true
    connection.send(encodePermissionDenied('read-only: this connection may not change the document'))
  }

  /**
   * Part of an update was cut off because it builds on content the room
   * lacks (an earlier update of the sender's that never arrived, say). Our
   * state vector prompts the client to send everything we lack, dependencies
   * included. Not after a sync step 2, which is already that answer, and at
   * most once per interval.
   */
  private askToSync(connection: Connection): void {
    const now = Date.now()
    if (now - connection.resyncAskedAt < RESYNC_INTERVAL_MS) return
    connection.resyncAskedAt = now
    connection.send(encodeSyncStep1(Y.encodeStateVector(this.doc)))
  }

  /** Apply and relay a committed batch, yielding between slices so other rooms keep flowing. */
  private async commit(batch: PendingWrite<WriteOrigin>[]): Promise<void> {
    const yielder = createYielder()
    let index = 0
    while (index < batch.length) {
      // One write per connection per slice (see RelaySocket.cork).
      const corked = batch.length - index > 1 ? [...this.connections] : []
      for (const connection of corked) connection.socket.cork?.()
      try {
        do this.applyAndRelay(batch[index++])
        while (index < batch.length && !yielder.due)
      } finally {
        for (const connection of corked) connection.socket.uncork?.()
      }
      if (index < batch.length) await yielder.maybeYield()
    }
  }

  private applyAndRelay(write: PendingWrite<WriteOrigin>): void {
    const { from, footprint, checks } = write.origin
    from.updateDone()
    this.overlay.release(footprint)
    // Stored, but not applied: the reload from storage applies it (or sets it aside).
    if (this.broken) return
    let problem: string | null
    try {
      Y.applyUpdate(this.doc, write.update)
      problem = checks.length > 0 ? misplacedItem(this.doc, checks) : null
    } catch (error) {
      problem = `Yjs threw: ${String(error)}`
    }
    if (problem !== null) {
      // The copy may be half-changed or out of step with the peers': never relay it; reload it.
      this.broken = true
      this.context.logger.error(`room "${this.name}": an accepted update broke the document (${problem}); reloading it`)
      from.close(CloseCode.MALFORMED_MESSAGE)
      this.context.onBroken(this)
      return
    }
    if (this.doc.store.pendingStructs || this.doc.store.pendingDs) {
      // The guard replays Yjs's integration order so this cannot happen; if it
      // does, pending state would tax every later update: drop it.
      this.context.logger.error(`room "${this.name}": Yjs kept pending state the guard did not foresee; dropping it`)
      this.doc.store.pendingStructs = null
      this.doc.store.pendingDs = null
    }
    this.broadcast(write.frame, from)
  }

  /**
   * Relay presence changes to everyone, the sender included (for a client
   * alone in a room the echo of its own renewal is what keeps its connection
   * alive). At most one frame per `awarenessIntervalMs`: changes in between
   * are merged, the latest per client winning, so a flood of cursor moves
   * costs the room one frame per interval. The first change after a quiet
   * spell goes out at once.
   */
  private relayPresence(entries: AwarenessEntry[]): void {
    if (entries.length === 0) return
    for (const entry of entries) this.presenceOut.set(entry.clientId, entry)
    if (this.presenceTimer) return
    const wait = this.presenceSentAt + this.context.limits.awarenessIntervalMs - Date.now()
    if (wait <= 0) this.sendPresence()
    else this.presenceTimer = setTimeout(() => this.sendPresence(), wait)
  }

  private sendPresence(): void {
    this.presenceTimer = null
    if (this.presenceOut.size === 0) return
    this.presenceSentAt = Date.now()
    const frame = encodeAwareness(encodeAwarenessUpdate([...this.presenceOut.values()]))
    this.presenceOut.clear()
    this.broadcast(frame, null)
  }

  private broadcast(frame: Uint8Array, except: Connection | null): void {
    for (const connection of this.connections) {
      if (connection !== except) connection.send(frame)
    }
  }
}
