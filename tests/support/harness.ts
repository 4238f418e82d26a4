/**
 * Test harness: a real relay on port 0 and real clients (the stock
 * y-websocket provider, or raw `ws` sockets for protocol abuse).
 */
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

/** Start a relay on a free port. Close it in `afterEach`/`finally`. */
export async function startRelay(options: RelayOptions & ServeOptions = {}): Promise<TestRelay> {
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

export function connectClient(wsUrl: string, room: string, opts: { connect?: boolean } = {}): TestClient {
  const doc = new Y.Doc()
  const provider = new WebsocketProvider(wsUrl, room, doc, {
    WebSocketPolyfill: WebSocket as unknown as typeof globalThis.WebSocket,
    disableBc: true,
    connect: opts.connect ?? true,
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
export async function openRawSocket(wsUrl: string, room: string): Promise<RawSocket> {
  const ws = new WebSocket(`${wsUrl}/${roomNameToPath(room)}`)
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

/** A small seeded PRNG (mulberry32) for reproducible randomized tests. */
export function createRandom(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/** A seed from the environment (`TEST_SEED`) or a fresh one; always printed. */
export function testSeed(label: string): number {
  const fromEnv = process.env.TEST_SEED
  const seed = fromEnv ? Number(fromEnv) : Math.floor(Math.random() * 2 ** 31)
  console.log(`[${label}] seed ${seed} (rerun with TEST_SEED=${seed})`)
  return seed
}
