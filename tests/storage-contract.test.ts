/**
 * The storage contract (server/storage/types.ts): one body of tests, run
 * against every backend, then what only durable backends promise, then what
 * is particular to SQLite and PostgreSQL (schema versions and migration).
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import Database from 'better-sqlite3'
import * as Y from 'yjs'
import type { DocumentStorage } from '../server/storage/types.ts'
import { createRandom, testSeed } from './support/harness.ts'
import {
  createPostgresBackend,
  createSqliteBackend,
  createStorageBackends,
  Editing,
  replayText,
} from './support/storage-backends.ts'

const backends = createStorageBackends()
const utf8 = new TextEncoder()

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

async function appendEach(storage: DocumentStorage, name: string, updates: readonly Uint8Array[]): Promise<number[]> {
  const heads: number[] = []
  for (const update of updates) heads.push(await storage.append(name, [update]))
  return heads
}

function expectIncreasing(heads: readonly number[]): void {
  for (let i = 1; i < heads.length; i++) expect(heads[i], `head ${i} after head ${i - 1}`).toBeGreaterThan(heads[i - 1])
}

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
    expect(tables.rows.map((row) => row.table_name)).toEqual(['collab_schema', 'collab_updates'])
    const versions = await backend.query<{ version: number }>(`SELECT version FROM "${backend.schema}".collab_schema`)
    expect(versions.rows).toHaveLength(1)
    expect(Number.isInteger(versions.rows[0].version) && versions.rows[0].version >= 1).toBe(true)

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
})

describe('sqlite storage: schema', () => {
  const backend = createSqliteBackend()
  afterEach(() => backend.cleanup())

  it('refuses a file written by a newer version, naming the reason', async () => {
    const storage = await backend.open()
    await storage.append('doc', [bytes('kept')])
    await storage.close()
    const raw = new Database(backend.file)
    raw.pragma('user_version = 99')
    raw.close()

    await expect(backend.reopen()).rejects.toThrow(/newer version/)
    // Refusing did not touch the data: with the version put back, it all loads.
    const fixed = new Database(backend.file)
    fixed.pragma('user_version = 1')
    fixed.close()
    const reopened = await backend.reopen()
    expect(hexes((await reopened.load('doc')).updates)).toEqual(hexes([bytes('kept')]))
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
