import pg from 'pg'
import { describeRange } from './describe-range.ts'
import { compactDocument, lockDocument, toBuffer } from './postgres-compact.ts'
import { readLog } from './postgres-read.ts'
import { createPostgresVersions } from './postgres-versions.ts'
import type { DocumentStorage, StoredDocument, StoredDocumentInfo } from './types.ts'

/** Options for `createPostgresStorage`. */
export interface PostgresStorageOptions {
  /** `postgres://user@host:port/database` */
  connectionString: string
  /** Schema that holds the tables; created if missing. Default `public`. */
  schema?: string
  /** Most connections the pool opens. Default 10. */
  maxConnections?: number
}

/** Bump when the schema changes, and add the step to `migrations`. */
const SCHEMA_VERSION = 5

const migrations = (schema: string): Record<number, string> => ({
  1: `
    CREATE TABLE ${schema}.collab_updates (
      seq  BIGSERIAL PRIMARY KEY,
      doc  TEXT NOT NULL,
      data BYTEA NOT NULL
    );
    CREATE INDEX collab_updates_by_doc ON ${schema}.collab_updates (doc, seq);
  `,
  // Updates a load could not apply, set aside by the compaction that drops them from the log.
  2: `
    CREATE TABLE ${schema}.collab_quarantine (
      id     BIGSERIAL PRIMARY KEY,
      doc    TEXT NOT NULL,
      data   BYTEA NOT NULL,
      reason TEXT NOT NULL,
      at     TIMESTAMPTZ NOT NULL DEFAULT now()
    );
    CREATE INDEX collab_quarantine_by_doc ON ${schema}.collab_quarantine (doc, id);
  `,
  // When each row was appended, for `describe`. Added without a default, so
  // rows written before have none (NULL: when they were written is not
  // known); the default then applies to rows inserted from now on.
  //
  // Document names sort by UTF-8 bytes (the "C" collation) whatever the
  // database's default collation: `describe` pages through names in that
  // order, and the (doc, seq) index must be in it to serve those ranges.
  // Equality is the same in every deterministic collation, so nothing else
  // changes. The table is not rewritten; its indexes on doc are rebuilt.
  3: `
    ALTER TABLE ${schema}.collab_updates ADD COLUMN at TIMESTAMPTZ;
    ALTER TABLE ${schema}.collab_updates ALTER COLUMN at SET DEFAULT now();
    ALTER TABLE ${schema}.collab_updates ALTER COLUMN doc TYPE TEXT COLLATE "C";
  `,
  // Saved versions (postgres-versions.ts): a table of their own, which
  // compaction of the log never touches. authors and clients are JSON kept
  // as text, as written: nothing queries inside them, and jsonb would
  // reorder an object's keys.
  4: `
    CREATE TABLE ${schema}.collab_versions (
      id         BIGSERIAL PRIMARY KEY,
      doc        TEXT NOT NULL,
      name       TEXT,
      kind       TEXT NOT NULL CHECK (kind IN ('auto', 'named', 'restore')),
      created_at TIMESTAMPTZ NOT NULL,
      authors    TEXT NOT NULL,
      clients    TEXT NOT NULL,
      state      BYTEA NOT NULL
    );
    CREATE INDEX collab_versions_by_doc ON ${schema}.collab_versions (doc, id);
  `,
  // What was deleted under each name (a Yjs state vector), kept after the
  // document goes so that an offline copy of it is not taken for new content.
  5: `
    CREATE TABLE ${schema}.collab_deletions (
      doc          TEXT COLLATE "C" PRIMARY KEY,
      state_vector BYTEA NOT NULL
    );
  `,
})

/**
 * Any fixed number: every instance takes the same advisory lock to migrate one
 * at a time. A one-key lock; the per-document locks use the two-key form, a
 * separate key space (`postgres-compact.ts`).
 */
const MIGRATION_LOCK_KEY = 7_240_512

/**
 * PostgreSQL storage for production: an append-only log per document, a
 * compacted snapshot replacing its prefix in one transaction. Several relay
 * instances (processes) may share one database and write the same documents:
 * compaction merges what other instances appended instead of deleting it
 * (`postgres-compact.ts`), and `appendIfEmpty` seeds a document once among
 * them. The schema is created and migrated on start (under an advisory lock,
 * so instances starting together do not race).
 */
