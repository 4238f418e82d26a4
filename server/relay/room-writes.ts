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
  /** A conditional write whose condition did not hold: drop it (it was never stored). */
  discard(write: PendingWrite<Origin>): void
}

const MAX_WRITE_RETRY_MS = 30_000

/** A batch on its way to storage. */
interface Write<Origin> {
  batch: PendingWrite<Origin>[]
  done: Promise<'stored' | 'discarded' | Error>
}

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
    // The next batch, already on its way to storage while the current one is applied and relayed.
    let next: Write<Origin> | null = null
    while (next || this.pending.length > 0) {
      const current = next ?? this.write(this.pending.splice(0, this.batchLength()))
      next = null
      const outcome = await current.done
      if (outcome === 'discarded') continue
      if (outcome instanceof Error) {
        // Nothing of it was relayed; keep the batch first in line and try again.
        this.pending = current.batch.concat(this.pending)
        this.writeError = outcome
        this.context.logger.error(`room "${this.context.name}": write failed, retrying in ${retryMs} ms`, outcome)
        await new Promise((resolve) => setTimeout(resolve, retryMs))
        retryMs = Math.min(retryMs * 2, MAX_WRITE_RETRY_MS)
        continue
      }
      this.writeError = null
      retryMs = this.context.writeRetryMs
      for (const write of current.batch) {
        if (write.store === false) continue
        this.logUpdates++
        this.logBytes += write.update.byteLength
        this.pendingBytes -= write.update.byteLength
      }
      // Storage (a worker thread, a database server) commits the next batch
      // while this thread applies and relays this one. One write in flight at
      // a time keeps the log in the order updates are relayed; a failed write
      // is retried before anything after it is relayed. A conditional write
      // waits for what comes before it, and so does a due compaction, which
      // needs the document to hold exactly the stored log.
      if (this.pending.length > 0 && !this.pending[0].condition && !this.compactionDue()) {
        next = this.write(this.pending.splice(0, this.batchLength()))
      }
      await this.context.commit(current.batch)
      // The document now holds exactly the log up to `head`: the moment to compact.
      if (!next) await this.compactIfDue()
    }
  }

  /** Start storing a batch: resolves `'stored'`, `'discarded'` (a conditional write whose condition failed) or the error. */
  private write(batch: PendingWrite<Origin>[]): Write<Origin> {
    return { batch, done: this.store(batch) }
  }

  private async store(batch: PendingWrite<Origin>[]): Promise<'stored' | 'discarded' | Error> {
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
          return 'discarded'
        }
        this.head = Math.max(this.head, head)
      } else if (toStore.length > 0) {
        const head = await this.context.storage.append(
          this.context.name,
          toStore.map((write) => write.update),
        )
        this.head = Math.max(this.head, head)
      } else {
        return 'stored'
      }
      this.context.hooks.emit('storageAppended', { name: this.context.name, updates: toStore.length, bytes, ms: performance.now() - started })
      return 'stored'
    } catch (caught) {
      const error = caught instanceof Error ? caught : new Error(String(caught))
      this.context.hooks.emit('storageAppended', { name: this.context.name, updates: toStore.length, bytes, ms: performance.now() - started, error })
      return error
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
  private compactionDue(): boolean {
    const tailBytes = this.logBytes - this.snapshotBytes
    const dueByCount = this.logUpdates >= this.context.compactAfterUpdates
    const dueByBytes = tailBytes >= this.context.compactAfterBytes && tailBytes >= this.snapshotBytes
    return dueByCount || dueByBytes
  }

  private async compactIfDue(): Promise<void> {
    if (!this.compactionDue()) return
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
