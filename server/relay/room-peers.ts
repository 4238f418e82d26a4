import * as Y from 'yjs'
import type { DocumentStorage } from '../storage/types.ts'
import type { BusSubscription, DocumentBus } from './document-bus.ts'
import type { RelayLimits } from './limits.ts'
import type { RelayLogger } from './relay-socket.ts'
import { loadDocument } from './room-load.ts'
import type { SubmitResult } from './update-pipeline.ts'

/** What a room's link to other instances needs from the room. */
export interface PeerRoom {
  readonly name: string
  readonly doc: Y.Doc
  readonly storage: DocumentStorage
  readonly limits: RelayLimits
  readonly logger: RelayLogger
  /** Submit another instance's update (applied and relayed, not stored again). */
  submitFromInstance(update: Uint8Array, instanceId: string): SubmitResult
  /** Another instance's presence update: keep it (owned by that instance) and show it to this instance's connections. */
  applyRemotePresence(awarenessUpdate: Uint8Array, instanceId: string): void
  /** Drop an instance's presence, here and for this instance's connections. */
  dropInstance(instanceId: string): void
  /** This instance's connections' presence in full (null when nobody here has any). */
  localPresence(): Uint8Array | null
  /** A stateless message from a client on another instance: to this instance's connections that take them. */
  deliverStateless(payload: string): void
  /** Another instance deleted the document: close this copy's connections and unload it. */
  deletedElsewhere(): void
}

/**
 * One room's link to the other instances holding the same document
 * (scale-out): their updates come in through the room's pipeline as the
 * `instance` origin, their presence goes into the room's (owned by their
 * instance, so that clients here echoing it cannot take it over), and after
 * any gap the copy is reconciled with storage, which holds everything any
 * instance ever published.
 */
export class RoomPeers {
  private subscription: BusSubscription | null = null
  private reconciling: Promise<void> | null = null
  private reconcileAgain = false
  private closed = false

  constructor(
    private readonly room: PeerRoom,
    private readonly bus: DocumentBus,
  ) {}

  /** Start receiving after `position` (taken before the room loaded) and ask for the others' presence. */
  start(position: string): void {
    this.subscription = this.bus.subscribe(this.room.name, position, {
      update: (update, instanceId) => this.receiveUpdate(update, instanceId),
      presence: (update, instanceId) => {
        if (!this.closed) this.room.applyRemotePresence(update, instanceId)
      },
      presenceQueried: () => {
        const presence = this.room.localPresence()
        if (presence) this.bus.publishPresence(this.room.name, presence)
      },
      instanceGone: (instanceId) => {
        if (!this.closed) this.room.dropInstance(instanceId)
      },
      stateless: (payload) => {
        if (!this.closed) this.room.deliverStateless(payload)
      },
      deleted: () => {
        if (!this.closed) this.room.deletedElsewhere()
      },
      resync: () => void this.reconcile(),
    })
    this.bus.queryPresence(this.room.name)
  }

  publishUpdate(update: Uint8Array): void {
    this.bus.publishUpdate(this.room.name, update)
  }

  publishPresence(awarenessUpdate: Uint8Array): void {
    this.bus.publishPresence(this.room.name, awarenessUpdate)
  }

  publishStateless(payload: string): void {
    this.bus.publishStateless(this.room.name, payload)
  }

  close(): void {
    this.closed = true
    this.subscription?.close()
    this.subscription = null
  }

  private receiveUpdate(update: Uint8Array, instanceId: string): void {
    if (this.closed) return
    const result = this.room.submitFromInstance(update, instanceId)
    // Refused: it was checked on the instance that stored it, so this copy is
    // what differs (or the message was damaged). Storage has the truth.
    if (result.status === 'refused') {
      this.room.logger.warn(`room "${this.room.name}": an update from instance ${instanceId} was refused here (${result.reason}); reconciling with storage`)
      void this.reconcile()
    } else if (result.status !== 'read-only' && result.cut) {
      // It builds on something this copy lacks: a message was missed.
      void this.reconcile()
    }
  }

  /**
   * Bring this copy up to what storage holds: load the stored document and
   * submit what it has that this copy lacks (by state vector). One at a
   * time; a request during one runs once more after it.
   */
  reconcile(): Promise<void> {
    if (this.reconciling) {
      this.reconcileAgain = true
      return this.reconciling
    }
    this.reconciling = (async () => {
      do {
        this.reconcileAgain = false
        if (this.closed) return
        try {
          const stored = await loadDocument(this.room.name, this.room.storage, this.room.limits, this.room.logger)
          if (this.closed) return
          const missing = Y.encodeStateAsUpdate(stored.doc, Y.encodeStateVector(this.room.doc))
          stored.doc.destroy()
          const result = this.room.submitFromInstance(missing, 'storage')
          if (result.status === 'refused') this.room.logger.warn(`room "${this.room.name}": reconciling with storage was refused (${result.reason})`)
        } catch (error) {
          this.room.logger.error(`room "${this.room.name}": could not reconcile with storage; trying again on the next gap`, error)
        }
      } while (this.reconcileAgain)
    })().finally(() => {
      this.reconciling = null
    })
    return this.reconciling
  }
}
