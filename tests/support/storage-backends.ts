/**
 * Every storage backend, opened on a fresh, isolated location so the same
 * tests can run against each: SQLite in a new temp directory, PostgreSQL in
 * a new schema `test_<random>` (dropped with CASCADE in `cleanup`).
 *
 * PostgreSQL is not optional: when it is unreachable, its tests fail.
 *
 * Also the documents the storage tests write: real Yjs updates, made one
 * small edit at a time, and the text a stored log replays to.
 */
import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import pg from 'pg'
import * as Y from 'yjs'
import { createMemoryStorage } from '../../server/storage/memory.ts'
import { createPostgresStorage } from '../../server/storage/postgres.ts'
import { createSqliteStorage } from '../../server/storage/sqlite.ts'
import type { DocumentStorage } from '../../server/storage/types.ts'

/** The schema version the SQL backends migrate to (SQLite's user_version, PostgreSQL's collab_schema). */
export const CURRENT_SCHEMA = 5

export const TEST_DATABASE_URL = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test'

export type BackendName = 'memory' | 'sqlite' | 'postgres'

export interface StorageBackend {
  readonly name: BackendName
  /** Whether what it stores outlives `close()` (and so `reopen()` works). */
  readonly durable: boolean
  /**
   * A storage on a new, empty location. The location is picked before the
   * first `await`, so a `reopen()` called right after (without awaiting)
   * opens the same one: that is how tests race two opens.
   */
  open(): Promise<DocumentStorage>
  /** Another storage on the location of the last `open()`: same data. Durable backends only. */
  reopen(): Promise<DocumentStorage>
  /** Close every storage this backend opened (if still open) and remove every location it created. */
  cleanup(): Promise<void>
}

export interface SqliteBackend extends StorageBackend {
  readonly name: 'sqlite'
  /** The database file of the last `open()`. */
  readonly file: string
}

export interface PostgresBackend extends StorageBackend {
  readonly name: 'postgres'
  readonly connectionString: string
  /** The schema of the last `open()` (unquoted; names are plain `test_<hex>`). */
  readonly schema: string
  /** Run SQL on a separate connection (for faults and inspection). */
  query<R extends pg.QueryResultRow = pg.QueryResultRow>(sql: string, params?: unknown[]): Promise<pg.QueryResult<R>>
}

/** Closing may already have happened (a relay closes its storage): a second close is not an error here. */
async function closeQuietly(storages: DocumentStorage[]): Promise<void> {
  await Promise.all(storages.splice(0).map((storage) => storage.close().catch(() => {})))
}

export function createMemoryBackend(): StorageBackend {
  const opened: DocumentStorage[] = []
  return {
    name: 'memory',
    durable: false,
    async open() {
      const storage = createMemoryStorage()
      opened.push(storage)
      return storage
    },
    async reopen() {
      throw new Error('the memory backend is not durable: nothing to reopen')
    },
    cleanup: () => closeQuietly(opened),
  }
}

export function createSqliteBackend(): SqliteBackend {
  const opened: DocumentStorage[] = []
  const dirs: string[] = []
  let file = ''
  const openFile = async (): Promise<DocumentStorage> => {
    const storage = createSqliteStorage({ file })
    opened.push(storage)
    return storage
  }
  return {
    name: 'sqlite',
    durable: true,
    get file() {
      if (!file) throw new Error('sqlite backend: open() first')
      return file
    },
    open() {
      const dir = mkdtempSync(join(tmpdir(), 'collab-storage-'))
      dirs.push(dir)
      file = join(dir, 'collab-relay.sqlite')
      return openFile()
    },
    reopen() {
      if (!file) throw new Error('sqlite backend: open() first')
      return openFile()
    },
    async cleanup() {
      await closeQuietly(opened)
      for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true })
      file = ''
    },
  }
}

export function createPostgresBackend(connectionString = TEST_DATABASE_URL): PostgresBackend {
  const opened: DocumentStorage[] = []
  const schemas: string[] = []
  let schema = ''
  const openSchema = async (): Promise<DocumentStorage> => {
    const storage = await createPostgresStorage({ connectionString, schema, maxConnections: 4 })
    opened.push(storage)
    return storage
  }
  const query = async <R extends pg.QueryResultRow>(sql: string, params?: unknown[]): Promise<pg.QueryResult<R>> => {
    const client = new pg.Client({ connectionString })
    await client.connect()
    try {
      return await client.query<R>(sql, params)
    } finally {
      await client.end()
    }
  }
  return {
    name: 'postgres',
    durable: true,
    connectionString,
    get schema() {
      if (!schema) throw new Error('postgres backend: open() first')
      return schema
    },
    query,
    open() {
      schema = `test_${randomBytes(6).toString('hex')}`
      schemas.push(schema)
      return openSchema()
    },
    reopen() {
      if (!schema) throw new Error('postgres backend: open() first')
      return openSchema()
    },
    async cleanup() {
      await closeQuietly(opened)
      for (const name of schemas.splice(0)) await query(`DROP SCHEMA IF EXISTS "${name}" CASCADE`)
      schema = ''
    },
  }
}

/** One of each backend, in a fresh list (backends remember what they opened, so files do not share them). */
export function createStorageBackends(): [StorageBackend, SqliteBackend, PostgresBackend] {
  return [createMemoryBackend(), createSqliteBackend(), createPostgresBackend()]
}

/** A Y.Doc edited in small steps, keeping every update exactly as Yjs emitted it. */
export class Editing {
  readonly doc = new Y.Doc()
  readonly updates: Uint8Array[] = []
  private readonly ytext = this.doc.getText('text')

  constructor(private readonly random: () => number) {
    this.doc.on('update', (update: Uint8Array) => this.updates.push(update))
  }

  get text(): string {
    return this.ytext.toString()
  }

  /** `count` inserts of `chunk` at random positions; returns the updates they made. */
  edit(count: number, chunk: string): Uint8Array[] {
    const from = this.updates.length
    for (let i = 0; i < count; i++) this.ytext.insert(Math.floor(this.random() * (this.ytext.length + 1)), chunk)
    return this.updates.slice(from)
  }
}

/** The text of the `text` type after applying `updates` to a fresh doc. */
export function replayText(updates: readonly Uint8Array[]): string {
  const doc = new Y.Doc()
  Y.transact(doc, () => {
    for (const update of updates) Y.applyUpdate(doc, update)
  })
  const text = doc.getText('text').toString()
  doc.destroy()
  return text
}
