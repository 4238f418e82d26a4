/**
 * The storage contract for `load(name, onPart)`: a backend that reads a long
 * log in steps hands it over as it reads, and what it hands over is exactly
 * the log it resolves with, read as one snapshot. Rooms replay the parts
 * while the rest is read (server/relay/room-load.ts).
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { DocumentStorage } from '../server/storage/types.ts'
import { createPostgresStorage } from '../server/storage/postgres.ts'
import { createPostgresBackend, createStorageBackends } from './support/storage-backends.ts'

const backends = createStorageBackends()
const utf8 = new TextEncoder()
const hex = (update: Uint8Array): string => Buffer.from(update.buffer, update.byteOffset, update.byteLength).toString('hex')

/** More rows than one part of SQLite's (4,096) or one page of PostgreSQL's (8,192). */
const LONG = 20_000

async function appendLong(storage: DocumentStorage, name: string, length = LONG): Promise<Uint8Array[]> {
  const updates = Array.from({ length }, (_, i) => utf8.encode(`update ${i}`))
  for (let i = 0; i < length; i += 5_000) await storage.append(name, updates.slice(i, i + 5_000))
  return updates
}

/** Load with `onPart`, noting each part and whether the load had resolved when it came. */
async function loadInParts(storage: DocumentStorage, name: string, duringFirstPart?: () => void) {
  const parts: Uint8Array[][] = []
  let resolved = false
  let lateParts = 0
  const stored = await storage.load(name, (part) => {
    if (resolved) lateParts++
    parts.push(part)
    if (parts.length === 1) duringFirstPart?.()
  })
  resolved = true
  return { stored, parts, lateParts: () => lateParts }
}

describe.each(backends)('loading a log in parts: $name', (backend) => {
  let storage: DocumentStorage
  beforeEach(async () => {
    storage = await backend.open()
  })
  afterEach(() => backend.cleanup())

  it('hands a long log over as several parts before it resolves, which together are the log, byte for byte', async () => {
    const updates = await appendLong(storage, 'doc')
    const { stored, parts, lateParts } = await loadInParts(storage, 'doc')
    expect(stored.updates.map(hex)).toEqual(updates.map(hex))
    expect(lateParts()).toBe(0)
    if (backend.name === 'memory') {
      // It has the whole log at once: nothing to overlap.
      expect(parts).toEqual([])
    } else {
      // These read in steps (SQLite on its worker thread, PostgreSQL a page at a time).
      expect(parts.length).toBeGreaterThan(1)
      expect(parts.flat().map(hex)).toEqual(updates.map(hex))
    }
    // A load without the argument gives the same log.
    expect((await storage.load('doc')).updates.map(hex)).toEqual(updates.map(hex))
  })

  it('hands a short log over whole or not at all, and an unknown document as nothing', async () => {
    const updates = [utf8.encode('one'), utf8.encode('two')]
    await storage.append('short', updates)
    const { stored, parts } = await loadInParts(storage, 'short')
    expect(stored.updates.map(hex)).toEqual(updates.map(hex))
    expect(parts.length === 0 || parts.flat().map(hex).join() === updates.map(hex).join(), `parts: ${parts.length}`).toBe(true)
    const none = await loadInParts(storage, 'never-written')
    expect(none.stored).toEqual({ updates: [], head: 0, bytes: 0 })
    expect(none.parts.flat()).toEqual([])
  })

  it('reads one snapshot: what is appended and compacted while the parts arrive is in the next load, not this one', async () => {
    // Long enough that the write commits while pages are still being read
    // (PostgreSQL: 8 pages), with the pool's connections already open.
    const updates = await appendLong(storage, 'doc', 64_000)
    const before = await storage.load('doc')
    await Promise.all([storage.list(), storage.list(), storage.list()])
    let writes: Promise<unknown> | null = null
    const { stored } = await loadInParts(storage, 'doc', () => {
      writes = (async () => {
        await storage.append('doc', [utf8.encode('late')])
        // PostgreSQL's compaction merges the log as Yjs, which these bytes are not: there, the append alone.
        if (backend.name !== 'postgres') await storage.compact('doc', utf8.encode('snapshot'), before.head)
      })()
    })
    expect(stored.updates.map(hex)).toEqual(updates.map(hex))
    expect(stored.head).toBe(before.head)
    if (backend.name === 'memory') return
    expect(writes, 'the first part came').not.toBeNull()
    await writes
    const after = (await storage.load('doc')).updates.map(hex)
    if (backend.name === 'postgres') expect(after).toEqual([...updates, utf8.encode('late')].map(hex))
    else expect(after).toEqual([hex(utf8.encode('snapshot')), hex(utf8.encode('late'))])
  })
})

describe('PostgreSQL long logs (read by a binary COPY, which takes the name as a literal)', () => {
  const backend = createPostgresBackend()
  afterEach(() => backend.cleanup())

  it('reads every byte value back, short log and long, with bytea_output = escape', async () => {
    const writer = await backend.open()
    const everyByte = Uint8Array.from({ length: 256 }, (_, i) => i)
    const long = Array.from({ length: LONG }, (_, i) => Uint8Array.of(i & 0xff, 0, 0x5c, 0x78, (i >> 8) & 0xff))
    await writer.append('short', [everyByte])
    for (let i = 0; i < LONG; i += 5_000) await writer.append('long', long.slice(i, i + 5_000))
    // A role or database may have set the old output format; the storage's connections then get it.
    const escaped = await createPostgresStorage({ connectionString: `${backend.connectionString}?options=${encodeURIComponent('-c bytea_output=escape')}`, schema: backend.schema })
    try {
      expect((await escaped.load('short')).updates.map(hex)).toEqual([hex(everyByte)])
      const parts: Uint8Array[][] = []
      const stored = await escaped.load('long', (part) => parts.push(part))
      expect(stored.updates.map(hex)).toEqual(long.map(hex))
      expect(parts.length).toBeGreaterThan(1)
    } finally {
      await escaped.close()
    }
  })

  it('reads the long log of a name that needs quoting, and only that one', async () => {
    const storage = await backend.open()
    // Quotes, a backslash (E'' literals) and what an injection would try.
    const name = `it's a \\ doc'); DROP TABLE x; --`
    const neighbour = `it's a \\ doc`
    const updates = await appendLong(storage, name)
    await storage.append(neighbour, [utf8.encode('not this one')])
    const { stored, parts } = await loadInParts(storage, name)
    expect(stored.updates.map(hex)).toEqual(updates.map(hex))
    expect(parts.flat().length).toBe(LONG)
    expect(stored.head).toBe((await storage.load(name)).head)
    expect((await storage.list()).sort()).toEqual([neighbour, name].sort())
  })

  it('gives a failed long read back as the load’s error, and the next load works', async () => {
    const storage = await backend.open()
    const updates = await appendLong(storage, 'doc')
    // A part the room cannot take leaves the COPY midway: that connection is closed, not reused.
    await expect(storage.load('doc', () => {
      throw new Error('the room gave up')
    })).rejects.toThrow('the room gave up')
    for (let i = 0; i < 3; i++) expect((await storage.load('doc')).updates.map(hex)).toEqual(updates.map(hex))
  })
})
