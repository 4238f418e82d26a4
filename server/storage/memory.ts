import type { DocumentStorage, StoredDocument } from './types.ts'

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

  const logOf = (name: string): MemoryLog => {
    let log = logs.get(name)
    if (!log) {
      log = { entries: [], nextHead: 1 }
      logs.set(name, log)
    }
    return log
  }

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
    async compact(name, state, head) {
      const log = logOf(name)
      const kept = log.entries.filter((entry) => entry.head > head)
      log.entries = [{ head, update: state.slice() }, ...kept]
    },
    async delete(name) {
      logs.delete(name)
    },
    async list() {
      return [...logs.keys()]
    },
    async close() {
      logs.clear()
    },
  }
}
