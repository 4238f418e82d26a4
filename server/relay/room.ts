import * as decoding from 'lib0/decoding'
import * as Y from 'yjs'
import { CloseCode } from '../../shared/close-codes.ts'
import { decodeClientFrame, encodeAwareness, encodePermissionDenied, encodeSyncStep1, encodeSyncStep2, encodeUpdate } from '../../shared/protocol.ts'
import { encodeAwarenessUpdate, type AwarenessEntry } from '../../shared/awareness-codec.ts'
import type { Connection } from './connection.ts'
import type { RelayLimits } from './limits.ts'
import type { UpdateOrigin } from './origin.ts'
import { Presence, PresenceLimitError } from './presence.ts'
import { PresenceBatch } from './presence-batch.ts'
import { loadDocument } from './room-load.ts'
import { offersDeletedContent, updateBringsBackDeleted } from './deleted-content.ts'
import { upgradeStoredFormat } from './format-upgrade.ts'
import { UpdatePipeline, type SubmitResult } from './update-pipeline.ts'
import type { WriteSettings } from './room-writes.ts'
import type { DocumentBus } from './document-bus.ts'
import { RoomPeers, type PeerRoom } from './room-peers.ts'
import { RoomVersions } from './room-versions.ts'
import type { VersionSettings } from './version-settings.ts'

/** What a room needs from the relay that owns it. */
export interface RoomContext extends WriteSettings {
  limits: RelayLimits
  /** Called once the room has had no connections for the idle period. */
  onIdle(room: Room): void
  /**
   * Called when Yjs threw while applying an update the guard let through: the
   * room's copy may be half-changed, so the relay closes its connections and
   * reloads it from storage (whose load sets the update aside).
   */
  onBroken(room: Room): void
  /** Another instance deleted the document: the relay closes the room's connections with 4410 and unloads it. */
  onDeletedElsewhere(room: Room): void
  roomIdleMs: number
  /** Other instances sharing the documents (scale-out); absent for a single relay. */
  bus?: DocumentBus
  /** When versions are saved by themselves and how long they are kept. */
  versions: VersionSettings
}

/** Another instance, as the owner of its clients' presence in a room. */
class RemoteInstance {
  readonly ownedClientIds = new Set<number>()
  constructor(readonly id: string) {}
}

/** How often the relay asks a connection to sync again after cutting off part of its update (ms). */
const RESYNC_INTERVAL_MS = 10_000
/**
 * One loaded document, the connections editing it and the server-side
 * holders using it. The protocol with clients lives here (sync answers,
 * presence); every change, whatever its origin, goes through the room's
 * `UpdatePipeline` (check, store, apply, relay).
 */
export class Room {
  readonly connections = new Set<Connection>()
  private readonly presence: Presence<Connection | RemoteInstance>
  /** Other instances whose clients' presence this room holds (scale-out). */
  private readonly instances = new Map<string, RemoteInstance>()
  private readonly pipeline: UpdatePipeline
  /** Server-side users of the document (the HTTP API, webhooks): it stays loaded while held. */
  private holders = 0
  /** Presence changes on their way out (see `relayPresence`). */
  private readonly presenceOut: PresenceBatch
  private idleTimer: ReturnType<typeof setTimeout> | null = null
  /** Stored updates set aside at load because they could not be applied. */
  skippedUpdates = 0
  /** Deleted: no more joins or writes; the registry unloads it. */
  deleted = false
  /** What was deleted under this name before (see deleted-content.ts); null when nothing was. */
  private readonly deletedContent: Map<number, number> | null
  /** The link to other instances holding this document, with a bus. */
  private peers: RoomPeers | null = null
  /** Its versions: who edited since the last one, automatic saves. */
  readonly versions: RoomVersions
  /** Yjs threw on an accepted update: the copy may be half-changed, and is never saved as a version. */
  private broken = false

  private constructor(
    readonly name: string,
    private readonly context: RoomContext,
    readonly doc: Y.Doc,
    stored: { head: number; count: number; bytes: number; deleted?: Uint8Array },
  ) {
    this.deletedContent = stored.deleted ? decodeDeleted(stored.deleted, context.logger, name) : null
    this.presence = new Presence<Connection | RemoteInstance>(context.limits)
    this.presenceOut = new PresenceBatch(context.limits.awarenessIntervalMs, (update) => {
      this.broadcast(encodeAwareness(update), null)
      this.peers?.publishPresence(update)
    })
    const presenceName = (connection: Connection): string | null => this.presence.nameOf(connection.ownedClientIds)
    this.versions = new RoomVersions({ ...context, name, doc, settings: context.versions, presenceName, gone: () => this.deleted || this.broken })
    this.pipeline = new UpdatePipeline(
      {
        name,
        storage: context.storage,
        logger: context.logger,
        limits: context.limits,
        hooks: context.hooks,
        compactAfterUpdates: context.compactAfterUpdates,
        compactAfterBytes: context.compactAfterBytes,
        writeRetryMs: context.writeRetryMs,
        connections: () => this.connections,
        onBroken: () => {
          this.broken = true
          context.onBroken(this)
        },
        publish: context.bus ? (update) => this.peers?.publishUpdate(update) : undefined,
        onCommitted: (origin, clients) => this.versions.committed(origin, clients),
        deleted: () => this.deleted,
      },
      doc,
      stored,
    )
  }

