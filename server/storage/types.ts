/**
 * The storage seam. Rooms load from and write to this byte-level interface
 * and know nothing else about where documents live. Every backend passes the
 * one contract suite in `tests/storage-contract.test.ts`.
 *
 * A document is an ordered log of Yjs updates. `head` is an opaque position
 * in that log (a count, a row id): `compact` replaces everything up to a head
 * the caller has seen with one merged update, atomically, so updates appended
 * after that head survive.
 */
export interface StoredDocument {
  /** The updates in the order they were appended (a compacted state first, if any). */
  updates: Uint8Array[]
  /** Position of the last update returned; pass it back to `compact`. */
  head: number
  /** Total bytes of `updates`, for compaction thresholds. */
  bytes: number
}

export interface DocumentStorage {
  /** The document's log, or an empty log when it was never written. Rejects when storage fails. */
  load(name: string): Promise<StoredDocument>
  /** Durably append updates (at least one), in order, in one transaction. Resolves with the new head. */
  append(name: string, updates: readonly Uint8Array[]): Promise<number>
  /** Replace every update up to and including `head` with `state`, in one transaction. */
  compact(name: string, state: Uint8Array, head: number): Promise<void>
  /** Forget the document. */
  delete(name: string): Promise<void>
  /** Names of every stored document. */
  list(): Promise<string[]>
  /** Release connections and file handles; pending writes finish first. */
  close(): Promise<void>
}
