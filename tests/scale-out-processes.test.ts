/**
 * Scale-out as operators run it: `collab-relay` processes started with
 * `--database-url` and `--redis-url`, one of them killed with SIGKILL, stock
 * clients moving to the survivor, webhooks from several instances.
 */
import pg from 'pg'
import { WebsocketProvider } from 'y-websocket'
import WebSocket from 'ws'
import { afterEach, describe, expect, it } from 'vitest'
import { connectClient, waitFor, waitSynced, type TestClient } from './support/harness.ts'
import { createRandom } from './support/random.ts'
import { SHARED_REDIS_URL } from './support/redis-server.ts'
import { spawnCli, type SpawnedCli } from './support/spawn-cli.ts'
import { startWebhookReceiver } from './support/webhook-receiver.ts'

const PG_URL = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test'
const cleanups: (() => Promise<void> | void)[] = []

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
})

/** A database of its own (the CLI names its tables in `public`). */
async function ownDatabase(): Promise<string> {
  const name = `scale_${Math.random().toString(36).slice(2, 10)}`
  const admin = new pg.Client({ connectionString: PG_URL })
  await admin.connect()
  await admin.query(`CREATE DATABASE ${name}`).finally(() => admin.end())
  cleanups.push(async () => {
    const dropper = new pg.Client({ connectionString: PG_URL })
    await dropper.connect()
    await dropper.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`).finally(() => dropper.end())
  })
  const url = new URL(PG_URL)
  url.pathname = `/${name}`
  return url.toString()
}

async function instance(databaseUrl: string, extra: string[] = []): Promise<SpawnedCli> {
  const cli = await spawnCli(['--port', '0', '--database-url', databaseUrl, '--redis-url', SHARED_REDIS_URL, '--log-level', 'warn', ...extra])
  cleanups.push(async () => {
    if (cli.process.exitCode === null && cli.process.signalCode === null) await cli.stop('SIGKILL')
  })
  return cli
}

function client(cli: SpawnedCli, name: string): TestClient {
  const made = connectClient(cli.wsUrl, name)
  cleanups.push(() => made.destroy())
  return made
}

describe('collab-relay instances sharing documents', () => {
  it('three instances, clients spread over them, seeded random edits: everyone converges, and a fresh instance loads the same', async () => {
    const databaseUrl = await ownDatabase()
    const instances = await Promise.all([instance(databaseUrl), instance(databaseUrl), instance(databaseUrl)])
    const name = `spread/${Date.now()}`
    const seed = Number(process.env.TEST_SEED ?? Math.floor(Math.random() * 2 ** 31))
    console.log(`[scale-out processes] seed ${seed} (rerun with TEST_SEED=${seed})`)
    const random = createRandom(seed)
    const clients = Array.from({ length: 6 }, (_, index) => client(instances[index % 3], name))
    await Promise.all(clients.map((each) => waitSynced(each)))
    for (let step = 0; step < 400; step++) {
      const editor = clients[Math.floor(random() * clients.length)]
      const length = editor.text.length
      if (length > 0 && random() < 0.3) editor.text.delete(Math.floor(random() * length), Math.min(length, 1 + Math.floor(random() * 3)))
      else editor.text.insert(Math.floor(random() * (length + 1)), String.fromCharCode(97 + Math.floor(random() * 26)))
      if (step % 20 === 0) await new Promise((resolve) => setTimeout(resolve, 2))
    }
    await waitFor(() => clients.every((each) => each.text.toString() === clients[0].text.toString()), 'six clients on three instances to converge', 20_000)
    const fresh = await instance(databaseUrl)
    const late = client(fresh, name)
    await waitSynced(late)
    await waitFor(() => late.text.toString() === clients[0].text.toString(), 'a fresh instance to serve the converged text')
  })

  it('an instance killed with -9: its clients move to another and converge, nothing anyone saw is lost, its presence goes', async () => {
    const databaseUrl = await ownDatabase()
    const [a, b] = await Promise.all([instance(databaseUrl), instance(databaseUrl)])
    const name = `kill/${Date.now()}`
    const ada = client(a, name)
    const grace = client(b, name)
    const katherine = client(b, name)
    await Promise.all([waitSynced(ada), waitSynced(grace), waitSynced(katherine)])
    grace.provider.awareness.setLocalStateField('user', { name: 'Grace' })
    katherine.provider.awareness.setLocalStateField('user', { name: 'Katherine' })
    const nameOf = (id: number) => (ada.provider.awareness.getStates().get(id) as { user?: { name?: string } } | undefined)?.user?.name
    await waitFor(() => nameOf(grace.doc.clientID) === 'Grace' && nameOf(katherine.doc.clientID) === 'Katherine', 'Ada on A to see Grace and Katherine on B')

    grace.text.insert(0, 'grace-1 ')
    await waitFor(() => ada.text.toString().includes('grace-1'), 'Ada to see grace-1')
    ada.text.insert(ada.text.length, 'ada-1 ')
    await waitFor(() => grace.text.toString().includes('ada-1'), 'Grace to see ada-1')

    const killedAt = Date.now()
    await b.stop('SIGKILL')
    // Grace types while her instance is gone, then reaches A (what a load balancer does on reconnect);
    // Katherine closes her laptop.
    grace.text.insert(grace.text.length, 'grace-offline ')
    grace.provider.disconnect()
    katherine.provider.disconnect()
    const moved = new WebsocketProvider(a.wsUrl, name, grace.doc, { WebSocketPolyfill: WebSocket as unknown as typeof globalThis.WebSocket, disableBc: true })
    cleanups.push(() => moved.destroy())
    await waitFor(() => moved.synced, 'Grace synced through A')
    await waitFor(
      () => ada.text.toString() === grace.text.toString() && ['grace-1', 'ada-1', 'grace-offline'].every((word) => ada.text.toString().includes(word)),
      'Ada and Grace to converge on A',
    )
    // Katherine's presence, which only B held, goes once B is silent (8 s), well within the 30 s awareness timeout;
    // Grace, now on A, is shown again (not only at her next 15 s renewal).
    await waitFor(() => nameOf(katherine.doc.clientID) === undefined, 'Katherine\u2019s presence to go with B', 15_000)
    expect(Date.now() - killedAt).toBeLessThan(15_000)
    await waitFor(() => nameOf(grace.doc.clientID) === 'Grace', 'Grace to be shown again, through A', 5_000)
    expect(Date.now() - killedAt).toBeLessThan(14_000)

    // A third instance started afresh loads everything from PostgreSQL.
    const c = await instance(databaseUrl)
    const late = client(c, name)
    await waitSynced(late)
    expect(late.text.toString()).toBe(ada.text.toString())
  })

  it('a change made on one instance fires its webhook once, not once per instance holding the document', async () => {
    const databaseUrl = await ownDatabase()
    const receiver = await startWebhookReceiver()
    cleanups.push(() => receiver.close())
    const [a, b] = await Promise.all([instance(databaseUrl, ['--webhook-url', receiver.url]), instance(databaseUrl, ['--webhook-url', receiver.url])])
    const name = `hooks/${Date.now()}`
    const writer = client(a, name)
    const watcher = client(b, name)
    await Promise.all([waitSynced(writer), waitSynced(watcher)])
    writer.text.insert(0, 'one change')
    await waitFor(() => watcher.text.toString() === 'one change', 'the change to reach B')
    // document.changed comes about 2 s after the last change; give it time to come twice if it would.
    await waitFor(() => receiver.events('document.changed', name).length >= 1, 'document.changed', 8_000)
    await new Promise((resolve) => setTimeout(resolve, 2_500))
    expect(receiver.events('document.created', name)).toHaveLength(1)
    expect(receiver.events('document.changed', name)).toHaveLength(1)
  })
})
