/**
 * PostgreSQL storage shared by several relay instances (scale-out): two
 * storages on one schema, each with its own pool, as two relay processes
 * would have them. What compaction and `appendIfEmpty` promise when both
 * write one document at once (server/storage/postgres-compact.ts).
 *
 * Each instance here stands for a relay: its own Y.Doc (its own Yjs
 * client), its own head (the last position its appends returned), and the
 * other instance's updates reaching its copy late, as they would over the bus.
 */
import { afterEach, describe, expect, it } from 'vitest'
import pg from 'pg'
import * as Y from 'yjs'
import type { DocumentStorage } from '../server/storage/types.ts'
import { createRandom, testSeed, waitFor } from './support/harness.ts'
import type { Random } from './support/random.ts'
import { createPostgresBackend } from './support/storage-backends.ts'

const DOC = 'shared/doc'
const backend = createPostgresBackend()
const clients: pg.Client[] = []

afterEach(async () => {
  await Promise.all(clients.splice(0).map((client) => client.end().catch(() => {})))
  await backend.cleanup()
})

/** Two instances on one fresh schema: `open` makes it, `reopen` opens a second pool on it. */
async function openPair(): Promise<[DocumentStorage, DocumentStorage]> {
  const a = await backend.open()
  const b = await backend.reopen()
  return [a, b]
}

/** A connection of its own, for SQL the storages do not offer (holding a transaction open). */
async function connect(): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: backend.connectionString })
  await client.connect()
  clients.push(client)
  return client
}

/** The text of the document after applying every loaded update to a fresh Y.Doc. */
async function loadedText(storage: DocumentStorage, name = DOC): Promise<string> {
  const doc = new Y.Doc()
  for (const update of (await storage.load(name)).updates) Y.applyUpdate(doc, update)
  const text = doc.getText('text').toString()
  doc.destroy()
  return text
}

/** One instance's copy of the document, and where its own appends got to. */
class Replica {
  readonly doc = new Y.Doc()
  head = 0
  /** The other instance's updates, not yet applied here (in flight on the bus). */
  readonly inbox: Uint8Array[] = []

  constructor(readonly storage: DocumentStorage) {}

  get text(): string {
    return this.doc.getText('text').toString()
  }

  /** Insert `text` at `index` and return the update that made. */
  edit(index: number, text: string): Uint8Array {
    let made: Uint8Array | null = null
    const record = (update: Uint8Array): void => {
      made = update
    }
    this.doc.on('update', record)
    this.doc.getText('text').insert(index, text)
    this.doc.off('update', record)
    return made!
  }

  /** Edit, then append the update and send it to `others`, as a relay does. */
  async write(index: number, text: string, others: readonly Replica[] = []): Promise<number> {
    const update = this.edit(index, text)
    const head = await this.storage.append(DOC, [update])
    this.head = Math.max(this.head, head)
    for (const other of others) other.inbox.push(update)
    return head
  }

  /** Apply the first `count` updates waiting in the inbox. */
  receive(count = this.inbox.length): void {
    for (const update of this.inbox.splice(0, count)) Y.applyUpdate(this.doc, update)
  }

  /** Compact the log up to this instance's head into this instance's state, as a relay does. */
  compact(): Promise<void> {
    return this.storage.compact(DOC, Y.encodeStateAsUpdate(this.doc), this.head)
  }
}

