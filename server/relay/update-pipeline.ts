import * as Y from 'yjs'
import { CloseCode } from '../../shared/close-codes.ts'
import { encodeUpdate } from '../../shared/protocol.ts'
import type { SetAsideUpdate } from '../storage/types.ts'
import type { Connection } from './connection.ts'
import { misplacedItem } from './integration-check.ts'
import type { RelayLimits } from './limits.ts'
import { originInfo, type UpdateOrigin } from './origin.ts'
import { PendingOverlay, type PartFootprint } from './pending-overlay.ts'
import { DocumentWriter, type PendingWrite, type WriteSettings } from './room-writes.ts'
import { guardUpdate } from './update-guard.ts'
import { UpdateRefused } from './update-parse.ts'
import { createYielder } from './yielder.ts'

/** What the pipeline needs from its room. */
export interface PipelineContext extends WriteSettings {
  name: string
  limits: RelayLimits
  /** The room's connections now (to relay to, and to cork while relaying a batch). */
  connections(): Iterable<Connection>
  /** Yjs threw on (or misplaced) an accepted update: the room must be reloaded from storage. */
  onBroken(): void
  /** Tell the other instances of a committed update (scale-out); not called for theirs. */
  publish?(update: Uint8Array): void
  /** An update was committed and applied: from `origin`, adding to the Yjs clients `clients` (who edited, for versions). */
  onCommitted?(origin: UpdateOrigin, clients: Iterable<number>): void
  /** The document was deleted: what is not stored yet never will be (see `WriterContext.deleted`). */
  deleted?(): boolean
}

/** What became of a submitted update. */
export type SubmitResult =
  /** Checked and queued: `committed` resolves once it is stored, applied and relayed (rejects if the document had to be reloaded). */
  | { status: 'accepted'; cut: boolean; committed: Promise<void> }
  /** Nothing in it the document does not have (or could take now: `cut`). */
  | { status: 'unchanged'; cut: boolean }
  /** It would change the document, and the submitter may only read. */
  | { status: 'read-only' }
  /** Refused: `malformed` (1007 for a connection) or over a `limit` (4413). */
  | { status: 'refused'; kind: 'malformed' | 'limit'; reason: string }

/** Where an update came from, carried with it to storage and back. */
interface WriteOrigin {
  origin: UpdateOrigin
  /** What the guard's overlay holds for it until it is applied. */
  footprint: PartFootprint
  /** Items to check once applied (see `misplacedItem`). */
  checks: { client: number; clock: number }[]
  /** For the last part of a server-side submit: settles its `committed`. */
  settle?: { resolve(): void; reject(error: Error): void }
}

/** A create-only update found the document's stored log not empty: nothing was written. */
export class NotEmptyError extends Error {
  override name = 'NotEmptyError'
  constructor() {
    super('the document exists in storage')
  }
}

/** Updates per storage transaction at most. */
const MAX_BATCH_UPDATES = 2_000

/**
 * The one way into a document, for every origin (a connection, the HTTP
 * API, another instance): check (`update-guard.ts`), store (one transaction
 * per event-loop turn), then apply to the document and relay to its
 * connections. So every update anyone has seen is durable, the document
 * never holds what Yjs would keep pending, and its state vector reflects
 * saved work only (the editor's "saved" indicator relies on that).
 */
export class UpdatePipeline {
  private readonly overlay = new PendingOverlay()
  private readonly writer: DocumentWriter<WriteOrigin>
  /** Yjs threw on an update: nothing more is applied; the room is reloaded. */
  private broken = false
  /** Whether the document has ever held anything (for `created` in hooks). */
  private existed: boolean

  constructor(
    private readonly context: PipelineContext,
    readonly doc: Y.Doc,
    stored: { head: number; count: number; bytes: number },
  ) {
    this.existed = stored.count > 0
    this.writer = new DocumentWriter<WriteOrigin>(
      {
        name: context.name,
        storage: context.storage,
        logger: context.logger,
        hooks: context.hooks,
        compactAfterUpdates: context.compactAfterUpdates,
        compactAfterBytes: context.compactAfterBytes,
        writeRetryMs: context.writeRetryMs,
        maxBatch: MAX_BATCH_UPDATES,
        commit: (batch) => this.commit(batch),
        discard: (write, error) => {
          this.overlay.release(write.origin.footprint)
          if (write.origin.origin.kind === 'connection') write.origin.origin.connection.updateDone()
          write.origin.settle?.reject(error ?? new NotEmptyError())
        },
        deleted: () => context.deleted?.() ?? false,
      },
      doc,
      stored,
    )
  }

  get writeError(): Error | null {
    return this.writer.writeError
  }

  get pendingCount(): number {
    return this.writer.pendingCount
  }

  /** Resolves once every update submitted so far is committed, applied and relayed. */
  flush(): Promise<void> {
    return this.writer.flush()
  }