export async function createPostgresStorage(options: PostgresStorageOptions): Promise<DocumentStorage> {
  const schema = quoteIdentifier(options.schema ?? 'public')
  const pool = new pg.Pool({ connectionString: options.connectionString, max: options.maxConnections ?? 10 })
  // An idle client that loses its server emits here; without a listener it would crash the process.
  pool.on('error', () => {})
  try {
    await migrate(pool, schema)
  } catch (error) {
    await pool.end()
    throw error
  }
  const table = `${schema}.collab_updates`
  const quarantine = `${schema}.collab_quarantine`
  const versions = `${schema}.collab_versions`
  const deletions = `${schema}.collab_deletions`

  /** Run `work` in one transaction on one pooled connection. */
  const transaction = async <T>(work: (client: pg.PoolClient) => Promise<T>): Promise<T> => {
    const client = await pool.connect()
    try {
      await client.query('BEGIN')
      const result = await work(client)
      await client.query('COMMIT')
      return result
    } catch (error) {
      await client.query('ROLLBACK').catch(() => {})
      throw error
    } finally {
      client.release()
    }
  }

  return {
    ...createPostgresVersions(pool, { log: table, versions }, transaction),
    load: (name, onPart) => readLog(pool, { log: table, deletions }, name, onPart),
    async append(name, updates) {
      if (updates.length === 0) throw new RangeError('append: no updates')
      // One statement is one transaction: all of the batch or none of it.
      // Each row is stamped with the transaction's now().
      const result = await pool.query<{ seq: string }>(
        `INSERT INTO ${table} (doc, data, at)
         SELECT $1, u, now() FROM unnest($2::bytea[]) WITH ORDINALITY AS batch(u, i) ORDER BY i
         RETURNING seq`,
        [name, updates.map(toBuffer)],
      )
      return Math.max(...result.rows.map((row) => Number(row.seq)))
    },
    async appendIfEmpty(name, updates) {
      if (updates.length === 0) throw new RangeError('appendIfEmpty: no updates')
      return transaction(async (client) => {
        // Two instances seeding at once would both find the log empty and
        // both append. The lock makes the second wait for the first to
        // commit; its INSERT, a new statement (READ COMMITTED), then sees
        // the first one's rows. Plain appends take no lock: see the type.
        await lockDocument(client, name)
        const result = await client.query<{ seq: string }>(
          `INSERT INTO ${table} (doc, data, at)
           SELECT $1, u, now() FROM unnest($2::bytea[]) WITH ORDINALITY AS batch(u, i)
           WHERE NOT EXISTS (SELECT 1 FROM ${table} WHERE doc = $1)
           ORDER BY i
           RETURNING seq`,
          [name, updates.map(toBuffer)],
        )
        return result.rows.length === 0 ? null : Math.max(...result.rows.map((row) => Number(row.seq)))
      })
    },
    async compact(name, state, head, setAside = []) {
      await transaction((client) => compactDocument(client, { log: table, quarantine }, name, state, head, setAside))
    },
    async quarantined(name) {
      const result = await pool.query<{ data: Buffer; reason: string; at: Date }>(
        `SELECT data, reason, at FROM ${quarantine} WHERE doc = $1 ORDER BY id`,
        [name],
      )
      return result.rows.map((row) => ({
        update: new Uint8Array(row.data.buffer, row.data.byteOffset, row.data.byteLength),
        reason: row.reason,
        at: row.at,
      }))
    },
    async rename(from, to) {
      await transaction(async (client) => {
        // Appends and compactions wait for the rename to commit before they
        // write to the log, so none can slip in under `to` between the check
        // and the move (a compaction that read `from` before then finds its
        // rows gone and rolls back), nor can a version be saved under `from`
        // (postgres-versions.ts). Renames are rare (start-up), so the pause is too.
        await client.query(`LOCK TABLE ${table} IN SHARE ROW EXCLUSIVE MODE`)
        const taken = await client.query(
          `SELECT 1 FROM ${table} WHERE doc = $1 UNION ALL SELECT 1 FROM ${quarantine} WHERE doc = $1
           UNION ALL SELECT 1 FROM ${versions} WHERE doc = $1 LIMIT 1`,
          [to],
        )
        // A quarantine or versions without a log cannot arise through this interface; refusing them too means a rename never merges.
        if (taken.rowCount) throw new Error(`rename: "${to}" already exists`)
        const moved = await client.query(`UPDATE ${table} SET doc = $1 WHERE doc = $2`, [to, from])
        if (!moved.rowCount) throw new Error(`rename: no document "${from}"`)
        await client.query(`UPDATE ${quarantine} SET doc = $1 WHERE doc = $2`, [to, from])
        await client.query(`UPDATE ${versions} SET doc = $1 WHERE doc = $2`, [to, from])
      })
    },
    async delete(name, deleted) {
      await transaction(async (client) => {
        // A compaction that read the log before this delete must not write
        // its snapshot back after it (and bring the document back): they take turns.
        await lockDocument(client, name)
        if (deleted) {
          await client.query(
            `INSERT INTO ${deletions} (doc, state_vector) VALUES ($1, $2) ON CONFLICT (doc) DO UPDATE SET state_vector = EXCLUDED.state_vector`,
            [name, toBuffer(deleted)],
          )
        }
        await client.query(`DELETE FROM ${table} WHERE doc = $1`, [name])
        await client.query(`DELETE FROM ${quarantine} WHERE doc = $1`, [name])
        await client.query(`DELETE FROM ${versions} WHERE doc = $1`, [name])
      })
    },
    async list() {
      const result = await pool.query<{ doc: string }>(`SELECT DISTINCT doc FROM ${table} ORDER BY doc`)
      return result.rows.map((row) => row.doc)
    },
    // A range on the (doc, seq) index, `doc >= prefix [AND doc > after] [AND
    // doc < end]`, in the "C" collation (byte order; the column's own since
    // migration 3, said again here so that no default collation can change
    // it). The plan walks the index from the lower bound, aggregates each
    // document's rows in order (octet_length reads a stored value's size
    // without detoasting it) and stops after `limit` groups or at the upper
    // bound: the cost is the rows of the documents returned, not the table.
    async describe(options) {
      const { prefix, after, prefixEnd, limit } = describeRange(options)
      const params: unknown[] = [prefix]
      const where = ['doc COLLATE "C" >= $1']
      if (after !== undefined) where.push(`doc COLLATE "C" > $${params.push(after)}`)
      if (prefixEnd !== null) where.push(`doc COLLATE "C" < $${params.push(prefixEnd)}`)
      const result = await pool.query<{ name: string; bytes: string; at: Date | null }>(
        `SELECT doc AS name, sum(octet_length(data)) AS bytes, max(at) AS at FROM ${table}
         WHERE ${where.join(' AND ')}
         GROUP BY doc ORDER BY doc COLLATE "C" LIMIT $${params.push(limit)}`,
        params,
      )
      return result.rows.map((row): StoredDocumentInfo => ({ name: row.name, bytes: Number(row.bytes), updatedAt: row.at }))
    },
    async close() {
      await pool.end()
    },
  }
}

