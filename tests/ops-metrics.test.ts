/**
 * `/metrics` against a real relay with real clients: the numbers move with
 * real traffic (connections, frames, updates, storage, closes, documents),
 * two relays in one process keep their own, and a relay with keys serves
 * them only to an admin token.
 */
import { describe, expect, it } from 'vitest'
import * as Y from 'yjs'
import { WebSocket } from 'ws'
import { CloseCode } from '../shared/close-codes.ts'
import { createJwtAuthenticator } from '../server/auth/jwt-authenticator.ts'
import { issueToken } from '../server/auth/issue-token.ts'
import { useRelayScope, waitFor, waitSynced } from './support/harness.ts'
import { parseMetrics, scrape, scrapeUntil } from './support/prometheus.ts'

const { start, client, raw, release } = useRelayScope()

describe('/metrics', () => {
  it('moves with real traffic: connections, frames, updates, storage appends, closes, documents', async () => {
    const relay = await start({ roomIdleMs: 50 })
    const before = await scrape(relay.server.url)
    expect(before.value('collab_relay_connections')).toBe(0)
    expect(before.value('collab_relay_loaded_documents')).toBe(0)
    expect(before.count('collab_relay_updates_committed_total', { origin: 'connection' })).toBe(0)

    const a = client(relay.wsUrl, 'metrics/doc')
    const b = client(relay.wsUrl, 'metrics/doc')
    await Promise.all([waitSynced(a), waitSynced(b)])
    a.text.insert(0, 'one ')
    a.text.insert(4, 'two ')
    b.text.insert(0, 'three ')
    await waitFor(() => a.text.length === 14 && a.text.toString() === b.text.toString(), 'a and b to converge')

    // Hooks are delivered off the relay's path: poll until the third update is counted.
    const during = await scrapeUntil(relay.server.url, (now) => now.count('collab_relay_updates_committed_total', { origin: 'connection' }) === 3, 'three committed updates in /metrics')
    expect(during.value('collab_relay_connections')).toBe(2)
    expect(during.value('collab_relay_loaded_documents')).toBe(1)
    expect(during.count('collab_relay_documents_created_total')).toBe(1)
    expect(during.count('collab_relay_document_loads_total')).toBe(1)
    // Each client's sync step 1 and 2, and the three updates: all sync frames in; out: answers and relayed updates.
    expect(during.count('collab_relay_frames_received_total', { type: 'sync' })).toBeGreaterThanOrEqual(4 + 3)
    expect(during.count('collab_relay_frames_sent_total', { type: 'sync' })).toBeGreaterThanOrEqual(4 + 3)
    expect(during.count('collab_relay_received_bytes_total', { type: 'sync' })).toBeGreaterThan(during.count('collab_relay_frames_received_total', { type: 'sync' }))
    expect(during.count('collab_relay_frames_received_total', { type: 'awareness' })).toBeGreaterThan(0)
    const appends = during.count('collab_relay_storage_append_seconds_count')
    expect(appends).toBeGreaterThanOrEqual(1)
    expect(appends).toBeLessThanOrEqual(3)
    expect(during.count('collab_relay_storage_append_seconds_bucket', { le: '+Inf' })).toBe(appends)
    expect(during.count('collab_relay_storage_appended_bytes_total')).toBeGreaterThan(0)
    expect(during.count('collab_relay_storage_append_failures_total')).toBe(0)
    expect(during.count('collab_relay_closes_total', { code: String(CloseCode.UNSUPPORTED_DATA.code) })).toBe(0)

    // A text frame: the relay closes that connection with 1003.
    const rude = await raw(relay.wsUrl, 'metrics/doc')
    rude.send('hello')
    expect(await rude.waitClosed()).toBe(CloseCode.UNSUPPORTED_DATA.code)
    release(a)
    release(b)

    const after = await scrapeUntil(relay.server.url, (now) => now.value('collab_relay_connections') === 0 && now.count('collab_relay_document_unloads_total') === 1, 'every connection gone and the document unloaded')
    expect(after.count('collab_relay_closes_total', { code: String(CloseCode.UNSUPPORTED_DATA.code) })).toBe(1)
    expect(after.value('collab_relay_loaded_documents')).toBe(0)
    expect(after.count('collab_relay_updates_committed_total', { origin: 'connection' })).toBe(3)
    expect(after.count('collab_relay_frames_received_total', { type: 'sync' })).toBeGreaterThanOrEqual(during.count('collab_relay_frames_received_total', { type: 'sync' }))

    // Server-side updates count under their own origin; deletion is counted too.
    const handle = await relay.relay.openDocument('metrics/doc')
    const local = new Y.Doc()
    Y.applyUpdate(local, Y.encodeStateAsUpdate(handle.doc))
    const from = Y.encodeStateVector(local)
    local.getText('text').insert(0, 'api ')
    await handle.submit(Y.encodeStateAsUpdate(local, from))
    handle.release()
    expect(await relay.relay.deleteDocument('metrics/doc')).toBe(true)
    const deleted = await scrapeUntil(relay.server.url, (now) => now.count('collab_relay_document_deletions_total') === 1, 'the deletion in /metrics')
    expect(deleted.count('collab_relay_updates_committed_total', { origin: 'server' })).toBe(1)
  })

  it('exports process metrics and event-loop delay from its own registry', async () => {
    const relay = await start()
    const metrics = await scrape(relay.server.url)
    expect(metrics.value('nodejs_eventloop_lag_p99_seconds')).toBeGreaterThanOrEqual(0)
    expect(metrics.value('process_cpu_user_seconds_total')).toBeGreaterThan(0)
    expect(metrics.value('nodejs_heap_size_used_bytes')).toBeGreaterThan(0)
    expect(metrics.text).toMatch(/^collab_relay_info\{version="\d+\.\d+\.\d+[^"]*"\} 1$/m)
  })

  it('keeps two relays in one process apart', async () => {
    const first = await start()
    const second = await start()
    const a = client(first.wsUrl, 'only-in-first')
    await waitSynced(a)
    a.text.insert(0, 'first relay only')
    await waitFor(async () => (await scrape(first.server.url)).count('collab_relay_updates_committed_total', { origin: 'connection' }) === 1, 'the update counted in the first relay')

    const other = await scrape(second.server.url)
    expect(other.value('collab_relay_connections')).toBe(0)
    expect(other.count('collab_relay_updates_committed_total', { origin: 'connection' })).toBe(0)
    expect(other.count('collab_relay_frames_received_total', { type: 'sync' })).toBe(0)
    expect(other.count('collab_relay_storage_append_seconds_count')).toBe(0)
    expect(other.count('collab_relay_document_loads_total')).toBe(0)
    const mine = await scrape(first.server.url)
    expect(mine.value('collab_relay_connections')).toBe(1)
    // Scraping one relay twice does not count its totals twice.
    expect((await scrape(first.server.url)).count('collab_relay_frames_received_total', { type: 'sync' })).toBe(mine.count('collab_relay_frames_received_total', { type: 'sync' }))
  })

  it('needs an admin token for every document when the relay has keys', async () => {
    const secret = 'metrics-test-secret-that-is-long-enough'
    const relay = await start({ authenticate: createJwtAuthenticator({ secrets: [secret] }) })
    const token = (claims: { doc: string; admin?: boolean }): Promise<string> =>
      issueToken({ secret, access: 'read', expiresInSeconds: 600, ...claims })
    const status = async (bearer?: string): Promise<[number, string | null]> => {
      const response = await fetch(`${relay.server.url}/metrics`, bearer ? { headers: { authorization: `Bearer ${bearer}` } } : {})
      await response.body?.cancel()
      return [response.status, response.headers.get('x-collab-error')]
    }
    expect(await status()).toEqual([401, 'missing token'])
    expect(await status('not.a.token')).toEqual([401, 'malformed token'])
    expect(await status(await token({ doc: '*' }))).toEqual([403, 'metrics need an admin token for every document'])
    expect(await status(await token({ doc: 'acme/*', admin: true }))).toEqual([403, 'token not valid for this document'])
    const admin = await token({ doc: '*', admin: true })
    expect((await scrape(relay.server.url, admin)).value('collab_relay_connections')).toBe(0)
    expect((await scrape(relay.server.url, admin)).count('collab_relay_refusals_total', { status: '401' })).toBe(0)

    // Upgrades refused before they reach a room are counted by status.
    const refusedWith = (url: string): Promise<number> =>
      new Promise((resolve, reject) => {
        const socket = new WebSocket(url)
        socket.on('unexpected-response', (_request, response) => {
          resolve(response.statusCode ?? 0)
          socket.terminate()
        })
        socket.on('open', () => reject(new Error('the upgrade was accepted')))
        socket.on('error', () => {})
      })
    expect(await refusedWith(`${relay.wsUrl}/counted`)).toBe(401)
    expect(await refusedWith(`${relay.wsUrl}/counted?token=${await token({ doc: 'elsewhere' })}`)).toBe(403)
    expect(await refusedWith(`${relay.wsUrl}/counted?token=x`)).toBe(401)
    const refusals = await scrape(relay.server.url, admin)
    expect(refusals.count('collab_relay_refusals_total', { status: '401' })).toBe(2)
    expect(refusals.count('collab_relay_refusals_total', { status: '403' })).toBe(1)
    // Readiness stays open to probes without tokens.
    expect((await fetch(`${relay.server.url}/readyz`)).status).toBe(200)
  })

  it('parses every line of a scrape (the format check of these tests)', async () => {
    const relay = await start()
    const text = await (await fetch(`${relay.server.url}/metrics`)).text()
    expect(() => parseMetrics(text)).not.toThrow()
    expect(text).toContain('# TYPE collab_relay_updates_committed_total counter')
    expect(text).toContain('# TYPE collab_relay_storage_append_seconds histogram')
  })
})