  /** Load a room from storage. Rejects (and creates nothing) when storage fails. */
  static async load(name: string, context: RoomContext): Promise<Room> {
    // Where the other instances' messages stand before storage is read: whatever comes after is received, whatever came before is loaded.
    const position = context.bus ? await context.bus.position(name) : null
    const loaded = await loadDocument(name, context.storage, context.limits, context.logger)
    const room = new Room(name, context, loaded.doc, loaded)
    if (context.bus && position !== null) {
      room.peers = new RoomPeers(room.peerView(), context.bus)
      room.peers.start(position)
    }
    if (loaded.setAside.length > 0) {
      room.skippedUpdates = loaded.setAside.length
      for (const { reason } of loaded.setAside) context.logger.warn(`room "${name}": set a stored update aside (${reason}); it is kept in the quarantine`)
      // Out of the log, into the quarantine, in one transaction: the next load starts clean.
      await room.pipeline.compactNow(loaded.setAside)
    }
    // Before anyone joins: every way into the document finds it in the current format.
    await upgradeStoredFormat(room, context.logger)
    context.hooks.emit('documentLoaded', { name, bytes: loaded.bytes, setAside: loaded.setAside.length })
    return room
  }

  /** The last storage failure, until a write succeeds again. */
  get writeError(): Error | null {
    return this.pipeline.writeError
  }

  get pendingWrites(): number {
    return this.pipeline.pendingCount
  }

  /** The names of the people present (on this instance and, with scale-out, others). */
  peopleNames(): string[] {
    return this.presence.names()
  }

  /** A server-side user takes the document: it stays loaded until `release`. */
  hold(): void {
    this.holders++
    if (this.idleTimer) clearTimeout(this.idleTimer)
    this.idleTimer = null
  }

  release(): void {
    this.holders--
    this.scheduleIdleCheck()
  }

  /** Submit an update from the server side (the HTTP API, another instance): the same way in as a client's. */
  submit(update: Uint8Array, origin: Exclude<UpdateOrigin, { kind: 'connection' }>, options: { onlyIfEmpty?: boolean } = {}): SubmitResult {
    return this.pipeline.submit(update, origin, options)
  }

  /** Add a connection: it gets our state vector and everyone's presence. */
  join(connection: Connection): void {
    if (this.deleted) {
      connection.close(CloseCode.DOCUMENT_DELETED)
      return
    }
    if (this.idleTimer) clearTimeout(this.idleTimer)
    this.idleTimer = null
    this.connections.add(connection)
    connection.send(encodeSyncStep1(Y.encodeStateVector(this.doc)))
    this.sendAllPresence(connection)
  }

  /** Everyone's presence, on this instance and others. */
  private sendAllPresence(connection: Connection): void {
    const presence = this.presence.encodeAll()
    if (presence) connection.send(encodeAwareness(presence))
  }

  /** What `RoomPeers` sees of the room. */
  private peerView(): PeerRoom {
    return {
      name: this.name,
      doc: this.doc,
      storage: this.context.storage,
      limits: this.context.limits,
      logger: this.context.logger,
      submitFromInstance: (update, instanceId) => this.pipeline.submit(update, { kind: 'instance', instanceId }),
      deletedElsewhere: () => this.context.onDeletedElsewhere(this),
      applyRemotePresence: (update, instanceId) => {
        let owner = this.instances.get(instanceId)
        if (!owner) this.instances.set(instanceId, (owner = new RemoteInstance(instanceId)))
        let accepted: AwarenessEntry[] = []
        try {
          accepted = this.presence.apply(owner, update, owner.ownedClientIds, { trusted: true })
        } catch {
          this.context.logger.warn(`room "${this.name}": unreadable presence from instance ${instanceId}; ignored`)
        }
        if (owner.ownedClientIds.size === 0) this.instances.delete(instanceId)
        // To this instance's connections only: the other instances had it from the source.
        if (accepted.length > 0) this.broadcast(encodeAwareness(encodeAwarenessUpdate(accepted)), null)
      },
      dropInstance: (instanceId) => {
        const owner = this.instances.get(instanceId)
        if (!owner) return
        this.instances.delete(instanceId)
        const removed = this.presence.removeAll(owner.ownedClientIds)
        // Its clients that moved here announced themselves while that instance
        // still held their IDs (and were ignored). They receive this removal of
        // themselves too, and y-protocols answers it by re-announcing with the
        // next clock: they reappear at once, owned by their connection here.
        if (removed.length > 0) this.broadcast(encodeAwareness(encodeAwarenessUpdate(removed)), null)
      },
      localPresence: () => this.presence.encodeOwned((owner) => !(owner instanceof RemoteInstance)),
      deliverStateless: (payload) => {
        for (const connection of this.connections) connection.socket.receiveStateless?.(payload)
      },
    }
  }

