/**
 * The load generator's sockets for bench/relay.ts: raw `ws` clients that
 * speak either the stock y-websocket protocol (our relay,
 * @y/websocket-server, the raw `ws` floor) or Hocuspocus's dialect of it
 * (every frame prefixed with the document name, an auth message first).
 *
 * Raw sockets rather than `WebsocketProvider`s carry the load: a provider
 * applies every update to its own Y.Doc as it arrives, and with 100 readers
 * in this process that client-side work, not the server, would set the
 * pace. Readers keep the update payloads and apply them after the clock
 * stops; `verifyWithProvider` then checks the result with a stock client.
 */
import * as decoding from 'lib0/decoding'
import * as encoding from 'lib0/encoding'
import WebSocket from 'ws'
import { WebsocketProvider } from 'y-websocket'
import * as Y from 'yjs'
import { MessageType, SyncStep, encodeAwareness, encodeSyncStep1, encodeUpdate } from '../shared/protocol.ts'
import { roomNameToPath } from '../shared/room-name.ts'

/** How long any one wait may take before the run fails instead of hanging. */
export const WAIT_TIMEOUT_MS = 120_000

const EMPTY_STATE_VECTOR = Y.encodeStateVector(new Y.Doc())

/** How a client talks to one kind of server. */
export interface Dialect {
  name: 'y-websocket' | 'hocuspocus'
  /** The server keeps the document (so a joiner gets it with sync step 2); false for the raw floor. */
  stateful: boolean
  /** The writer's frame for one update. */
  updateFrame(room: string, update: Uint8Array): Uint8Array
  /** The frame for one awareness (presence) update. */
  awarenessFrame(room: string, awarenessUpdate: Uint8Array): Uint8Array
  /** The document update a received frame carries (a sync update or step 2), else null. */
  readUpdate(frame: Uint8Array): Uint8Array | null
  /** The URL a client of `room` connects to. */
  url(base: string, room: string): string
  /** Frames a client sends once open: its sync step 1 (after Hocuspocus's auth message). */
  hello(room: string): Uint8Array[]
}

/** Reads `varUint(SYNC) varUint(step) varUint8Array(payload)` for step 2 and update; null for anything else. */
function readSyncPayload(decoder: decoding.Decoder): Uint8Array | null {
  if (decoding.readVarUint(decoder) !== MessageType.SYNC) return null
  const step = decoding.readVarUint(decoder)
  if (step !== SyncStep.UPDATE && step !== SyncStep.STEP2) return null
  return decoding.readVarUint8Array(decoder)
}

export const yWebsocketDialect = (stateful: boolean): Dialect => ({
  name: 'y-websocket',
  stateful,
  updateFrame: (_room, update) => encodeUpdate(update),
  awarenessFrame: (_room, awarenessUpdate) => encodeAwareness(awarenessUpdate),
  readUpdate: (frame) => readSyncPayload(decoding.createDecoder(frame)),
  url: (base, room) => `${base}/${roomNameToPath(room)}`,
  hello: () => [encodeSyncStep1(EMPTY_STATE_VECTOR)],
})

/** Hocuspocus: `varString(document) message`, with an auth token message before anything else. */
export const hocuspocusDialect: Dialect = {
  name: 'hocuspocus',
  stateful: true,
  updateFrame: (room, update) => hocuspocusFrame(room, encodeUpdate(update)),
  awarenessFrame: (room, awarenessUpdate) => hocuspocusFrame(room, encodeAwareness(awarenessUpdate)),
  readUpdate(frame) {
    const decoder = decoding.createDecoder(frame)
    decoding.readVarString(decoder)
    return readSyncPayload(decoder)
  },
  // One socket can carry several documents; the name travels in each frame, not the URL.
  url: (base) => base,
  hello(room) {
    const auth = encoding.createEncoder()
    encoding.writeVarUint(auth, MessageType.AUTH)
    encoding.writeVarUint(auth, 0) // AuthMessageType.Token
    encoding.writeVarString(auth, '')
    return [hocuspocusFrame(room, encoding.toUint8Array(auth)), hocuspocusFrame(room, encodeSyncStep1(EMPTY_STATE_VECTOR))]
  },
}

function hocuspocusFrame(room: string, message: Uint8Array): Uint8Array {
  const encoder = encoding.createEncoder()
  encoding.writeVarString(encoder, room)
  encoding.writeUint8Array(encoder, message)
  return encoding.toUint8Array(encoder)
}