describe('postgres storage shared by two instances: compaction', () => {
  it('keeps what another instance appended below the head, though the compacting state lacks it', async () => {
    const [a, b] = [...(await openPair())].map((storage) => new Replica(storage))
    await a.write(0, 'A one. ')
    const bHead = await b.write(0, 'B, not yet seen by A. ')
    const aHead = await a.write(a.text.length, 'A two.')
    // B's row lies below A's head, and A's state does not hold it.
    expect(bHead).toBeLessThan(aHead)
    expect(a.text).not.toContain('B, not yet seen by A.')

    await a.compact()
    const text = await loadedText(b.storage)
    expect(text).toContain('B, not yet seen by A. ')
    expect(text).toContain('A one. A two.')
    // It was compacted: one snapshot holds all three.
    expect((await b.storage.load(DOC)).updates).toHaveLength(1)
  })

  // They take turns (the document's advisory lock): the second reads the
  // first's snapshot and merges it like any other row. (Without the lock, the
  // second finds rows it read deleted and rejects.)
  it('keeps both instances\' rows when they compact at the same moment, neither having seen the other\'s', async () => {
    const [a, b] = [...(await openPair())].map((storage) => new Replica(storage))
    for (let i = 0; i < 5; i++) {
      await a.write(a.text.length, `a${i};`)
      await b.write(b.text.length, `b${i};`)
    }
    await Promise.all([a.compact(), b.compact()])
    const text = await loadedText(a.storage)
    for (let i = 0; i < 5; i++) expect(text).toContain(`a${i};`)
    for (let i = 0; i < 5; i++) expect(text).toContain(`b${i};`)
    // Each once: 'a0;' … 'b4;'.
    expect(text).toHaveLength(10 * 3)
  })

  // An append hands out its seq when it inserts and commits later: a row
  // below the head may be invisible when the compaction reads and committed
  // by the time it deletes. It must not be deleted unread. The compaction is
  // held between the two by a lock on the quarantine table (its set-aside
  // insert comes between its read and its delete); B's append is SQL held
  // open on a connection of its own.
  it('keeps a row that commits between the compaction\'s read and its delete', async () => {
    const [a, b] = [...(await openPair())].map((storage) => new Replica(storage))
    await a.write(0, 'A one. ')
    const schema = `"${backend.schema}"`
    const appending = await connect()
    await appending.query('BEGIN')
    const bUpdate = b.edit(0, 'B, committed late. ')
    const inserted = await appending.query<{ seq: string }>(
      `INSERT INTO ${schema}.collab_updates (doc, data) VALUES ($1, $2) RETURNING seq`,
      [DOC, Buffer.from(bUpdate)],
    )
    const aHead = await a.write(a.text.length, 'A two.')
    expect(Number(inserted.rows[0].seq)).toBeLessThan(aHead)

    const holding = await connect()
    await holding.query('BEGIN')
    await holding.query(`LOCK TABLE ${schema}.collab_quarantine IN SHARE MODE`)
    const compacting = a.storage.compact(DOC, Y.encodeStateAsUpdate(a.doc), aHead, [{ update: new Uint8Array([1, 2, 3]), reason: 'test' }])
    const monitor = await connect()
    await waitFor(async () => {
      const waiting = await monitor.query(
        `SELECT 1 FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query LIKE $1`,
        [`%${schema}.collab_quarantine%`],
      )
      return waiting.rowCount === 1
    }, 'the compaction to wait for the quarantine, its read done')
    await appending.query('COMMIT')
    await holding.query('COMMIT')
    await compacting

    const stored = await a.storage.load(DOC)
    expect(stored.updates).toHaveLength(2)
    expect(Buffer.from(stored.updates[0]).equals(Buffer.from(bUpdate)), 'B\'s row, still in the log, first by its seq').toBe(true)
    const text = await loadedText(a.storage)
    expect(text).toContain('B, committed late. ')
    expect(text).toContain('A one. A two.')
  })

  it('does not bring back a document another instance deleted after the compacting one read its head', async () => {
    const [a, b] = [...(await openPair())].map((storage) => new Replica(storage))
    await a.write(0, 'soon gone')
    await b.storage.delete(DOC)
    await a.storage.compact(DOC, Y.encodeStateAsUpdate(a.doc), a.head, [{ update: new Uint8Array([1]), reason: 'test' }])
    expect(await b.storage.list()).toEqual([])
    expect(await b.storage.quarantined(DOC)).toEqual([])
  })

  it('loses nothing while two instances keep appending to and compacting one busy document (seeded)', async () => {
    const seed = testSeed('shared postgres: busy document')
    // One generator per instance: the order in which the two interleave
    // depends on the database, but each instance's own steps follow the seed.
    const replicas = [...(await openPair())].map((storage) => new Replica(storage))
    const randoms: Random[] = [createRandom(seed), createRandom(seed ^ 0x5bd1e995)]
    const inserted: string[] = []
    let appends = 0
    const compactions = [0, 0]

    const run = async (index: number): Promise<void> => {
      const self = replicas[index]
      const other = replicas[1 - index]
      const random = randoms[index]
      for (let step = 0; step < 150; step++) {
        const roll = random()
        if (roll < 0.6) {
          // Insert between two tokens of this copy (after a ';' or at the
          // start), so no token is ever split and each can be found whole.
          const text = self.text
          const boundaries = [0]
          for (let i = 0; i < text.length; i++) if (text[i] === ';') boundaries.push(i + 1)
          const token = `${'ab'[index]}${step};`
          inserted.push(token)
          await self.write(boundaries[Math.floor(random() * boundaries.length)], token, [other])
          appends++
        } else if (roll < 0.8) {
          self.receive(Math.floor(random() * (self.inbox.length + 1)))
        } else {
          await self.compact()
          compactions[index]++
        }
      }
    }
    await Promise.all([run(0), run(1)])

    const context = `seed ${seed}`
    const text = await loadedText(replicas[0].storage)
    const missing = inserted.filter((token) => !text.includes(token))
    expect(missing, `${context}: tokens missing from storage`).toEqual([])
    expect(text.length, `${context}: every token once, nothing else`).toBe(inserted.reduce((sum, token) => sum + token.length, 0))
    // Compactions ran on both sides and shortened the log.
    expect(compactions[0] > 0 && compactions[1] > 0, `${context}: compactions ${compactions}`).toBe(true)
    expect((await replicas[1].storage.load(DOC)).updates.length, context).toBeLessThan(appends)
    // Once everything has arrived, both copies hold what storage holds.
    for (const replica of replicas) {
      replica.receive()
      expect(replica.text, context).toBe(text)
    }
  })
})

