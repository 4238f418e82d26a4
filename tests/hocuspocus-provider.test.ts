/**
 * `@hocuspocus/provider` on the relay's root URL, beside stock y-websocket
 * clients on the same documents: sync, many documents on one socket, its
 * in-band tokens (refusal, read-only), acknowledgements that wait for
 * storage, presence across dialects, and its framing abused by a raw socket.
 * Real relay on port 0, the real provider over `ws`.
 */
import { describe, expect, it } from 'vitest'
import * as Y from 'yjs'
import * as encoding from 'lib0/encoding'
import WebSocket from 'ws'
import { HocuspocusProvider, HocuspocusProviderWebsocket } from '@hocuspocus/provider'
import { Hono } from 'hono'
import { createRelay } from '../server/relay/relay.ts'
import { createRelayApp } from '../server/http/relay-app.ts'
import { serveRelay } from '../server/http/serve.ts'
import { CloseCode } from '../shared/close-codes.ts'
import { HocuspocusMessage, wrapFrame } from '../shared/hocuspocus-protocol.ts'
import { encodeSyncStep1 } from '../shared/protocol.ts'
import { createMemoryStorage } from '../server/storage/memory.ts'
import { authenticate, grantToken, holdableStorage, storedText } from './support/hocuspocus-grants.ts'
import { authFrame, hocuspocusFrame, rawRoot as openRawRoot } from './support/hocuspocus-raw.ts'
import { attemptUpgrade, expectOpened } from './support/upgrade-attempt.ts'
import { createRandom, RawSocket, testSeed, useRelayScope, waitFor, waitSynced, type TestClient } from './support/harness.ts'
import { allAcknowledged, newSyncTraffic, recordingWebSocket, syncAcknowledged, type SyncTraffic } from './support/sync-traffic.ts'

const scope = useRelayScope()

interface HocusClient {
  doc: Y.Doc
  text: Y.Text
  provider: HocuspocusProvider
  events: { authenticated: string[]; failed: string[]; stateless: string[] }
}

/** A Hocuspocus provider on `socket` (shared) or on a socket of its own, destroyed after the test. */
function hocus(wsUrl: string, name: string, options: { token?: string; socket?: HocuspocusProviderWebsocket; sessionAwareness?: boolean; traffic?: SyncTraffic } = {}): HocusClient {
  const doc = new Y.Doc()
  const events: HocusClient['events'] = { authenticated: [], failed: [], stateless: [] }
  const common = {
    name,
    document: doc,
    token: options.token ?? null,
    onAuthenticated: ({ scope }: { scope: string }) => events.authenticated.push(scope),
    onAuthenticationFailed: ({ reason }: { reason: string }) => events.failed.push(reason),
    onStateless: ({ payload }: { payload: string }) => events.stateless.push(payload),
  }
  let provider: HocuspocusProvider
  if (options.socket) {
    provider = new HocuspocusProvider({ ...common, websocketProvider: options.socket, sessionAwareness: options.sessionAwareness ?? false })
    provider.attach()
  } else {
    const polyfill = options.traffic ? recordingWebSocket(options.traffic) : WebSocket
    provider = new HocuspocusProvider({ ...common, url: wsUrl, WebSocketPolyfill: polyfill } as ConstructorParameters<typeof HocuspocusProvider>[0])
  }
  scope.onCleanup(() => provider.destroy())
  return { doc, text: doc.getText('text'), provider, events }
}

function sharedSocket(wsUrl: string): HocuspocusProviderWebsocket {
  const socket = new HocuspocusProviderWebsocket({ url: wsUrl, WebSocketPolyfill: WebSocket })
  scope.onCleanup(() => socket.destroy())
  return socket
}

const waitHocusSynced = (client: HocusClient): Promise<unknown> => waitFor(() => client.provider.synced, 'hocuspocus provider synced')


