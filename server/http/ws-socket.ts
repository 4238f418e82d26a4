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
  /** No extension negotiated (permessage-deflate is off, see serve.ts): frames may be written straight to the socket. */
  private readonly plainFrames: boolean
  constructor(
    private readonly ws: WebSocket,
    readonly heartbeat: Heartbeat,
  ) {
    this.plainFrames = ws.extensions === ''
  }
  send(frame: Uint8Array): void {
    const socket = this.plainFrames ? rawSocketOf(this.ws) : undefined
    if (socket === undefined || this.ws.readyState !== this.ws.OPEN) {
      this.ws.send(frame)
      return
    }
    // A relayed update goes to every other socket of its room. The first
    // socket gets the header and the payload as `ws` would write them (binary,
    // final, unmasked); from the second on, the frame is built once into one
    // buffer that every further socket's single write shares. Without an
    // extension (permessage-deflate is off, see serve.ts) `ws`'s sender keeps
    // no queue of its own that these writes could overtake.
    const shared = sharedFrameFor(frame)
    if (shared !== null) {
      socket.write(shared)
      return
    }
    socket.cork()
    socket.write(binaryFrameHeader(frame.byteLength))
    socket.write(frame)
    socket.uncork()
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

interface RawSocket {
  cork(): void
  uncork(): void
  write(bytes: Uint8Array): boolean
}

/** The TCP socket under a `ws` WebSocket (a private field; absent once closed). */
function rawSocketOf(ws: WebSocket): RawSocket | undefined {
  const socket = (ws as unknown as { _socket?: Partial<RawSocket> })._socket
  return socket && typeof socket.cork === 'function' && typeof socket.uncork === 'function' && typeof socket.write === 'function'
    ? (socket as RawSocket)
    : undefined
}

/** Frames up to this size sent to a second socket are framed once into one buffer that every further write shares. */
const SHARED_FRAME_MAX_BYTES = 16 * 1024

/**
 * The last payload sent, and its whole frame once a second socket gets it: a
 * fan-out sends the same payload to socket after socket in one synchronous
 * loop. Forgotten at the end of the task, so nothing is kept and a payload
 * changed in place later is framed anew.
 */
let lastPayload: Uint8Array | null = null
let lastFrame: Buffer | null = null
const forgetLastFrame = (): void => {
  lastPayload = null
  lastFrame = null
}

/** The frame to write for `payload` in one piece, or null to write header and payload as they are. */
function sharedFrameFor(payload: Uint8Array): Buffer | null {
  if (payload !== lastPayload) {
    if (lastPayload === null) queueMicrotask(forgetLastFrame)
    lastPayload = payload
    lastFrame = null
    return null
  }
  if (lastFrame === null && payload.byteLength <= SHARED_FRAME_MAX_BYTES) {
    lastFrame = Buffer.concat([binaryFrameHeader(payload.byteLength), payload])
  }
  return lastFrame
}

/** RFC 6455 §5.2: FIN + binary opcode, no mask, and the payload length in 7, 7+16 or 7+64 bits. */
export function binaryFrameHeader(length: number): Buffer {
  if (length < 126) return Buffer.from([0x82, length])
  if (length < 0x10000) return Buffer.from([0x82, 126, length >>> 8, length & 0xff])
  const header = Buffer.alloc(10)
  header[0] = 0x82
  header[1] = 127
  header.writeUIntBE(length, 4, 6)
  return header
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
