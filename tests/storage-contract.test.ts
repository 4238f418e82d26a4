/**
 * The storage contract (server/storage/types.ts): one body of tests, run
 * against every backend, then what only durable backends promise, then what
 * is particular to SQLite and PostgreSQL (schema versions and migration).
 *
 * Appends are byte-level: any bytes. What is compacted must be Yjs updates,
 * for PostgreSQL merges the log into the snapshot (several instances write
 * it: server/storage/postgres-compact.ts), so a snapshot is compared by the
 * document it holds, not byte for byte. Several instances at once:
 * storage-shared-postgres.test.ts.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { rmSync } from 'node:fs'
import Database from 'better-sqlite3'
import * as Y from 'yjs'
import type { DocumentStorage, QuarantinedUpdate, SetAsideUpdate, StoredDocument, StoredDocumentInfo } from '../server/storage/types.ts'
import { createRandom, testSeed } from './support/harness.ts'
import {
  CURRENT_SCHEMA,
  createPostgresBackend,
  createSqliteBackend,
  createStorageBackends,
  Editing,
  replayText,
  type PostgresBackend,
  type SqliteBackend,
  type StorageBackend,
} from './support/storage-backends.ts'

const backends = createStorageBackends()
const utf8 = new TextEncoder()
/** PostgreSQL stamps with its own clock: allow it a little skew. */
const POSTGRES_SKEW = 5_000

/** Distinct, recognisable bytes: the storage is byte-level and must not care what they are. */
const bytes = (label: string): Uint8Array => utf8.encode(label)
const hexes = (updates: readonly Uint8Array[]): string[] =>
  updates.map((update) => Buffer.from(update.buffer, update.byteOffset, update.byteLength).toString('hex'))
const totalBytes = (updates: readonly Uint8Array[]): number => updates.reduce((sum, update) => sum + update.byteLength, 0)

/** What the relay compacts to: the whole state of the document after `updates`. */
function stateAfter(updates: readonly Uint8Array[]): Uint8Array {
  const doc = new Y.Doc()
  for (const update of updates) Y.applyUpdate(doc, update)
  const state = Y.encodeStateAsUpdate(doc)
  doc.destroy()
  return state
}

/**
 * A real Yjs update, recognisable by its text: a new client inserting
 * `label`. Each call is another client, so two calls are two updates.
 */
function yUpdate(label: string): Uint8Array {
  const doc = new Y.Doc()
  doc.getText('text').insert(0, label)
  const update = Y.encodeStateAsUpdate(doc)
  doc.destroy()
  return update
}

/** What a log holds as a document: its text and which updates it has (the state vector). */
function documentOf(updates: readonly Uint8Array[]): { text: string; stateVector: string } {
  const doc = new Y.Doc()
  for (const update of updates) Y.applyUpdate(doc, update)
  const held = { text: doc.getText('text').toString(), stateVector: hexes([Y.encodeStateVector(doc)])[0] }
  doc.destroy()
  return held
}

/**
 * A compacted log: a snapshot holding the document `state` holds (the same
 * bytes in memory and SQLite; a Yjs merge in PostgreSQL), then `tail` byte for byte.
 */
function expectCompacted(stored: StoredDocument, state: Uint8Array, tail: readonly Uint8Array[] = []): void {
  expect(stored.updates).toHaveLength(1 + tail.length)
  expect(documentOf(stored.updates.slice(0, 1)), 'the snapshot').toEqual(documentOf([state]))
  expect(hexes(stored.updates.slice(1)), 'the updates after the snapshot').toEqual(hexes(tail))
  expect(stored.bytes).toBe(totalBytes(stored.updates))
}

async function appendEach(storage: DocumentStorage, name: string, updates: readonly Uint8Array[]): Promise<number[]> {
  const heads: number[] = []
  for (const update of updates) heads.push(await storage.append(name, [update]))
  return heads
}

/** What `quarantined` returned, without the times (checked on their own). */
const asideOf = (entries: readonly QuarantinedUpdate[]): { update: string; reason: string }[] =>
  entries.map((entry) => ({ update: hexes([entry.update])[0], reason: entry.reason }))
const expectedAside = (entries: readonly SetAsideUpdate[]): { update: string; reason: string }[] =>
  entries.map((entry) => ({ update: hexes([entry.update])[0], reason: entry.reason }))

/** Names that differ only in Unicode normalization are different keys to storage. */
const CAFE_NFC = 'caf\u00e9'
const CAFE_NFD = 'cafe\u0301'

function expectIncreasing(heads: readonly number[]): void {
  for (let i = 1; i < heads.length; i++) expect(heads[i], `head ${i} after head ${i - 1}`).toBeGreaterThan(heads[i - 1])
}

/** The order `describe` promises: by UTF-8 bytes (not JavaScript's UTF-16 `<`, not a locale's). */
const byUtf8 = (a: string, b: string): number => Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'))
const inByteOrder = (names: readonly string[]): string[] => [...names].sort(byUtf8)
const namesOf = (infos: readonly StoredDocumentInfo[]): string[] => infos.map((info) => info.name)
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))

/** Everything `describe` lists (the largest page). */
const describeAll = (storage: DocumentStorage, options: { prefix?: string; after?: string } = {}): Promise<StoredDocumentInfo[]> =>
  storage.describe({ ...options, limit: 10_000 })

/** One document as `describe` lists it, or undefined when it is not listed. */
async function infoOf(storage: DocumentStorage, name: string): Promise<StoredDocumentInfo | undefined> {
  // A name sorts before every longer name it is a prefix of.
  const [first] = await storage.describe({ prefix: name, limit: 1 })
  return first?.name === name ? first : undefined
}

/** Names that sort differently by UTF-8 bytes, by UTF-16 code units and by any locale. */
const ORDER_NAMES = [
  'b', 'B', 'a', 'A-doc', 'doc', 'doc/x', 'doc-x', 'doc x', 'docs', 'doc/x/y', 'e', 'é', 'z', 'Z',
  '😀', '\uff21', '文書', 'team/q4 plan', 'team', CAFE_NFC, CAFE_NFD, '', '\u{10ffff}', '~',
]