describe('@hocuspocus/provider on the root URL', () => {
  it('syncs both ways with a stock y-websocket client, and relays stateless messages to the other Hocuspocus clients', async () => {
    const relay = await scope.start()
    const stock = scope.client(relay.wsUrl, 'shared-doc')
    await waitSynced(stock)
    stock.text.insert(0, 'from y-websocket. ')
    const a = hocus(relay.wsUrl, 'shared-doc')
    const b = hocus(relay.wsUrl, 'shared-doc')
    await Promise.all([waitHocusSynced(a), waitHocusSynced(b)])
    await waitFor(() => a.text.toString() === 'from y-websocket. ', 'the Hocuspocus client receives the stored state')
    expect(a.events.authenticated).toEqual(['read-write'])
    a.text.insert(a.text.length, 'from hocuspocus.')
    await waitFor(() => stock.text.toString() === 'from y-websocket. from hocuspocus.', 'the stock client sees the Hocuspocus edit')
    await waitFor(() => b.text.toString() === stock.text.toString(), 'the other Hocuspocus client too')

    a.provider.sendStateless('hello')
    await waitFor(() => b.events.stateless.includes('hello'), 'stateless reaches the other Hocuspocus client')
    expect(a.events.stateless).toEqual([])
    await relay.relay.flushRoom('shared-doc')
    expect(await storedText(relay.relay.storage, 'shared-doc')).toBe('from y-websocket. from hocuspocus.')
  })

  it('is served at the mount point when the relay app is mounted below a prefix', async () => {
    const relay = createRelay({ logger: { info() {}, warn() {}, error() {} } })
    const app = new Hono()
    app.route('/collab', createRelayApp(relay))
    const server = await serveRelay(relay, { port: 0, app })
    scope.onCleanup(() => server.close())
    const base = `${server.url.replace(/^http/, 'ws')}/collab`
    const stock = scope.client(base, 'mounted')
    const client = hocus(base, 'mounted')
    await Promise.all([waitSynced(stock), waitHocusSynced(client)])
    client.text.insert(0, 'under /collab')
    await waitFor(() => stock.text.toString() === 'under /collab', 'the stock client under the mount sees it')
    expect(relay.roomNames()).toEqual(['mounted'])
  })

  it('admits root upgrades like any other: origins and per-address limits', async () => {
    const relay = await scope.start({ allowedOrigins: ['https://app.example.com'], maxConnectionsPerIp: 1 })
    expect(await attemptUpgrade(relay.wsUrl, { origin: 'https://evil.example' })).toMatchObject({ opened: false, status: 403, reason: 'origin not allowed' })
    const first = await expectOpened(relay.wsUrl, { origin: 'https://app.example.com' })
    scope.onCleanup(() => first.terminate())
    expect(await attemptUpgrade(relay.wsUrl, { origin: 'https://app.example.com' })).toMatchObject({ opened: false, status: 429 })
  })

  it('answers a v4 Ping with a Pong', async () => {
    const relay = await scope.start()
    const raw = new RawSocket(new WebSocket(relay.wsUrl))
    await new Promise((resolve) => raw.ws.once('open', resolve))
    raw.send(Uint8Array.of(HocuspocusMessage.PING))
    await waitFor(() => raw.received.some((frame) => frame.length === 1 && frame[0] === HocuspocusMessage.PONG), 'pong')
    raw.ws.terminate()
  })

  it('carries two documents on one socket, and two sessions of one document (v4 sessionAwareness)', async () => {
    const relay = await scope.start()
    const socket = sharedSocket(relay.wsUrl)
    const one = hocus(relay.wsUrl, 'doc-one', { socket })
    const two = hocus(relay.wsUrl, 'doc-two', { socket })
    const stockOne = scope.client(relay.wsUrl, 'doc-one')
    const stockTwo = scope.client(relay.wsUrl, 'doc-two')
    await Promise.all([waitHocusSynced(one), waitHocusSynced(two), waitSynced(stockOne), waitSynced(stockTwo)])
    one.text.insert(0, 'one')
    two.text.insert(0, 'two')
    await waitFor(() => stockOne.text.toString() === 'one', 'doc-one reaches the stock client')
    stockOne.text.insert(0, '1:')
    await waitFor(() => one.text.toString() === '1:one', 'doc-one converges')
    await waitFor(() => stockTwo.text.toString() === 'two', 'doc-two converges')
    expect(relay.relay.stats().connections).toBe(4)

    // Two providers of one document on one socket: v4 names each session in its routing key.
    const sessions = sharedSocket(relay.wsUrl)
    const first = hocus(relay.wsUrl, 'doc-one', { socket: sessions, sessionAwareness: true })
    const second = hocus(relay.wsUrl, 'doc-one', { socket: sessions, sessionAwareness: true })
    await Promise.all([waitHocusSynced(first), waitHocusSynced(second)])
    first.text.insert(first.text.length, '+first')
    await waitFor(() => second.text.toString() === '1:one+first' && stockOne.text.toString() === '1:one+first', 'sessions converge')
    expect(relay.relay.roomNames().sort()).toEqual(['doc-one', 'doc-two'])
  })
})

