import * as Y from 'yjs'
import type { DocumentStorage } from '../storage/types.ts'
import type { HookRunner } from './hooks.ts'
import type { RelayLogger } from './relay-socket.ts'

/** An accepted update on its way to storage, then into the document and out to the room. */
export interface PendingWrite<Origin> {
  update: Uint8Array
  /** The frame the other clients receive once the update is committed. */
  frame: Uint8Array
  origin: Origin
  /** False for an update another instance already stored (scale-out): applied and relayed in turn, never appended again. */
  store?: boolean
  /**
   * `'empty'`: store it only if the document's stored log is empty (seeding a
   * new document exactly once, across instances too). Written on its own;
   * when the log is not empty it is discarded, never applied or relayed.
   */
  condition?: 'empty'
}

/** How a document is written: shared by the relay's rooms, their pipelines and writers. */
export interface WriteSettings {
  storage: DocumentStorage
  logger: RelayLogger
  hooks: HookRunner
  /** Merge the stored log into one update once it holds this many updates... */
  compactAfterUpdates: number
  /** ...or this many bytes. */
  compactAfterBytes: number
  /** First delay before retrying a failed write; doubles up to 30 s. */
  writeRetryMs: number
}

/** What the writer needs from its room. */
export interface WriterContext<Origin> extends WriteSettings {
  name: string
  /** Updates per storage transaction at most (a burst is committed in several). */
  maxBatch: number
  /**
   * Apply and relay a committed batch; may take several event-loop turns. The
   * document must hold the batch once it resolves, unless the room broke.
   */
  commit(batch: PendingWrite<Origin>[]): Promise<void>
  /** A write that was not stored: a conditional one whose condition did not hold, or any once the document is deleted (`error` then). */
  discard(write: PendingWrite<Origin>, error?: Error): void
  /**
   * The document was deleted (here or on another instance): nothing more is
   * written, and nothing is compacted, or the room's copy would bring it back.
   */
  deleted(): boolean
}

const MAX_WRITE_RETRY_MS = 30_000

/**
 * A room's path to storage: updates are appended in batches (the updates of
 * one event-loop turn together), committed, and only then handed back to
 * the room to apply and relay. A failed write keeps its batch first in line
 * and retries with back-off; nothing unsaved is ever relayed. Compacts the
 * log once enough has been appended.
 */
export class DocumentWriter<Origin> {
  private pending: PendingWrite<Origin>[] = []
  private pendingBytes = 0
  private flushing: Promise<void> | null = null
  private head: number
  private logUpdates: number
  private logBytes: number
  /** Size of the compacted state at the head of the log (0 until this room compacts). */
  private snapshotBytes = 0
  /** The last storage failure, until a write succeeds again. */
  writeError: Error | null = null

  constructor(
    private readonly context: WriterContext<Origin>,
    private readonly doc: Y.Doc,
    stored: { head: number; count: number; bytes: number },
  ) {
    this.head = stored.head
    this.logUpdates = stored.count
    this.logBytes = stored.bytes
  }

  /** Updates accepted but not yet committed. */
  get pendingCount(): number {
    return this.pending.length
  }

  /** The document's stored size as the log has it (an upper bound of its state), pending updates included. */
  get storedBytes(): number {
    return this.logBytes + this.pendingBytes
  }

  enqueue(write: PendingWrite<Origin>): void {
    this.pending.push(write)
    if (write.store !== false) this.pendingBytes += write.update.byteLength
    this.flushing ??= this.run().finally(() => {
      this.flushing = null
    })
  }

  /** Resolves once every update accepted so far is committed, applied and relayed. */
  async flush(): Promise<void> {
    while (this.flushing) await this.flushing
  }

  /**
   * Merge the log into `state` now (the load set some updates aside: the new
   * snapshot leaves them out, and storage quarantines them in the same transaction).
   */
  async compactNow(setAside: { update: Uint8Array; reason: string }[]): Promise<void> {
    const state = Y.encodeStateAsUpdate(this.doc)
    await this.context.storage.compact(this.context.name, state, this.head, setAside)
    this.logUpdates = 1
    this.logBytes = state.byteLength
    this.snapshotBytes = state.byteLength
  }