async function migrate(pool: pg.Pool, schema: string): Promise<void> {
  const client = await pool.connect()
  try {
    await client.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_KEY])
    await client.query(`CREATE SCHEMA IF NOT EXISTS ${schema}`)
    await client.query(`CREATE TABLE IF NOT EXISTS ${schema}.collab_schema (version INTEGER NOT NULL)`)
    const found = await client.query<{ version: number }>(`SELECT version FROM ${schema}.collab_schema`)
    const current = found.rows[0]?.version ?? 0
    if (current > SCHEMA_VERSION) {
      throw new Error(`the database was written by a newer version (schema ${current}; this one knows ${SCHEMA_VERSION})`)
    }
    const steps = migrations(schema)
    for (let version = current + 1; version <= SCHEMA_VERSION; version++) {
      await client.query('BEGIN')
      await client.query(steps[version])
      await client.query(`DELETE FROM ${schema}.collab_schema`)
      await client.query(`INSERT INTO ${schema}.collab_schema (version) VALUES ($1)`, [version])
      await client.query('COMMIT')
    }
  } catch (error) {
    await client.query('ROLLBACK').catch(() => {})
    throw error
  } finally {
    await client.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY]).catch(() => {})
    client.release()
  }
}

function quoteIdentifier(name: string): string {
  if (name.length === 0 || name.length > 63) throw new RangeError(`invalid schema name "${name}"`)
  return `"${name.replace(/"/g, '""')}"`
}