describe('Hocuspocus tokens', () => {
  it('refuses a document whose token is refused, and serves another on the same socket with its own grant', async () => {
    const relay = await scope.start({ authenticate })
    const socket = sharedSocket(relay.wsUrl)
    const refused = hocus(relay.wsUrl, 'secret', { socket, token: 'refuse' })
    const allowed = hocus(relay.wsUrl, 'open-doc', { socket, token: grantToken({ access: 'write' }) })
    await waitFor(() => refused.events.failed.length > 0, 'the refused provider is told')
    expect(refused.events.failed).toEqual(['not your document'])
    expect(refused.events.authenticated).toEqual([])
    await waitHocusSynced(allowed)
    allowed.text.insert(0, 'fine')
    await waitFor(() => allowed.provider.unsyncedChanges === 0, 'the edit is acknowledged')
    expect(relay.relay.roomNames()).toEqual(['open-doc'])
    expect(relay.relay.counters.refusals.get(403)).toBe(1)
    expect(await storedText(relay.relay.storage, 'open-doc')).toBe('fine')
  })

  it('ends one document when its grant expires, and the socket carries on for the others', async () => {
    const relay = await scope.start({ authenticate })
    const socket = sharedSocket(relay.wsUrl)
    // Long enough to connect, authenticate and sync on a loaded machine before it ends.
    const brief = hocus(relay.wsUrl, 'brief', { socket, token: grantToken({ access: 'write', expiresAt: Date.now() + 1_500 }) })
    const lasting = hocus(relay.wsUrl, 'lasting', { socket, token: grantToken({ access: 'write' }) })
    await Promise.all([waitHocusSynced(brief), waitHocusSynced(lasting)])
    await waitFor(() => brief.events.failed.length > 0, 'the expired document is told', 4000)
    expect(brief.events.failed).toEqual([CloseCode.TOKEN_EXPIRED.reason])
    expect(relay.relay.counters.closes.get(CloseCode.TOKEN_EXPIRED.code)).toBe(1)
    await waitFor(() => relay.relay.stats().connections === 1, 'only the expired document left the relay')
    lasting.text.insert(0, 'still here')
    await waitFor(() => lasting.provider.unsyncedChanges === 0, 'the other document goes on')
    expect(await storedText(relay.relay.storage, 'lasting')).toBe('still here')
  })

  it('tells a read grant it is readonly; its edits reach nobody, and stay unsynced', async () => {
    const relay = await scope.start({ authenticate })
    const writer = scope.client(relay.wsUrl, 'doc', { params: { token: grantToken({ access: 'write' }) } })
    await waitSynced(writer)
    writer.text.insert(0, 'written')
    const traffic = newSyncTraffic()
    const reader = hocus(relay.wsUrl, 'doc', { token: grantToken({ access: 'read' }), traffic })
    await waitFor(() => reader.text.toString() === 'written', 'the reader reads')
    await waitFor(() => syncAcknowledged(traffic), 'the reader is in sync before editing')
    expect(reader.provider.unsyncedChanges).toBe(0)
    expect(reader.events.authenticated).toEqual(['readonly'])
    expect(reader.provider.authorizedScope).toBe('readonly')
    reader.text.insert(0, 'NOT ')
    writer.text.insert(writer.text.length, ' and more')
    await waitFor(() => reader.text.toString() === 'NOT written and more', 'the writer’s later edit still reaches the reader')
    await waitFor(() => allAcknowledged(traffic), 'the reader’s edit answered')
    expect(traffic.statuses).toEqual([true, true, false])
    await relay.relay.flushRoom('doc')
    expect(writer.text.toString()).toBe('written and more')
    expect(await storedText(relay.relay.storage, 'doc')).toBe('written and more')
    // Its edit still counts as unsynced: the refusal took nothing off.
    expect(reader.provider.unsyncedChanges).toBe(1)
  })
})

