import type { DocumentStorage, QuarantinedUpdate, StoredDocument } from './types.ts'

interface MemoryLog {
  /** Updates with the head each was appended at. */
  entries: { head: number; update: Uint8Array }[]
  nextHead: number
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
      const log = logOf(name)
      for (const update of updates) log.entries.push({ head: log.nextHead++, update: update.slice() })
      return log.nextHead - 1
    },
    async compact(name, state, head, setAside = []) {
      // Everything that can throw (copying the caller's bytes) happens before
      // anything changes, so a failed compaction changes nothing, as a
      // rolled-back transaction would.
      const at = new Date()
      const added = setAside.map((entry) => ({ update: entry.update.slice(), reason: entry.reason, at }))
      const snapshot = state.slice()
      const log = logOf(name)
      const kept = log.entries.filter((entry) => entry.head > head)
      log.entries = [{ head, update: snapshot }, ...kept]
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
    async close() {
      logs.clear()
      quarantines.clear()
    },
  }
}
