import type { RawData, WebSocket } from 'ws'
import type { Grant } from '../relay/grant.ts'
import type { ConnectionHandle, Relay } from '../relay/relay.ts'
import type { RelaySocket } from '../relay/relay-socket.ts'
import type { Beat, Heartbeat } from './heartbeat.ts'

/** Where a socket's binding hangs on its `ws` WebSocket, for the shared listeners below. */
const BINDING = Symbol('collab-relay binding')
type BoundWebSocket = WebSocket & { [BINDING]: SocketBinding }

/**
 * Map a `ws` WebSocket onto the relay core: frames in, frames out, close and
 * heartbeat. This file and `relay-app.ts` are all that know about `ws`.
 */
export function attachSocket(ws: WebSocket, relay: Relay, roomName: string, heartbeat: Heartbeat, grant?: Grant): void {
  const binding = new SocketBinding(ws, heartbeat)
  binding.connection = relay.connect(binding, roomName, grant)
  ;(ws as BoundWebSocket)[BINDING] = binding
  heartbeat.watch(ws, binding)
  ws.on('message', onMessage)
  ws.on('close', onClose)
  // `ws` closes the socket itself after an error (bad frame, 1009 for an
  // oversized one); without a listener the error would crash the process.
  ws.on('error', ignoreError)
}

// The listeners are shared by every socket (`ws` calls them with the socket
// as `this`) rather than closures made for each: with thousands of idle
// connections, what each one keeps is what counts.
function onMessage(this: WebSocket, data: RawData, isBinary: boolean): void {
  const binding = (this as BoundWebSocket)[BINDING]
  binding.alive = true
  binding.connection.receive(frameBytes(data), isBinary)
}

function onClose(this: WebSocket): void {
  const binding = (this as BoundWebSocket)[BINDING]
  binding.heartbeat.forget(this)
  binding.connection.closed()
}

function ignoreError(): void {}

/**
 * A `ws` WebSocket as the relay sees it (a RelaySocket), with its heartbeat
 * state and its relay connection: one object per socket. A class rather
 * than an object of closures: its methods live once on the prototype.
 */
class SocketBinding implements RelaySocket, Beat {
  alive = true
  /** Set right after construction (the relay needs this socket first). */
  connection!: ConnectionHandle
  constructor(
    private readonly ws: WebSocket,
    readonly heartbeat: Heartbeat,
  ) {}
  send(frame: Uint8Array): void {
    this.ws.send(frame)
  }
  close(code: number, reason: string): void {
    this.ws.close(code, reason)
  }
  get bufferedAmount(): number {
    return this.ws.bufferedAmount
  }
  get isOpen(): boolean {
    return this.ws.readyState === this.ws.OPEN
  }
  // ws has no public batching; its frames go through the net.Socket, whose
  // cork is counted, so ws's own per-frame cork/uncork nests inside ours.
  cork(): void {
    rawSocketOf(this.ws)?.cork()
  }
  uncork(): void {
    rawSocketOf(this.ws)?.uncork()
  }
  pause(): void {
    this.ws.pause()
  }
  resume(): void {
    this.ws.resume()
  }
}

/** The TCP socket under a `ws` WebSocket (a private field; absent once closed). */
function rawSocketOf(ws: WebSocket): { cork(): void; uncork(): void } | undefined {
  const socket = (ws as unknown as { _socket?: { cork?: unknown; uncork?: unknown } })._socket
  return socket && typeof socket.cork === 'function' && typeof socket.uncork === 'function'
    ? (socket as { cork(): void; uncork(): void })
    : undefined
}

/**
 * The frame as a Uint8Array, without copying. It is usually a view into
 * `ws`'s receive buffer; that is safe to decode because lib0 (>= 0.2.120,
 * pinned in package.json) bounds-checks every read against the view itself,
 * so a lying length fails instead of reading a neighbour's bytes.
 */
function frameBytes(data: RawData): Uint8Array {
  if (Array.isArray(data)) return Buffer.concat(data)
  if (data instanceof ArrayBuffer) return new Uint8Array(data)
  return data
}
