/**
 * Webhooks from a real relay, edited by stock y-websocket clients, to a real
 * HTTP receiver on this machine: created once, changed debounced (and at
 * most `maxWaitMs` late under continuous edits), deleted; signed so that the
 * receiver can verify them; retried with backoff; counted in /metrics; and
 * never in the way of relaying, even when the receiver hangs.
 */
import { createHmac } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import * as Y from 'yjs'
import { createRelay } from '../server/relay/relay.ts'
import { serveRelay } from '../server/http/serve.ts'
import { createRelayMetrics } from '../server/ops/metrics.ts'
import { createWebhooks, verifyWebhook, type WebhookOptions, type Webhooks } from '../server/ops/webhooks.ts'
import { useRelayScope, waitFor, waitSynced, type TestClient } from './support/harness.ts'
import { scrape, scrapeUntil, type Scrape } from './support/prometheus.ts'
import { startWebhookReceiver, type WebhookReceiver } from './support/webhook-receiver.ts'

const { client, onCleanup } = useRelayScope()
const SECRET = 'webhook-test-secret-0123456789abcdef'
const quiet = { info() {}, warn() {}, error() {} }

interface Setup {
  receiver: WebhookReceiver
  webhooks: Webhooks
  relay: ReturnType<typeof createRelay>
  url: string
  wsUrl: string
  warnings: string[]
}

/** A receiver, webhooks to it, and a relay (with /metrics counting them) on a free port; all torn down after the test. */
async function setup(options: Partial<WebhookOptions> = {}): Promise<Setup> {
  const receiver = await startWebhookReceiver()
  const warnings: string[] = []
  const webhooks = createWebhooks({ urls: [receiver.url], secret: SECRET, logger: { ...quiet, warn: (m) => warnings.push(m) }, ...options })
  const relay = createRelay({ logger: quiet, hooks: [webhooks] })
  const server = await serveRelay(relay, { port: 0, metrics: createRelayMetrics(relay, { webhooks, processMetrics: false }) })
  onCleanup(async () => {
    await server.close()
    await webhooks.close({ timeoutMs: 100 })
    await receiver.close()
  })
  return { receiver, webhooks, relay, url: server.url, wsUrl: server.url.replace(/^http/, 'ws'), warnings }
}

/** The clock of `client`'s own Yjs client in a webhook's base64 state vector. */
const clockIn = (stateVector: string | null, doc: Y.Doc): number | undefined =>
  Y.decodeStateVector(new Uint8Array(Buffer.from(stateVector ?? '', 'base64'))).get(doc.clientID)

async function typeInto(c: TestClient, text: string): Promise<void> {
  c.text.insert(c.text.length, text)
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))

