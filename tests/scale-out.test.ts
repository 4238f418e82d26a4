/**
 * Scale-out with real parts: two relays in this process, each with its own
 * PostgreSQL pool on one shared schema and its own Redis connections, stock
 * y-websocket clients spread over them. (Killed processes are in
 * scale-out-processes.test.ts.)
 */
import { afterEach, describe, expect, it } from 'vitest'
import * as Y from 'yjs'
import { CloseCode } from '../shared/close-codes.ts'
import { FRAGMENT_NAME } from '../shared/schema.ts'
import type { DocumentStorage } from '../server/storage/types.ts'
import { connectClient, waitFor, waitSynced, type TestClient } from './support/harness.ts'
import { startInstancePair, type Instance } from './support/instance-pair.ts'
import { startOwnRedis, SHARED_REDIS_URL, type OwnRedis } from './support/redis-server.ts'
import { createPostgresBackend } from './support/storage-backends.ts'
import { createRandom } from './support/random.ts'

const backend = createPostgresBackend()
const teardown: (() => Promise<void> | void)[] = []

afterEach(async () => {
  for (const step of teardown.splice(0).reverse()) await step()
  await backend.cleanup()
})

/** Two instances sharing one PostgreSQL schema and one Redis. */
const startPair = (redisUrl: string, options: { roomIdleMs?: number; compactAfterUpdates?: number; writeRetryMs?: number } = {}): Promise<[Instance, Instance]> =>
  startInstancePair(backend, (close) => void teardown.push(close), { roomIdleMs: 10_000, ...options }, redisUrl)

function client(instance: Instance, name: string): TestClient {
  const made = connectClient(instance.relay.wsUrl, name)
  teardown.push(() => made.destroy())
  return made
}

async function storedText(storage: DocumentStorage, name: string): Promise<string> {
  const doc = new Y.Doc()
  for (const update of (await storage.load(name)).updates) Y.applyUpdate(doc, update)
  return doc.getText('text').toString()
}