  /** A stateless message from a client here, for the other instances' clients (this instance's own got it from its transport). */
  publishStateless(payload: string): void {
    this.peers?.publishStateless(payload)
  }

  /** Reconcile with storage now (scale-out: a gap in what other instances sent). Resolves at once without a bus. */
  reconcile(): Promise<void> {
    return this.peers?.reconcile() ?? Promise.resolve()
  }

  /** Remove a connection, broadcasting the removal of its presence. */
  leave(connection: Connection): void {
    if (!this.connections.delete(connection)) return
    this.versions.connectionLeaving(connection)
    this.relayPresence(this.presence.removeAll(connection.ownedClientIds))
    if (this.connections.size === 0) this.scheduleIdleCheck()
  }

  /** Start the idle countdown if nobody is here (also used when a join was abandoned mid-load). */
  scheduleIdleCheck(): void {
    if (this.connections.size > 0 || this.holders > 0 || this.idleTimer) return
    this.idleTimer = setTimeout(() => {
      this.idleTimer = null
      if (this.connections.size === 0 && this.holders === 0) this.context.onIdle(this)
    }, this.context.roomIdleMs)
  }

  /** Whether nobody uses the room (no connections, no holders). */
  get idle(): boolean {
    return this.connections.size === 0 && this.holders === 0
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
      case 'query-awareness':
        this.sendAllPresence(connection)
        return
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
      await this.pipeline.flush()
      if ([...this.connections].every((connection) => connection.inbound.waiting === 0)) return
    }
  }

  /** Release the document. Call only after `flush()`, with no connections left. */
  destroy(): void {
    if (this.idleTimer) clearTimeout(this.idleTimer)
    this.idleTimer = null
    this.presenceOut.stop()
    this.peers?.close()
    this.peers = null
    this.versions.stop()
    this.pipeline.destroy()
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
    // An offline copy of a document deleted under this name: it must not come back.
    if (this.deletedContent && offersDeletedContent(Y.decodeStateVector(stateVector), this.deletedContent, this.doc)) {
      connection.close(CloseCode.DOCUMENT_DELETED)
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

  /** A client's update: into the pipeline, and what the client is told about it. */
  private receiveUpdate(connection: Connection, update: Uint8Array, updateFrame: Uint8Array | null): void {
    if (this.deleted) return
    // A reader's update is refused anyway (below): only a writer's is read for deleted content.
    if (this.deletedContent && connection.grant.access !== 'read' && updateBringsBackDeleted(update, this.deletedContent, this.doc, this.context.limits)) {
      connection.close(CloseCode.DOCUMENT_DELETED)
      return
    }
    const result = this.pipeline.submit(update, { kind: 'connection', connection }, { frame: updateFrame, readOnly: connection.grant.access === 'read' })
    switch (result.status) {
      case 'refused':
        this.context.logger.warn(`room "${this.name}": refused an update (${result.reason})`)
        connection.close(result.kind === 'limit' ? CloseCode.LIMIT_EXCEEDED : CloseCode.MALFORMED_MESSAGE)
        return
      case 'read-only':
        connection.socket.updateSettled?.(Promise.resolve(false))
        this.refuseWrite(connection)
        return
      case 'unchanged':
      case 'accepted':
        if (connection.socket.updateSettled) {
          // Nothing new may still be someone else's pending update: settled once all before it are.
          const stored = result.status === 'accepted' ? result.committed : this.pipeline.flush()
          connection.socket.updateSettled(stored.then(() => true, () => false))
        }
        if (result.cut && updateFrame) this.askToSync(connection)
    }
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

  /**
   * Relay presence changes to everyone, the sender included (for a client
   * alone in a room the echo of its own renewal is what keeps its connection
   * alive), batched per `awarenessIntervalMs` (`PresenceBatch`).
   */
  private relayPresence(entries: AwarenessEntry[]): void {
    this.presenceOut.add(entries)
  }

  private broadcast(frame: Uint8Array, except: Connection | null): void {
    for (const connection of this.connections) {
      if (connection !== except) connection.send(frame)
    }
  }
}

/** The kept state vector, or null (logged) when it cannot be read: a bad record must not lock everyone out. */
function decodeDeleted(bytes: Uint8Array, logger: RoomContext['logger'], name: string): Map<number, number> | null {
  try {
    return Y.decodeStateVector(bytes)
  } catch {
    logger.error(`room "${name}": the record of what was deleted under this name cannot be read; offline copies of it are not recognised`)
    return null
  }
}
