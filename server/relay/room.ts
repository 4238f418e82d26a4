import * as Y from 'yjs'
import { CloseCode } from '../../shared/close-codes.ts'
import { decodeClientFrame, encodeAwareness, encodeSyncStep1, encodeSyncStep2, encodeUpdate } from '../../shared/protocol.ts'
import type { DocumentStorage } from '../storage/types.ts'
import type { Connection } from './connection.ts'
import { Presence } from './presence.ts'
import type { RelayLogger } from './relay-socket.ts'
import { isAcceptableUpdate, isEmptyUpdate } from './update-check.ts'

/** What a room needs from the relay that owns it. */
export interface RoomContext {
  storage: DocumentStorage
  logger: RelayLogger
  /** Merge the stored log into one update once it holds this many updates... */
  compactAfterUpdates: number
  /** ...or this many bytes. */
  compactAfterBytes: number
  /** First delay before retrying a failed write; doubles up to 30 s. */
  writeRetryMs: number
  /** Called once the room has had no connections for the idle period. */
  onIdle(room: Room): void
  roomIdleMs: number
}

interface PendingWrite {
  update: Uint8Array
  /** The frame other clients receive once the update is committed. */
  frame: Uint8Array
  from: Connection
}

const MAX_WRITE_RETRY_MS = 30_000

/**
 * One document and the connections editing it.
 *
 * The room's `Y.Doc` holds only what storage has committed: an update is
 * validated, appended to storage (one transaction per event-loop turn), and
 * only then applied to the doc and relayed. So every update another client
 * has seen is durable, and the state vector the relay sends reflects saved
 * work only (the editor's "saved" indicator relies on that).
 */
export class Room {
  readonly doc = new Y.Doc()
  readonly connections = new Set<Connection>()
  private readonly presence = new Presence<Connection>()
  private pending: PendingWrite[] = []
  private flushing: Promise<void> | null = null
  private idleTimer: ReturnType<typeof setTimeout> | null = null
  private head: number
  private logUpdates: number
  private logBytes: number
  /** Size of the compacted state at the head of the log (0 until this room compacts). */
  private snapshotBytes = 0
  /** The last storage failure, until a write succeeds again. */
  writeError: Error | null = null
  /** Stored updates skipped at load because Yjs could not apply them. */
  skippedUpdates = 0

  private constructor(
    readonly name: string,
    private readonly context: RoomContext,
    stored: { head: number; count: number; bytes: number },
  ) {
    this.head = stored.head
    this.logUpdates = stored.count
    this.logBytes = stored.bytes
  }