describe.each(backends)('storage contract: $name', (backend) => {
  let storage: DocumentStorage
  beforeEach(async () => {
    storage = await backend.open()
  })
  afterEach(() => backend.cleanup())

  it('loads a document never written as an empty log, and lists nothing', async () => {
    expect(await storage.load('never-written')).toEqual({ updates: [], head: 0, bytes: 0 })
    expect(await storage.list()).toEqual([])
  })

  it('returns strictly increasing heads, and loads the updates in order, byte for byte', async () => {
    const updates = Array.from({ length: 20 }, (_, i) => bytes(`update ${i} `.repeat(i + 1)))
    const heads = await appendEach(storage, 'doc', updates)
    expectIncreasing(heads)

    const stored = await storage.load('doc')
    expect(hexes(stored.updates)).toEqual(hexes(updates))
    expect(stored.head).toBe(heads.at(-1))
    expect(stored.bytes).toBe(totalBytes(updates))
  })

  it('makes a batch visible all at once and in order, never part of it', async () => {
    await storage.append('doc', [bytes('before')])
    const batch = Array.from({ length: 200 }, (_, i) => bytes(`batch ${i}`))
    let settled = false
    const appending = storage.append('doc', batch).finally(() => (settled = true))
    // Loads racing the append must see all of the batch or none of it.
    const seen: number[] = []
    // (Yielding a turn between loads: a backend that commits on a later turn must get to run.)
    do {
      seen.push((await storage.load('doc')).updates.length)
      await new Promise((resolve) => setImmediate(resolve))
    } while (!settled)
    const head = await appending
    expect(seen.every((count) => count === 1 || count === 201), `counts seen while appending: ${seen}`).toBe(true)

    const stored = await storage.load('doc')
    expect(hexes(stored.updates)).toEqual(hexes([bytes('before'), ...batch]))
    expect(stored.head).toBe(head)
  })

  it('keeps each document in its own order when appends to several documents interleave', async () => {
    const docs = ['a', 'b', 'c']
    const expected = new Map(docs.map((doc) => [doc, [] as Uint8Array[]]))
    for (let i = 0; i < 30; i++) {
      const doc = docs[i % docs.length]
      const update = bytes(`${doc}:${i}`)
      expected.get(doc)!.push(update)
      await storage.append(doc, [update])
    }
    for (const doc of docs) expect(hexes((await storage.load(doc)).updates), doc).toEqual(hexes(expected.get(doc)!))
  })

  it('stores names with slashes, spaces, non-Latin characters and 512 UTF-8 bytes', async () => {
    // 170 three-byte characters and two ASCII ones: exactly MAX_ROOM_NAME_BYTES.
    const longest = `${'文'.repeat(170)}xy`
    expect(utf8.encode(longest).length).toBe(512)
    const names = ['team/q4 plan', 'a/b/c', 'with  two spaces', '文書', longest, 'team']
    for (const name of names) await storage.append(name, [bytes(`content of ${name}`)])

    expect([...(await storage.list())].sort()).toEqual([...names].sort())
    for (const name of names) {
      expect(hexes((await storage.load(name)).updates), name).toEqual(hexes([bytes(`content of ${name}`)]))
    }
  })

  it('compacts the log up to a head into the state, keeping later updates after it in order', async () => {
    const editing = new Editing(createRandom(testSeed(`compact ${backend.name}`)))
    const updates = editing.edit(60, 'ab')
    const heads: number[] = []
    for (let i = 0; i < 50; i += 10) heads.push(await storage.append('doc', updates.slice(i, i + 10)))
    await storage.append('other', [bytes('untouched')])
    // Appended after the head the compaction is for, before it runs: must survive.
    const lastHead = await storage.append('doc', updates.slice(50))
    const state = stateAfter(updates.slice(0, 50))

    await storage.compact('doc', state, heads.at(-1)!)
    const stored = await storage.load('doc')
    expect(hexes(stored.updates)).toEqual(hexes([state, ...updates.slice(50)]))
    expect(stored.head).toBe(lastHead)
    expect(stored.bytes).toBe(totalBytes(stored.updates))
    expect(replayText(stored.updates)).toBe(editing.text)
    expect(hexes((await storage.load('other')).updates)).toEqual(hexes([bytes('untouched')]))
  })

  it('compacts twice, appends after each compaction, and heads keep increasing', async () => {
    const editing = new Editing(createRandom(testSeed(`compact twice ${backend.name}`)))
    const first = await storage.append('doc', editing.edit(20, 'x'))
    await storage.compact('doc', stateAfter(editing.updates), first)
    const afterFirst = await storage.load('doc')
    expect(afterFirst.updates).toHaveLength(1)
    expect(afterFirst.head).toBe(first)

    const second = await storage.append('doc', editing.edit(10, 'y'))
    expect(second).toBeGreaterThan(first)
    const secondState = stateAfter(editing.updates)
    await storage.compact('doc', secondState, second)
    const tail = editing.edit(5, 'z')
    const heads = await appendEach(storage, 'doc', tail)
    expectIncreasing([first, second, ...heads])

    const stored = await storage.load('doc')
    expect(hexes(stored.updates)).toEqual(hexes([secondState, ...tail]))
    expect(stored.head).toBe(heads.at(-1))
    expect(replayText(stored.updates)).toBe(editing.text)
  })

  it('deletes one document only, and lists exactly the stored names', async () => {
    for (const name of ['keep', 'drop', 'also-keep']) await storage.append(name, [bytes(name), bytes(`${name} again`)])
    await storage.delete('drop')

    expect(await storage.load('drop')).toEqual({ updates: [], head: 0, bytes: 0 })
    expect([...(await storage.list())].sort()).toEqual(['also-keep', 'keep'])
    expect(hexes((await storage.load('keep')).updates)).toEqual(hexes([bytes('keep'), bytes('keep again')]))
    // A deleted name can be written again from scratch.
    await storage.append('drop', [bytes('new life')])
    expect(hexes((await storage.load('drop')).updates)).toEqual(hexes([bytes('new life')]))
  })

  it('keeps what a delete says was deleted, past the document and a new one of the same name, for that name only', async () => {
    await storage.append('gone', [bytes('secret')])
    await storage.append('kept', [bytes('kept')])
    await storage.delete('gone', bytes('vector one'))
    expect(await storage.load('gone')).toEqual({ updates: [], head: 0, bytes: 0, deleted: bytes('vector one') })
    expect((await storage.load('kept')).deleted).toBeUndefined()
    expect((await storage.load('never-written')).deleted).toBeUndefined()

    // A new document of the same name: its log, and the record still.
    const head = await storage.append('gone', [bytes('new life')])
    const reborn = await storage.load('gone')
    expect(hexes(reborn.updates)).toEqual(hexes([bytes('new life')]))
    expect(reborn.head).toBe(head)
    expect(hexes([reborn.deleted!])).toEqual(hexes([bytes('vector one')]))

    // A delete without a record keeps the one kept; a delete with one replaces it.
    await storage.delete('gone')
    expect(hexes([(await storage.load('gone')).deleted!])).toEqual(hexes([bytes('vector one')]))
    await storage.append('gone', [bytes('third')])
    await storage.delete('gone', bytes('vector two'))
    expect(hexes([(await storage.load('gone')).deleted!])).toEqual(hexes([bytes('vector two')]))

    // A rename neither takes the record along nor is refused by one.
    await storage.append('elsewhere', [bytes('moving')])
    await storage.rename('elsewhere', 'gone-too')
    expect((await storage.load('gone-too')).deleted).toBeUndefined()
    await storage.rename('gone-too', 'gone')
    const renamed = await storage.load('gone')
    expect(hexes(renamed.updates)).toEqual(hexes([bytes('moving')]))
    expect(hexes([renamed.deleted!])).toEqual(hexes([bytes('vector two')]))
  })

  it('appendIfEmpty appends to a document with no log, returning the head, like append', async () => {
    const seed = [bytes('seed one'), bytes('seed two')]
    const head = await storage.appendIfEmpty('doc', seed)
    expect(head).not.toBeNull()
    const stored = await storage.load('doc')
    expect(hexes(stored.updates)).toEqual(hexes(seed))
    expect(stored.head).toBe(head)
    expect(await storage.list()).toEqual(['doc'])
    // Appends go on after it, heads growing.
    expect(await storage.append('doc', [bytes('after')])).toBeGreaterThan(head!)
    await expect(storage.appendIfEmpty('other', [])).rejects.toThrow(RangeError)
    expect(await storage.list()).toEqual(['doc'])
  })

  it('appendIfEmpty writes nothing and resolves with null when the document has a log', async () => {
    const updates = [yUpdate('one'), yUpdate('two')]
    const head = await storage.append('doc', updates)
    await storage.append('other', [bytes('elsewhere')])
    const before = await storage.load('doc')
    const info = await infoOf(storage, 'doc')
    expect(await storage.appendIfEmpty('doc', [bytes('seed')])).toBeNull()
    expect(await storage.load('doc')).toEqual(before)
    expect(await infoOf(storage, 'doc')).toEqual(info)

    // A compacted log is a log too.
    await storage.compact('doc', stateAfter(updates), head)
    const compacted = await storage.load('doc')
    expect(await storage.appendIfEmpty('doc', [bytes('seed')])).toBeNull()
    expect(await storage.load('doc')).toEqual(compacted)
    expect(hexes((await storage.load('other')).updates)).toEqual(hexes([bytes('elsewhere')]))
  })

  it('appendIfEmpty appends again once the document was deleted', async () => {
    const one = yUpdate('one')
    const head = await storage.append('doc', [one])
    await storage.compact('doc', stateAfter([one]), head, [{ update: bytes('aside'), reason: 'why' }])
    await storage.delete('doc')
    const seeded = await storage.appendIfEmpty('doc', [bytes('seed')])
    expect(seeded).not.toBeNull()
    expect(await storage.load('doc')).toEqual({ updates: [bytes('seed')], head: seeded, bytes: 4 })
    expect(await storage.quarantined('doc')).toEqual([])
  })

  it('appendIfEmpty seeds once among 10 concurrent calls', async () => {
    const seeds = Array.from({ length: 10 }, (_, i) => bytes(`seed ${i}`))
    const heads = await Promise.all(seeds.map((seed) => storage.appendIfEmpty('doc', [seed])))
    const winners = heads.flatMap((head, i) => (head === null ? [] : [i]))
    expect(winners).toHaveLength(1)
    const stored = await storage.load('doc')
    expect(hexes(stored.updates)).toEqual(hexes([seeds[winners[0]]]))
    expect(stored.head).toBe(heads[winners[0]])
  })

  it('keeps every update of 50 concurrent appends across 5 documents, each document in head order', async () => {
    const writes = Array.from({ length: 50 }, (_, i) => ({ doc: `doc-${i % 5}`, update: bytes(`doc-${i % 5} write ${i}`) }))
    const heads = await Promise.all(writes.map(({ doc, update }) => storage.append(doc, [update])))

    for (let d = 0; d < 5; d++) {
      const doc = `doc-${d}`
      // Concurrent appends may commit in any order; the heads they returned are that order.
      const mine = writes.map((write, i) => ({ ...write, head: heads[i] })).filter((write) => write.doc === doc)
      mine.sort((a, b) => a.head - b.head)
      // Heads are positions in one document's log: distinct within it, not necessarily across documents.
      expect(new Set(mine.map((write) => write.head)).size, doc).toBe(10)
      const stored = await storage.load(doc)
      expect(hexes(stored.updates), doc).toEqual(hexes(mine.map((write) => write.update)))
      expect(stored.head).toBe(mine.at(-1)!.head)
    }
  })

  it('quarantines set-aside updates in the compaction that drops them, oldest first, with reasons', async () => {
    const before = Date.now()
    const editing = new Editing(createRandom(testSeed(`quarantine ${backend.name}`)))
    const head = await storage.append('doc', editing.edit(10, 'ab'))
    const first: SetAsideUpdate[] = [
      { update: bytes('broken one'), reason: 'refused: first reason' },
      { update: bytes('broken two'), reason: 'depends on content the document does not have' },
    ]
    const state = stateAfter(editing.updates)
    await storage.compact('doc', state, head, first)

    // The log and the quarantine changed together.
    expect(hexes((await storage.load('doc')).updates)).toEqual(hexes([state]))
    expect(asideOf(await storage.quarantined('doc'))).toEqual(expectedAside(first))

    // A later compaction adds after what is there.
    const tail = editing.edit(3, 'c')
    const secondHead = await storage.append('doc', tail)
    const second: SetAsideUpdate[] = [{ update: bytes('broken three'), reason: 'threw: third' }]
    const secondState = stateAfter(editing.updates)
    await storage.compact('doc', secondState, secondHead, second)
    const quarantined = await storage.quarantined('doc')
    expect(asideOf(quarantined)).toEqual(expectedAside([...first, ...second]))
    expect(hexes((await storage.load('doc')).updates)).toEqual(hexes([secondState]))
    expect(replayText((await storage.load('doc')).updates)).toBe(editing.text)
    for (const entry of quarantined) {
      expect(entry.at).toBeInstanceOf(Date)
      // PostgreSQL stamps with its own clock: allow it a little skew.
      expect(entry.at.getTime()).toBeGreaterThanOrEqual(before - 5_000)
      expect(entry.at.getTime()).toBeLessThanOrEqual(Date.now() + 5_000)
    }
    // Only this document's quarantine.
    expect(await storage.quarantined('other')).toEqual([])
  })

  it('quarantines nothing when nothing is set aside, and knows no quarantine for an unknown document', async () => {
    expect(await storage.quarantined('never-written')).toEqual([])
    const updates = [yUpdate('one'), yUpdate('two')]
    const head = await storage.append('doc', updates)
    await storage.compact('doc', stateAfter(updates), head)
    await storage.compact('doc', stateAfter(updates), head, [])
    expect(await storage.quarantined('doc')).toEqual([])
    expectCompacted(await storage.load('doc'), stateAfter(updates))
  })

  // What a load sets aside may still be in the log: the compaction drops it
  // there and does not take it into the snapshot (PostgreSQL, which merges
  // the log, skips it), whether Yjs could read it or not.
  it('leaves set-aside updates found in the log out of the snapshot', async () => {
    const kept = [yUpdate('kept one'), yUpdate('kept two')]
    const refused = yUpdate('refused')
    const unreadable = bytes('not a Yjs update')
    await storage.append('doc', [kept[0], refused])
    const head = await storage.append('doc', [unreadable, kept[1]])
    const tail = [yUpdate('after')]
    await storage.append('doc', tail)
    const setAside = [
      { update: refused, reason: 'refused: by a guard' },
      { update: unreadable, reason: 'threw' },
    ]
    await storage.compact('doc', stateAfter(kept), head, setAside)

    const stored = await storage.load('doc')
    expectCompacted(stored, stateAfter(kept), tail)
    expect(documentOf(stored.updates.slice(0, 1)).text).not.toContain('refused')
    expect(asideOf(await storage.quarantined('doc'))).toEqual(expectedAside(setAside))
  })

  it('changes neither log nor quarantine when a compaction fails', async () => {
    const [one, two, three] = [yUpdate('one'), yUpdate('two'), yUpdate('three')]
    await storage.append('doc', [one])
    const head = await storage.append('doc', [two])
    await storage.compact('doc', stateAfter([one, two]), head, [{ update: bytes('kept aside'), reason: 'earlier' }])
    const compacted = await storage.load('doc')
    const tail = await storage.append('doc', [three])
    // The second entry cannot be stored (no bytes): the first must not be either, nor the log change.
    const unstorable = [
      { update: bytes('would be aside'), reason: 'fine' },
      { update: null, reason: 'no bytes' },
    ] as unknown as SetAsideUpdate[]
    await expect(storage.compact('doc', stateAfter([one, two, three]), tail, unstorable)).rejects.toThrow()

    expect(hexes((await storage.load('doc')).updates)).toEqual(hexes([...compacted.updates, three]))
    expect(asideOf(await storage.quarantined('doc'))).toEqual([{ update: hexes([bytes('kept aside')])[0], reason: 'earlier' }])
  })

  // The snapshot's insert is the last statement, after the log rows were
  // deleted and the quarantine rows written; made to fail, all must roll back.
  // In SQLite the snapshot takes the seq of `head`: a head that is another
  // document's row collides. In PostgreSQL it takes the largest seq it
  // replaces, which cannot collide: a constraint no snapshot meets fails it.
  // The memory backend has no statements. Defined for the SQL backends only
  // (not skipped for memory: there is nothing to run there).
  if (backend.name !== 'memory') {
    it('rolls a compaction back whole when its last statement fails', async () => {
      const [one, two] = [yUpdate('doc one'), yUpdate('doc two')]
      await storage.append('doc', [one])
      const othersHead = await storage.append('other', [bytes('other one')])
      const head = await storage.append('doc', [two])
      if (backend.name === 'postgres') {
        // Every row so far fits; the snapshot, which holds both updates, does not.
        const largest = Math.max(one.byteLength, two.byteLength)
        expect(Y.mergeUpdates([stateAfter([one, two]), one, two]).byteLength).toBeGreaterThan(largest)
        const postgres = backend as PostgresBackend
        await postgres.query(`ALTER TABLE "${postgres.schema}".collab_updates ADD CONSTRAINT test_fault CHECK (octet_length(data) <= ${largest})`)
      }
      await expect(
        storage.compact('doc', stateAfter([one, two]), backend.name === 'sqlite' ? othersHead : head, [
          { update: bytes('aside'), reason: 'never stored' },
        ]),
      ).rejects.toThrow(backend.name === 'postgres' ? /test_fault/ : /UNIQUE/)

      expect(hexes((await storage.load('doc')).updates)).toEqual(hexes([one, two]))
      expect(hexes((await storage.load('other')).updates)).toEqual(hexes([bytes('other one')]))
      expect(await storage.quarantined('doc')).toEqual([])
    })
  }

  it('renames a document: its log and quarantine move, the old name is gone', async () => {
    const updates = Array.from({ length: 5 }, (_, i) => yUpdate(`update ${i}`))
    const heads = await appendEach(storage, 'old', updates)
    await storage.compact('old', stateAfter(updates.slice(0, 3)), heads[2], [{ update: bytes('aside'), reason: 'why' }])
    await storage.append('bystander', [bytes('not moved')])
    const before = await storage.load('old')

    await storage.rename('old', 'new')
    const after = await storage.load('new')
    expect(hexes(after.updates)).toEqual(hexes(before.updates))
    expectCompacted(after, stateAfter(updates.slice(0, 3)), updates.slice(3))
    expect(after.head).toBe(before.head)
    expect(after.bytes).toBe(before.bytes)
    expect(asideOf(await storage.quarantined('new'))).toEqual([{ update: hexes([bytes('aside')])[0], reason: 'why' }])

    expect(await storage.load('old')).toEqual({ updates: [], head: 0, bytes: 0 })
    expect(await storage.quarantined('old')).toEqual([])
    expect([...(await storage.list())].sort()).toEqual(['bystander', 'new'])
    expect(hexes((await storage.load('bystander')).updates)).toEqual(hexes([bytes('not moved')]))
  })

  it('continues a renamed document in order: appends and compactions after the rename', async () => {
    const editing = new Editing(createRandom(testSeed(`rename append ${backend.name}`)))
    const first = editing.edit(10, 'a')
    const heads = await appendEach(storage, 'before', first)
    await storage.rename('before', 'after')
    const later = editing.edit(10, 'b')
    const laterHeads = await appendEach(storage, 'after', later)
    expectIncreasing([...heads, ...laterHeads])

    const stored = await storage.load('after')
    expect(hexes(stored.updates)).toEqual(hexes([...first, ...later]))
    expect(stored.head).toBe(laterHeads.at(-1))
    expect(replayText(stored.updates)).toBe(editing.text)

    const state = stateAfter(editing.updates)
    await storage.compact('after', state, stored.head)
    expect(replayText((await storage.load('after')).updates)).toBe(editing.text)
    // The old name starts again from nothing if written.
    await storage.append('before', [bytes('fresh')])
    expect(hexes((await storage.load('before')).updates)).toEqual(hexes([bytes('fresh')]))
  })

  it('refuses to rename onto a stored document, changing nothing', async () => {
    const aUpdates = [yUpdate('a one'), yUpdate('a two')]
    const aHead = await storage.append('a', aUpdates)
    await storage.compact('a', stateAfter(aUpdates), aHead, [{ update: bytes('a aside'), reason: 'a' }])
    await storage.append('b', [bytes('b one')])
    const [aBefore, bBefore] = [await storage.load('a'), await storage.load('b')]

    await expect(storage.rename('a', 'b')).rejects.toThrow()
    await expect(storage.rename('a', 'a')).rejects.toThrow()

    expect(await storage.load('a')).toEqual(aBefore)
    expect(await storage.load('b')).toEqual(bBefore)
    expect(asideOf(await storage.quarantined('a'))).toEqual([{ update: hexes([bytes('a aside')])[0], reason: 'a' }])
    expect(await storage.quarantined('b')).toEqual([])
    expect([...(await storage.list())].sort()).toEqual(['a', 'b'])
  })

  it('refuses to rename a document that does not exist, creating nothing', async () => {
    await expect(storage.rename('missing', 'anywhere')).rejects.toThrow()
    expect(await storage.list()).toEqual([])
    expect(await storage.load('anywhere')).toEqual({ updates: [], head: 0, bytes: 0 })
  })

  it('renames between names with "/", spaces and Unicode, told apart byte for byte', async () => {
    // NFC and NFD spellings of one word are two documents to storage.
    await storage.append(CAFE_NFC, [bytes('composed')])
    await storage.append(CAFE_NFD, [bytes('decomposed')])
    await storage.append('team/q4 plan/', [bytes('slashes')])
    expect(await storage.list()).toHaveLength(3)

    await storage.rename(CAFE_NFD, `${CAFE_NFC} (2)`)
    await storage.rename('team/q4 plan/', '文書/q4 plan')
    expect([...(await storage.list())].sort()).toEqual([CAFE_NFC, `${CAFE_NFC} (2)`, '文書/q4 plan'].sort())
    expect(hexes((await storage.load(CAFE_NFC)).updates)).toEqual(hexes([bytes('composed')]))
    expect(hexes((await storage.load(`${CAFE_NFC} (2)`)).updates)).toEqual(hexes([bytes('decomposed')]))
    expect(hexes((await storage.load('文書/q4 plan')).updates)).toEqual(hexes([bytes('slashes')]))
    expect((await storage.load(CAFE_NFD)).updates).toEqual([])
    expect((await storage.load('team/q4 plan/')).updates).toEqual([])
  })

  it('deletes the quarantine with the log', async () => {
    const one = yUpdate('one')
    const head = await storage.append('doc', [one])
    await storage.compact('doc', stateAfter([one]), head, [{ update: bytes('aside'), reason: 'why' }])
    await storage.delete('doc')
    expect(await storage.quarantined('doc')).toEqual([])
    expect(await storage.list()).toEqual([])
    // Written again, it starts with nothing set aside, and it can be renamed to.
    await storage.append('fresh', [bytes('new')])
    await storage.rename('fresh', 'doc')
    expect(await storage.quarantined('doc')).toEqual([])
    expect(hexes((await storage.load('doc')).updates)).toEqual(hexes([bytes('new')]))
  })

  it('round-trips a 100k-character document built from 10 000 small updates', async () => {
    const editing = new Editing(createRandom(testSeed(`large ${backend.name}`)))
    const updates = editing.edit(10_000, '0123456789')
    expect(editing.text).toHaveLength(100_000)
    let head = 0
    for (let i = 0; i < updates.length; i += 500) head = await storage.append('large', updates.slice(i, i + 500))

    const stored = await storage.load('large')
    expect(stored.updates).toHaveLength(10_000)
    expect(stored.head).toBe(head)
    expect(stored.bytes).toBe(totalBytes(updates))
    expect(replayText(stored.updates)).toBe(editing.text)
  })

  it('describes every stored document in UTF-8 byte order, with the bytes of its log', async () => {
    const sizes = new Map<string, number>()
    for (const [i, name] of ORDER_NAMES.entries()) {
      const updates = [bytes(`content of ${name}`), bytes('x'.repeat(i + 1))]
      await storage.append(name, updates)
      sizes.set(name, totalBytes(updates))
    }
    const expected = inByteOrder(ORDER_NAMES)
    // The order is not what a plain sort or a locale would give, or this test would prove little.
    expect(expected).not.toEqual([...ORDER_NAMES].sort())
    expect(expected).not.toEqual([...ORDER_NAMES].sort((a, b) => a.localeCompare(b)))

    const described = await describeAll(storage)
    expect(namesOf(described)).toEqual(expected)
    for (const info of described) expect(info.bytes, info.name).toBe(sizes.get(info.name))
    // Each name once, and exactly the names `list` has.
    expect([...(await storage.list())].sort(byUtf8)).toEqual(expected)
  })

  it('describes only the names that start with the prefix, taken literally', async () => {
    const names = [
      'a', 'a%', 'a%b', 'a_b', 'axb', 'ab', 'A%b', 'a\\b', 'a\\%', '%', '_x',
      'é', 'é/1', 'e', 'e/1', '😀', '😀/x', '😁',
      'x\uffff', 'x\uffffy', 'x\u{10000}', 'x\u{10ffff}', 'x\u{10ffff}z', 'x\ud7ff!', 'x\ue000', 'y',
      'doc', 'doc/x', 'doc-x', 'docs',
    ]
    for (const name of names) await storage.append(name, [bytes(name.length > 0 ? name : 'empty')])
    const prefixes = [
      '', 'a', 'a%', 'a_', 'a\\', 'a\\%', '%', '_', 'A', 'é', 'e', '😀', 'x\uffff', 'x\u{10ffff}', 'x\ud7ff',
      'x', 'doc', 'doc/', 'docs', 'docsx', 'nothing', '\u{10ffff}',
    ]
    for (const prefix of prefixes) {
      const expected = inByteOrder(names.filter((name) => name.startsWith(prefix)))
      expect(namesOf(await describeAll(storage, { prefix })), `prefix ${JSON.stringify(prefix)}`).toEqual(expected)
    }
    // `%` and `_` match only themselves.
    expect(namesOf(await describeAll(storage, { prefix: 'a%' }))).toEqual(['a%', 'a%b'])
    expect(namesOf(await describeAll(storage, { prefix: 'a_' }))).toEqual(['a_b'])
  })

  it('pages through every document after a cursor, without duplicates or gaps', async () => {
    for (const name of ORDER_NAMES) await storage.append(name, [bytes(`content of ${name}`)])
    const walk = async (prefix?: string): Promise<string[]> => {
      const seen: string[] = []
      for (let page = 0; page < 100; page++) {
        const after = seen.at(-1)
        const entries = await storage.describe({ ...(prefix !== undefined ? { prefix } : {}), ...(after !== undefined ? { after } : {}), limit: 2 })
        expect(entries.length).toBeLessThanOrEqual(2)
        if (entries.length === 0) return seen
        seen.push(...namesOf(entries))
      }
      throw new Error('paging did not end')
    }
    // The empty name comes first: the first page starts without a cursor.
    expect(await walk()).toEqual(inByteOrder(ORDER_NAMES))
    expect(await walk('doc')).toEqual(inByteOrder(ORDER_NAMES.filter((name) => name.startsWith('doc'))))
    expect(await walk('team')).toEqual(['team', 'team/q4 plan'])

    // A cursor need not be a stored name; one before the prefix's range starts at its beginning, one after it ends it.
    const after = (cursor: string, prefix?: string): Promise<string[]> =>
      describeAll(storage, { ...(prefix !== undefined ? { prefix } : {}), after: cursor }).then(namesOf)
    expect(await after('c')).toEqual(inByteOrder(ORDER_NAMES).filter((name) => byUtf8(name, 'c') > 0))
    expect(await after('doc', 'doc')).toEqual(['doc x', 'doc-x', 'doc/x', 'doc/x/y', 'docs'])
    expect(await after('a', 'doc')).toEqual(['doc', 'doc x', 'doc-x', 'doc/x', 'doc/x/y', 'docs'])
    expect(await after('docs', 'doc')).toEqual([])
    expect(await after('\u{10ffff}')).toEqual([])
    // Strictly after: the empty name is not after itself.
    expect((await after('')).length).toBe(ORDER_NAMES.length - 1)
  })

  it('refuses a limit that is not an integer from 1 to 10 000', async () => {
    await storage.append('doc', [bytes('one')])
    for (const limit of [0, -1, 1.5, 10_001, Number.NaN, Number.POSITIVE_INFINITY, '2' as unknown as number, undefined as unknown as number]) {
      await expect(storage.describe({ limit }), `limit ${String(limit)}`).rejects.toThrow(RangeError)
    }
    expect(namesOf(await storage.describe({ limit: 1 }))).toEqual(['doc'])
    expect(namesOf(await storage.describe({ limit: 10_000 }))).toEqual(['doc'])
  })

  it('counts the bytes of the log: each append adds, a compaction leaves its snapshot and the tail', async () => {
    expect(await infoOf(storage, 'doc')).toBeUndefined()
    const [one, two, three] = [yUpdate('one'), yUpdate('two!'), yUpdate('three')]
    await storage.append('doc', [one, two])
    expect((await infoOf(storage, 'doc'))?.bytes).toBe(totalBytes([one, two]))
    const head = await storage.append('doc', [three])
    await storage.append('doc', [bytes('four'), bytes('five')])
    await storage.append('other', [bytes('not counted in doc')])
    expect((await infoOf(storage, 'doc'))?.bytes).toBe(totalBytes([one, two, three]) + 8)

    // Set-aside updates go to the quarantine, whose bytes are not the log's.
    await storage.compact('doc', stateAfter([one, two, three]), head, [{ update: bytes('aside, large '.repeat(10)), reason: 'why' }])
    const compacted = await infoOf(storage, 'doc')
    const stored = await storage.load('doc')
    expectCompacted(stored, stateAfter([one, two, three]), [bytes('four'), bytes('five')])
    expect(compacted?.bytes).toBe(stored.updates[0].byteLength + 8)
    expect(compacted?.bytes).toBe(stored.bytes)
    expect((await infoOf(storage, 'other'))?.bytes).toBe('not counted in doc'.length)
  })

  it('moves updatedAt when the log grows, and keeps it through compaction and rename', async () => {
    // PostgreSQL stamps with its own clock; the others use this process's.
    const skew = backend.name === 'postgres' ? POSTGRES_SKEW : 0
    const appendTimed = async (name: string, updates: Uint8Array[]): Promise<{ head: number; before: number; after: number }> => {
      const before = Date.now()
      const head = await storage.append(name, updates)
      return { head, before, after: Date.now() }
    }
    const updatedAt = async (name: string): Promise<number> => {
      const info = await infoOf(storage, name)
      expect(info?.updatedAt, name).toBeInstanceOf(Date)
      return info!.updatedAt!.getTime()
    }
    const expectWithin = (at: number, window: { before: number; after: number }): void => {
      expect(at).toBeGreaterThanOrEqual(window.before - skew)
      expect(at).toBeLessThanOrEqual(window.after + skew)
    }

    const [one, two, three, four] = [yUpdate('one'), yUpdate('two'), yUpdate('three'), yUpdate('four')]
    const first = await appendTimed('doc', [one])
    const firstAt = await updatedAt('doc')
    expectWithin(firstAt, first)
    const bystander = await appendTimed('bystander', [bytes('elsewhere')])
    const bystanderAt = await updatedAt('bystander')
    expectWithin(bystanderAt, bystander)

    await sleep(25)
    const second = await appendTimed('doc', [two, three])
    const secondAt = await updatedAt('doc')
    expectWithin(secondAt, second)
    expect(secondAt).toBeGreaterThan(firstAt)
    expect(await updatedAt('bystander')).toBe(bystanderAt)

    // Compacting everything: the snapshot keeps the latest time it replaces (not the earliest, not now).
    await sleep(25)
    await storage.compact('doc', stateAfter([one, two, three]), second.head, [{ update: bytes('aside'), reason: 'why' }])
    expect(await updatedAt('doc')).toBe(secondAt)

    await sleep(25)
    const third = await appendTimed('doc', [four])
    const thirdAt = await updatedAt('doc')
    expectWithin(thirdAt, third)
    expect(thirdAt).toBeGreaterThan(secondAt)

    // Compacting up to the snapshot, then up to the tail as well.
    await sleep(25)
    await storage.compact('doc', stateAfter([one, two, three]), second.head)
    expect(await updatedAt('doc')).toBe(thirdAt)
    await storage.compact('doc', stateAfter([one, two, three, four]), third.head)
    expect(await updatedAt('doc')).toBe(thirdAt)

    await sleep(25)
    await storage.rename('doc', 'moved')
    expect(await infoOf(storage, 'doc')).toBeUndefined()
    expect(await updatedAt('moved')).toBe(thirdAt)
    expect(await updatedAt('bystander')).toBe(bystanderAt)

    const fourth = await appendTimed('moved', [bytes('five')])
    expectWithin(await updatedAt('moved'), fourth)
    expect(await updatedAt('moved')).toBeGreaterThan(thirdAt)
  })

  it('stops describing a deleted document, and describes it afresh when written again', async () => {
    for (const name of ['keep', 'drop/child']) await storage.append(name, [bytes(name), bytes(`${name} again`)])
    const dropped = [yUpdate('drop'), yUpdate('drop again'), yUpdate('more')]
    await storage.append('drop', dropped.slice(0, 2))
    const head = await storage.append('drop', dropped.slice(2))
    await storage.compact('drop', stateAfter(dropped), head, [{ update: bytes('aside'), reason: 'why' }])
    await storage.delete('drop')

    expect(namesOf(await describeAll(storage))).toEqual(['drop/child', 'keep'])
    expect(await infoOf(storage, 'drop')).toBeUndefined()
    await storage.append('drop', [bytes('new')])
    expect((await infoOf(storage, 'drop'))?.bytes).toBe(3)
  })

  // A quarantine without a log cannot be made through the interface: written
  // into the SQL backends' tables directly (the memory backend has no tables).
  if (backend.name !== 'memory') {
    it('appendIfEmpty counts only the log: a name with nothing but a quarantine is empty', async () => {
      await writeQuarantineOnly(backend, 'only-aside')
      expect(await storage.appendIfEmpty('only-aside', [bytes('seed')])).not.toBeNull()
      expect(hexes((await storage.load('only-aside')).updates)).toEqual(hexes([bytes('seed')]))
      expect(await storage.quarantined('only-aside')).toHaveLength(1)
    })

    it('does not describe a document that has only a quarantine', async () => {
      await storage.append('logged', [bytes('one')])
      await writeQuarantineOnly(backend, 'only-aside')
      expect(await storage.quarantined('only-aside')).toHaveLength(1)
      expect(namesOf(await describeAll(storage))).toEqual(['logged'])
      expect(await infoOf(storage, 'only-aside')).toBeUndefined()
    })
  }
})

