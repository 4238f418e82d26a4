/**
 * Test harness: a real relay on port 0 and real clients (the stock
 * y-websocket provider, or raw `ws` sockets for protocol abuse).
 */
import { afterEach } from 'vitest'
import * as Y from 'yjs'
import { WebsocketProvider } from 'y-websocket'
import WebSocket from 'ws'
import { createRelay, type Relay, type RelayOptions } from '../../server/relay/relay.ts'
import { serveRelay, type RelayServer, type ServeOptions } from '../../server/http/serve.ts'
import { roomNameToPath } from '../../shared/room-name.ts'

export interface TestRelay {
  relay: Relay
  server: RelayServer
  /** `ws://127.0.0.1:PORT` */
  wsUrl: string
  close(): Promise<void>
}

const quietLogger = { info() {}, warn() {}, error() {} }

export type TestRelayOptions = RelayOptions & ServeOptions

/** Start a relay on a free port. Close it in `afterEach`/`finally` (or start it through `useRelayScope`). */
export async function startRelay(options: TestRelayOptions = {}): Promise<TestRelay> {
  const relay = createRelay({ logger: quietLogger, ...options })
  const server = await serveRelay(relay, { port: 0, ...options })
  return { relay, server, wsUrl: server.url.replace(/^http/, 'ws'), close: () => server.close() }
}

/** A stock `WebsocketProvider` client with its own doc. */
export interface TestClient {
  doc: Y.Doc
  provider: WebsocketProvider
  text: Y.Text
  destroy(): void
}

export interface ClientOptions {
  /** Connect at once (the default) or wait for `provider.connect()`. */
  connect?: boolean
  /** Query parameters the provider appends to the room URL. */
  params?: Record<string, string>
}

export function connectClient(wsUrl: string, room: string, opts: ClientOptions = {}): TestClient {
  const doc = new Y.Doc()
  const provider = new WebsocketProvider(wsUrl, room, doc, {
    WebSocketPolyfill: WebSocket as unknown as typeof globalThis.WebSocket,
    disableBc: true,
    connect: opts.connect ?? true,
    ...(opts.params ? { params: opts.params } : {}),
  })
  return {
    doc,
    provider,
    text: doc.getText('text'),
    destroy() {
      provider.destroy()
      doc.destroy()
    },
  }
}

/**
 * What one test creates through `useRelayScope`; everything still held is
 * torn down after the test.
 */
export interface RelayScope {
  /** The relay most recently started through the scope in this test (throws if there is none). */
  readonly relay: TestRelay
  /** Start a relay on a free port; it becomes `scope.relay`. */
  start(options?: TestRelayOptions): Promise<TestRelay>
  /** A stock client (`connectClient`), destroyed after the test. */
  client(wsUrl: string, room: string, opts?: ClientOptions): TestClient
  /** A raw socket (`openRawSocket`), terminated after the test. */
  raw(wsUrl: string, room: string, params?: Record<string, string>): Promise<RawSocket>
  /**
   * Tear one resource of the scope down now and stop tracking it: a client is
   * destroyed, a raw socket terminated (a no-op once it has closed), a relay
   * closed (await the result).
   */
  release(client: TestClient): void
  release(socket: RawSocket): void
  release(relay: TestRelay): Promise<void>
  /** Extra teardown, run after each test once clients and sockets are gone and before the relays close. */
  onCleanup(cleanup: () => void | Promise<void>): void
}

/**
 * Per-test resources torn down after each test: call at module or describe
 * level. Registers its own `afterEach`, which destroys the clients,
 * terminates the raw sockets, runs the `onCleanup` callbacks and then closes
 * the relays, in that order. The methods are plain functions, so they can be
 * destructured: `const { start, client, raw } = scope`.
 */
