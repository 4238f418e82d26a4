import { describeRange } from './describe-range.ts'
import type { DocumentStorage, QuarantinedUpdate, StoredDocument, StoredDocumentInfo } from './types.ts'

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

/** The latest of the entries' times; null when none has one. */
function latest(entries: readonly { at: number | null }[]): number | null {
  let found: number | null = null
  for (const { at } of entries) if (at !== null && (found === null || at > found)) found = at
  return found
}

/**
 * Keeps documents in this process only: for tests, benchmarks and `--memory`.
 * Behaves like a durable backend (async, copies bytes in and out) so nothing
 * built on it can come to depend on it being in memory.
 */
export function createMemoryStorage(): DocumentStorage {
  const logs = new Map<string, MemoryLog>()
  const quarantines = new Map<string, QuarantinedUpdate[]>()

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

  return {
    async load(name): Promise<StoredDocument> {
      const log = logs.get(name)
      if (!log) return { updates: [], head: 0, bytes: 0 }
      const updates = log.entries.map((entry) => entry.update.slice())
      const bytes = updates.reduce((sum, update) => sum + update.byteLength, 0)
      return { updates, head: log.entries.at(-1)?.head ?? 0, bytes }
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
      // A quarantine without a log cannot arise through this interface; refusing it too means a rename never merges.
      if (logs.has(to) || quarantines.has(to)) throw new Error(`rename: "${to}" already exists`)
      logs.delete(from)
      logs.set(to, log)
      const quarantine = quarantines.get(from)
      if (quarantine) {
        quarantines.delete(from)
        quarantines.set(to, quarantine)
      }
    },
    async delete(name) {
      logs.delete(name)
      quarantines.delete(name)
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
    async close() {
      logs.clear()
      quarantines.clear()
    },
  }
}
