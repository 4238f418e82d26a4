/**
 * What only the SQL backends promise about versions: files and databases
 * written before versions existed (schema 3) open and keep versions from
 * then on; PostgreSQL instances saving a version while another deletes or
 * renames the document leave none behind; the SQLite worker commits queued
 * appends before a version looks for the log. The contract every backend
 * passes is storage-versions.test.ts.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { rmSync } from 'node:fs'
import Database from 'better-sqlite3'
import pg from 'pg'
import type { DocumentStorage } from '../server/storage/types.ts'
import { waitFor } from './support/harness.ts'
import { CURRENT_SCHEMA, createPostgresBackend, createSqliteBackend } from './support/storage-backends.ts'
import { hex, infoFor, stateAfter, utf8, version, yUpdate } from './support/version-fixtures.ts'

describe('sqlite versions: schema', () => {
  const backend = createSqliteBackend()
  afterEach(() => backend.cleanup())

  it('opens a file written by schema 3 (no versions) and keeps versions in it from then on', async () => {
    // What the third version created, written by hand.
    await (await backend.open()).close()
    rmSync(backend.file, { force: true })
    for (const suffix of ['-wal', '-shm']) rmSync(`${backend.file}${suffix}`, { force: true })
    const old = new Database(backend.file)
    old.exec(`
      CREATE TABLE updates (seq INTEGER PRIMARY KEY AUTOINCREMENT, doc TEXT NOT NULL, data BLOB NOT NULL, at INTEGER);
      CREATE INDEX updates_by_doc ON updates (doc, seq);
      CREATE TABLE quarantine (id INTEGER PRIMARY KEY, doc TEXT NOT NULL, data BLOB NOT NULL, reason TEXT NOT NULL, at INTEGER NOT NULL);
      CREATE INDEX quarantine_by_doc ON quarantine (doc, id);
    `)
    old.prepare('INSERT INTO updates (doc, data, at) VALUES (?, ?, ?)').run('doc', Buffer.from(OLD_ONE), Date.now())
    old.pragma('user_version = 3')
    old.close()

    const migrated = await backend.reopen()
    const probe = new Database(backend.file, { readonly: true })
    try {
      expect(probe.pragma('user_version', { simple: true })).toBe(CURRENT_SCHEMA)
    } finally {
      probe.close()
    }
    await expectVersionsWorkAfterUpgrade(migrated)
    await migrated.close()
    const reopened = await backend.reopen()
    expect(await reopened.listVersions('doc')).toHaveLength(1)
  })
})

describe('postgres versions: schema', () => {
  const backend = createPostgresBackend()
  afterEach(() => backend.cleanup())

  it('migrates a database written by schema 3 (no versions), two instances racing to do it', async () => {
    await (await backend.open()).close()
    const schema = `"${backend.schema}"`
    await backend.query(`DROP SCHEMA ${schema} CASCADE`)
    await backend.query(`
      CREATE SCHEMA ${schema};
      CREATE TABLE ${schema}.collab_schema (version INTEGER NOT NULL);
      INSERT INTO ${schema}.collab_schema (version) VALUES (3);
      CREATE TABLE ${schema}.collab_updates (
        seq BIGSERIAL PRIMARY KEY, doc TEXT COLLATE "C" NOT NULL, data BYTEA NOT NULL, at TIMESTAMPTZ DEFAULT now()
      );
      CREATE INDEX collab_updates_by_doc ON ${schema}.collab_updates (doc, seq);
      CREATE TABLE ${schema}.collab_quarantine (
        id BIGSERIAL PRIMARY KEY, doc TEXT NOT NULL, data BYTEA NOT NULL, reason TEXT NOT NULL,
        at TIMESTAMPTZ NOT NULL DEFAULT now()
      );
      CREATE INDEX collab_quarantine_by_doc ON ${schema}.collab_quarantine (doc, id);
    `)
    await backend.query(`INSERT INTO ${schema}.collab_updates (doc, data) VALUES ($1, $2)`, ['doc', Buffer.from(OLD_ONE)])

    const [migrated, racing] = await Promise.all([backend.reopen(), backend.reopen()])
    const versions = await backend.query<{ version: number }>(`SELECT version FROM ${schema}.collab_schema`)
    expect(versions.rows.map((row) => row.version)).toEqual([CURRENT_SCHEMA])
    await expectVersionsWorkAfterUpgrade(migrated)
    expect(await racing.listVersions('doc')).toEqual(await migrated.listVersions('doc'))
  })
})

describe('postgres versions: several instances', () => {
  const backend = createPostgresBackend()
  const connections: pg.Client[] = []
  afterEach(async () => {
    await Promise.all(connections.splice(0).map((client) => client.end().catch(() => {})))
    await backend.cleanup()
  })
  const connect = async (): Promise<pg.Client> => {
    const client = new pg.Client({ connectionString: backend.connectionString })
    await client.connect()
    connections.push(client)
    return client
  }
  /** Wait until a statement matching `like` waits for a lock. */
  const waitForLockWait = async (monitor: pg.Client, like: string, message: string): Promise<void> => {
    await waitFor(async () => {
      const waiting = await monitor.query(`SELECT 1 FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query LIKE $1`, [like])
      return waiting.rowCount === 1
    }, message)
  }

  // A version saved by one instance while another deletes or renames the
  // document must go with it or not be saved: never stay behind under a name
  // with no log, to turn up in the next document of that name. A's delete or
  // rename is held after it has changed the log and before it reaches the
  // versions (by a row lock on a version saved earlier); B saves meanwhile.
  it.each(['delete', 'rename'] as const)('leaves no version behind a document another instance is in the middle of a %s of', async (change) => {
    const a = await backend.open()
    const b = await backend.reopen()
    const schema = `"${backend.schema}"`
    await a.append('doc', [yUpdate('one')])
    const earlier = await a.saveVersion('doc', version(utf8.encode('earlier')))
    const holding = await connect()
    await holding.query('BEGIN')
    await holding.query(`SELECT 1 FROM ${schema}.collab_versions WHERE id = $1 FOR UPDATE`, [earlier.id])
    const changing = change === 'delete' ? a.delete('doc') : a.rename('doc', 'moved')
    const monitor = await connect()
    await waitForLockWait(monitor, `%${schema}.collab_versions%`, `the ${change} to reach the versions, the log done`)

    let settled = false
    const saving = b.saveVersion('doc', version(utf8.encode('meanwhile'))).finally(() => (settled = true))
    saving.catch(() => {})
    // Either it saved at once (wrongly: the log it saw is on its way out), or it waits for A.
    await waitFor(async () => {
      if (settled) return true
      // B waits for the document's lock (behind a delete) or for the log table (behind a rename).
      const waiting = await monitor.query(
        `SELECT 1 FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND (query LIKE '%pg_advisory_xact_lock%' OR query LIKE $1)`,
        [`%${schema}.collab_updates%`],
      )
      return waiting.rowCount === 1
    }, 'the save to finish or to wait')
    await holding.query('COMMIT')
    await changing

    await expect(saving).rejects.toThrow(/no document/)
    expect(await a.listVersions('doc')).toEqual([])
    if (change === 'rename') expect(await a.listVersions('moved')).toEqual([earlier])
  })
})