describe('two relay instances through Redis and PostgreSQL', () => {
  it('clients on different instances co-edit live under seeded random edits, and storage holds the result', async () => {
    const [a, b] = await startPair(SHARED_REDIS_URL)
    const seed = Number(process.env.TEST_SEED ?? Math.floor(Math.random() * 2 ** 31))
    console.log(`[scale-out convergence] seed ${seed} (rerun with TEST_SEED=${seed})`)
    const random = createRandom(seed)
    const clients = [client(a, 'shared'), client(b, 'shared'), client(a, 'shared'), client(b, 'shared')]
    await Promise.all(clients.map((each) => waitSynced(each)))
    for (let step = 0; step < 300; step++) {
      const editor = clients[Math.floor(random() * clients.length)]
      const length = editor.text.length
      if (length > 0 && random() < 0.25) editor.text.delete(Math.floor(random() * length), 1)
      else editor.text.insert(Math.floor(random() * (length + 1)), String.fromCharCode(97 + Math.floor(random() * 26)))
      if (step % 25 === 0) await new Promise((resolve) => setImmediate(resolve))
    }
    await waitFor(() => clients.every((other) => other.text.toString() === clients[0].text.toString()), 'all four clients to converge', 15_000)
    const text = clients[0].text.toString()
    await a.relay.relay.flushRoom('shared')
    await b.relay.relay.flushRoom('shared')
    expect(await storedText(a.storage, 'shared')).toBe(text)
    // Each instance holds the same copy.
    await waitFor(async () => {
      const copies = await Promise.all([a, b].map((instance) => instance.relay.relay.withDocument('shared', (handle) => handle.doc.getText('text').toString())))
      return copies.every((copy) => copy === text)
    }, 'both instances to hold the converged text')
  })

  it('relays presence across instances, and its removal when the client leaves', async () => {
    const [a, b] = await startPair(SHARED_REDIS_URL)
    const ada = client(a, 'presence')
    const grace = client(b, 'presence')
    await Promise.all([waitSynced(ada), waitSynced(grace)])
    ada.provider.awareness.setLocalStateField('user', { name: 'Ada' })
    const adaId = ada.doc.clientID
    await waitFor(() => (grace.provider.awareness.getStates().get(adaId) as { user?: { name: string } } | undefined)?.user?.name === 'Ada', 'Grace on B to see Ada on A')

    // A late joiner on B sees Ada at once, from B's copy of A's presence.
    const late = client(b, 'presence')
    await waitSynced(late)
    await waitFor(() => late.provider.awareness.getStates().has(adaId), 'a late joiner on B to see Ada')

    ada.destroy()
    await waitFor(() => !grace.provider.awareness.getStates().has(adaId) && !late.provider.awareness.getStates().has(adaId), 'Ada to disappear on B')
  })

  it('drops the presence of an instance that stops, at once, through its goodbye', async () => {
    const [a, b] = await startPair(SHARED_REDIS_URL)
    const ada = client(a, 'gone')
    const grace = client(b, 'gone')
    await Promise.all([waitSynced(ada), waitSynced(grace)])
    ada.provider.awareness.setLocalStateField('user', { name: 'Ada' })
    await waitFor(() => grace.provider.awareness.getStates().has(ada.doc.clientID), 'Grace to see Ada')
    // A's bus says goodbye as it closes (silence without one is the kill -9 test in scale-out-processes).
    // Well under the 1 s instance timeout of this pair: the goodbye, not the silence, removed her.
    await a.bus.close()
    await waitFor(() => !grace.provider.awareness.getStates().has(ada.doc.clientID), 'Ada to disappear on B', 800)
  })

  it('an update posted over HTTP on one instance reaches an editor on the other', async () => {
    const [a, b] = await startPair(SHARED_REDIS_URL, { roomIdleMs: 100 })
    const editor = client(b, 'api/doc')
    await waitSynced(editor)
    const response = await fetch(`${a.relay.server.url}/api/documents/${encodeURIComponent('api/doc')}`, {
      method: 'PUT',
      headers: { 'content-type': 'text/markdown' },
      body: '# From the API\n\nposted on A',
    })
    expect(response.status).toBe(201)
    const fragment = editor.doc.getXmlFragment(FRAGMENT_NAME)
    await waitFor(() => fragment.toString().includes('posted on A'), 'the editor on B to receive the PUT made on A')
    // A released the document after the PUT; only B, whose client has it open, still holds it.
    await waitFor(() => !a.relay.relay.roomNames().includes('api/doc'), 'A to let the document go', 5_000)
    expect(b.relay.relay.roomNames()).toEqual(['api/doc'])
  })

  it('a delete on one instance closes the editors on the other with 4410, and their copies stay deleted', async () => {
    const [a, b] = await startPair(SHARED_REDIS_URL)
    const editor = client(b, 'doomed')
    await waitSynced(editor)
    editor.text.insert(0, 'secret')
    await waitFor(async () => (await storedText(a.storage, 'doomed')) === 'secret', 'the edit stored')
    let closedWith: number | null = null
    // The next close's code; the stock provider, which would retry at once, is stopped there.
    const watchClose = (): void => {
      closedWith = null
      const onClose = (event: CloseEvent | null): void => {
        editor.provider.off('connection-close', onClose)
        closedWith = event?.code ?? -1
        editor.provider.disconnect()
      }
      editor.provider.on('connection-close', onClose)
    }
    watchClose()

    expect(await a.relay.relay.deleteDocument('doomed')).toBe(true)
    expect(await waitFor(() => closedWith, 'the editor on B to be closed')).toBe(CloseCode.DOCUMENT_DELETED.code)
    await waitFor(() => !b.relay.relay.roomNames().includes('doomed'), 'B to unload its copy')
    expect((await a.storage.load('doomed')).updates).toEqual([])

    // Back on B with its copy: refused, from what the delete kept in storage.
    watchClose()
    editor.provider.connect()
    expect(await waitFor(() => closedWith, 'the copy to be refused on B')).toBe(CloseCode.DOCUMENT_DELETED.code)
    expect((await b.storage.load('doomed')).updates).toEqual([])
  })

  it('create-only seeding racing over both instances writes the seed exactly once', async () => {
    const [a, b] = await startPair(SHARED_REDIS_URL)
    const put = (instance: Instance) =>
      fetch(`${instance.relay.server.url}/api/documents/seeded`, {
        method: 'PUT',
        headers: { 'content-type': 'text/markdown', 'if-none-match': '*' },
        body: 'the seed',
      }).then((response) => response.status)
    const statuses = await Promise.all(Array.from({ length: 8 }, (_, index) => put(index % 2 === 0 ? a : b)))
    expect(statuses.filter((status) => status === 201)).toHaveLength(1)
    expect(statuses.filter((status) => status === 412)).toHaveLength(7)
    const markdown = await (await fetch(`${b.relay.server.url}/api/documents/seeded?format=markdown`)).text()
    expect(markdown.match(/the seed/g)).toHaveLength(1)
  })
})