describe('webhooks', () => {
  it('sends document.created once, then one document.changed about 2 s after a burst of edits (default timing), signed', async () => {
    const { receiver, wsUrl } = await setup()
    const a = client(wsUrl, 'hooks/new doc')
    await waitSynced(a)
    const firstEditAt = Date.now()
    await typeInto(a, 'one')
    await waitFor(() => receiver.events('document.created').length === 1, 'document.created')
    // Created goes out at once, not after the debounce.
    expect(receiver.events('document.created')[0].at - firstEditAt).toBeLessThan(1000)
    let lastEditAt = Date.now()
    for (const word of [' two', ' three', ' four']) {
      await sleep(250)
      await typeInto(a, word)
      lastEditAt = Date.now()
    }
    expect(lastEditAt - firstEditAt).toBeLessThan(1500)
    await waitFor(() => receiver.events('document.changed').length === 1, 'document.changed', 6000)
    const changed = receiver.events('document.changed')[0]
    // Debounced: about 2 s after the last edit, not after each one.
    expect(changed.at - lastEditAt).toBeGreaterThanOrEqual(1900)
    expect(changed.at - lastEditAt).toBeLessThan(3500)
    await sleep(500)
    expect(receiver.events('document.changed')).toHaveLength(1)
    expect(receiver.events('document.created')).toHaveLength(1)

    const created = receiver.events('document.created')[0]
    expect(created.json).toMatchObject({ event: 'document.created', document: 'hooks/new doc' })
    expect(created.json.id).toMatch(/^[0-9a-f-]{36}$/)
    expect(Math.abs(Date.parse(created.json.at) - firstEditAt)).toBeLessThan(1000)
    expect(clockIn(created.json.stateVector, a.doc)).toBe(3) // 'one'
    // The changed event's vector: where a's client stood after its last edit.
    expect(clockIn(changed.json.stateVector, a.doc)).toBe(Y.decodeStateVector(Y.encodeStateVector(a.doc)).get(a.doc.clientID))
    expect(changed.json.id).not.toBe(created.json.id)
    expect(changed.headers['x-collab-event']).toBe('document.changed')
    expect(changed.headers['x-collab-delivery']).toBe(changed.json.id)
    expect(changed.headers['content-type']).toBe('application/json')

    // The signature: HMAC-SHA256 of "<timestamp>.<body>" with the secret, checked the way docs/security.md shows.
    for (const hook of [created, changed]) {
      const timestamp = hook.headers['x-collab-timestamp'] as string
      const signature = hook.headers['x-collab-signature'] as string
      expect(timestamp).toMatch(/^\d+$/)
      expect(Math.abs(Number(timestamp) - hook.at / 1000)).toBeLessThan(5)
      expect(signature).toBe(`sha256=${createHmac('sha256', SECRET).update(`${timestamp}.${hook.body}`).digest('hex')}`)
      expect(signature).not.toBe(`sha256=${createHmac('sha256', 'another-secret-0123456789abcdefgh').update(`${timestamp}.${hook.body}`).digest('hex')}`)
      expect(verifyWebhook(SECRET, { body: hook.body, timestamp, signature })).toBe(true)
      expect(verifyWebhook('another-secret-0123456789abcdefgh', { body: hook.body, timestamp, signature })).toBe(false)
      expect(verifyWebhook(SECRET, { body: hook.body.replace('hooks/new doc', 'hooks/other'), timestamp, signature })).toBe(false)
      // A replay ten minutes later is refused.
      expect(verifyWebhook(SECRET, { body: hook.body, timestamp, signature }, { now: hook.at + 600_000 })).toBe(false)
    }
  })

  it('under continuous edits, still sends document.changed within maxWaitMs of the first one', async () => {
    // The quiet period is eight edits long, so a stall of a loaded machine between two edits does not end it.
    const { receiver, wsUrl } = await setup({ debounceMs: 800, maxWaitMs: 1500 })
    const a = client(wsUrl, 'hooks/busy')
    await waitSynced(a)
    const started = Date.now()
    // An edit every 100 ms for 4.5 s: the quiet period never comes.
    while (Date.now() - started < 4500) {
      await typeInto(a, 'x')
      await sleep(100)
    }
    const changes = receiver.events('document.changed')
    expect(changes.length).toBeGreaterThanOrEqual(2)
    expect(changes[0].at - started).toBeGreaterThanOrEqual(1400)
    expect(changes[0].at - started).toBeLessThan(2300)
    // Each event's vector is later than the one before.
    const clocks = changes.map((hook) => clockIn(hook.json.stateVector, a.doc) ?? 0)
    expect([...clocks].sort((x, y) => x - y)).toEqual(clocks)
    expect(new Set(clocks).size).toBe(clocks.length)
  })

  it('sends document.deleted after deleteDocument, and drops the change it had not reported yet', async () => {
    // Long enough for the created event, the delete and its hook to come first on a loaded machine.
    const { receiver, wsUrl, relay } = await setup({ debounceMs: 1500 })
    const a = client(wsUrl, 'hooks/doomed')
    await waitSynced(a)
    await typeInto(a, 'soon gone')
    await waitFor(() => receiver.events('document.created', 'hooks/doomed').length === 1, 'document.created')
    expect(await relay.deleteDocument('hooks/doomed')).toBe(true)
    await waitFor(() => receiver.events('document.deleted').length === 1, 'document.deleted')
    const deleted = receiver.events('document.deleted')[0]
    expect(deleted.json).toMatchObject({ event: 'document.deleted', document: 'hooks/doomed', stateVector: null })
    expect(verifyWebhook(SECRET, { body: deleted.body, timestamp: deleted.headers['x-collab-timestamp'] as string, signature: deleted.headers['x-collab-signature'] as string })).toBe(true)
    // Past the debounce: a change still pending would have gone out by now.
    await sleep(1800)
    expect(receiver.events('document.changed', 'hooks/doomed')).toHaveLength(0)
    // Deleting what does not exist sends nothing.
    expect(await relay.deleteDocument('hooks/never-was')).toBe(false)
    await sleep(100)
    expect(receiver.events('document.deleted')).toHaveLength(1)
  })

  it('retries a failing receiver with backoff, the same delivery each time, and counts it in /metrics', async () => {
    const { receiver, wsUrl, url, warnings } = await setup({ debounceMs: 10_000, maxWaitMs: 10_000, retryMs: 200 })
    // Two 500s, then 200.
    receiver.answer = (_request, index) => (index < 2 ? 500 : 200)
    const a = client(wsUrl, 'hooks/flaky')
    await waitSynced(a)
    await typeInto(a, 'retry me')
    await waitFor(() => receiver.received.length === 3, 'three attempts', 5000)
    const [first, second, third] = receiver.received
    expect(new Set([first, second, third].map((hook) => hook.json.id)).size).toBe(1)
    expect(first.json.event).toBe('document.created')
    // 200 ms, then 400 ms: doubling.
    expect(second.at - first.at).toBeGreaterThanOrEqual(190)
    expect(second.at - first.at).toBeLessThan(390)
    expect(third.at - second.at).toBeGreaterThanOrEqual(390)
    expect(third.at - second.at).toBeLessThan(800)
    // Each attempt is signed afresh.
    for (const hook of [first, second, third]) {
      expect(verifyWebhook(SECRET, { body: hook.body, timestamp: hook.headers['x-collab-timestamp'] as string, signature: hook.headers['x-collab-signature'] as string })).toBe(true)
    }
    expect(warnings.some((line) => line.includes('answered 500') && line.includes('retrying'))).toBe(true)
    expect(warnings.join('\n')).not.toContain('retry me')

    const metrics = await scrapeUntil(url, (now) => now.count('collab_relay_webhook_deliveries_total', { outcome: 'delivered' }) === 1, 'the delivery counted')
    expect(metrics.count('collab_relay_webhook_failed_attempts_total')).toBe(2)
    expect(metrics.count('collab_relay_webhook_deliveries_total', { outcome: 'gave_up' })).toBe(0)
    // The change is still waiting for its debounce.
    expect(metrics.value('collab_relay_webhook_queued')).toBe(0)
  })

  it('gives up after maxAttempts and drops what does not fit in the queue, counting both', async () => {
    const { receiver, wsUrl, url, webhooks } = await setup({ debounceMs: 20, retryMs: 300, maxAttempts: 2, maxQueued: 2, concurrency: 1 })
    receiver.answer = () => 503
    const clients = ['hooks/q1', 'hooks/q2', 'hooks/q3'].map((name) => client(wsUrl, name))
    await Promise.all(clients.map((c) => waitSynced(c)))
    // Three new documents at once: three created events for a queue of two.
    for (const c of clients) await typeInto(c, 'x')
    // Decided from one scrape alone: live stats beside an older scrape can disagree (one delivery giving up between them).
    const settled = (now: Scrape): boolean =>
      now.value('collab_relay_webhook_queued') === 0 &&
      now.count('collab_relay_webhook_deliveries_total', { outcome: 'gave_up' }) >= 1 &&
      now.count('collab_relay_webhook_deliveries_total', { outcome: 'gave_up' }) + now.count('collab_relay_webhook_deliveries_total', { outcome: 'dropped' }) === 6
    const metrics = await scrapeUntil(url, settled, 'every event given up or dropped', 5000)
    const { delivered, gaveUp, dropped, failedAttempts } = webhooks.stats
    expect(delivered).toBe(0)
    // Six events (created and changed, three documents), each sent or dropped.
    expect(gaveUp + dropped).toBe(6)
    expect(dropped).toBeGreaterThan(0)
    expect(failedAttempts).toBe(gaveUp * 2)
    expect(metrics.count('collab_relay_webhook_deliveries_total', { outcome: 'gave_up' })).toBe(gaveUp)
    expect(metrics.count('collab_relay_webhook_deliveries_total', { outcome: 'dropped' })).toBe(dropped)
    expect(metrics.count('collab_relay_webhook_failed_attempts_total')).toBe(failedAttempts)
    expect(receiver.received.length).toBe(failedAttempts)
  })

  it('does not slow relaying when the receiver never answers', async () => {
    const { receiver, wsUrl, webhooks, url } = await setup({ debounceMs: 0, maxWaitMs: 0 })
    receiver.answer = () => 'hang'
    const a = client(wsUrl, 'hooks/stuck')
    const b = client(wsUrl, 'hooks/stuck')
    await Promise.all([waitSynced(a), waitSynced(b)])
    const latencies: number[] = []
    for (let i = 0; i < 30; i++) {
      const sent = Date.now()
      await typeInto(a, `${i},`)
      await waitFor(() => b.text.toString() === a.text.toString(), `edit ${i} to reach b`, 2000)
      latencies.push(Date.now() - sent)
    }
    // Every request to the receiver is hanging (four in flight, the rest queued) ...
    await waitFor(() => receiver.received.length === 4, 'four hung requests')
    expect(webhooks.stats.queued).toBeGreaterThan(4)
    expect(webhooks.stats.delivered).toBe(0)
    // ... and every edit still reached the other client promptly,
    expect(Math.max(...latencies)).toBeLessThan(250)
    // and the hooks after the webhooks' (metrics) still heard of every update: no hook waits for the network.
    await waitFor(async () => (await scrape(url)).count('collab_relay_updates_committed_total', { origin: 'connection' }) === 30, 'metrics to count 30 updates', 1000)
  })
})