describe('Hocuspocus unsynced changes', () => {
  it('reach 0 only once storage has committed the client’s updates', async () => {
    const memory = createMemoryStorage()
    const { storage, hold, release } = holdableStorage(memory)
    const relay = await scope.start({ storage })
    const traffic = newSyncTraffic()
    const client = hocus(relay.wsUrl, 'held', { traffic })
    await waitHocusSynced(client)
    await waitFor(() => syncAcknowledged(traffic), 'in sync before editing')
    expect(client.provider.unsyncedChanges).toBe(0)
    hold()
    client.text.insert(0, 'pending')
    client.text.insert(7, ' work')
    expect(client.provider.unsyncedChanges).toBe(2)
    // Long enough for any acknowledgement that did not wait for storage to arrive.
    await new Promise((resolve) => setTimeout(resolve, 300))
    expect(traffic.statuses.length).toBe(2)
    expect(client.provider.unsyncedChanges).toBe(2)
    expect(await storedText(memory, 'held')).toBe('')
    release()
    await waitFor(() => client.provider.unsyncedChanges === 0, 'unsynced changes reach 0 after the commit')
    expect(await storedText(memory, 'held')).toBe('pending work')
  })
})

describe('mixed dialects', () => {
  it('converge under seeded random edits', async () => {
    const seed = testSeed('hocuspocus mixed dialects')
    const random = createRandom(seed)
    const relay = await scope.start()
    const stocks = [scope.client(relay.wsUrl, 'mixed'), scope.client(relay.wsUrl, 'mixed')]
    const socket = sharedSocket(relay.wsUrl)
    const hocuses = [hocus(relay.wsUrl, 'mixed'), hocus(relay.wsUrl, 'mixed', { socket }), hocus(relay.wsUrl, 'other', { socket })]
    await Promise.all([...stocks.map((s) => waitSynced(s)), ...hocuses.map(waitHocusSynced)])
    const texts = [...stocks.map((s) => s.text), hocuses[0]!.text, hocuses[1]!.text]
    for (let i = 0; i < 200; i++) {
      const text = texts[Math.floor(random() * texts.length)]!
      if (text.length > 0 && random() < 0.3) {
        const at = Math.floor(random() * text.length)
        text.delete(at, Math.min(1 + Math.floor(random() * 3), text.length - at))
      } else {
        text.insert(Math.floor(random() * (text.length + 1)), String.fromCharCode(97 + Math.floor(random() * 26)).repeat(1 + Math.floor(random() * 3)))
      }
      if (random() < 0.1) await new Promise((resolve) => setTimeout(resolve, Math.floor(random() * 10)))
    }
    hocuses[2]!.text.insert(0, 'elsewhere')
    await waitFor(() => texts.every((text) => text.toString() === texts[0]!.toString()), `all four converge (seed ${seed})`, 10_000)
    // All three: 'other' too, whose edit is checked in storage below (acknowledged means stored).
    await waitFor(() => hocuses.every((client) => client.provider.unsyncedChanges === 0), 'every Hocuspocus change acknowledged')
    await relay.relay.flushRoom('mixed')
    expect(await storedText(relay.relay.storage, 'mixed'), `seed ${seed}`).toBe(texts[0]!.toString())
    expect(await storedText(relay.relay.storage, 'other')).toBe('elsewhere')
  })

  it('shows presence across dialects, and takes it away when a client leaves', async () => {
    const relay = await scope.start()
    const stock = scope.client(relay.wsUrl, 'presence')
    const client = hocus(relay.wsUrl, 'presence')
    await Promise.all([waitSynced(stock), waitHocusSynced(client)])
    client.provider.setAwarenessField('user', { name: 'Hocus' })
    stock.provider.awareness.setLocalStateField('user', { name: 'Stock' })
    const names = (states: Map<number, Record<string, unknown>>): string[] =>
      [...states.values()].map((state) => (state.user as { name?: string } | undefined)?.name ?? '').sort()
    await waitFor(() => names(stock.provider.awareness.getStates()).join() === 'Hocus,Stock', 'the stock client sees the Hocuspocus user')
    await waitFor(() => names(client.provider.awareness!.getStates()).join() === 'Hocus,Stock', 'the Hocuspocus client sees the stock user')
    client.provider.destroy()
    await waitFor(() => names(stock.provider.awareness.getStates()).join() === 'Stock', 'the Hocuspocus user leaves')
  })
})