describe.each(backends.filter((backend) => backend.durable))('durable storage: $name', (backend) => {
  afterEach(() => backend.cleanup())

  it('sees every document after close and reopen', async () => {
    const storage = await backend.open()
    const names = ['plain', 'team/q4 plan', '文書']
    const written = new Map<string, { updates: Uint8Array[]; head: number }>()
    for (const name of names) {
      const updates = [bytes(`${name} one`), bytes(`${name} two`), bytes(`${name} three`)]
      written.set(name, { updates, head: await storage.append(name, updates) })
    }
    await storage.close()

    const reopened = await backend.reopen()
    expect([...(await reopened.list())].sort()).toEqual([...names].sort())
    for (const [name, { updates, head }] of written) {
      const stored = await reopened.load(name)
      expect(hexes(stored.updates), name).toEqual(hexes(updates))
      expect(stored.head).toBe(head)
    }
  })

  it('keeps a compaction across close and reopen, and heads keep growing after it', async () => {
    const storage = await backend.open()
    const editing = new Editing(createRandom(testSeed(`durable compact ${backend.name}`)))
    const head = await storage.append('doc', editing.edit(30, 'abc'))
    const state = stateAfter(editing.updates)
    const tail = editing.edit(5, 'd')
    const lastHead = await storage.append('doc', tail)
    await storage.compact('doc', state, head)
    await storage.close()

    const reopened = await backend.reopen()
    const stored = await reopened.load('doc')
    expect(hexes(stored.updates)).toEqual(hexes([state, ...tail]))
    expect(stored.head).toBe(lastHead)
    expect(replayText(stored.updates)).toBe(editing.text)
    expect(await reopened.append('doc', editing.edit(1, 'e'))).toBeGreaterThan(lastHead)
    expect(replayText((await reopened.load('doc')).updates)).toBe(editing.text)
  })

  it('keeps what was deleted across close and reopen', async () => {
    const storage = await backend.open()
    await storage.append('gone', [bytes('secret')])
    await storage.delete('gone', bytes('vector'))
    await storage.close()

    const reopened = await backend.reopen()
    expect(await reopened.load('gone')).toEqual({ updates: [], head: 0, bytes: 0, deleted: bytes('vector') })
  })

  it('keeps a quarantine and a rename across close and reopen', async () => {
    const storage = await backend.open()
    const updates = [yUpdate('one'), yUpdate('two')]
    const head = await storage.append('old', updates)
    await storage.compact('old', stateAfter(updates), head, [{ update: bytes('aside'), reason: 'why' }])
    const compacted = await storage.load('old')
    const [stamped] = await storage.quarantined('old')
    await storage.rename('old', 'new')
    await storage.close()

    const reopened = await backend.reopen()
    expect(await reopened.list()).toEqual(['new'])
    expect(hexes((await reopened.load('new')).updates)).toEqual(hexes(compacted.updates))
    expectCompacted(compacted, stateAfter(updates))
    const quarantined = await reopened.quarantined('new')
    expect(asideOf(quarantined)).toEqual([{ update: hexes([bytes('aside')])[0], reason: 'why' }])
    expect(quarantined[0].at.getTime()).toBe(stamped.at.getTime())
  })
})

