/** Messages between the SQLite storage (main thread) and its worker (sqlite-worker.ts). */
import type { SetAsideUpdate } from './types.ts'
import type { CheckedVersion } from './version-fields.ts'

export interface SqliteWorkerData {
  file: string
  synchronous: 'full' | 'normal'
}

type Request =
  | { op: 'load'; name: string }
  /** The appends of one turn of the relay's event loop, for every document: answered with their heads, in order. */
  | { op: 'append'; batch: { name: string; updates: Uint8Array[] }[] }
  | { op: 'appendIfEmpty'; name: string; updates: Uint8Array[] }
  | { op: 'compact'; name: string; state: Uint8Array; head: number; setAside: SetAsideUpdate[] }
  | { op: 'quarantined'; name: string }
  | { op: 'rename'; from: string; to: string }
  | { op: 'delete'; name: string }
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

export type SqliteResponse = { id: number; ok: true; value: unknown } | { id: number; ok: false; error: { name: string; message: string } }
