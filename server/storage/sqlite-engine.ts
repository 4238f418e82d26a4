import Database from 'better-sqlite3'
import { describeRange } from './describe-range.ts'
import { packUpdates, type PackedUpdates } from './packed-updates.ts'
import { createSqliteVersions } from './sqlite-versions.ts'
import type { SetAsideUpdate, StoredDocumentInfo } from './types.ts'

type DescribeOptions = { prefix?: string; after?: string; limit: number }

/** Bump when the schema changes, and add the step to `MIGRATIONS`. */
const SCHEMA_VERSION = 5
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
  // Saved versions (sqlite-versions.ts): a table of their own, which
  // compaction of the log never touches. The state comes last: listing reads
  // every other column and length(state), none of which needs the state's
  // overflow pages.
  4: `
    CREATE TABLE versions (
      id         INTEGER PRIMARY KEY AUTOINCREMENT, -- never reused: an id kept by a client never names another version
      doc        TEXT NOT NULL,
      name       TEXT,                              -- NULL for an automatic version
      kind       TEXT NOT NULL CHECK (kind IN ('auto', 'named', 'restore')),
      created_at INTEGER NOT NULL,                  -- ms since the epoch
      authors    TEXT NOT NULL,                     -- JSON: array of names
      clients    TEXT NOT NULL,                     -- JSON: client ID (decimal) to name
      state      BLOB NOT NULL
    );
    CREATE INDEX versions_by_doc ON versions (doc, id);
  `,
  // What was deleted under each name (a Yjs state vector), kept after the
  // document goes so that an offline copy of it is not taken for new content.
  5: `
    CREATE TABLE deletions (
      doc          TEXT PRIMARY KEY,
      state_vector BLOB NOT NULL
    ) WITHOUT ROWID;
  `,
}

/** Rows a burst's appends insert per statement (see appendAll). */
const ROWS_PER_INSERT = 32

/**
 * How much of a log goes to the main thread in one message: the room there
 * replays a part while this thread reads the next, so the first part should
 * come soon (4,096 rows of the trace are read in about 5 ms) and the
 * messages stay few (64 for the trace's 259,778 rows).
 */
const PART_ROWS = 4_096
const PART_BYTES = 1 << 20

/** Where a log read ends: the head, and the bytes and updates of all its parts. */
export interface LogEnd {
  head: number
  bytes: number
  count: number
  /** What was deleted under the name (`StoredDocument.deleted`). */
  deleted?: Uint8Array
}

/** Open the file, refuse a newer schema, migrate, and set the journal: what must hold before anyone uses it. */
export function openDatabase(file: string, synchronous: 'full' | 'normal'): Database.Database {
  const db = new Database(file)
  try {
    // The version check comes first: a newer version's file is left as it was.
    migrate(db)
    db.pragma('journal_mode = WAL')
    db.pragma(`synchronous = ${synchronous === 'normal' ? 'NORMAL' : 'FULL'}`)
    db.pragma('busy_timeout = 5000')
  } catch (error) {
    db.close()
    throw error
  }
  return db
}

/**
 * The SQLite storage's statements, synchronous (better-sqlite3): what the
 * storage's worker thread runs (sqlite-worker.ts). Every method is one
 * transaction or one read.
 */