describe('postgres storage: schema', () => {
  const backend = createPostgresBackend()
  afterEach(() => backend.cleanup())

  it('migrates a fresh schema on start, with two instances racing to do it', async () => {
    const opening = backend.open()
    const racing = backend.reopen()
    const [first, second] = await Promise.all([opening, racing])

    const tables = await backend.query<{ table_name: string }>(
      'SELECT table_name FROM information_schema.tables WHERE table_schema = $1 ORDER BY table_name',
      [backend.schema],
    )
    expect(tables.rows.map((row) => row.table_name)).toEqual(['collab_deletions', 'collab_quarantine', 'collab_schema', 'collab_updates', 'collab_versions'])
    const versions = await backend.query<{ version: number }>(`SELECT version FROM "${backend.schema}".collab_schema`)
    expect(versions.rows).toHaveLength(1)
    expect(Number.isInteger(versions.rows[0].version) && versions.rows[0].version >= 2).toBe(true)

    // Both instances work on the same data.
    const head = await first.append('shared', [bytes('from the first')])
    const seen = await second.load('shared')
    expect(hexes(seen.updates)).toEqual(hexes([bytes('from the first')]))
    expect(seen.head).toBe(head)
  })

  it('refuses a schema written by a newer version, naming the reason', async () => {
    const storage = await backend.open()
    await storage.append('doc', [bytes('kept')])
    await storage.close()
    await backend.query(`UPDATE "${backend.schema}".collab_schema SET version = 99`)

    await expect(backend.reopen()).rejects.toThrow(/newer version/)
    // Refusing did not touch the data.
    const stored = await backend.query<{ data: Buffer }>(`SELECT data FROM "${backend.schema}".collab_updates`)
    expect(stored.rows.map((row) => row.data.toString())).toEqual(['kept'])
  })

  it('migrates a database written by schema 1, keeping its rows', async () => {
    // What the first version created, written by hand: the schema, its version, two documents.
    const storage = await backend.open()
    await storage.close()
    const schema = `"${backend.schema}"`
    await backend.query(`DROP SCHEMA ${schema} CASCADE`)
    await backend.query(`
      CREATE SCHEMA ${schema};
      CREATE TABLE ${schema}.collab_schema (version INTEGER NOT NULL);
      INSERT INTO ${schema}.collab_schema (version) VALUES (1);
      CREATE TABLE ${schema}.collab_updates (seq BIGSERIAL PRIMARY KEY, doc TEXT NOT NULL, data BYTEA NOT NULL);
      CREATE INDEX collab_updates_by_doc ON ${schema}.collab_updates (doc, seq);
    `)
    for (const [doc, data] of SCHEMA_1_ROWS) {
      await backend.query(`INSERT INTO ${schema}.collab_updates (doc, data) VALUES ($1, $2)`, [doc, Buffer.from(data)])
    }

    const migrated = await backend.reopen()
    const versions = await backend.query<{ version: number }>(`SELECT version FROM ${schema}.collab_schema`)
    expect(versions.rows.map((row) => row.version)).toEqual([CURRENT_SCHEMA])
    await expectSchema1RowsWork(migrated, POSTGRES_SKEW)
  })

  it('migrates a database written by schema 2 (quarantine, no times), describing in byte order whatever the collation', async () => {
    // The database's default collation may be a locale's: the hand-written
    // schema gives its names one (when the server has one) to stand for that.
    const locales = await backend.query<{ collname: string }>(
      `SELECT collname FROM pg_collation WHERE collname IN ('en-x-icu', 'en_US.utf8', 'en_US') ORDER BY collname LIMIT 1`,
    )
    const locale = locales.rows[0]?.collname
    const docType = locale ? `TEXT COLLATE "${locale.replace(/"/g, '""')}"` : 'TEXT'
    const storage = await backend.open()
    await storage.close()
    const schema = `"${backend.schema}"`
    await backend.query(`DROP SCHEMA ${schema} CASCADE`)
    await backend.query(`
      CREATE SCHEMA ${schema};
      CREATE TABLE ${schema}.collab_schema (version INTEGER NOT NULL);
      INSERT INTO ${schema}.collab_schema (version) VALUES (2);
      CREATE TABLE ${schema}.collab_updates (seq BIGSERIAL PRIMARY KEY, doc ${docType} NOT NULL, data BYTEA NOT NULL);
      CREATE INDEX collab_updates_by_doc ON ${schema}.collab_updates (doc, seq);
      CREATE TABLE ${schema}.collab_quarantine (
        id BIGSERIAL PRIMARY KEY, doc TEXT NOT NULL, data BYTEA NOT NULL, reason TEXT NOT NULL,
        at TIMESTAMPTZ NOT NULL DEFAULT now()
      );
      CREATE INDEX collab_quarantine_by_doc ON ${schema}.collab_quarantine (doc, id);
    `)
    for (const [doc, data] of SCHEMA_2_ROWS) {
      await backend.query(`INSERT INTO ${schema}.collab_updates (doc, data) VALUES ($1, $2)`, [doc, Buffer.from(data)])
    }
    for (const [doc, data, reason] of SCHEMA_2_QUARANTINE) {
      await backend.query(`INSERT INTO ${schema}.collab_quarantine (doc, data, reason) VALUES ($1, $2, $3)`, [doc, Buffer.from(data), reason])
    }
    if (locale) {
      // The locale orders these names otherwise than bytes do, or this test would prove little.
      const localeOrder = await backend.query<{ doc: string }>(`SELECT DISTINCT doc FROM ${schema}.collab_updates ORDER BY doc`)
      expect(localeOrder.rows.map((row) => row.doc)).not.toEqual(SCHEMA_2_DESCRIBED.map((info) => info.name))
    }

    const migrated = await backend.reopen()
    const versions = await backend.query<{ version: number }>(`SELECT version FROM ${schema}.collab_schema`)
    expect(versions.rows.map((row) => row.version)).toEqual([CURRENT_SCHEMA])
    const untimed = await backend.query<{ count: string }>(`SELECT count(*) AS count FROM ${schema}.collab_updates WHERE at IS NULL`)
    expect(Number(untimed.rows[0].count)).toBe(SCHEMA_2_ROWS.length)
    // Names are in byte order in the table itself, so its (doc, seq) index serves describe's ranges.
    const column = await backend.query<{ collation_name: string | null }>(
      `SELECT collation_name FROM information_schema.columns WHERE table_schema = $1 AND table_name = 'collab_updates' AND column_name = 'doc'`,
      [backend.schema],
    )
    expect(column.rows.map((row) => row.collation_name)).toEqual(['C'])
    await expectSchema2RowsWork(migrated, POSTGRES_SKEW)
  })
})