describe('abuse in the Hocuspocus framing', () => {
  const rawRoot = (wsUrl: string): Promise<RawSocket> => openRawRoot(wsUrl, scope.onCleanup)
  const frame = hocuspocusFrame
  const auth = (key: string): Uint8Array => authFrame(key)

  it('closes only the abusing socket, with the documented code, while honest clients of both dialects converge', async () => {
    const relay = await scope.start({ maxPayloadBytes: 64 * 1024 })
    const stock: TestClient = scope.client(relay.wsUrl, 'target')
    const honest = hocus(relay.wsUrl, 'target')
    await Promise.all([waitSynced(stock), waitHocusSynced(honest)])

    const attacks: { name: string; frames: (Uint8Array | string)[]; code: number }[] = [
      { name: 'garbage', frames: [Uint8Array.of(0xff, 0xff, 0xff, 0xff, 0xff, 0xff)], code: CloseCode.MALFORMED_MESSAGE.code },
      { name: 'a key longer than the frame', frames: [Uint8Array.of(50, 1, 2)], code: CloseCode.MALFORMED_MESSAGE.code },
      { name: 'unknown type', frames: [auth('target'), frame('target', 42)], code: CloseCode.MALFORMED_MESSAGE.code },
      { name: 'never authenticated', frames: [wrapFrame('target', encodeSyncStep1(Y.encodeStateVector(new Y.Doc())))], code: CloseCode.MALFORMED_MESSAGE.code },
      { name: 'a sync message that does not decode', frames: [auth('target'), frame('target', HocuspocusMessage.SYNC, (e) => encoding.writeVarUint(e, 9))], code: CloseCode.MALFORMED_MESSAGE.code },
      { name: 'a client auth sub-type', frames: [frame('target', HocuspocusMessage.AUTH, (e) => encoding.writeVarUint(e, 2))], code: CloseCode.MALFORMED_MESSAGE.code },
      { name: 'text', frames: ['hello'], code: CloseCode.UNSUPPORTED_DATA.code },
      { name: 'oversized', frames: [auth('target'), frame('target', HocuspocusMessage.STATELESS, (e) => encoding.writeVarString(e, 'x'.repeat(100_000)))], code: CloseCode.MESSAGE_TOO_BIG.code },
    ]
    for (const attack of attacks) {
      const raw = await rawRoot(relay.wsUrl)
      for (const sent of attack.frames) raw.send(sent)
      expect(await raw.waitClosed(), attack.name).toBe(attack.code)
      stock.text.insert(stock.text.length, `${attack.name};`)
      honest.text.insert(0, '>')
    }
    // Too many documents on one socket.
    const greedy = await rawRoot(relay.wsUrl)
    for (let i = 0; i < 100; i++) greedy.send(auth(`doc-${i}`))
    expect(await greedy.waitClosed()).toBe(CloseCode.LIMIT_EXCEEDED.code)

    await waitFor(() => stock.text.toString() === honest.text.toString() && stock.text.length > 0, 'honest clients converge')
    expect(stock.provider.wsconnected).toBe(true)
    expect(honest.provider.isAuthenticated).toBe(true)
    await relay.relay.flushRoom('target')
    expect(await storedText(relay.relay.storage, 'target')).toBe(stock.text.toString())
  })
})
