/** Messages between the SQLite storage (main thread) and its worker (sqlite-worker.ts). */
import { packUpdates, unpackUpdates, type PackedUpdates } from './packed-updates.ts'
import type { SetAsideUpdate } from './types.ts'
import type { CheckedVersion } from './version-fields.ts'

export interface SqliteWorkerData {
  file: string
  synchronous: 'full' | 'normal'
}

/**
 * Appends to several documents in one buffer (see `PackedUpdates`): document
 * `names[i]` gets the next `counts[i]` of the packed updates.
 */
export interface PackedAppends extends PackedUpdates {
  names: string[]
  counts: number[]
}

/** Pack appends for the worker (the update bytes copied once, into one buffer). */
export function packAppends(batch: readonly { name: string; updates: readonly Uint8Array[] }[]): PackedAppends {
  return { ...packUpdates(batch.map((entry) => entry.updates)), names: batch.map((entry) => entry.name), counts: batch.map((entry) => entry.updates.length) }
}

/** The appends again, each update a view into the packed buffer. */
export function unpackAppends(packed: PackedAppends): { name: string; updates: Uint8Array[] }[] {
  const updates = unpackUpdates(packed)
  let at = 0
  return packed.names.map((name, i) => ({ name, updates: updates.slice(at, (at += packed.counts[i])) }))
}

type Request =
  | { op: 'load'; name: string }
  /**
   * The appends of one turn of the relay's event loop, for every document:
   * answered with their heads, in order. The updates travel packed (see
   * `PackedAppends`), transferred rather than cloned.
   */
  | ({ op: 'append' } & PackedAppends)
  | { op: 'appendIfEmpty'; name: string; updates: Uint8Array[] }
  | { op: 'compact'; name: string; state: Uint8Array; head: number; setAside: SetAsideUpdate[] }
  | { op: 'quarantined'; name: string }
  | { op: 'rename'; from: string; to: string }
  | { op: 'delete'; name: string; deleted?: Uint8Array }
  | { op: 'list' }
  | { op: 'describe'; options: { prefix?: string; after?: string; limit: number } }
  /** Checked (and copied) on the main thread: the worker stores it as it comes. */
  | { op: 'saveVersion'; document: string; version: CheckedVersion }
  | { op: 'listVersions'; document: string }
  | { op: 'loadVersion'; document: string; versionId: string }
  | { op: 'deleteVersions'; document: string; ids: string[] }
  /** Commits the appends received so far (and answers once they are). */
  | { op: 'flush' }
  | { op: 'close' }

/** A request with its ID (the worker's first message, ID 0, says whether it opened the database). */
export type SqliteRequest = Request & { id: number }

/**
 * The answer to a request. A load is answered in several messages: parts of
 * the log as they are read (`part`, transferred), then the answer (its `LogEnd`).
 */
export type SqliteResponse =
  | { id: number; ok: true; value: unknown }
  | { id: number; ok: false; error: { name: string; message: string } }
  | { id: number; part: PackedUpdates }