describe('sqlite storage: schema', () => {
  const backend = createSqliteBackend()
  afterEach(() => backend.cleanup())

  it('refuses every call once closed, at once, rather than leaving it waiting', async () => {
    // Its database lives on a worker thread that is gone once closed.
    const storage = await backend.open()
    await storage.append('doc', [bytes('a')])
    await storage.close()
    const settledQuickly = <T>(promise: Promise<T>) =>
      Promise.race([promise.then(() => 'resolved', () => 'rejected'), new Promise((resolve) => setTimeout(() => resolve('waiting'), 1000))])
    expect(await settledQuickly(storage.append('doc', [bytes('b')]))).toBe('rejected')
    expect(await settledQuickly(storage.load('doc'))).toBe('rejected')
    expect(await settledQuickly(storage.describe({ limit: 1 }))).toBe('rejected')
    await storage.close() // a second close is harmless
  })

  it('refuses a file written by a newer version, naming the reason', async () => {
    const storage = await backend.open()
    await storage.append('doc', [bytes('kept')])
    await storage.close()
    const raw = new Database(backend.file)
    const current = raw.pragma('user_version', { simple: true }) as number
    raw.pragma('user_version = 99')
    raw.close()

    await expect(backend.reopen()).rejects.toThrow(/newer version/)
    // Refusing did not touch the data: with the version put back, it all loads.
    const fixed = new Database(backend.file)
    fixed.pragma(`user_version = ${current}`)
    fixed.close()
    const reopened = await backend.reopen()
    expect(hexes((await reopened.load('doc')).updates)).toEqual(hexes([bytes('kept')]))
  })

  it('migrates a file written by schema 1, keeping its rows', async () => {
    // What the first version created, written by hand: the table, its version, two documents.
    await (await backend.open()).close()
    rmSync(backend.file, { force: true })
    for (const suffix of ['-wal', '-shm']) rmSync(`${backend.file}${suffix}`, { force: true })
    const old = new Database(backend.file)
    old.exec(`
      CREATE TABLE updates (seq INTEGER PRIMARY KEY AUTOINCREMENT, doc TEXT NOT NULL, data BLOB NOT NULL);
      CREATE INDEX updates_by_doc ON updates (doc, seq);
    `)
    const insert = old.prepare('INSERT INTO updates (doc, data) VALUES (?, ?)')
    for (const [doc, data] of SCHEMA_1_ROWS) insert.run(doc, Buffer.from(data))
    old.pragma('user_version = 1')
    old.close()

    const migrated = await backend.reopen()
    const probe = new Database(backend.file, { readonly: true })
    try {
      expect(probe.pragma('user_version', { simple: true })).toBe(CURRENT_SCHEMA)
    } finally {
      probe.close()
    }
    await expectSchema1RowsWork(migrated, 0)
  })

  it('migrates a file written by schema 2 (quarantine, no times), its old rows without times', async () => {
    // What the second version created, written by hand.
    await (await backend.open()).close()
    rmSync(backend.file, { force: true })
    for (const suffix of ['-wal', '-shm']) rmSync(`${backend.file}${suffix}`, { force: true })
    const old = new Database(backend.file)
    old.exec(`
      CREATE TABLE updates (seq INTEGER PRIMARY KEY AUTOINCREMENT, doc TEXT NOT NULL, data BLOB NOT NULL);
      CREATE INDEX updates_by_doc ON updates (doc, seq);
      CREATE TABLE quarantine (id INTEGER PRIMARY KEY, doc TEXT NOT NULL, data BLOB NOT NULL, reason TEXT NOT NULL, at INTEGER NOT NULL);
      CREATE INDEX quarantine_by_doc ON quarantine (doc, id);
    `)
    const insert = old.prepare('INSERT INTO updates (doc, data) VALUES (?, ?)')
    for (const [doc, data] of SCHEMA_2_ROWS) insert.run(doc, Buffer.from(data))
    const aside = old.prepare('INSERT INTO quarantine (doc, data, reason, at) VALUES (?, ?, ?, ?)')
    for (const [doc, data, reason] of SCHEMA_2_QUARANTINE) aside.run(doc, Buffer.from(data), reason, Date.now())
    old.pragma('user_version = 2')
    old.close()

    const migrated = await backend.reopen()
    const probe = new Database(backend.file, { readonly: true })
    try {
      expect(probe.pragma('user_version', { simple: true })).toBe(CURRENT_SCHEMA)
      expect(probe.prepare('SELECT count(*) AS count FROM updates WHERE at IS NULL').get()).toEqual({ count: SCHEMA_2_ROWS.length })
    } finally {
      probe.close()
    }
    await expectSchema2RowsWork(migrated, 0)
  })

  // A refused open must not keep the file: the operator fixes things and
  // retries in the same process (an embedding app, a supervisor, a test).
  it('lets go of the file after refusing it', async () => {
    const storage = await backend.open()
    await storage.close()
    const raw = new Database(backend.file)
    raw.pragma('user_version = 99')
    raw.close()
    await expect(backend.reopen()).rejects.toThrow(/newer version/)

    // Leaving WAL mode needs every other connection to the file gone.
    const probe = new Database(backend.file, { timeout: 200 })
    try {
      expect(() => probe.pragma('journal_mode = DELETE')).not.toThrow()
    } finally {
      probe.close()
    }
  })
})

