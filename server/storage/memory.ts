import { describeRange } from './describe-range.ts'
import { packUpdates, unpackUpdates } from './packed-updates.ts'
import type { DocumentStorage, QuarantinedUpdate, StoredDocument, StoredDocumentInfo, VersionInfo } from './types.ts'
import { checkNewVersion, type CheckedVersion } from './version-fields.ts'

interface MemoryLog {
  /**
   * Updates with the head each was appended at, and when (ms since the
   * epoch; a snapshot has the latest time of the updates it replaced). Null
   * is never stored here; the type follows the SQL backends, whose rows from
   * before they kept times have none.
   */
  entries: { head: number; update: Uint8Array; at: number | null }[]
  nextHead: number
}

/** A saved version; `id` is the storage's counter, never reused. */
interface MemoryVersion extends CheckedVersion {
  id: number
}

/** The latest of the entries' times; null when none has one. */
function latest(entries: readonly { at: number | null }[]): number | null {
  let found: number | null = null
  for (const { at } of entries) if (at !== null && (found === null || at > found)) found = at
  return found
}

/** Move `from`'s entry, if it has one, to `to`. */
function moveEntry<T>(map: Map<string, T>, from: string, to: string): void {
  if (!map.has(from)) return
  map.set(to, map.get(from)!)
  map.delete(from)
}

/**
 * Keeps documents in this process only: for tests, benchmarks and `--memory`.
 * Behaves like a durable backend (async, copies bytes in and out) so nothing
 * built on it can come to depend on it being in memory.
 */