  private async run(): Promise<void> {
    // Let the rest of this event-loop turn's frames join the same transaction.
    await new Promise<void>((resolve) => setImmediate(resolve))
    let retryMs = this.context.writeRetryMs
    while (this.pending.length > 0) {
      if (this.context.deleted()) {
        const gone = new Error('the document was deleted')
        for (const write of this.pending.splice(0)) {
          this.pendingBytes -= write.update.byteLength
          this.context.discard(write, gone)
        }
        return
      }
      const batch = this.pending.splice(0, this.batchLength())
      // Updates from other instances are stored already: they only keep their place in line.
      const toStore = batch.filter((write) => write.store !== false)
      const started = performance.now()
      const bytes = toStore.reduce((sum, write) => sum + write.update.byteLength, 0)
      try {
        if (batch[0].condition === 'empty') {
          const head = await this.context.storage.appendIfEmpty(this.context.name, [batch[0].update])
          if (head === null) {
            this.pendingBytes -= batch[0].update.byteLength
            this.context.discard(batch[0])
            continue
          }
          this.head = Math.max(this.head, head)
          this.context.hooks.emit('storageAppended', { name: this.context.name, updates: 1, bytes, ms: performance.now() - started })
        } else if (toStore.length > 0) {
          this.head = Math.max(
            this.head,
            await this.context.storage.append(
              this.context.name,
              toStore.map((write) => write.update),
            ),
          )
          this.context.hooks.emit('storageAppended', { name: this.context.name, updates: toStore.length, bytes, ms: performance.now() - started })
        }
      } catch (error) {
        this.context.hooks.emit('storageAppended', { name: this.context.name, updates: toStore.length, bytes, ms: performance.now() - started, error: error instanceof Error ? error : new Error(String(error)) })
        // Nothing was relayed; keep the batch first in line and try again.
        this.pending = batch.concat(this.pending)
        this.writeError = error instanceof Error ? error : new Error(String(error))
        this.context.logger.error(`room "${this.context.name}": write failed, retrying in ${retryMs} ms`, error)
        await new Promise((resolve) => setTimeout(resolve, retryMs))
        retryMs = Math.min(retryMs * 2, MAX_WRITE_RETRY_MS)
        continue
      }
      this.writeError = null
      retryMs = this.context.writeRetryMs
      for (const write of toStore) {
        this.logUpdates++
        this.logBytes += write.update.byteLength
        this.pendingBytes -= write.update.byteLength
      }
      await this.context.commit(batch)
      // The document now holds exactly the log up to `head`: the moment to compact.
      await this.compactIfDue()
    }
  }

  /** How many pending writes the next transaction takes: up to `maxBatch`, a conditional write alone. */
  private batchLength(): number {
    if (this.pending[0].condition) return 1
    const conditional = this.pending.findIndex((write) => write.condition !== undefined)
    return Math.min(this.context.maxBatch, conditional === -1 ? this.pending.length : conditional)
  }

  /**
   * Merge the log once enough has been appended since the last snapshot. The
   * byte threshold counts only what came after the snapshot, and must also
   * reach the snapshot's own size: otherwise a document larger than the
   * threshold would be rewritten whole after every write.
   */
  private async compactIfDue(): Promise<void> {
    if (this.context.deleted()) return
    const tailBytes = this.logBytes - this.snapshotBytes
    const dueByCount = this.logUpdates >= this.context.compactAfterUpdates
    const dueByBytes = tailBytes >= this.context.compactAfterBytes && tailBytes >= this.snapshotBytes
    if (!dueByCount && !dueByBytes) return
    const started = performance.now()
    try {
      await this.compactNow([])
      this.context.hooks.emit('storageCompacted', { name: this.context.name, ms: performance.now() - started })
    } catch (error) {
      // The log is intact (compaction is one transaction); try again after the next write.
      this.context.logger.error(`room "${this.context.name}": compaction failed`, error)
      this.context.hooks.emit('storageCompacted', { name: this.context.name, ms: performance.now() - started, error: error instanceof Error ? error : new Error(String(error)) })
    }
  }
}
