import type Database from 'better-sqlite3'
import type { VersionInfo } from './types.ts'
import { parseVersionId, versionInfoOf, type CheckedVersion, type VersionRow } from './version-fields.ts'

/** The columns of a version row but its state, as `VersionRow` names them. `length` of the BLOB reads its size, not its pages. */
const INFO_COLUMNS = 'id, name, kind, created_at AS createdAt, authors, clients, length(state) AS bytes'

/**
 * The SQLite storage's version statements (the `versions` table, schema 4),
 * synchronous, for the engine (sqlite-engine.ts) to run on its worker thread.
 * `move` and `deleteAll` run inside the engine's rename and delete
 * transactions, so versions go where the log goes.
 */
export function createSqliteVersions(db: Database.Database) {
  const insert = db.prepare<[string, string | null, string, number, string, string, Uint8Array]>(
    'INSERT INTO versions (doc, name, kind, created_at, authors, clients, state) VALUES (?, ?, ?, ?, ?, ?, ?)',
  )
  const hasLog = db.prepare<[string], { found: number }>('SELECT 1 AS found FROM updates WHERE doc = ? LIMIT 1')
  const selectInfo = db.prepare<[bigint], VersionRow>(`SELECT ${INFO_COLUMNS} FROM versions WHERE id = ?`)
  const selectAll = db.prepare<[string], VersionRow>(`SELECT ${INFO_COLUMNS} FROM versions WHERE doc = ? ORDER BY id DESC`)
  const selectOne = db.prepare<[bigint, string], VersionRow & { state: Buffer }>(
    `SELECT ${INFO_COLUMNS}, state FROM versions WHERE id = ? AND doc = ?`,
  )
  const deleteOne = db.prepare<[bigint, string]>('DELETE FROM versions WHERE id = ? AND doc = ?')
  const deleteDoc = db.prepare<[string]>('DELETE FROM versions WHERE doc = ?')
  const moveDoc = db.prepare<[string, string]>('UPDATE versions SET doc = ? WHERE doc = ?')
  const hasVersions = db.prepare<[string], { found: number }>('SELECT 1 AS found FROM versions WHERE doc = ? LIMIT 1')

  // A version is saved only beside a log (see `saveVersion` in types.ts).
  const saveTx = db.transaction((document: string, version: CheckedVersion): VersionInfo => {
    if (!hasLog.get(document)) throw new Error(`saveVersion: no document "${document}"`)
    const { lastInsertRowid } = insert.run(
      document,
      version.name,
      version.kind,
      version.createdAt,
      JSON.stringify(version.authors),
      JSON.stringify(version.clients),
      version.state,
    )
    return versionInfoOf(selectInfo.get(BigInt(lastInsertRowid))!)
  })
  const deleteTx = db.transaction((document: string, ids: readonly bigint[]) => {
    for (const id of ids) deleteOne.run(id, document)
  })

  return {
    // IMMEDIATE: the write lock is taken before the log is checked, so no other connection can delete the document in between.
    save: (document: string, version: CheckedVersion): VersionInfo => saveTx.immediate(document, version),
    list: (document: string): VersionInfo[] => selectAll.all(document).map(versionInfoOf),
    load(document: string, id: string): { info: VersionInfo; state: Uint8Array } | null {
      const parsed = parseVersionId(id)
      const row = parsed === null ? undefined : selectOne.get(BigInt(parsed), document)
      if (!row) return null
      return { info: versionInfoOf(row), state: new Uint8Array(row.state.buffer, row.state.byteOffset, row.state.byteLength) }
    },
    delete(document: string, ids: readonly string[]): void {
      const parsed = ids.map(parseVersionId).filter((id) => id !== null)
      if (parsed.length > 0) deleteTx(document, parsed.map(BigInt))
    },
    /** Whether the document has any version (a rename refuses such a target). */
    has: (document: string): boolean => hasVersions.get(document) !== undefined,
    /** Move every version of `from` to `to`; inside the caller's transaction. */
    move: (from: string, to: string): void => void moveDoc.run(to, from),
    /** Remove every version of the document; inside the caller's transaction. */
    deleteAll: (document: string): void => void deleteDoc.run(document),
  }
}

export type SqliteVersions = ReturnType<typeof createSqliteVersions>
