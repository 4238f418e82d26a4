/**
 * The storage seam. Rooms load from and write to this byte-level interface
 * and know nothing else about where documents live. Every backend passes the
 * one contract suite in `tests/storage-contract.test.ts`.
 *
 * A document is an ordered log of Yjs updates. `head` is an opaque position
 * in that log (a count, a row id): `compact` replaces everything up to a head
 * the caller has seen with one merged update, atomically, so updates appended
 * after that head survive.
 *
 * Several relay instances may write one document at once only through a
 * backend built for it (PostgreSQL): there, positions are not commit order,
 * and another instance may hold rows up to a head that the caller's state
 * does not have yet, so its `compact` merges what it finds instead of
 * trusting the caller. Memory and SQLite serve one process.
 */
export interface StoredDocument {
  /** The updates in the order they were appended (a compacted state first, if any). */
  updates: Uint8Array[]
  /** Position of the last update returned; pass it back to `compact`. */
  head: number
  /** Total bytes of `updates`, for compaction thresholds. */
  bytes: number
  /**
   * What was deleted under this name, if it ever was: a Yjs state vector
   * (v1) covering the content of every document deleted under it (the
   * argument of the latest `delete` that gave one). A client that holds any
   * of it holds a deleted document, from an offline copy, and must not bring
   * it back. Absent when nothing was.
   */
  deleted?: Uint8Array
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

/** A saved version of a document, without its state. */
export interface VersionInfo {
  /**
   * Opaque, unique within the document; increasing with creation order (the
   * SQL backends use a row id, as a decimal string). Never reused, even once
   * the version is deleted, so an id a client kept can never name another version.
   */
  id: string
  /** The name someone gave it; null for an automatic version. */
  name: string | null
  /** 'auto' (editing settled), 'named' (someone named it), 'restore' (the state saved just before a restore, so the restore can be undone). */
  kind: 'auto' | 'named' | 'restore'
  createdAt: Date
  /** Names of the people who edited since the previous version, distinct, in first-edit order. */
  authors: string[]
  /** Which Yjs client IDs those people wrote with, for attributing changes: client ID (decimal) → name. */
  clients: Record<string, string>
  /** Bytes of the stored state. */
  bytes: number
}

/**
 * A version to save. Storage keeps the fields as given (names, authors and
 * client IDs are the caller's to check); it refuses only what it could not
 * store the same way in every backend (see `checkNewVersion`).
 */
export interface NewVersion {
  /** The document's whole state (a Yjs update), stored byte for byte. */
  state: Uint8Array
  name: string | null
  kind: VersionInfo['kind']
  createdAt: Date
  authors: readonly string[]
  clients: Readonly<Record<string, string>>
}

export interface DocumentStorage {
  /**
   * The document's log, or an empty log when it was never written. Rejects when storage fails.
   *
   * `onPart`, when given, lets a backend that reads a long log in steps
   * (from a worker thread, a page at a time) hand it over as it reads: it
   * calls `onPart` with consecutive runs of the log, in order, before it
   * resolves, so the caller can start on the first while the rest is read
   * (a room replays them). It calls it synchronously, without waiting for
   * the caller. Either it calls it for nothing at all, or the runs together
   * are exactly the `updates` it resolves with (when it rejects, the runs
   * it gave count for nothing). A wrapper that ignores the argument loses
   * only the overlap.
   */
  load(name: string, onPart?: (updates: Uint8Array[]) => void): Promise<StoredDocument>
  /** Durably append updates (at least one), in order, in one transaction. Resolves with the new head. */
  append(name: string, updates: readonly Uint8Array[]): Promise<number>
  /**
   * Append `updates` (at least one) like `append`, but only when the
   * document's log holds nothing at all; otherwise write nothing and resolve
   * with null. For seeding a new document exactly once when several callers
   * (relay instances) may try at the same moment: of concurrent
   * `appendIfEmpty` calls for one name, one appends and the others get null.
   *
   * Only the log counts: a name with nothing but quarantined updates is empty
   * (the interface cannot leave one so; `delete` removes both). A plain
   * `append` racing a seed is not held back: the document then holds both,
   * which is what two writers to a new document should get.
   */
  appendIfEmpty(name: string, updates: readonly Uint8Array[]): Promise<number | null>
  /**
   * Replace every update up to and including `head` with `state`, in one
   * transaction; `setAside` updates are recorded in the quarantine in that
   * same transaction (so they are never both gone from the log and missing
   * from the quarantine).
   *
   * `state` must hold every update up to `head` except the set-aside ones
   * (the caller's whole document does). PostgreSQL, which several instances
   * write, does not rely on it: it merges into `state` every update up to
   * `head` it finds in the log (leaving out those whose bytes equal a
   * set-aside one), so the snapshot is a Yjs merge, not `state`'s bytes, and
   * the log and `state` must be Yjs updates; a merge that fails rejects and
   * changes nothing. When nothing up to `head` is left in its log (another
   * instance compacted past it, or the document was deleted), it writes
   * nothing at all, quarantine included. See `postgres-compact.ts`.
   */
  compact(name: string, state: Uint8Array, head: number, setAside?: readonly SetAsideUpdate[]): Promise<void>
  /** The document's quarantined updates, oldest first. */
  quarantined(name: string): Promise<QuarantinedUpdate[]>
  /**
   * Move a document's whole log (and quarantine and versions) to a new name,
   * in one transaction. Rejects, changing nothing, when `to` already has a
   * log (or a quarantine or versions: a rename never merges).
   */
  rename(from: string, to: string): Promise<void>
  /**
   * Forget the document (its log, its quarantine and its versions), in one
   * transaction. `deleted`, when given, is kept as the name's record of what
   * was deleted (replacing the one kept before; see `StoredDocument.deleted`):
   * it outlives the document, and a later document of the same name, and is
   * not moved by `rename`. Without it, a record kept before stays.
   */
  delete(name: string, deleted?: Uint8Array): Promise<void>
  /** Names of every stored document (those with a log). */
  list(): Promise<string[]>
  /**
   * Stored documents (those with a log) with their size and last change, in
   * name order (by UTF-8 bytes): those starting with `prefix`, after the name
   * `after`, at most `limit`. Versions count neither as a document nor in its bytes.
   */
  describe(options: { prefix?: string; after?: string; limit: number }): Promise<StoredDocumentInfo[]>
  /**
   * Save a version of a document, beside its log: compaction never touches
   * versions, `rename` moves them and `delete` removes them.
   *
   * Rejects, saving nothing, when the document has no log. Checked in the
   * same transaction as the insert, and in turn with `delete` and `rename`:
   * a version saved as its document is deleted (a settle timer firing late,
   * another instance) would otherwise outlive it, unseen by `list`, and turn
   * up in the history of the next document given that name. So versions
   * without a log cannot arise through this interface, and `list` and
   * `describe` need look at logs only.
   *
   * Rejects with a RangeError or TypeError, saving nothing, when a field
   * is not of its type (see `checkNewVersion`).
   */
  saveVersion(document: string, version: NewVersion): Promise<VersionInfo>
  /** The document's versions, newest (last saved) first; none for an unknown document. */
  listVersions(document: string): Promise<VersionInfo[]>
  /** A version with its state; null for an id that is unknown, another document's, or malformed (never a rejection for the id). */
  loadVersion(document: string, id: string): Promise<{ info: VersionInfo; state: Uint8Array } | null>
  /** Remove versions of the document (retention thinning), in one transaction; unknown or malformed ids are ignored. */
  deleteVersions(document: string, ids: readonly string[]): Promise<void>
  /** Release connections and file handles; pending writes finish first. */
  close(): Promise<void>
}
