/**
 * `@hocuspocus/provider` v3 (installed as `hocuspocus-provider-v3`) on the
 * relay's root URL: the same dialect as v4 without its Ping and session
 * naming. Sync beside a stock client, documents sharing a socket, a refused
 * token, a read grant, and unsynced changes that wait for storage.
 * Real relay on port 0, the real provider over `ws`.
 */
import { describe, expect, it } from 'vitest'
import * as Y from 'yjs'
import WebSocket from 'ws'
import * as v3 from 'hocuspocus-provider-v3'
import { createMemoryStorage } from '../server/storage/memory.ts'
import { authenticate, grantToken, holdableStorage, storedText } from './support/hocuspocus-grants.ts'
import { useRelayScope, waitFor, waitSynced } from './support/harness.ts'
import { allAcknowledged, newSyncTraffic, recordingWebSocket, syncAcknowledged } from './support/sync-traffic.ts'

const scope = useRelayScope()

/** A v3 provider for `name` on `socket`, destroyed after the test. */
function openV3(socket: v3.HocuspocusProviderWebsocket, name: string, token: string, failed: string[] = [], authorized: string[] = []) {
  const document = new Y.Doc()
  const provider = new v3.HocuspocusProvider({
    name,
    document,
    token,
    websocketProvider: socket,
    onAuthenticationFailed: ({ reason }) => failed.push(reason),
    onAuthenticated: () => authorized.push(provider.authorizedScope ?? ''),
  })
  provider.attach()
  scope.onCleanup(() => provider.destroy())
  return { provider, text: document.getText('text') }
}

function v3Socket(wsUrl: string, polyfill: typeof WebSocket = WebSocket): v3.HocuspocusProviderWebsocket {
  const socket = new v3.HocuspocusProviderWebsocket({ url: wsUrl, WebSocketPolyfill: polyfill })
  scope.onCleanup(() => socket.destroy())
  return socket
}

describe('@hocuspocus/provider v3', () => {
  it('syncs, shares a socket between documents, is refused by token, and counts unsynced changes to 0', async () => {
    const relay = await scope.start({ authenticate })
    const socket = v3Socket(relay.wsUrl)
    const failed: string[] = []
    const open = (name: string, token: string) => openV3(socket, name, token, failed)
    const one = open('v3-one', grantToken({ access: 'write' }))
    const two = open('v3-two', grantToken({ access: 'write' }))
    const refused = open('v3-secret', 'refuse')
    const stock = scope.client(relay.wsUrl, 'v3-one', { params: { token: grantToken({ access: 'write' }) } })
    await waitSynced(stock)
    await waitFor(() => one.provider.synced && two.provider.synced, 'both v3 documents sync')
    await waitFor(() => failed.length === 1, 'the refused document is told')
    expect(failed).toEqual(['not your document'])
    expect(refused.provider.isAuthenticated).toBe(false)
    one.text.insert(0, 'v3 one')
    two.text.insert(0, 'v3 two')
    await waitFor(() => stock.text.toString() === 'v3 one', 'the stock client sees the v3 edit')
    stock.text.insert(0, '> ')
    await waitFor(() => one.text.toString() === '> v3 one', 'the v3 client sees the stock edit')
    await waitFor(() => one.provider.unsyncedChanges === 0 && two.provider.unsyncedChanges === 0, 'v3 unsynced changes reach 0')
    expect(await storedText(relay.relay.storage, 'v3-two')).toBe('v3 two')
  })

  it('tells a read grant it is readonly, and its edits reach neither storage nor anyone', async () => {
    const relay = await scope.start({ authenticate })
    const writer = scope.client(relay.wsUrl, 'v3-read', { params: { token: grantToken({ access: 'write' }) } })
    await waitSynced(writer)
    writer.text.insert(0, 'written')
    const authorized: string[] = []
    const traffic = newSyncTraffic()
    const reader = openV3(v3Socket(relay.wsUrl, recordingWebSocket(traffic)), 'v3-read', grantToken({ access: 'read' }), [], authorized)
    await waitFor(() => reader.text.toString() === 'written', 'the v3 reader reads')
    expect(authorized).toEqual(['readonly'])
    await waitFor(() => syncAcknowledged(traffic), 'the sync acknowledged')
    expect(traffic.statuses).toEqual([true, true])
    expect(reader.provider.unsyncedChanges).toBe(0)
    reader.text.insert(0, 'NOT ')
    writer.text.insert(writer.text.length, ' and more')
    await waitFor(() => reader.text.toString() === 'NOT written and more', 'the writer’s later edit reaches the reader')
    await waitFor(() => allAcknowledged(traffic), 'the reader’s edit answered')
    expect(traffic.statuses.slice(2)).toEqual([false])
    await relay.relay.flushRoom('v3-read')
    expect(writer.text.toString()).toBe('written and more')
    expect(await storedText(relay.relay.storage, 'v3-read')).toBe('written and more')
    // Its edit still counts as unsynced: the refusal took nothing off.
    expect(reader.provider.unsyncedChanges).toBe(1)
  })

  it('counts unsynced changes to 0 only once storage has committed them', async () => {
    const memory = createMemoryStorage()
    const held = holdableStorage(memory)
    const { hold, release } = held
    const relay = await scope.start({ storage: held.storage })
    const traffic = newSyncTraffic()
    const client = openV3(v3Socket(relay.wsUrl, recordingWebSocket(traffic)), 'v3-held', '')
    await waitFor(() => client.provider.synced && syncAcknowledged(traffic), 'v3 synced and acknowledged')
    expect(client.provider.unsyncedChanges).toBe(0)
    hold()
    client.text.insert(0, 'pending')
    await waitFor(() => held.waiting > 0, 'the relay committing the update')
    // Long enough for an acknowledgement that did not wait for the commit to arrive.
    await new Promise((resolve) => setTimeout(resolve, 300))
    expect(traffic.statuses.length).toBe(2)
    expect(client.provider.unsyncedChanges).toBe(1)
    expect(await storedText(memory, 'v3-held')).toBe('')
    release()
    await waitFor(() => client.provider.unsyncedChanges === 0, 'v3 unsynced changes reach 0 after the commit')
    expect(await storedText(memory, 'v3-held')).toBe('pending')
  })
})
