/**
 * The relay on real storage: documents outlive a restart and an unload,
 * a large document reloads whole, joins to a cold room share one load, and
 * real PostgreSQL faults (a table renamed away) neither lose nor overwrite
 * content: a room that cannot load is refused, a write that cannot commit is
 * held back from the other clients and retried.
 */
import { afterAll, describe, expect, it } from 'vitest'
import { CloseCode } from '../shared/close-codes.ts'
import { encodeUpdate } from '../shared/protocol.ts'
import type { DocumentStorage } from '../server/storage/types.ts'
import type { RelayLogger } from '../server/relay/relay-socket.ts'
import { createRandom, testSeed, useRelayScope, waitFor, waitSynced } from './support/harness.ts'
import { createPostgresBackend, createSqliteBackend, Editing, replayText } from './support/storage-backends.ts'

const { start, client, raw, release, onCleanup } = useRelayScope()
const sqlite = createSqliteBackend()
const postgres = createPostgresBackend()
// After every test's relays (closed by the scope) have closed their storage.
afterAll(async () => {
  await sqlite.cleanup()
  await postgres.cleanup()
})

async function storedText(storage: DocumentStorage, name: string): Promise<string> {
  return replayText((await storage.load(name)).updates)
}

interface Health {
  status: string
  rooms: number
  roomsFailingWrites: number
}

async function healthz(url: string): Promise<Health> {
  const response = await fetch(`${url}/healthz`)
  return (await response.json()) as Health
}

/** Two clients each type a line; once they agree, both lines are committed (nothing is relayed before). */
async function editTogether(wsUrl: string, room: string): Promise<string> {
  const a = client(wsUrl, room)
  const b = client(wsUrl, room)
  await Promise.all([waitSynced(a), waitSynced(b)])
  a.text.insert(0, 'a wrote this\n')
  b.text.insert(0, 'b wrote this\n')
  await waitFor(() => a.text.length === 26 && a.text.toString() === b.text.toString(), 'a and b to converge')
  const text = a.text.toString()
  release(a)
  release(b)
  return text
}

/** Rename the log table away for the duration of `during`, then back, whatever happens. */
async function withLogTableGone<T>(during: () => Promise<T>): Promise<T> {
  await postgres.query(`ALTER TABLE "${postgres.schema}".collab_updates RENAME TO broken`)
  try {
    return await during()
  } finally {
    await postgres.query(`ALTER TABLE "${postgres.schema}".broken RENAME TO collab_updates`)
  }
}

describe.each([sqlite, postgres])('relay on $name storage', (backend) => {
  it('serves the same text from a new relay on the reopened storage after a restart', async () => {
    const first = await start({ storage: await backend.open() })
    const text = await editTogether(first.wsUrl, 'team/restart plan')
    await release(first)

    const second = await start({ storage: await backend.reopen() })
    const late = client(second.wsUrl, 'team/restart plan')
    await waitSynced(late)
    expect(late.text.toString()).toBe(text)
  })
})

describe('relay on sqlite storage', () => {
  it('unloads an idle room and reloads the same text from the file', async () => {
    const relay = await start({ storage: await sqlite.open(), roomIdleMs: 50 })
    const text = await editTogether(relay.wsUrl, 'notes')
    await waitFor(() => relay.relay.stats().rooms === 0, 'the idle room to unload')
    expect(await relay.relay.storage.list()).toEqual(['notes'])

    const late = client(relay.wsUrl, 'notes')
    await waitSynced(late)
    expect(late.text.toString()).toBe(text)
  })

  it('stores a 100k-character document sent as 10 000 small updates, and reloads it whole', async () => {
    const storage = await sqlite.open()
    // 10,000 updates in one go is a flood by the default rate limit; this is about storage.
    const relay = await start({ storage, roomIdleMs: 50, limits: { messageBurst: 20_000 } })
    const editing = new Editing(createRandom(testSeed('relay large document')))
    const frames = editing.edit(10_000, '0123456789').map((update) => encodeUpdate(update))
    expect(editing.text).toHaveLength(100_000)

    const sender = await raw(relay.wsUrl, 'large')
    // The relay's sync step 1 means the room has loaded: frames are not queued behind the load.
    await waitFor(() => sender.received.length > 0, 'the room to load')
    for (const frame of frames) sender.send(frame)
    // The close frame follows the updates on the same socket, so the room leaves after handling them all.
    sender.ws.close()
    await waitFor(() => relay.relay.stats().connections === 0, 'the sender to leave', 15_000)
    await waitFor(() => relay.relay.stats().rooms === 0, 'the room to unload', 15_000)

    const late = client(relay.wsUrl, 'large')
    await waitSynced(late, 15_000)
    expect(late.text.length).toBe(100_000)
    expect(late.text.toString() === editing.text, 'the late client has the same text').toBe(true)
    expect((await storedText(storage, 'large')) === editing.text, 'the stored log replays to the same text').toBe(true)
  })

  it('loads a cold room once for ten clients joining together', async () => {
    const inner = await sqlite.open()
    const seeded = new Editing(createRandom(testSeed('cold room')))
    await inner.append('cold', seeded.edit(20, 'word '))
    let loads = 0
    let openGate!: () => void
    const gate = new Promise<void>((resolve) => (openGate = resolve))
    // Even if the test fails early: a held load would keep the relay from closing.
    onCleanup(() => openGate())
    // The real storage, counting loads and holding them until every client is connected.
    const storage: DocumentStorage = {
      ...inner,
      async load(name) {
        loads++
        await gate
        return inner.load(name)
      },
    }
    const relay = await start({ storage })
    const clients = Array.from({ length: 10 }, () => client(relay.wsUrl, 'cold'))
    await waitFor(() => relay.relay.stats().connections === 10, 'all ten connections to arrive')
    openGate()

    await Promise.all(clients.map((joined) => waitSynced(joined)))
    expect(loads).toBe(1)
    expect(relay.relay.stats().rooms).toBe(1)
    for (const joined of clients) expect(joined.text.toString()).toBe(seeded.text)
  })
})

