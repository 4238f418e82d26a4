import type pg from 'pg'
import { lockDocument, toBuffer } from './postgres-compact.ts'
import type { DocumentStorage } from './types.ts'
import { checkNewVersion, parseVersionId, versionInfoOf, type VersionRow } from './version-fields.ts'

/** The table names (schema-qualified, quoted) versions are kept in and checked against. */
export interface VersionTables {
  log: string
  versions: string
}

type VersionMethods = Pick<DocumentStorage, 'saveVersion' | 'listVersions' | 'loadVersion' | 'deleteVersions'>

/** The columns of a version row but its state, as `VersionRow` names them. `octet_length` reads a stored value's size without detoasting it. */
const INFO_COLUMNS = 'id, name, kind, created_at AS "createdAt", authors, clients, octet_length(state) AS bytes'

/**
 * The PostgreSQL storage's versions (the `collab_versions` table, schema 4).
 * `rename` and `delete` in postgres.ts move and remove them with the log;
 * `transaction` is theirs too: one pooled connection, BEGIN to COMMIT.
 */
export function createPostgresVersions(
  pool: pg.Pool,
  tables: VersionTables,
  transaction: <T>(work: (client: pg.PoolClient) => Promise<T>) => Promise<T>,
): VersionMethods {
  const { log, versions } = tables
  return {
    async saveVersion(document, version) {
      const checked = checkNewVersion(version)
      return transaction(async (client) => {
        // Saved only beside a log (see the type), and the check must still
        // hold at commit. `delete` holds the document's lock while it removes
        // the log; `rename` holds a lock on the log table that conflicts with
        // ROW EXCLUSIVE (what an INSERT takes anyway). Holding both, the
        // INSERT below (a new statement, so a new snapshot) sees either of
        // them committed, or makes them wait and then removes or moves the
        // new version with the rest.
        await lockDocument(client, document)
        await client.query(`LOCK TABLE ${log} IN ROW EXCLUSIVE MODE`)
        const result = await client.query<VersionRow>(
          `INSERT INTO ${versions} (doc, name, kind, created_at, authors, clients, state)
           SELECT $1, $2, $3, $4, $5, $6, $7 WHERE EXISTS (SELECT 1 FROM ${log} WHERE doc = $1)
           RETURNING ${INFO_COLUMNS}`,
          [
            document,
            checked.name,
            checked.kind,
            new Date(checked.createdAt),
            JSON.stringify(checked.authors),
            JSON.stringify(checked.clients),
            toBuffer(checked.state),
          ],
        )
        if (result.rows.length === 0) throw new Error(`saveVersion: no document "${document}"`)
        return versionInfoOf(result.rows[0])
      })
    },
    async listVersions(document) {
      const result = await pool.query<VersionRow>(`SELECT ${INFO_COLUMNS} FROM ${versions} WHERE doc = $1 ORDER BY id DESC`, [document])
      return result.rows.map(versionInfoOf)
    },
    async loadVersion(document, id) {
      // Checked first: a malformed id is unknown, not a failed cast.
      const parsed = parseVersionId(id)
      if (parsed === null) return null
      const result = await pool.query<VersionRow & { state: Buffer }>(
        `SELECT ${INFO_COLUMNS}, state FROM ${versions} WHERE doc = $1 AND id = $2::bigint`,
        [document, parsed],
      )
      const row = result.rows[0]
      if (!row) return null
      return { info: versionInfoOf(row), state: new Uint8Array(row.state.buffer, row.state.byteOffset, row.state.byteLength) }
    },
    async deleteVersions(document, ids) {
      const parsed = ids.map(parseVersionId).filter((id) => id !== null)
      if (parsed.length === 0) return
      // One statement is one transaction.
      await pool.query(`DELETE FROM ${versions} WHERE doc = $1 AND id = ANY($2::bigint[])`, [document, parsed])
    },
  }
}
