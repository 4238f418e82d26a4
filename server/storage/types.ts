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

/**
 * An update taken out of a document's log because it cannot be applied (or
 * must not be: it would break the document), kept with the reason so an
 * operator can inspect it. Nothing is dropped silently.
 */
export interface SetAsideUpdate {
  update: Uint8Array
  reason: string
}

/** A set-aside update as storage keeps it. */
export interface QuarantinedUpdate extends SetAsideUpdate {
  /** When it was set aside. */
  at: Date
}

/** A stored document as `describe` lists it. */
export interface StoredDocumentInfo {
  name: string
  /** Bytes of its log (snapshot and updates since). */
  bytes: number
  /** When its log last grew (null when written by a version that kept no times). */
  updatedAt: Date | null
}

export interface DocumentStorage {
  /** The document's log, or an empty log when it was never written. Rejects when storage fails. */
  load(name: string): Promise<StoredDocument>
  /** Durably append updates (at least one), in order, in one transaction. Resolves with the new head. */
  append(name: string, updates: readonly Uint8Array[]): Promise<number>
  /**
   * Replace every update up to and including `head` with `state`, in one
   * transaction; `setAside` updates are recorded in the quarantine in that
   * same transaction (so they are never both gone from the log and missing
   * from the quarantine).
   */
  compact(name: string, state: Uint8Array, head: number, setAside?: readonly SetAsideUpdate[]): Promise<void>
  /** The document's quarantined updates, oldest first. */
  quarantined(name: string): Promise<QuarantinedUpdate[]>
  /**
   * Move a document's whole log (and quarantine) to a new name, in one
   * transaction. Rejects, changing nothing, when `to` already has a log.
   */
  rename(from: string, to: string): Promise<void>
  /** Forget the document (its log and its quarantine). */
  delete(name: string): Promise<void>
  /** Names of every stored document. */
  list(): Promise<string[]>
  /**
   * Stored documents with their size and last change, in name order (by
   * UTF-8 bytes): those starting with `prefix`, after the name `after`, at
   * most `limit`.
   */
  describe(options: { prefix?: string; after?: string; limit: number }): Promise<StoredDocumentInfo[]>
  /** Release connections and file handles; pending writes finish first. */
  close(): Promise<void>
}
