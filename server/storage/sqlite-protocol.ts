/** Messages between the SQLite storage (main thread) and its worker (sqlite-worker.ts). */
import type { LogPart } from './sqlite-engine.ts'
import type { SetAsideUpdate } from './types.ts'
import type { CheckedVersion } from './version-fields.ts'

export interface SqliteWorkerData {
  file: string
  synchronous: 'full' | 'normal'
}

/**
 * Appends to several documents in one buffer: document `names[i]` gets the
 * next `counts[i]` updates, whose sizes are `lengths`, laid end to end in
 * `bytes`. Cloning the updates themselves would copy, for each, the whole
 * buffer it is a view of (often the socket's 64 KiB read).
 */
export interface PackedAppends {
  names: string[]
  counts: number[]
  lengths: Uint32Array
  bytes: ArrayBuffer
}

/** Pack appends for the worker (the update bytes copied once, into one buffer). */
export function packAppends(batch: readonly { name: string; updates: readonly Uint8Array[] }[]): PackedAppends {
  let size = 0
  let count = 0
  for (const { updates } of batch) {
    count += updates.length
    for (const update of updates) size += update.byteLength
  }
  const bytes = new ArrayBuffer(size)
  const target = new Uint8Array(bytes)
  const lengths = new Uint32Array(count)
  let at = 0
  let index = 0
  for (const { updates } of batch) {
    for (const update of updates) {
      target.set(update, at)
      at += update.byteLength
      lengths[index++] = update.byteLength
    }
  }
  return { names: batch.map((entry) => entry.name), counts: batch.map((entry) => entry.updates.length), lengths, bytes }
}

/** The appends again, each update a view into the packed bytes. */
export function unpackAppends(packed: PackedAppends): { name: string; updates: Uint8Array[] }[] {
  let at = 0
  let index = 0
  return packed.names.map((name, i) => {
    const updates: Uint8Array[] = []
    for (let n = 0; n < packed.counts[i]; n++) {
      const length = packed.lengths[index++]
      updates.push(new Uint8Array(packed.bytes, at, length))
      at += length
    }
    return { name, updates }
  })
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

/**
 * The answer to a request. A load is answered in several messages: parts of
 * the log as they are read (`part`, transferred), then the answer (its `LogEnd`).
 */
export type SqliteResponse =
  | { id: number; ok: true; value: unknown }
  | { id: number; ok: false; error: { name: string; message: string } }
  | { id: number; part: LogPart }
