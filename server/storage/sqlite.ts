import { mkdirSync } from 'node:fs'
import { dirname } from 'node:path'
import Database from 'better-sqlite3'
import { describeRange } from './describe-range.ts'
import type { DocumentStorage, SetAsideUpdate, StoredDocument, StoredDocumentInfo } from './types.ts'

/** Options for `createSqliteStorage`. */
export interface SqliteStorageOptions {
  /** Database file; its directory is created if missing. `:memory:` works for tests. */
  file: string
  /**
   * `full` (default) syncs the write-ahead log to disk at every commit, so a
   * committed update survives a power cut, not only a crash of the relay.
   * `normal` survives any crash of the relay process but may lose the last
   * commits if the machine itself goes down; it is faster on slow disks.
   */
  synchronous?: 'full' | 'normal'
}

/** Bump when the schema changes, and add the step to `MIGRATIONS`. */
const SCHEMA_VERSION = 3
const MIGRATIONS: Record<number, string> = {
  1: `
    CREATE TABLE updates (
      seq  INTEGER PRIMARY KEY AUTOINCREMENT, -- never reused: heads only grow
      doc  TEXT NOT NULL,
      data BLOB NOT NULL
    );
    CREATE INDEX updates_by_doc ON updates (doc, seq);
  `,
  // Updates a load could not apply, set aside by the compaction that drops them from the log.
  2: `
    CREATE TABLE quarantine (
      id     INTEGER PRIMARY KEY, -- insertion order: oldest first
      doc    TEXT NOT NULL,
      data   BLOB NOT NULL,
      reason TEXT NOT NULL,
      at     INTEGER NOT NULL     -- ms since the epoch
    );
    CREATE INDEX quarantine_by_doc ON quarantine (doc, id);
  `,
  // When each row was appended (ms since the epoch), for `describe`. Rows
  // written before have none (NULL): when they were written is not known.
  3: `
    ALTER TABLE updates ADD COLUMN at INTEGER;
  `,
}

interface QueuedAppend {
  name: string
  updates: readonly Uint8Array[]
  resolve(head: number): void
  reject(error: unknown): void
}

/**
 * The embedded default: one SQLite file in WAL mode, an append-only log of
 * updates per document with compacted snapshots in place of their prefix.
 *
 * better-sqlite3 is synchronous, so each commit blocks the event loop for
 * its fsync. Appends from every room that arrive in the same event-loop turn
 * are therefore committed together in one transaction (group commit): one
 * fsync per turn, however many documents are being edited.
 */