/** A quiet logger that counts the room's failed-write reports. */
function countingWriteFailures(): { logger: RelayLogger; failedWrites: () => number } {
  let failed = 0
  const logger: RelayLogger = {
    info() {},
    warn() {},
    error(message) {
      if (message.includes('write failed')) failed++
    },
  }
  return { logger, failedWrites: () => failed }
}

describe('relay on postgres storage with the log table gone', () => {
  it('refuses joins while the room cannot load, then serves the original content', async () => {
    const storage = await postgres.open()
    const relay = await start({ storage, roomIdleMs: 50 })
    const writer = client(relay.wsUrl, 'fragile')
    await waitSynced(writer)
    writer.text.insert(0, 'original content')
    await waitFor(async () => (await storedText(storage, 'fragile')) === 'original content', 'the content to be stored')
    release(writer)
    await waitFor(() => relay.relay.stats().rooms === 0, 'the room to unload')

    const stockCloses: number[] = []
    await withLogTableGone(async () => {
      const socket = await raw(relay.wsUrl, 'fragile')
      expect(await socket.waitClosed()).toBe(CloseCode.ROOM_UNAVAILABLE.code)
      const refused = client(relay.wsUrl, 'fragile')
      refused.provider.on('connection-close', (event) => {
        if (event) stockCloses.push(event.code)
      })
      await waitFor(() => stockCloses.length > 0, 'the stock client to be closed')
      expect(stockCloses[0]).toBe(CloseCode.ROOM_UNAVAILABLE.code)
      expect(refused.provider.synced).toBe(false)
      expect(relay.relay.stats().rooms).toBe(0)
      expect((await healthz(relay.server.url)).rooms).toBe(0)
      release(refused)
    })

    const late = client(relay.wsUrl, 'fragile')
    await waitSynced(late)
    expect(late.text.toString()).toBe('original content')
    expect(await storedText(storage, 'fragile')).toBe('original content')
  })

  it('holds an edit back from the room while writes fail, then commits and relays it once they work', async () => {
    const storage = await postgres.open()
    const { logger, failedWrites } = countingWriteFailures()
    const relay = await start({ storage, writeRetryMs: 50, logger })
    const writer = client(relay.wsUrl, 'doc')
    const reader = client(relay.wsUrl, 'doc')
    await Promise.all([waitSynced(writer), waitSynced(reader)])
    writer.text.insert(0, 'saved. ')
    await waitFor(() => reader.text.toString() === 'saved. ', 'the first edit to reach the reader')

    await withLogTableGone(async () => {
      writer.text.insert(7, 'pending.')
      await waitFor(async () => {
        const health = await healthz(relay.server.url)
        return health.status === 'degraded' && health.roomsFailingWrites >= 1
      }, '/healthz to report the failing room')
      // Let the room retry (and fail) a few more times before looking at the reader.
      const failedBefore = failedWrites()
      await waitFor(() => failedWrites() >= failedBefore + 2, 'two more failed retries')
      expect(reader.text.toString()).toBe('saved. ')
      expect(await healthz(relay.server.url)).toMatchObject({ status: 'degraded', roomsFailingWrites: 1 })
    })

    await waitFor(async () => (await healthz(relay.server.url)).status === 'ok', '/healthz to recover', 10_000)
    expect(relay.relay.stats().roomsFailingWrites).toBe(0)
    await waitFor(() => reader.text.toString() === 'saved. pending.', 'the held-back edit to reach the reader')
    expect(await storedText(storage, 'doc')).toBe('saved. pending.')
  })

  // An edit nobody else has seen yet is still unsaved work: the relay must keep
  // saying so after its author leaves and the room starts to unload.
  it('reports degraded health while an idle room still retries a failed write', async () => {
    const storage = await postgres.open()
    const { logger, failedWrites } = countingWriteFailures()
    const relay = await start({ storage, writeRetryMs: 50, roomIdleMs: 50, logger })
    const writer = client(relay.wsUrl, 'left-behind')
    await waitSynced(writer)

    await withLogTableGone(async () => {
      writer.text.insert(0, 'written just before leaving')
      await waitFor(async () => (await healthz(relay.server.url)).status === 'degraded', '/healthz to report the failing room')
      release(writer)
      await waitFor(() => relay.relay.stats().connections === 0 && relay.relay.stats().rooms === 0, 'the room to start unloading')
      const failedBefore = failedWrites()
      await waitFor(() => failedWrites() > failedBefore, 'the unloading room to retry and fail again')
      expect(await healthz(relay.server.url)).toMatchObject({ status: 'degraded', roomsFailingWrites: 1 })
    })

    const committed = async (): Promise<boolean> => (await storedText(storage, 'left-behind')) === 'written just before leaving'
    await waitFor(committed, 'the retried write to commit', 10_000)
    await waitFor(async () => (await healthz(relay.server.url)).status === 'ok', '/healthz to recover')
    const late = client(relay.wsUrl, 'left-behind')
    await waitSynced(late)
    expect(late.text.toString()).toBe('written just before leaving')
  })
})