describe('sqlite storage: group commit', () => {
  const backend = createSqliteBackend()
  afterEach(() => backend.cleanup())

  // Appends wait for the end of the event-loop turn to commit together; a
  // rename or delete called after them must not overtake them.
  it('commits appends still queued before a rename or delete runs', async () => {
    const storage = await backend.open()
    const appending = storage.append('queued', [bytes('one'), bytes('two')])
    const renaming = storage.rename('queued', 'renamed')
    await Promise.all([appending, renaming])
    expect(await storage.list()).toEqual(['renamed'])
    expect(hexes((await storage.load('renamed')).updates)).toEqual(hexes([bytes('one'), bytes('two')]))

    const appendingAgain = storage.append('renamed', [bytes('three')])
    const deleting = storage.delete('renamed')
    await Promise.all([appendingAgain, deleting])
    expect(await storage.list()).toEqual([])
  })

  it('commits appends still queued before appendIfEmpty checks the log', async () => {
    const storage = await backend.open()
    const appending = storage.append('queued', [bytes('first')])
    const seeding = storage.appendIfEmpty('queued', [bytes('seed')])
    expect(await seeding).toBeNull()
    expect(hexes((await storage.load('queued')).updates)).toEqual(hexes([bytes('first')]))
    expect((await storage.load('queued')).head).toBe(await appending)
  })
})

