/**
 * The storage contract for versions (server/storage/types.ts: `saveVersion`,
 * `listVersions`, `loadVersion`, `deleteVersions`), run against every
 * backend, then across close and reopen. Kept apart from
 * storage-contract.test.ts (the log's contract), which is long enough; what
 * only the SQL backends promise (upgrades, PostgreSQL instances racing, the
 * SQLite worker's ordering) is in storage-versions-sql.test.ts.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import Database from 'better-sqlite3'
import type { DocumentStorage, NewVersion, VersionInfo } from '../server/storage/types.ts'
import { createStorageBackends, type PostgresBackend, type SqliteBackend, type StorageBackend } from './support/storage-backends.ts'
import { hex, infoFor, isAfter, stateAfter, utf8, version, yUpdate } from './support/version-fixtures.ts'

const backends = createStorageBackends()

/** The ids this document's versions may not have: malformed, each in its own way. */
const MALFORMED_IDS = ['abc', '1; drop table versions', '', '0', '01', '-1', '1.0', ' 1', '1e3', '0x10', '123456789012345678901234567890']

describe.each(backends)('storage versions: $name', (backend) => {
  let storage: DocumentStorage
  beforeEach(async () => {
    storage = await backend.open()
  })
  afterEach(() => backend.cleanup())

  it('saves versions and lists them newest first, every field as given', async () => {
    const one = yUpdate('one')
    await storage.append('doc', [one])
    await storage.append('other', [yUpdate('elsewhere')])
    const saving: NewVersion[] = [
      version(stateAfter([one])),
      version(stateAfter([one, yUpdate('two')]), {
        name: 'Draft for review — 文書 ✍️ café',
        kind: 'named',
        createdAt: new Date('2025-03-01T09:20:30.456Z'),
        authors: ['Zoë', 'Ana María', '太郎'],
        clients: { '123': 'Zoë', '4294967295': 'Ana María', '7': '太郎' },
      }),
      // Names are kept as given: in NFD, and one in NFC, are two names.
      version(utf8.encode('any bytes at all'), { name: 'cafe\u0301', kind: 'restore', authors: ['caf\u00e9'], clients: { '1': 'caf\u00e9' } }),
    ]
    const saved: VersionInfo[] = []
    for (const next of saving) saved.push(await storage.saveVersion('doc', next))
    await storage.saveVersion('other', version(utf8.encode('not listed with doc')))

    saved.forEach((info, i) => expect(info).toEqual(infoFor(info.id, saving[i])))
    expect(isAfter(saved[1].id, saved[0].id) && isAfter(saved[2].id, saved[1].id), `ids ${saved.map((info) => info.id)}`).toBe(true)
    expect(await storage.listVersions('doc')).toEqual([...saved].reverse())
    expect(await storage.listVersions('never-written')).toEqual([])
  })

  it('loads a version byte for byte, and answers null for unknown, foreign and malformed ids', async () => {
    await storage.append('doc', [yUpdate('one')])
    await storage.append('other', [yUpdate('two')])
    const state = stateAfter([yUpdate('one'), yUpdate('x'.repeat(100_000))])
    const info = await storage.saveVersion('doc', version(state, { name: 'big', kind: 'named' }))
    const foreign = await storage.saveVersion('other', version(utf8.encode('other state')))

    const loaded = await storage.loadVersion('doc', info.id)
    expect(loaded?.info).toEqual(info)
    expect(hex(loaded!.state)).toBe(hex(state))

    expect(await storage.loadVersion('doc', foreign.id), 'an id of another document').toBeNull()
    expect(await storage.loadVersion('never-written', info.id)).toBeNull()
    expect(await storage.loadVersion('doc', String(BigInt(foreign.id) + 1000n)), 'an id never handed out').toBeNull()
    for (const id of MALFORMED_IDS) expect(await storage.loadVersion('doc', id), JSON.stringify(id)).toBeNull()
  })

  it('copies what it is given and what it hands out', async () => {
    await storage.append('doc', [yUpdate('one')])
    const given = version(utf8.encode('state'), { authors: ['Ana'], clients: { '5': 'Ana' } })
    const info = await storage.saveVersion('doc', given)
    given.state.fill(0)
    ;(given.authors as string[]).push('Eve')
    ;(given.clients as Record<string, string>)['6'] = 'Eve'
    const loaded = (await storage.loadVersion('doc', info.id))!
    loaded.state.fill(0)
    loaded.info.authors.push('Mallory')
    info.createdAt.setTime(0)

    const again = (await storage.loadVersion('doc', info.id))!
    expect(Buffer.from(again.state).toString()).toBe('state')
    expect(again.info.authors).toEqual(['Ana'])
    expect(again.info.clients).toEqual({ '5': 'Ana' })
    expect(again.info.createdAt).toEqual(new Date('2025-03-01T09:15:00.123Z'))
  })

  it('deletes only the versions asked for, ignoring unknown, foreign and malformed ids', async () => {
    await storage.append('doc', [yUpdate('one')])
    await storage.append('other', [yUpdate('two')])
    const saved: VersionInfo[] = []
    for (let i = 0; i < 4; i++) saved.push(await storage.saveVersion('doc', version(utf8.encode(`state ${i}`))))
    const foreign = await storage.saveVersion('other', version(utf8.encode('other state')))

    await storage.deleteVersions('doc', [saved[1].id, saved[3].id, foreign.id, '999999999', ...MALFORMED_IDS])
    expect(await storage.listVersions('doc')).toEqual([saved[2], saved[0]])
    expect(await storage.loadVersion('doc', saved[1].id)).toBeNull()
    expect(await storage.listVersions('other')).toEqual([foreign])
    await storage.deleteVersions('doc', [])
    await storage.deleteVersions('never-written', [saved[0].id])
    expect(await storage.listVersions('doc')).toEqual([saved[2], saved[0]])
  })

  it('never hands out an id again, even that of the newest version once deleted', async () => {
    await storage.append('doc', [yUpdate('one')])
    const first = await storage.saveVersion('doc', version(utf8.encode('first')))
    const newest = await storage.saveVersion('doc', version(utf8.encode('newest')))
    await storage.deleteVersions('doc', [newest.id])
    const next = await storage.saveVersion('doc', version(utf8.encode('next')))
    expect(isAfter(next.id, newest.id), `${next.id} after ${newest.id}`).toBe(true)
    expect((await storage.listVersions('doc')).map((info) => info.id)).toEqual([next.id, first.id])
  })

  it('keeps versions through compaction of the log, which they do not count in', async () => {
    const updates = [yUpdate('one'), yUpdate('two'), yUpdate('three')]
    const head = await storage.append('doc', updates)
    const state = stateAfter(updates)
    const info = await storage.saveVersion('doc', version(state, { name: 'before compaction', kind: 'named' }))
    const [described] = await storage.describe({ prefix: 'doc', limit: 1 })
    expect(described.bytes, 'describe counts the log only').toBe((await storage.load('doc')).bytes)

    await storage.compact('doc', state, head)
    expect(await storage.listVersions('doc')).toEqual([info])
    expect(hex((await storage.loadVersion('doc', info.id))!.state)).toBe(hex(state))
  })

  it('refuses to save a version of a document with no log, saving nothing', async () => {
    await expect(storage.saveVersion('never-written', version(utf8.encode('s')))).rejects.toThrow(/no document/)
    await storage.append('gone', [yUpdate('one')])
    await storage.delete('gone')
    await expect(storage.saveVersion('gone', version(utf8.encode('s')))).rejects.toThrow(/no document/)
    expect(await storage.listVersions('never-written')).toEqual([])
    expect(await storage.listVersions('gone')).toEqual([])
    expect(await storage.list()).toEqual([])
  })

  it('refuses a version whose fields are not of their types, saving nothing', async () => {
    await storage.append('doc', [yUpdate('one')])
    const state = utf8.encode('s')
    await expect(storage.saveVersion('doc', version(state, { kind: 'bogus' as 'auto' }))).rejects.toThrow(RangeError)
    await expect(storage.saveVersion('doc', version(state, { createdAt: new Date(Number.NaN) }))).rejects.toThrow(RangeError)
    await expect(storage.saveVersion('doc', version(state, { authors: [42 as unknown as string] }))).rejects.toThrow(TypeError)
    await expect(storage.saveVersion('doc', version(state, { clients: { '1': null as unknown as string } }))).rejects.toThrow(TypeError)
    expect(await storage.listVersions('doc')).toEqual([])
  })

  it('removes the versions with the document: a new document of that name starts without history', async () => {
    await storage.append('doc', [yUpdate('one')])
    await storage.append('kept', [yUpdate('two')])
    const info = await storage.saveVersion('doc', version(utf8.encode('s')))
    const kept = await storage.saveVersion('kept', version(utf8.encode('k')))
    await storage.delete('doc')
    expect(await storage.listVersions('doc')).toEqual([])
    expect(await storage.loadVersion('doc', info.id)).toBeNull()
    await storage.append('doc', [yUpdate('again')])
    expect(await storage.listVersions('doc')).toEqual([])
    expect(await storage.listVersions('kept')).toEqual([kept])
  })

  it('moves the versions with the log on rename, ids unchanged', async () => {
    await storage.append('old', [yUpdate('one')])
    const saved = [
      await storage.saveVersion('old', version(utf8.encode('first'))),
      await storage.saveVersion('old', version(utf8.encode('second'), { name: 'Named', kind: 'named' })),
    ]
    await storage.rename('old', 'new/文書')
    expect(await storage.listVersions('old')).toEqual([])
    expect(await storage.loadVersion('old', saved[0].id)).toBeNull()
    expect(await storage.listVersions('new/文書')).toEqual([...saved].reverse())
    expect(Buffer.from((await storage.loadVersion('new/文書', saved[0].id))!.state).toString()).toBe('first')
    // A document made under the old name has its own history.
    await storage.append('old', [yUpdate('fresh')])
    expect(await storage.listVersions('old')).toEqual([])
  })

  it('changes nothing when a rename is refused because the target exists', async () => {
    await storage.append('a', [yUpdate('a')])
    await storage.append('b', [yUpdate('b')])
    const inA = await storage.saveVersion('a', version(utf8.encode('a state')))
    const inB = await storage.saveVersion('b', version(utf8.encode('b state')))
    await expect(storage.rename('a', 'b')).rejects.toThrow(/already exists/)
    expect(await storage.listVersions('a')).toEqual([inA])
    expect(await storage.listVersions('b')).toEqual([inB])
  })

  // Versions without a log cannot be made through the interface: written
  // into the SQL backends' tables directly (the memory backend has no tables).
  if (backend.name !== 'memory') {
    it('treats a name with only versions as no document, and will not rename onto it', async () => {
      await storage.append('logged', [yUpdate('one')])
      await writeVersionOnly(backend, 'only-versions')
      expect(await storage.listVersions('only-versions')).toHaveLength(1)
      expect(await storage.list()).toEqual(['logged'])
      expect((await storage.describe({ limit: 10 })).map((info) => info.name)).toEqual(['logged'])
      await expect(storage.rename('logged', 'only-versions')).rejects.toThrow(/already exists/)
      expect(await storage.list()).toEqual(['logged'])
      expect(await storage.listVersions('only-versions')).toHaveLength(1)
    })
  }
})