describe('postgres storage shared by two instances: appendIfEmpty', () => {
  it('seeds once among 20 concurrent calls split over the two instances', async () => {
    const [a, b] = await openPair()
    // Every connection of both pools open first, so the calls start together
    // rather than one by one as connections come up.
    await Promise.all(Array.from({ length: 8 }, (_, i) => (i % 2 === 0 ? a : b).load('warm-up')))
    const SEED_TEXT = 'Welcome to a new document.\n'
    // Several documents, one race each: a race lost by chance once is unlikely to be lost by chance every time.
    for (let round = 0; round < 5; round++) {
      const name = `${DOC} ${round}`
      // Every caller builds the seed itself, as each instance would: another
      // Yjs client each time, so two stored seeds would show the text twice.
      const seeds = Array.from({ length: 20 }, () => {
        const doc = new Y.Doc()
        doc.getText('text').insert(0, SEED_TEXT)
        return Y.encodeStateAsUpdate(doc)
      })
      const heads = await Promise.all(seeds.map((seed, i) => (i % 2 === 0 ? a : b).appendIfEmpty(name, [seed])))

      const winners = heads.flatMap((head, i) => (head === null ? [] : [i]))
      expect(winners, name).toHaveLength(1)
      const stored = await b.load(name)
      expect(stored.updates).toHaveLength(1)
      expect(Buffer.from(stored.updates[0]).equals(Buffer.from(seeds[winners[0]]))).toBe(true)
      expect(stored.head).toBe(heads[winners[0]])
      expect(await loadedText(a, name)).toBe(SEED_TEXT)
    }
  })
})