export function createSqliteStorage(options: SqliteStorageOptions): DocumentStorage {
  if (options.file !== ':memory:') mkdirSync(dirname(options.file), { recursive: true })
  const db = new Database(options.file)
  try {
    // The version check comes first: a newer version's file is left as it was.
    migrate(db)
    db.pragma('journal_mode = WAL')
    db.pragma(`synchronous = ${options.synchronous === 'normal' ? 'NORMAL' : 'FULL'}`)
    db.pragma('busy_timeout = 5000')
  } catch (error) {
    db.close()
    throw error
  }

  const insert = db.prepare<[number | null, string, Uint8Array, number | null]>(
    'INSERT INTO updates (seq, doc, data, at) VALUES (?, ?, ?, ?)',
  )
  const selectDoc = db.prepare<[string], { seq: number; data: Buffer }>('SELECT seq, data FROM updates WHERE doc = ? ORDER BY seq')
  const replacedUpTo = db.prepare<[string, number], { count: number; at: number | null }>(
    'SELECT count(*) AS count, max(at) AS at FROM updates WHERE doc = ? AND seq <= ?',
  )
  const deleteUpTo = db.prepare<[string, number]>('DELETE FROM updates WHERE doc = ? AND seq <= ?')
  const deleteDoc = db.prepare<[string]>('DELETE FROM updates WHERE doc = ?')
  const insertQuarantined = db.prepare<[string, Uint8Array, string, number]>(
    'INSERT INTO quarantine (doc, data, reason, at) VALUES (?, ?, ?, ?)',
  )
  const selectQuarantined = db.prepare<[string], { data: Buffer; reason: string; at: number }>(
    'SELECT data, reason, at FROM quarantine WHERE doc = ? ORDER BY id',
  )
  const deleteQuarantined = db.prepare<[string]>('DELETE FROM quarantine WHERE doc = ?')
  const hasLog = db.prepare<[string], { found: number }>('SELECT 1 AS found FROM updates WHERE doc = ? LIMIT 1')
  const hasQuarantine = db.prepare<[string], { found: number }>('SELECT 1 AS found FROM quarantine WHERE doc = ? LIMIT 1')
  const renameLog = db.prepare<[string, string]>('UPDATE updates SET doc = ? WHERE doc = ?')
  const renameQuarantine = db.prepare<[string, string]>('UPDATE quarantine SET doc = ? WHERE doc = ?')
  const listDocs = db.prepare<[], { doc: string }>('SELECT DISTINCT doc FROM updates ORDER BY doc')
  // One statement per combination of bounds, so each is a plain range on
  // the (doc, seq) index: `doc >= prefix [AND doc > after] [AND doc < end]`.
  // The column's BINARY collation compares the UTF-8 bytes. SQLite walks the
  // index from the lower bound in doc order, reads the rows of each document
  // in range (for the size of `data`, which it takes from the record header,
  // and `at`), and stops after `limit` groups or at the upper bound: the cost
  // is the rows of the documents returned, not those of the whole table. No
  // temporary B-tree: the index gives the order.
  type DescribeRow = { name: string; bytes: number; at: number | null }
  const describeStatements = new Map<string, Database.Statement<(string | number)[], DescribeRow>>()
  const describeStatement = (withAfter: boolean, withEnd: boolean): Database.Statement<(string | number)[], DescribeRow> => {
    const key = `${withAfter} ${withEnd}`
    let statement = describeStatements.get(key)
    if (!statement) {
      statement = db.prepare<(string | number)[], DescribeRow>(
        `SELECT doc AS name, sum(length(data)) AS bytes, max(at) AS at FROM updates
         WHERE doc >= ?${withAfter ? ' AND doc > ?' : ''}${withEnd ? ' AND doc < ?' : ''}
         GROUP BY doc ORDER BY doc LIMIT ?`,
      )
      describeStatements.set(key, statement)
    }
    return statement
  }

  const appendAll = db.transaction((queue: QueuedAppend[]) => {
    const at = Date.now()
    return queue.map(({ name, updates }) => {
      let head = 0
      for (const update of updates) head = Number(insert.run(null, name, update, at).lastInsertRowid)
      return head
    })
  })
  // The snapshot takes the seq of the last update it replaces, so it stays
  // ahead of everything appended after that point. A compaction changes
  // nothing in the document: the snapshot keeps the time of the latest update
  // it replaces (NULL if none of them had one; one that replaces nothing adds
  // to the log, so it is a change, now).
  const compactTx = db.transaction((name: string, state: Uint8Array, head: number, setAside: readonly SetAsideUpdate[]) => {
    const now = Date.now()
    const replaced = replacedUpTo.get(name, head)!
    deleteUpTo.run(name, head)
    for (const { update, reason } of setAside) insertQuarantined.run(name, update, reason, now)
    insert.run(head, name, state, replaced.count > 0 ? replaced.at : now)
  })
  // Only the log counts (see the type). The caller runs it IMMEDIATE: the
  // write lock is taken before the check, so another process on the same file
  // cannot append between the check and the insert.
  const appendIfEmptyTx = db.transaction((name: string, updates: readonly Uint8Array[]): number | null => {
    if (hasLog.get(name)) return null
    const at = Date.now()
    let head = 0
    for (const update of updates) head = Number(insert.run(null, name, update, at).lastInsertRowid)
    return head
  })
  const renameTx = db.transaction((from: string, to: string) => {
    if (!hasLog.get(from)) throw new Error(`rename: no document "${from}"`)
    // A quarantine without a log cannot arise through this interface; refusing it too means a rename never merges.
    if (hasLog.get(to) || hasQuarantine.get(to)) throw new Error(`rename: "${to}" already exists`)
    renameLog.run(to, from)
    renameQuarantine.run(to, from)
  })
  const deleteTx = db.transaction((name: string) => {
    deleteDoc.run(name)
    deleteQuarantined.run(name)
  })

  let queue: QueuedAppend[] = []
  let scheduled = false
  let closed = false
  const flushQueue = (): void => {
    scheduled = false
    const batch = queue
    queue = []
    if (batch.length === 0) return
    try {
      const heads = appendAll(batch)
      batch.forEach((entry, i) => entry.resolve(heads[i]))
    } catch (error) {
      for (const entry of batch) entry.reject(error)
    }
  }

  return {
    async load(name): Promise<StoredDocument> {
      const rows = selectDoc.all(name)
      let bytes = 0
      const updates = rows.map((row) => {
        bytes += row.data.byteLength
        return new Uint8Array(row.data.buffer, row.data.byteOffset, row.data.byteLength)
      })
      return { updates, head: rows.at(-1)?.seq ?? 0, bytes }
    },
    append(name, updates) {
      if (closed) return Promise.reject(new Error('storage is closed'))
      if (updates.length === 0) return Promise.reject(new RangeError('append: no updates'))
      return new Promise<number>((resolve, reject) => {
        queue.push({ name, updates, resolve, reject })
        if (!scheduled) {
          scheduled = true
          setImmediate(flushQueue)
        }
      })
    },
    // Appends still queued for this turn were called for first: they commit
    // before the check, and count.
    async appendIfEmpty(name, updates) {
      if (closed) throw new Error('storage is closed')
      if (updates.length === 0) throw new RangeError('appendIfEmpty: no updates')
      flushQueue()
      return appendIfEmptyTx.immediate(name, updates)
    },
    async compact(name, state, head, setAside = []) {
      compactTx(name, state, head, setAside)
    },
    async quarantined(name) {
      return selectQuarantined.all(name).map((row) => ({
        update: new Uint8Array(row.data.buffer, row.data.byteOffset, row.data.byteLength),
        reason: row.reason,
        at: new Date(row.at),
      }))
    },
    // Appends still queued for this turn were called for first: they commit
    // before the rename or delete, and so move or go with the document.
    async rename(from, to) {
      flushQueue()
      renameTx(from, to)
    },
    async delete(name) {
      flushQueue()
      deleteTx(name)
    },
    async list() {
      return listDocs.all().map((row) => row.doc)
    },
    // Appends still queued are not flushed: like `load`, this sees what is committed.
    async describe(options) {
      const { prefix, after, prefixEnd, limit } = describeRange(options)
      const params: (string | number)[] = [prefix]
      if (after !== undefined) params.push(after)
      if (prefixEnd !== null) params.push(prefixEnd)
      params.push(limit)
      return describeStatement(after !== undefined, prefixEnd !== null)
        .all(...params)
        .map((row): StoredDocumentInfo => ({
          name: row.name,
          bytes: row.bytes,
          updatedAt: row.at === null ? null : new Date(row.at),
        }))
    },
    async close() {
      if (closed) return
      flushQueue()
      closed = true
      db.close()
    },
  }
}

function migrate(db: Database.Database): void {
  const current = db.pragma('user_version', { simple: true }) as number
  if (current > SCHEMA_VERSION) {
    throw new Error(`the database was written by a newer version (schema ${current}; this one knows ${SCHEMA_VERSION})`)
  }
  db.transaction(() => {
    for (let version = current + 1; version <= SCHEMA_VERSION; version++) {
      db.exec(MIGRATIONS[version])
      db.pragma(`user_version = ${version}`)
    }
  })()
}