describe.each(backends.filter((backend) => backend.durable))('durable versions: $name', (backend) => {
  afterEach(() => backend.cleanup())

  it('keeps versions across close and reopen, after compaction and rename, and never reuses an id', async () => {
    const storage = await backend.open()
    const updates = [yUpdate('one'), yUpdate('two')]
    const head = await storage.append('old', updates)
    const state = stateAfter(updates)
    const saving = version(state, { name: 'Entwurf für Ärztin', kind: 'named', authors: ['Jürgen'], clients: { '99': 'Jürgen' } })
    const kept = await storage.saveVersion('old', saving)
    const newest = await storage.saveVersion('old', version(utf8.encode('newest')))
    await storage.deleteVersions('old', [newest.id])
    await storage.compact('old', state, head)
    await storage.rename('old', 'new')
    await storage.close()

    const reopened = await backend.reopen()
    expect(await reopened.listVersions('new')).toEqual([infoFor(kept.id, saving)])
    expect(hex((await reopened.loadVersion('new', kept.id))!.state)).toBe(hex(state))
    const next = await reopened.saveVersion('new', version(utf8.encode('after reopen')))
    expect(isAfter(next.id, newest.id), `${next.id} after ${newest.id}`).toBe(true)
  })
})

/** A version row for `name` and no log: what the interface cannot make, written into a SQL backend's tables. */
async function writeVersionOnly(backend: StorageBackend, name: string): Promise<void> {
  if (backend.name === 'sqlite') {
    const db = new Database((backend as SqliteBackend).file)
    try {
      db.prepare(`INSERT INTO versions (doc, name, kind, created_at, authors, clients, state) VALUES (?, NULL, 'auto', ?, '[]', '{}', ?)`)
        .run(name, Date.now(), Buffer.from('by hand'))
    } finally {
      db.close()
    }
  } else if (backend.name === 'postgres') {
    const postgres = backend as PostgresBackend
    await postgres.query(
      `INSERT INTO "${postgres.schema}".collab_versions (doc, name, kind, created_at, authors, clients, state) VALUES ($1, NULL, 'auto', now(), '[]', '{}', $2)`,
      [name, Buffer.from('by hand')],
    )
  } else {
    throw new Error(`${backend.name} has no tables to write into`)
  }
}