  /** Load a room from storage. Rejects (and creates nothing) when storage fails. */
  static async load(name: string, context: RoomContext): Promise<Room> {
    const stored = await context.storage.load(name)
    const room = new Room(name, context, { head: stored.head, count: stored.updates.length, bytes: stored.bytes })
    // One transaction for the whole log: observers (none yet) and GC run once.
    Y.transact(room.doc, () => {
      for (const update of stored.updates) {
        try {
          Y.applyUpdate(room.doc, update)
        } catch (error) {
          // Replays what happened when it was committed (see `commit`): an
          // update Yjs cannot apply is skipped, never the whole document.
          room.skippedUpdates++
          context.logger.warn(`room "${name}": skipped a stored update that Yjs cannot apply: ${String(error)}`)
        }
      }
    })
    return room
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
    const removal = this.presence.removeAll(connection.ownedClientIds)
    if (removal) this.broadcast(encodeAwareness(removal), null)
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
   * connection (1007) before it touches the room.
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
      case 'sync-step1': {
        let diff: Uint8Array
        try {
          diff = Y.encodeStateAsUpdate(this.doc, message.stateVector)
        } catch {
          connection.close(CloseCode.MALFORMED_MESSAGE)
          return
        }
        connection.send(encodeSyncStep2(diff))
        // Our state vector again, after the answer: it tells the client how
        // much of its work is committed (see PROTOCOL.md, "saved state").
        connection.send(encodeSyncStep1(Y.encodeStateVector(this.doc)))
        return
      }
      case 'sync-step2':
      case 'update': {
        if (!isAcceptableUpdate(message.update)) {
          connection.close(CloseCode.MALFORMED_MESSAGE)
          return
        }
        if (isEmptyUpdate(message.update)) return
        // Relay the received bytes; a step 2 is re-framed once as an update.
        const relayed = message.kind === 'update' ? frame : encodeUpdate(message.update)
        this.enqueue({ update: message.update, frame: relayed, from: connection })
        return
      }
      case 'awareness': {
        let accepted: Uint8Array | null
        try {
          accepted = this.presence.apply(connection, message.update, connection.ownedClientIds)
        } catch {
          connection.close(CloseCode.MALFORMED_MESSAGE)
          return
        }
        // To everyone, the sender included: for a client alone in a room the
        // echo of its own renewal is what keeps its connection alive.
        if (accepted) this.broadcast(accepted === message.update ? frame : encodeAwareness(accepted), null)
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

  /** Resolves once every update received so far is committed and relayed. */
  async flush(): Promise<void> {
    while (this.flushing) await this.flushing
  }

  /** Release the document. Call only after `flush()`, with no connections left. */
  destroy(): void {
    if (this.idleTimer) clearTimeout(this.idleTimer)
    this.idleTimer = null
    this.doc.destroy()
  }

  get pendingWrites(): number {
    return this.pending.length
  }

  private enqueue(write: PendingWrite): void {
    this.pending.push(write)
    this.flushing ??= this.runWrites().finally(() => {
      this.flushing = null
    })
  }

  private async runWrites(): Promise<void> {
    // Let the rest of this event-loop turn's frames join the same transaction.
    await new Promise<void>((resolve) => setImmediate(resolve))
    let retryMs = this.context.writeRetryMs
    while (this.pending.length > 0) {
      const batch = this.pending
      this.pending = []
      try {
        this.head = await this.context.storage.append(
          this.name,
          batch.map((write) => write.update),
        )
      } catch (error) {
        // Nothing was relayed; keep the batch first in line and try again.
        this.pending = batch.concat(this.pending)
        this.writeError = error instanceof Error ? error : new Error(String(error))
        this.context.logger.error(`room "${this.name}": write failed, retrying in ${retryMs} ms`, error)
        await new Promise((resolve) => setTimeout(resolve, retryMs))
        retryMs = Math.min(retryMs * 2, MAX_WRITE_RETRY_MS)
        continue
      }
      this.writeError = null
      retryMs = this.context.writeRetryMs
      this.commit(batch)
      await this.compactIfDue()
    }
  }

  private commit(batch: PendingWrite[]): void {
    // One write per connection for the whole batch (see RelaySocket.cork).
    const corked = batch.length > 1 ? [...this.connections] : []
    for (const connection of corked) connection.socket.cork?.()
    try {
      this.relayBatch(batch)
    } finally {
      for (const connection of corked) connection.socket.uncork?.()
    }
  }

  private relayBatch(batch: PendingWrite[]): void {
    for (const write of batch) {
      this.logUpdates++
      this.logBytes += write.update.byteLength
      try {
        Y.applyUpdate(this.doc, write.update)
      } catch (error) {
        // An update that passed `isAcceptableUpdate` but still breaks Yjs
        // against this document's content: keep it from the other clients
        // and drop its sender. Loading skips it the same way.
        this.context.logger.warn(`room "${this.name}": a client's update could not be applied: ${String(error)}`)
        write.from.close(CloseCode.MALFORMED_MESSAGE)
        continue
      }
      this.broadcast(write.frame, write.from)
    }
  }

  /**
   * Merge the log once enough has been appended since the last snapshot. The
   * byte threshold counts only what came after the snapshot, and must also
   * reach the snapshot's own size: otherwise a document larger than the
   * threshold would be rewritten whole after every write.
   */
  private async compactIfDue(): Promise<void> {
    const tailBytes = this.logBytes - this.snapshotBytes
    const dueByCount = this.logUpdates >= this.context.compactAfterUpdates
    const dueByBytes = tailBytes >= this.context.compactAfterBytes && tailBytes >= this.snapshotBytes
    if (!dueByCount && !dueByBytes) return
    const state = Y.encodeStateAsUpdate(this.doc)
    try {
      await this.context.storage.compact(this.name, state, this.head)
      this.logUpdates = 1
      this.logBytes = state.byteLength
      this.snapshotBytes = state.byteLength
    } catch (error) {
      // The log is intact (compaction is one transaction); try again after the next write.
      this.context.logger.error(`room "${this.name}": compaction failed`, error)
    }
  }

  private broadcast(frame: Uint8Array, except: Connection | null): void {
    for (const connection of this.connections) {
      if (connection !== except) connection.send(frame)
    }
  }
}
