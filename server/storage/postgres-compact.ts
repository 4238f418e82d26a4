import type pg from 'pg'
import * as Y from 'yjs'
import type { SetAsideUpdate } from './types.ts'

/**
 * Compaction of one document's log in PostgreSQL, safe when several relay
 * instances (processes, each with its own pool) write that document at once.
 *
 * Why it cannot simply "delete every row up to `head` and insert `state`":
 *
 * - Another instance appends to the same log. Its rows can have a seq at or
 *   below our `head` (sequences are handed out when a row is inserted, in
 *   whatever order the instances get there) while our `state` does not hold
 *   their content yet: we learn of them later, through the bus. Deleting them
 *   would lose edits. So the rows are read, and merged into the snapshot.
 * - Seq order is not commit order. A row with a seq below `head` may still be
 *   uncommitted when we read, and commit after we do. A `DELETE … seq <= head`
 *   would (in a later statement) remove rows committed after our read that
 *   we never merged; so we delete exactly the seqs we read, and a row that
 *   commits later stays in the log, before or after the snapshot: its content
 *   is there either way, and the next compaction merges it.
 * - Two instances compacting the same document at once would each read rows
 *   the other is deleting, and the one that commits second would find its
 *   read out of date. A per-document advisory lock, held to the end of the
 *   transaction, makes them take turns: the second reads the first's
 *   snapshot and merges it like any other row.
 *
 * Plain appends take no lock: they only add rows, and every compaction
 * merges whatever it reads, whichever instance wrote it.
 */

/**
 * The class half of the two-key advisory locks taken per document, the other
 * half being `hashtext(name)`. PostgreSQL keeps two-key locks apart from
 * one-key (bigint) ones, so these can never be mistaken for the migration
 * lock (`MIGRATION_LOCK_KEY`, one key) whatever a name hashes to. Two names
 * with the same 32-bit hash share a lock: they only wait for each other.
 */
const DOCUMENT_LOCK_CLASS = 0x636f6c6c // "coll"

/** The table names (schema-qualified, quoted) a compaction writes. */
export interface CompactionTables {
  log: string
  quarantine: string
}

/**
 * Take the document's advisory lock until the end of the current transaction.
 * Held by compaction, `appendIfEmpty`, `delete` and `saveVersion`, which
 * each read the log and then write on the strength of what they read.
 */
export async function lockDocument(client: pg.ClientBase, name: string): Promise<void> {
  await client.query('SELECT pg_advisory_xact_lock($1::int4, hashtext($2))', [DOCUMENT_LOCK_CLASS, name])
}

/**
 * Replace the rows of `name` up to `head` that exist now with one snapshot:
 * `state` with those rows merged in (except rows whose bytes equal a
 * set-aside update: those go to the quarantine and must not come back). Run
 * inside a transaction on `client`; throws (the caller rolls back) when Yjs
 * cannot merge the rows or when the log changed under the lock.
 *
 * When nothing up to `head` is left (another instance compacted past it, or
 * the document was deleted), nothing is written: everything `state` holds is
 * stored already (the relay applies only what was stored), and writing it
 * would bring a deleted document back.
 */
export async function compactDocument(
  client: pg.ClientBase,
  tables: CompactionTables,
  name: string,
  state: Uint8Array,
  head: number,
  setAside: readonly SetAsideUpdate[],
): Promise<void> {
  await lockDocument(client, name)
  const read = await client.query<{ seq: string; data: Buffer }>(
    `SELECT seq, data FROM ${tables.log} WHERE doc = $1 AND seq <= $2 ORDER BY seq`,
    [name, head],
  )
  if (read.rows.length === 0) return

  const merged = read.rows.filter((row) => !setAside.some((entry) => row.data.equals(entry.update))).map((row) => row.data)
  // Throws on bytes Yjs cannot read, before anything is written.
  const snapshot = Y.mergeUpdates([state, ...merged])

  if (setAside.length > 0) {
    await client.query(
      `INSERT INTO ${tables.quarantine} (doc, data, reason)
       SELECT $1, u, r FROM unnest($2::bytea[], $3::text[]) WITH ORDINALITY AS aside(u, r, i) ORDER BY i`,
      [name, setAside.map((entry) => toBuffer(entry.update)), setAside.map((entry) => entry.reason)],
    )
  }
  // The snapshot takes the largest seq it replaces, so it stays ahead of
  // every row it replaced and behind everything appended since that row. A
  // compaction changes nothing in the document: the snapshot keeps the time
  // of the latest row it replaces (NULL if none had one). One statement, so
  // that time never leaves the server (a JavaScript Date would drop its
  // microseconds): the aggregate reads every deleted row before the insert,
  // and a row deleted by this transaction no longer holds its seq, so the
  // snapshot may take it.
  const seqs = read.rows.map((row) => row.seq)
  const result = await client.query<{ replaced: string }>(
    `WITH replaced AS (DELETE FROM ${tables.log} WHERE doc = $1 AND seq = ANY($2::bigint[]) RETURNING at),
          snapshot AS (INSERT INTO ${tables.log} (seq, doc, data, at) SELECT $3, $1, $4, max(at) FROM replaced)
     SELECT count(*) AS replaced FROM replaced`,
    [name, seqs, seqs.at(-1), toBuffer(snapshot)],
  )
  // Under the lock only a rename (which locks the table, not the document)
  // can take rows away between the read and the delete: start again later.
  const replaced = Number(result.rows[0].replaced)
  if (replaced !== seqs.length) {
    throw new Error(`compact: "${name}" changed during compaction (${replaced} of ${seqs.length} rows left); nothing was changed`)
  }
}

/** The same bytes as a Buffer, without copying (what `pg` sends as `bytea`). */
export function toBuffer(bytes: Uint8Array): Buffer {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)
}