export async function withTimeout<T>(promise: Promise<T>, what: string, ms = WAIT_TIMEOUT_MS): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} took over ${ms} ms`)), ms)
  })
  try {
    return await Promise.race([promise, timeout])
  } finally {
    clearTimeout(timer)
  }
}

/** A joined client. `onUpdate` sees every document update after the join, with its arrival time. */
export interface Client {
  ws: WebSocket
  /** The server's sync step 2 answering our step 1 (null on the stateless floor). */
  initial: Uint8Array | null
  onUpdate: ((update: Uint8Array, at: number) => void) | null
  /** Every other frame after the join (awareness, Hocuspocus's sync status), undecoded. */
  onOther: ((frame: Uint8Array) => void) | null
}

/**
 * Open a socket and join `room`. Joined means the server has answered our
 * sync step 1 with its step 2, so it has added us to the room; the floor
 * has no answer, and there the open handshake is enough (its server adds the
 * socket before the handshake completes).
 */
export async function join(base: string, room: string, dialect: Dialect): Promise<Client> {
  const ws = new WebSocket(dialect.url(base, room), { perMessageDeflate: false })
  const client: Client = { ws, initial: null, onUpdate: null, onOther: null }
  let joined = !dialect.stateful
  let resolveJoin: () => void = () => {}
  let rejectJoin: (error: Error) => void = () => {}
  const joinedPromise = new Promise<void>((resolve, reject) => {
    resolveJoin = resolve
    rejectJoin = reject
  })
  ws.on('message', (data: Buffer) => {
    const at = performance.now()
    let update: Uint8Array | null
    try {
      update = dialect.readUpdate(data)
    } catch (error) {
      rejectJoin(new Error(`unreadable frame from the server: ${String(error)}`))
      return
    }
    if (!update) {
      if (joined) client.onOther?.(data)
      return
    }
    if (!joined) {
      joined = true
      client.initial = update
      resolveJoin()
      return
    }
    client.onUpdate?.(update, at)
  })
  ws.once('error', (error) => rejectJoin(error))
  ws.once('close', (code) => rejectJoin(new Error(`closed with ${code} before joining "${room}"`)))
  ws.once('open', () => {
    for (const frame of dialect.hello(room)) ws.send(frame)
    if (!dialect.stateful) resolveJoin()
  })
  await withTimeout(joinedPromise, `joining "${room}"`)
  return client
}

/** Join `count` clients, `atOnce` at a time (a hundred handshakes at once only measure the accept queue). */
export async function joinMany(base: string, room: string, dialect: Dialect, count: number, atOnce = 10): Promise<Client[]> {
  const clients: Client[] = []
  for (let i = 0; i < count; i += atOnce) {
    const batch = Math.min(atOnce, count - i)
    clients.push(...(await Promise.all(Array.from({ length: batch }, () => join(base, room, dialect)))))
  }
  return clients
}

export function closeAll(clients: Client[]): void {
  for (const client of clients) client.ws.terminate()
}

/** The text a reader ends with: its join state plus every update it received, in order. */
export function readerText(initial: Uint8Array | null, updates: readonly Uint8Array[]): string {
  const doc = new Y.Doc()
  Y.transact(doc, () => {
    if (initial) Y.applyUpdate(doc, initial)
    for (const update of updates) Y.applyUpdate(doc, update)
  })
  const text = doc.getText('text').toString()
  doc.destroy()
  return text
}

/** Fail loudly unless every reader ended with `expected`. */
export function checkReaders(what: string, texts: string[], expected: string): void {
  const wrong = texts.map((text, i) => ({ text, i })).filter(({ text }) => text !== expected)
  if (wrong.length === 0) return
  const first = wrong[0]
  throw new Error(
    `${what}: ${wrong.length} of ${texts.length} readers differ from the writer ` +
      `(reader ${first.i}: ${first.text.length} characters, expected ${expected.length})`,
  )
}

/**
 * A late joiner's check that the server kept the document: a raw client
 * that joins must get the writer's text in its sync step 2, and (for the
 * y-websocket servers) so must a stock `WebsocketProvider`.
 */
export async function verifyLateJoiners(base: string, room: string, dialect: Dialect, expected: string): Promise<void> {
  if (!dialect.stateful) return
  const raw = await join(base, room, dialect)
  try {
    checkReaders(`late raw joiner of "${room}"`, [readerText(raw.initial, [])], expected)
  } finally {
    closeAll([raw])
  }
  if (dialect.name === 'y-websocket') await verifyWithProvider(base, room, expected)
}

async function verifyWithProvider(base: string, room: string, expected: string): Promise<void> {
  const doc = new Y.Doc()
  const provider = new WebsocketProvider(base, room, doc, {
    WebSocketPolyfill: WebSocket as unknown as typeof globalThis.WebSocket,
    disableBc: true,
  })
  try {
    await withTimeout(
      new Promise<void>((resolve) => {
        const check = (): void => {
          if (provider.synced && doc.getText('text').toString() === expected) resolve()
        }
        provider.on('sync', check)
        doc.on('update', check)
        check()
      }),
      `a stock WebsocketProvider syncing "${room}"`,
      10_000,
    )
  } finally {
    provider.destroy()
    doc.destroy()
  }
}
