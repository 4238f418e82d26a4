/**
 * Versions with two relay instances sharing PostgreSQL and Redis: an
 * instance saves automatic versions for the edits committed on it only, so a
 * burst gives one version, not one per instance holding the document; a
 * restore through one instance reaches editors on the other.
 */
import { afterEach, describe, expect, it } from 'vitest'
import type { VersionOptions } from '../server/relay/version-settings.ts'
import { call, editAsEditor, markdownOf } from './support/documents-api.ts'
import { connectClient, waitFor, waitSynced, type TestClient, type TestRelay } from './support/harness.ts'
import { startInstancePair } from './support/instance-pair.ts'
import { createPostgresBackend } from './support/storage-backends.ts'

const backend = createPostgresBackend()
const teardown: (() => Promise<void> | void)[] = []

afterEach(async () => {
  for (const step of teardown.splice(0).reverse()) await step()
  await backend.cleanup()
})

/** Two instances on one PostgreSQL schema and one Redis; `close()` stops both. */
async function startPair(versions: VersionOptions): Promise<{ relays: [TestRelay, TestRelay]; close(): Promise<void> }> {
  const [a, b] = await startInstancePair(backend, (close) => void teardown.push(close), { versions })
  return { relays: [a.relay, b.relay], close: async () => void (await Promise.all([a.close(), b.close()])) }
}

function client(relay: TestRelay, name: string, person: string): TestClient {
  const made = connectClient(relay.wsUrl, name)
  made.provider.awareness.setLocalStateField('user', { name: person })
  teardown.push(() => made.destroy())
  return made
}

describe('versions with two instances', () => {
  it('the instance that committed a burst saves its version; the one that only relayed it saves none', async () => {
    const pair = await startPair({ settleMs: 50, intervalMs: 100 })
    const [a, b] = pair.relays
    const ada = client(a, 'shared notes', 'Ada')
    const grace = client(b, 'shared notes', 'Grace')
    await Promise.all([waitSynced(ada), waitSynced(grace)])

    editAsEditor(ada, 'Ada types on A')
    await waitFor(() => markdownOf(grace.doc) === 'Ada types on A', 'the edit reaches B')
    const storage = await backend.reopen()
    await waitFor(async () => (await storage.listVersions('shared notes')).length === 1, 'A saves a version')

    editAsEditor(grace, 'Grace types on B')
    await waitFor(() => markdownOf(ada.doc) === 'Grace types on B', 'the edit reaches A')
    await waitFor(async () => (await storage.listVersions('shared notes')).length === 2, 'B saves a version')

    // Stopping saves whatever an instance still has unversioned: neither has any.
    await pair.close()
    const versions = await storage.listVersions('shared notes')
    expect(versions.map((v) => [v.kind, v.authors])).toEqual([
      ['auto', ['Grace']],
      ['auto', ['Ada']],
    ])
  })

  it('a restore through one instance reaches the editors on the other', async () => {
    const pair = await startPair({ intervalMs: 0 })
    const [a, b] = pair.relays
    const onA = client(a, 'plan', 'Ada')
    const onB = client(b, 'plan', 'Grace')
    await Promise.all([waitSynced(onA), waitSynced(onB)])
    editAsEditor(onA, '# Plan\n\nfirst')
    await waitFor(async () => (await (await call(`${a.server.url}/api/documents/plan?format=markdown`)).text()) === '# Plan\n\nfirst', 'stored')
    const saved = await call(`${a.server.url}/api/documents/plan/versions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"name":"first"}' })
    const { id } = (await saved.json()) as { id: string }
    editAsEditor(onB, '# Plan\n\nsecond, from B')
    await waitFor(() => markdownOf(onA.doc) === '# Plan\n\nsecond, from B', 'B’s edit reaches A')
    // Restored through B, the instance that did not save the version.
    expect((await call(`${b.server.url}/api/documents/plan/versions/${id}/restore`, { method: 'POST' })).status).toBe(200)
    await waitFor(() => markdownOf(onA.doc) === '# Plan\n\nfirst' && markdownOf(onB.doc) === '# Plan\n\nfirst', 'both editors read the version')
  })
})