/**
 * The two updates of `doc` in the databases written by hand as older versions
 * would have: Yjs updates, for they are compacted once migrated.
 */
const OLD_ONE = yUpdate('one')
const OLD_TWO = yUpdate('two')
/** The log rows a schema-1 database is written with by hand, in this order. */
const SCHEMA_1_ROWS: [string, Uint8Array][] = [['doc', OLD_ONE], [CAFE_NFD, bytes('other')], ['doc', OLD_TWO]]

/**
 * What a schema-1 database written by hand (`SCHEMA_1_ROWS`) must look like
 * after migrating: the rows kept, and the new operations working on them.
 */
async function expectSchema1RowsWork(migrated: DocumentStorage, skew: number): Promise<void> {
    expect([...(await migrated.list())].sort()).toEqual(['doc', CAFE_NFD].sort())
    const doc = await migrated.load('doc')
    expect(hexes(doc.updates)).toEqual(hexes([OLD_ONE, OLD_TWO]))
    expect(doc.head).toBe(3)
    // Rows from before times were kept have none.
    expect(await describeAll(migrated)).toEqual([
      { name: CAFE_NFD, bytes: 5, updatedAt: null },
      { name: 'doc', bytes: totalBytes([OLD_ONE, OLD_TWO]), updatedAt: null },
    ])

    // The new operations work on the old rows.
    await migrated.compact('doc', stateAfter([OLD_ONE, OLD_TWO]), doc.head, [{ update: bytes('aside'), reason: 'why' }])
    expect(asideOf(await migrated.quarantined('doc'))).toEqual([{ update: hexes([bytes('aside')])[0], reason: 'why' }])
    const compacted = await migrated.load('doc')
    expectCompacted(compacted, stateAfter([OLD_ONE, OLD_TWO]))
    expect(await infoOf(migrated, 'doc')).toEqual({ name: 'doc', bytes: compacted.bytes, updatedAt: null })
    await migrated.rename(CAFE_NFD, CAFE_NFC)
    expect(hexes((await migrated.load(CAFE_NFC)).updates)).toEqual(hexes([bytes('other')]))
    expect(await infoOf(migrated, CAFE_NFC)).toEqual({ name: CAFE_NFC, bytes: 5, updatedAt: null })
    const before = Date.now()
    expect(await migrated.append('doc', [bytes('three')])).toBeGreaterThan(3)
    expectStampedWithin((await infoOf(migrated, 'doc'))?.updatedAt, before, Date.now(), skew)
    await migrated.delete('doc')
    expect(await migrated.quarantined('doc')).toEqual([])
    expect(await migrated.list()).toEqual([CAFE_NFC])
    expect(namesOf(await describeAll(migrated))).toEqual([CAFE_NFC])
}

