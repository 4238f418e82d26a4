/**
 * What the version storage tests share: real Yjs updates and states, a
 * version to save with the fields a test cares about, and what storage must
 * answer for it.
 */
import * as Y from 'yjs'
import type { NewVersion, VersionInfo } from '../../server/storage/types.ts'

export const utf8 = new TextEncoder()

/** Bytes as hex, to compare byte for byte with a readable difference. */
export const hex = (bytes: Uint8Array): string => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex')

/** A real Yjs update (compaction in PostgreSQL merges the log, so it must be one): a new client inserting `label`. */
export function yUpdate(label: string): Uint8Array {
  const doc = new Y.Doc()
  doc.getText('text').insert(0, label)
  const update = Y.encodeStateAsUpdate(doc)
  doc.destroy()
  return update
}

/** The state after `updates`, as the relay would save it. */
export function stateAfter(updates: readonly Uint8Array[]): Uint8Array {
  const doc = new Y.Doc()
  for (const update of updates) Y.applyUpdate(doc, update)
  const state = Y.encodeStateAsUpdate(doc)
  doc.destroy()
  return state
}

/** An automatic version of `state`, with nobody recorded; `fields` override. */
export const version = (state: Uint8Array, fields: Partial<NewVersion> = {}): NewVersion => ({
  state,
  name: null,
  kind: 'auto',
  createdAt: new Date('2025-03-01T09:15:00.123Z'),
  authors: [],
  clients: {},
  ...fields,
})

/** What `saveVersion` must answer for `saved`, given the id it chose. */
export const infoFor = (id: string, saved: NewVersion): VersionInfo => ({
  id,
  name: saved.name,
  kind: saved.kind,
  createdAt: saved.createdAt,
  authors: [...saved.authors],
  clients: { ...saved.clients },
  bytes: saved.state.byteLength,
})

/** Whether version id `later` was handed out after `earlier` (ids are decimal row ids, compared as numbers). */
export const isAfter = (later: string, earlier: string): boolean => BigInt(later) > BigInt(earlier)