describe('shared storage under load and faults', () => {
  it('two instances compacting one busy document lose nothing', async () => {
    const [a, b] = await startPair(SHARED_REDIS_URL, { compactAfterUpdates: 8 })
    const writers = [client(a, 'busy'), client(b, 'busy'), client(a, 'busy'), client(b, 'busy')]
    await Promise.all(writers.map((each) => waitSynced(each)))
    const words: string[] = []
    for (let round = 0; round < 40; round++) {
      writers.forEach((writer, index) => {
        const word = `w${index}r${round} `
        words.push(word)
        writer.text.insert(writer.text.length, word)
      })
      if (round % 4 === 0) await new Promise((resolve) => setTimeout(resolve, 5))
    }
    await waitFor(() => writers.every((writer) => writer.text.toString() === writers[0].text.toString()), 'the writers to converge', 15_000)
    await a.relay.relay.flushRoom('busy')
    await b.relay.relay.flushRoom('busy')
    const stored = await storedText(b.storage, 'busy')
    for (const word of words) expect(stored).toContain(word)
    expect(stored).toBe(writers[0].text.toString())
    // Both compacted (the log is far shorter than the 160 updates written).
    expect((await a.storage.load('busy')).updates.length).toBeLessThan(40)
  })

  it('PostgreSQL away: writes wait and retry, nothing unsaved reaches the other instance, /readyz says so, then all recovers', async () => {
    const [a, b] = await startPair(SHARED_REDIS_URL, { writeRetryMs: 50 })
    const ada = client(a, 'pg-away')
    const grace = client(b, 'pg-away')
    await Promise.all([waitSynced(ada), waitSynced(grace)])
    ada.text.insert(0, 'saved ')
    await waitFor(() => grace.text.toString() === 'saved ', 'the first edit across')

    // The log table renamed away: every write (and the readiness check) fails, as with the database down.
    await backend.query(`ALTER TABLE "${backend.schema}".collab_updates RENAME TO collab_updates_away`)
    let renamedBack = false
    teardown.push(async () => {
      if (!renamedBack) await backend.query(`ALTER TABLE "${backend.schema}".collab_updates_away RENAME TO collab_updates`)
    })
    ada.text.insert(ada.text.length, 'unsaved')
    await waitFor(async () => (await fetch(`${a.relay.server.url}/readyz`)).status === 503, '/readyz to answer 503')
    await waitFor(() => a.relay.relay.stats().roomsFailingWrites === 1, 'A to report the failing write')
    expect(grace.text.toString()).toBe('saved ')

    await backend.query(`ALTER TABLE "${backend.schema}".collab_updates_away RENAME TO collab_updates`)
    renamedBack = true
    await waitFor(() => grace.text.toString() === 'saved unsaved', 'the edit to reach B once stored', 10_000)
    await waitFor(async () => (await fetch(`${a.relay.server.url}/readyz`)).status === 200, '/readyz to answer 200 again')
    expect(await storedText(b.storage, 'pg-away')).toBe('saved unsaved')
  })
})

describe('Redis restarts', () => {
  let redis: OwnRedis | null = null
  afterEach(async () => {
    await redis?.stop()
    redis = null
  })

  it('instances reconnect and catch up: edits made while Redis was down reach the other instance without a reload', async () => {
    redis = await startOwnRedis()
    const [a, b] = await startPair(redis.url)
    const ada = client(a, 'outage')
    const grace = client(b, 'outage')
    await Promise.all([waitSynced(ada), waitSynced(grace)])
    ada.text.insert(0, 'before ')
    await waitFor(() => grace.text.toString() === 'before ', 'the first edit across')

    await redis.stop()
    await waitFor(async () => {
      const answer = await fetch(`${a.relay.server.url}/readyz`)
      return answer.status === 503 && ((await answer.json()) as { checks: Record<string, string> }).checks.redis !== 'ok'
    }, '/readyz to say Redis is away')
    ada.text.insert(ada.text.length, 'during-a ')
    grace.text.insert(grace.text.length, 'during-b ')
    // Stored on each instance while Redis is away (nothing unsaved is relayed).
    await waitFor(async () => (await storedText(a.storage, 'outage')).includes('during-a') && (await storedText(a.storage, 'outage')).includes('during-b'), 'both edits stored')
    await redis.start()
    await waitFor(() => ada.text.toString() === grace.text.toString() && ada.text.toString().includes('during-b') && grace.text.toString().includes('during-a'), 'both clients to converge after Redis is back', 20_000)
    await waitFor(async () => (await fetch(`${a.relay.server.url}/readyz`)).status === 200, '/readyz to say ready again', 10_000)
    ada.text.insert(0, 'after ')
    await waitFor(() => grace.text.toString().startsWith('after '), 'live relaying again after the outage', 10_000)
  })
})