/** The log rows a schema-2 database is written with by hand, in this order. */
const SCHEMA_2_ROWS: [string, Uint8Array][] = [
  ['doc', OLD_ONE], ['B', bytes('big b')], ['a', bytes('small a')], ['doc', OLD_TWO], ['doc-x', bytes('dash')], ['doc/x', bytes('slash')],
]
/** Its quarantine: one for a logged document, one for a name with no log. */
const SCHEMA_2_QUARANTINE: [string, string, string][] = [
  ['doc', 'aside', 'old reason'],
  ['ghost', 'lost', 'no log'],
]
/** What `describe` makes of it right after migrating: byte order, no times. */
const SCHEMA_2_DESCRIBED: StoredDocumentInfo[] = [
  { name: 'B', bytes: 5, updatedAt: null },
  { name: 'a', bytes: 7, updatedAt: null },
  { name: 'doc', bytes: totalBytes([OLD_ONE, OLD_TWO]), updatedAt: null },
  { name: 'doc-x', bytes: 4, updatedAt: null },
  { name: 'doc/x', bytes: 5, updatedAt: null },
]

/** A schema-2 database (`SCHEMA_2_ROWS`, `SCHEMA_2_QUARANTINE`) after migrating: described, then written to. */
async function expectSchema2RowsWork(migrated: DocumentStorage, skew: number): Promise<void> {
    expect(await describeAll(migrated)).toEqual(SCHEMA_2_DESCRIBED)
    expect(namesOf(await describeAll(migrated, { prefix: 'doc' }))).toEqual(['doc', 'doc-x', 'doc/x'])
    expect(namesOf(await migrated.describe({ after: 'a', limit: 2 }))).toEqual(['doc', 'doc-x'])
    // The quarantine is kept; a name with only a quarantine is no document.
    expect(asideOf(await migrated.quarantined('doc'))).toEqual([{ update: hexes([bytes('aside')])[0], reason: 'old reason' }])
    expect(asideOf(await migrated.quarantined('ghost'))).toEqual([{ update: hexes([bytes('lost')])[0], reason: 'no log' }])
    expect(await infoOf(migrated, 'ghost')).toBeUndefined()

    // A compaction of old rows only knows no time either.
    const doc = await migrated.load('doc')
    expect(hexes(doc.updates)).toEqual(hexes([OLD_ONE, OLD_TWO]))
    await migrated.compact('doc', stateAfter([OLD_ONE, OLD_TWO]), doc.head)
    expect(await infoOf(migrated, 'doc')).toEqual({ name: 'doc', bytes: (await migrated.load('doc')).bytes, updatedAt: null })

    // A new append is stamped, and a compaction over old and new rows keeps the new time.
    const before = Date.now()
    const three = yUpdate('three')
    const head = await migrated.append('doc', [three])
    const stamped = (await infoOf(migrated, 'doc'))?.updatedAt
    expectStampedWithin(stamped, before, Date.now(), skew)
    await sleep(25)
    await migrated.compact('doc', stateAfter([OLD_ONE, OLD_TWO, three]), head)
    const compacted = await migrated.load('doc')
    expectCompacted(compacted, stateAfter([OLD_ONE, OLD_TWO, three]))
    expect(await infoOf(migrated, 'doc')).toEqual({ name: 'doc', bytes: compacted.bytes, updatedAt: stamped })
    // Other documents keep their old rows, untimed; a rename keeps that too.
    await migrated.rename('a', 'renamed')
    expect(await infoOf(migrated, 'renamed')).toEqual({ name: 'renamed', bytes: 7, updatedAt: null })
    expect(await infoOf(migrated, 'B')).toEqual({ name: 'B', bytes: 5, updatedAt: null })
}

function expectStampedWithin(at: Date | null | undefined, before: number, after: number, skew: number): void {
  expect(at).toBeInstanceOf(Date)
  expect(at!.getTime()).toBeGreaterThanOrEqual(before - skew)
  expect(at!.getTime()).toBeLessThanOrEqual(after + skew)
}

/** Quarantine rows for `name` and no log: what the interface cannot make, written into a SQL backend's tables. */
async function writeQuarantineOnly(backend: StorageBackend, name: string): Promise<void> {
  if (backend.name === 'sqlite') {
    const db = new Database((backend as SqliteBackend).file)
    try {
      db.prepare('INSERT INTO quarantine (doc, data, reason, at) VALUES (?, ?, ?, ?)').run(name, Buffer.from('aside'), 'written by hand', Date.now())
    } finally {
      db.close()
    }
  } else if (backend.name === 'postgres') {
    const postgres = backend as PostgresBackend
    await postgres.query(`INSERT INTO "${postgres.schema}".collab_quarantine (doc, data, reason) VALUES ($1, $2, $3)`, [
      name,
      Buffer.from('aside'),
      'written by hand',
    ])
  } else {
    throw new Error(`${backend.name} has no tables to write into`)
  }
}