export function createSqliteEngine(db: Database.Database) {
  const insert = db.prepare<[number | null, string, Uint8Array, number | null]>(
    'INSERT INTO updates (seq, doc, data, at) VALUES (?, ?, ?, ?)',
  )
  // The log's bytes as bare values (pluck), not a row object per update: reading the
  // 259,778-update trace took 310-390 ms this way against 540-890 ms with rows.
  const selectLog = db.prepare<[string], Buffer>('SELECT data FROM updates WHERE doc = ? ORDER BY seq').pluck(true)
  const selectHead = db.prepare<[string], number | null>('SELECT max(seq) FROM updates WHERE doc = ?').pluck(true)
  const selectDeleted = db.prepare<[string], Buffer>('SELECT state_vector FROM deletions WHERE doc = ?').pluck(true)
  const upsertDeleted = db.prepare<[string, Uint8Array]>(
    'INSERT INTO deletions (doc, state_vector) VALUES (?, ?) ON CONFLICT (doc) DO UPDATE SET state_vector = excluded.state_vector',
  )
  // One read transaction: another process appending between the two reads cannot make the head disagree with the log.
  const readLog = db.transaction((name: string, post: (part: PackedUpdates) => void) => {
    const head = selectHead.get(name) ?? 0
    let bytes = 0
    let count = 0
    let rows: Buffer[] = []
    let rowBytes = 0
    for (const data of selectLog.iterate(name)) {
      rows.push(data)
      rowBytes += data.byteLength
      if (rows.length < PART_ROWS && rowBytes < PART_BYTES) continue
      post(packUpdates([rows]))
      bytes += rowBytes
      count += rows.length
      rows = []
      rowBytes = 0
    }
    if (rows.length > 0) post(packUpdates([rows]))
    const deleted = selectDeleted.get(name)
    return { head, bytes: bytes + rowBytes, count: count + rows.length, ...(deleted ? { deleted: new Uint8Array(deleted) } : {}) }
  })
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

  // A burst's rows go ROWS_PER_INSERT to a statement: one statement run per
  // row cost as much again as the row's own B-tree work (2.5 against 4 µs a
  // row, 128-row commits of 30-byte updates). Rows of one statement take
  // their seqs in order, and the last of them is the head.
  const insertMany = db.prepare<unknown[]>(
    `INSERT INTO updates (seq, doc, data, at) VALUES ${Array.from({ length: ROWS_PER_INSERT }, () => '(NULL, ?, ?, ?)').join(', ')}`,
  )
  const manyArgs: unknown[] = new Array(ROWS_PER_INSERT * 3)
  const appendAll = db.transaction((queue: readonly { name: string; updates: readonly Uint8Array[] }[]) => {
    const at = Date.now()
    return queue.map(({ name, updates }) => {
      let head = 0
      let index = 0
      for (; index + ROWS_PER_INSERT <= updates.length; index += ROWS_PER_INSERT) {
        for (let row = 0; row < ROWS_PER_INSERT; row++) {
          manyArgs[row * 3] = name
          manyArgs[row * 3 + 1] = updates[index + row]
          manyArgs[row * 3 + 2] = at
        }
        head = Number(insertMany.run(...manyArgs).lastInsertRowid)
      }
      for (; index < updates.length; index++) head = Number(insert.run(null, name, updates[index], at).lastInsertRowid)
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
  const versions = createSqliteVersions(db)
  const renameTx = db.transaction((from: string, to: string) => {
    if (!hasLog.get(from)) throw new Error(`rename: no document "${from}"`)
    // A quarantine or versions without a log cannot arise through this interface; refusing them too means a rename never merges.
    if (hasLog.get(to) || hasQuarantine.get(to) || versions.has(to)) throw new Error(`rename: "${to}" already exists`)
    renameLog.run(to, from)
    renameQuarantine.run(to, from)
    versions.move(from, to)
  })
  const deleteTx = db.transaction((name: string, deleted: Uint8Array | undefined) => {
    if (deleted) upsertDeleted.run(name, deleted)
    deleteDoc.run(name)
    deleteQuarantined.run(name)
    versions.deleteAll(name)
  })


  return {
    /** Read the log, posting it a part at a time as the rows come (see `PART_ROWS`); returns where it ends. */
    load: (name: string, post: (part: PackedUpdates) => void): LogEnd => readLog(name, post),
    appendAll: (batch: readonly { name: string; updates: readonly Uint8Array[] }[]): number[] => appendAll(batch),
    // IMMEDIATE: the write lock is taken before the check, so another process on the same file cannot append between the check and the insert.
    appendIfEmpty: (name: string, updates: readonly Uint8Array[]): number | null => appendIfEmptyTx.immediate(name, updates),
    compact(name: string, state: Uint8Array, head: number, setAside: readonly SetAsideUpdate[]): void {
      compactTx(name, state, head, setAside)
    },
    quarantined(name: string): { update: Uint8Array; reason: string; at: Date }[] {
      return selectQuarantined.all(name).map((row) => ({
        update: new Uint8Array(row.data.buffer, row.data.byteOffset, row.data.byteLength),
        reason: row.reason,
        at: new Date(row.at),
      }))
    },
    rename(from: string, to: string): void {
      renameTx(from, to)
    },
    delete(name: string, deleted?: Uint8Array): void {
      deleteTx(name, deleted)
    },
    list(): string[] {
      return listDocs.all().map((row) => row.doc)
    },
    describe(options: DescribeOptions): StoredDocumentInfo[] {
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
    saveVersion: versions.save,
    listVersions: versions.list,
    loadVersion: versions.load,
    deleteVersions: versions.delete,
    close(): void {
      db.close()
    },
  }
}

export type SqliteEngine = ReturnType<typeof createSqliteEngine>

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