export function useRelayScope(): RelayScope {
  const clients = new Set<TestClient>()
  const sockets = new Set<RawSocket>()
  const relays = new Set<TestRelay>()
  const cleanups: (() => void | Promise<void>)[] = []
  let current: TestRelay | null = null

  afterEach(async () => {
    const errors: unknown[] = []
    const attempt = async (step: () => void | Promise<void>): Promise<void> => {
      try {
        await step()
      } catch (error) {
        errors.push(error)
      }
    }
    const [ownClients, ownSockets, ownCleanups, ownRelays] = [[...clients], [...sockets], cleanups.splice(0), [...relays]]
    clients.clear()
    sockets.clear()
    relays.clear()
    current = null
    for (const client of ownClients) await attempt(() => client.destroy())
    for (const socket of ownSockets) await attempt(() => socket.ws.terminate())
    for (const cleanup of ownCleanups) await attempt(cleanup)
    await Promise.all(ownRelays.map((relay) => attempt(() => relay.close())))
    if (errors.length === 1) throw errors[0]
    if (errors.length > 1) throw new AggregateError(errors, 'relay scope teardown failed')
  })

  function release(client: TestClient): void
  function release(socket: RawSocket): void
  function release(relay: TestRelay): Promise<void>
  function release(resource: TestClient | RawSocket | TestRelay): void | Promise<void> {
    if (resource instanceof RawSocket) {
      if (!sockets.delete(resource)) throw new Error('release: this raw socket was not opened through the scope')
      resource.ws.terminate()
    } else if ('provider' in resource) {
      if (!clients.delete(resource)) throw new Error('release: this client was not created through the scope')
      resource.destroy()
    } else {
      if (!relays.delete(resource)) throw new Error('release: this relay was not started through the scope')
      if (current === resource) current = null
      return resource.close()
    }
  }

  return {
    get relay(): TestRelay {
      if (!current) throw new Error('no relay started through this scope in this test')
      return current
    },
    async start(options) {
      const relay = await startRelay(options)
      relays.add(relay)
      current = relay
      return relay
    },
    client(wsUrl, room, opts) {
      const created = connectClient(wsUrl, room, opts)
      clients.add(created)
      return created
    },
    async raw(wsUrl, room, params) {
      const socket = await openRawSocket(wsUrl, room, params)
      sockets.add(socket)
      return socket
    },
    release,
    onCleanup(cleanup) {
      cleanups.push(cleanup)
    },
  }
}

/** Poll `check` until it returns truthy, or fail after `timeoutMs` with `message`. */
export async function waitFor<T>(check: () => T | Promise<T>, message: string, timeoutMs = 5000): Promise<T> {
  const deadline = Date.now() + timeoutMs
  let lastError: unknown
  for (;;) {
    try {
      const value = await check()
      if (value) return value
    } catch (error) {
      lastError = error
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${timeoutMs} ms: ${message}${lastError ? ` (last error: ${String(lastError)})` : ''}`)
    }
    await new Promise((resolve) => setTimeout(resolve, 10))
  }
}

/** Wait until the provider has finished its initial sync. */
export async function waitSynced(client: TestClient, timeoutMs = 5000): Promise<void> {
  await waitFor(() => client.provider.synced, 'provider synced', timeoutMs)
}

/** Open a raw `ws` socket to a room (the name is percent-encoded per segment). */
export async function openRawSocket(wsUrl: string, room: string, params?: Record<string, string>): Promise<RawSocket> {
  const query = params ? `?${new URLSearchParams(params).toString()}` : ''
  const ws = new WebSocket(`${wsUrl}/${roomNameToPath(room)}${query}`)
  const raw = new RawSocket(ws)
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve())
    ws.once('error', reject)
  })
  return raw
}

/** A raw socket that records what it receives and how it was closed. */
export class RawSocket {
  readonly received: Uint8Array[] = []
  closeCode: number | null = null
  closeReason = ''
  readonly closed: Promise<number>

  constructor(readonly ws: WebSocket) {
    ws.on('message', (data: Buffer) => this.received.push(new Uint8Array(data)))
    ws.on('error', () => {})
    this.closed = new Promise((resolve) => {
      ws.on('close', (code, reason) => {
        this.closeCode = code
        this.closeReason = reason.toString()
        resolve(code)
      })
    })
  }

  send(data: Uint8Array | string): void {
    this.ws.send(data)
  }

  /** Wait for the close code, failing after `timeoutMs`. */
  async waitClosed(timeoutMs = 5000): Promise<number> {
    await waitFor(() => this.closeCode !== null, 'socket closed', timeoutMs)
    return this.closeCode as number
  }
}

export { createRandom } from './random.ts'

/** A seed from the environment (`TEST_SEED`) or a fresh one; always printed. */
export function testSeed(label: string): number {
  const fromEnv = process.env.TEST_SEED
  const seed = fromEnv ? Number(fromEnv) : Math.floor(Math.random() * 2 ** 31)
  console.log(`[${label}] seed ${seed} (rerun with TEST_SEED=${seed})`)
  return seed
}