describe('sqlite versions: group commit', () => {
  const backend = createSqliteBackend()
  afterEach(() => backend.cleanup())

  it('commits appends still queued before a version checks for the log', async () => {
    const storage = await backend.open()
    const appending = storage.append('queued', [yUpdate('first')])
    const info = await storage.saveVersion('queued', version(utf8.encode('state')))
    await appending
    expect(await storage.listVersions('queued')).toEqual([info])
  })
})

/** The one log row the hand-written older databases hold, under `doc`. */
const OLD_ONE = yUpdate('one')

/** After an upgrade: the old log is there, and versions of it can be saved, listed, loaded and deleted. */
async function expectVersionsWorkAfterUpgrade(migrated: DocumentStorage): Promise<void> {
  expect(hex((await migrated.load('doc')).updates[0])).toBe(hex(OLD_ONE))
  expect(await migrated.listVersions('doc')).toEqual([])
  const saving = version(stateAfter([OLD_ONE]), { name: 'first', kind: 'named', authors: ['Ana'], clients: { '1': 'Ana' } })
  const info = await migrated.saveVersion('doc', saving)
  expect(info).toEqual(infoFor(info.id, saving))
  expect(await migrated.listVersions('doc')).toEqual([info])
  expect(hex((await migrated.loadVersion('doc', info.id))!.state)).toBe(hex(saving.state))
  const dropped = await migrated.saveVersion('doc', version(utf8.encode('dropped')))
  await migrated.deleteVersions('doc', [dropped.id])
  expect(await migrated.listVersions('doc')).toEqual([info])
}