  /** Replace the stored log with the document's state, quarantining `setAside` in the same transaction. */
  compactNow(setAside: SetAsideUpdate[]): Promise<void> {
    return this.writer.compactNow(setAside)
  }

  destroy(): void {
    this.overlay.clear()
  }

  /**
   * Submit an update. `frame` is the connection's own frame when the update
   * came as an `update` message (relayed as it came if applied whole);
   * `readOnly` refuses anything that would change the document.
   */
  submit(update: Uint8Array, origin: UpdateOrigin, options: { frame?: Uint8Array | null; readOnly?: boolean; onlyIfEmpty?: boolean } = {}): SubmitResult {
    let result
    try {
      result = guardUpdate(this.doc, this.overlay, update, this.context.limits)
    } catch (error) {
      if (!(error instanceof UpdateRefused)) throw error
      return { status: 'refused', kind: error.kind, reason: error.message }
    }
    if (result.parts.length === 0) return { status: 'unchanged', cut: result.cut }
    // Never stored, applied or relayed. (A sync step 2 adding nothing got no parts: stock clients send one on every connect.)
    if (options.readOnly) return { status: 'read-only' }
    // Another instance's update was stored (and its limits checked) there.
    const store = origin.kind !== 'instance'
    const addsContent = result.parts.some((part) => part.structs.size > 0)
    if (store && addsContent && this.writer.storedBytes + update.byteLength > this.context.limits.maxDocumentBytes) {
      return { status: 'refused', kind: 'limit', reason: `the document would pass ${this.context.limits.maxDocumentBytes} bytes` }
    }
    let settle: WriteOrigin['settle']
    const committed = new Promise<void>((resolve, reject) => (settle = { resolve, reject }))
    // Nobody may be waiting (a connection's submit): an unobserved rejection must not crash the process.
    committed.catch(() => {})
    // A seed is one write (see PendingWrite.condition): a cut one would be stored in parts.
    if (options.onlyIfEmpty && result.parts.length !== 1) return { status: 'refused', kind: 'malformed', reason: 'a create-only update must apply whole' }
    result.parts.forEach((part, index) => {
      const footprint = this.overlay.add(part.structs, part.rootNames)
      // Relay the received bytes when applied whole; a sync step 2, an API update or a part goes as an update frame.
      const frame = part.whole && options.frame ? options.frame : encodeUpdate(part.update)
      if (origin.kind === 'connection') origin.connection.queueUpdate()
      const last = index === result.parts.length - 1
      this.writer.enqueue({
        update: part.update,
        frame,
        store,
        ...(options.onlyIfEmpty ? { condition: 'empty' as const } : {}),
        origin: { origin, footprint, checks: part.checks, ...(last ? { settle } : {}) },
      })
    })
    return { status: 'accepted', cut: result.cut, committed }
  }

  /** Apply and relay a committed batch, yielding between slices so other rooms keep flowing. */
  private async commit(batch: PendingWrite<WriteOrigin>[]): Promise<void> {
    const yielder = createYielder()
    let index = 0
    while (index < batch.length) {
      // One write per connection per slice (see RelaySocket.cork).
      const corked = batch.length - index > 1 ? [...this.context.connections()] : []
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
    const { origin, footprint, checks, settle } = write.origin
    const from = origin.kind === 'connection' ? origin.connection : null
    from?.updateDone()
    this.overlay.release(footprint)
    // Stored, but not applied: the reload from storage applies it (or sets it aside).
    if (this.broken) {
      settle?.reject(new Error('the document is being reloaded'))
      return
    }
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
      this.context.logger.error(`room "${this.context.name}": an accepted update broke the document (${problem}); reloading it`)
      from?.close(CloseCode.MALFORMED_MESSAGE)
      settle?.reject(new Error(`the update broke the document (${problem}); it is set aside`))
      this.context.onBroken()
      return
    }
    if (this.doc.store.pendingStructs || this.doc.store.pendingDs) {
      // The guard replays Yjs's integration order so this cannot happen; if it
      // does, pending state would tax every later update: drop it.
      this.context.logger.error(`room "${this.context.name}": Yjs kept pending state the guard did not foresee; dropping it`)
      this.doc.store.pendingStructs = null
      this.doc.store.pendingDs = null
    }
    for (const connection of this.context.connections()) {
      if (connection !== from) connection.send(write.frame)
    }
    if (origin.kind !== 'instance') this.context.publish?.(write.update)
    this.context.onCommitted?.(origin, footprint.structs.keys())
    if (this.context.hooks.wants('updateCommitted')) {
      this.context.hooks.emit('updateCommitted', { name: this.context.name, update: write.update, origin: originInfo(origin), created: !this.existed })
    }
    this.existed = true
    settle?.resolve()
  }
}