export function createMemoryStorage(): DocumentStorage {
  const logs = new Map<string, MemoryLog>()
  const quarantines = new Map<string, QuarantinedUpdate[]>()
  /** Each document's versions, oldest first. */
  const versions = new Map<string, MemoryVersion[]>()
  /** What was deleted under each name (see `StoredDocument.deleted`). */
  const deletions = new Map<string, Uint8Array>()
  let nextVersionId = 1

  const logOf = (name: string): MemoryLog => {
    let log = logs.get(name)
    if (!log) {
      log = { entries: [], nextHead: 1 }
      logs.set(name, log)
    }
    return log
  }
  /** Append, all of the batch or none of it; returns the new head. */
  const appendNow = (name: string, updates: readonly Uint8Array[]): number => {
    // Copied before anything changes.
    const copies = updates.map((update) => update.slice())
    const at = Date.now()
    const log = logOf(name)
    for (const update of copies) log.entries.push({ head: log.nextHead++, update, at })
    return log.nextHead - 1
  }
  const copyQuarantined = (entry: QuarantinedUpdate): QuarantinedUpdate => ({
    update: entry.update.slice(),
    reason: entry.reason,
    at: new Date(entry.at.getTime()),
  })
  const versionInfo = (version: MemoryVersion): VersionInfo => ({
    id: String(version.id),
    name: version.name,
    kind: version.kind,
    createdAt: new Date(version.createdAt),
    authors: [...version.authors],
    clients: { ...version.clients },
    bytes: version.state.byteLength,
  })

  return {
    async load(name): Promise<StoredDocument> {
      const log = logs.get(name)
      const deleted = deletions.get(name)?.slice()
      if (!log) return { updates: [], head: 0, bytes: 0, ...(deleted ? { deleted } : {}) }
      // Copied out into one buffer, as the SQLite storage hands a log over (see PackedUpdates).
      const packed = packUpdates([log.entries.map((entry) => entry.update)])
      const updates = unpackUpdates(packed)
      const bytes = packed.buffer.byteLength
      return { updates, head: log.entries.at(-1)?.head ?? 0, bytes, ...(deleted ? { deleted } : {}) }
    },
    async append(name, updates) {
      if (updates.length === 0) throw new RangeError('append: no updates')
      return appendNow(name, updates)
    },
    // Check and append in one synchronous step: nothing can run in between.
    async appendIfEmpty(name, updates) {
      if (updates.length === 0) throw new RangeError('appendIfEmpty: no updates')
      if ((logs.get(name)?.entries.length ?? 0) > 0) return null
      return appendNow(name, updates)
    },
    async compact(name, state, head, setAside = []) {
      // Everything that can throw (copying the caller's bytes) happens before
      // anything changes, so a failed compaction changes nothing, as a
      // rolled-back transaction would.
      const at = new Date()
      const added = setAside.map((entry) => ({ update: entry.update.slice(), reason: entry.reason, at }))
      const snapshot = state.slice()
      const log = logOf(name)
      const replaced = log.entries.filter((entry) => entry.head <= head)
      const kept = log.entries.filter((entry) => entry.head > head)
      // A compaction is no change to the document: the snapshot keeps the
      // time of the latest update it replaces (one that replaces nothing adds
      // to the log, so it is a change, now).
      const snapshotAt = replaced.length > 0 ? latest(replaced) : Date.now()
      log.entries = [{ head, update: snapshot, at: snapshotAt }, ...kept]
      if (added.length > 0) quarantines.set(name, [...(quarantines.get(name) ?? []), ...added])
    },
    async quarantined(name) {
      return (quarantines.get(name) ?? []).map(copyQuarantined)
    },
    async rename(from, to) {
      const log = logs.get(from)
      if (!log) throw new Error(`rename: no document "${from}"`)
      // A quarantine or versions without a log cannot arise through this interface; refusing them too means a rename never merges.
      if (logs.has(to) || quarantines.has(to) || versions.has(to)) throw new Error(`rename: "${to}" already exists`)
      logs.delete(from)
      logs.set(to, log)
      moveEntry(quarantines, from, to)
      moveEntry(versions, from, to)
    },
    async delete(name, deleted) {
      if (deleted) deletions.set(name, deleted.slice())
      logs.delete(name)
      quarantines.delete(name)
      versions.delete(name)
    },
    async list() {
      return [...logs.keys()]
    },
    // Every name is encoded and compared on each call: O(documents), which
    // is what a store held in this process can afford.
    async describe(options) {
      const { prefix, after, limit } = describeRange(options)
      const prefixBytes = Buffer.from(prefix, 'utf8')
      const afterBytes = after === undefined ? null : Buffer.from(after, 'utf8')
      const found: { key: Buffer; name: string; log: MemoryLog }[] = []
      for (const [name, log] of logs) {
        if (log.entries.length === 0) continue
        const key = Buffer.from(name, 'utf8')
        if (key.subarray(0, prefixBytes.length).compare(prefixBytes) !== 0) continue
        if (afterBytes && Buffer.compare(key, afterBytes) <= 0) continue
        found.push({ key, name, log })
      }
      found.sort((a, b) => Buffer.compare(a.key, b.key))
      return found.slice(0, limit).map(({ name, log }): StoredDocumentInfo => {
        const at = latest(log.entries)
        return {
          name,
          bytes: log.entries.reduce((sum, entry) => sum + entry.update.byteLength, 0),
          updatedAt: at === null ? null : new Date(at),
        }
      })
    },
    // Checked (and the bytes copied) before anything changes; the log check and the insert are one synchronous step.
    async saveVersion(document, version) {
      const checked = checkNewVersion(version)
      if ((logs.get(document)?.entries.length ?? 0) === 0) throw new Error(`saveVersion: no document "${document}"`)
      const saved: MemoryVersion = { ...checked, id: nextVersionId++ }
      versions.set(document, [...(versions.get(document) ?? []), saved])
      return versionInfo(saved)
    },
    async listVersions(document) {
      return (versions.get(document) ?? []).map(versionInfo).reverse()
    },
    async loadVersion(document, id) {
      // Ids are compared as the text they were handed out as: anything else is unknown, malformed or not.
      const found = versions.get(document)?.find((version) => String(version.id) === id)
      return found ? { info: versionInfo(found), state: found.state.slice() } : null
    },
    async deleteVersions(document, ids) {
      const held = versions.get(document)
      if (!held) return
      const removed = new Set(ids)
      const kept = held.filter((version) => !removed.has(String(version.id)))
      // A document without versions holds no entry, so `rename` can tell.
      if (kept.length > 0) versions.set(document, kept)
      else versions.delete(document)
    },
    async close() {
      logs.clear()
      quarantines.clear()
      versions.clear()
      deletions.clear()
    },
  }
}
