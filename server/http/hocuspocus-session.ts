import type { Heartbeat } from './heartbeat.ts'
import type { RawData, WebSocket } from 'ws'
import { CloseCode, type CloseCodeEntry } from '../../shared/close-codes.ts'
import {
  HocuspocusMessage,
  encodeAuthDenied,
  encodeAuthenticated,
  encodeDocumentClosed,
  encodePong,
  encodeStateless,
  encodeSyncStatus,
  readAuthToken,
  readEnvelope,
  readStateless,
  wrapFrame,
  type HocuspocusEnvelope,
} from '../../shared/hocuspocus-protocol.ts'
import { MessageType } from '../../shared/protocol.ts'
import { validateRoomName } from '../../shared/room-name.ts'
import type { ConnectionHandle, Relay } from '../relay/relay.ts'
import type { RelaySocket } from '../relay/relay-socket.ts'
import { TokenBucket } from '../relay/token-bucket.ts'
import type { Authenticate } from './authenticate.ts'

/** Documents one socket may have open (or be authenticating) at once; more closes it with 4413. */
const MAX_DOCUMENTS_PER_SOCKET = 64
/** Frames a document may send while its token is checked (the provider sends two or three); more closes the socket with 4413. */
const MAX_FRAMES_BEFORE_AUTH = 64
/**
 * Frames at the socket level (pings, stateless messages, frames for refused
 * documents), which no document's connection counts: the same budget as one
 * connection's default rate limit.
 */
const SOCKET_MESSAGES_PER_SECOND = 100
const SOCKET_MESSAGE_BURST = 2_000

/**
 * Hocuspocus sockets of one relay app: opens sessions and lets a document's
 * Hocuspocus clients send each other stateless messages. One per
 * `createRelayApp`, no module state.
 */
export interface HocuspocusHub {
  /**
   * Serve an upgraded socket; `request` is the upgrade (its headers and URL
   * go to `authenticate` with each token). `spendUpgrade` counts a document
   * opened on it, after its first, as an upgrade from its address: a
   * y-websocket client would have upgraded for it.
   */
  attach(ws: WebSocket, request: Request, spendUpgrade?: () => boolean): void
}

export function createHocuspocusHub(relay: Relay, authenticate: Authenticate, heartbeat: Heartbeat): HocuspocusHub {
  const byDocument = new Map<string, Set<DocumentChannel>>()
  const hub: ChannelDirectory = {
    add(channel) {
      let set = byDocument.get(channel.documentName)
      if (!set) byDocument.set(channel.documentName, (set = new Set()))
      set.add(channel)
    },
    remove(channel) {
      const set = byDocument.get(channel.documentName)
      if (!set?.delete(channel)) return
      if (set.size === 0) byDocument.delete(channel.documentName)
    },
    others(channel) {
      return [...(byDocument.get(channel.documentName) ?? [])].filter((other) => other !== channel)
    },
  }
  return {
    attach(ws, request, spendUpgrade = () => true) {
      new HocuspocusSession(ws, relay, authenticate, hub, { url: request.url, headers: new Headers(request.headers) }, heartbeat, spendUpgrade)
    },
  }
}

interface ChannelDirectory {
  add(channel: DocumentChannel): void
  remove(channel: DocumentChannel): void
  others(channel: DocumentChannel): DocumentChannel[]
}

/** One document on a Hocuspocus socket, under the routing key the client chose. */
interface DocumentChannel {
  key: string
  documentName: string
  state: 'authenticating' | 'open' | 'refused'
  /** Frames that came while the token was checked, handled once it is granted. */
  queued: HocuspocusEnvelope[]
  handle: ConnectionHandle | null
  socket: ChannelSocket | null
}

/**
 * One `@hocuspocus/provider` socket: many documents, each authenticated by
 * its own Auth message and attached to the relay core as a connection of its
 * own (a `ChannelSocket`), so rooms, limits, presence and storage are the
 * y-websocket path's. A frame that breaks the dialect closes the socket.
 */
class HocuspocusSession {
  private readonly channels = new Map<string, DocumentChannel>()
  private readonly budget = new TokenBucket(SOCKET_MESSAGES_PER_SECOND, SOCKET_MESSAGE_BURST)
  /** Channels that asked the socket to stop reading (see RelaySocket.pause): it reads again when none does. */
  private pausedBy = 0
  /** Whether a document was opened on this socket yet: its upgrade paid for the first. */
  private attachedOnce = false

  constructor(
    private readonly ws: WebSocket,
    private readonly relay: Relay,
    private readonly authenticate: Authenticate,
    private readonly hub: ChannelDirectory,
    private readonly upgrade: { url: string; headers: Headers },
    heartbeat: Heartbeat,
    private readonly spendUpgrade: () => boolean,
  ) {
    const beat = heartbeat.watch(ws)
    const counted = relay.counters.hocuspocus
    counted.sockets++
    ws.on('message', (data, isBinary) => {
      beat.alive = true
      const frame = frameBytes(data)
      counted.framesIn++
      counted.bytesIn += frame.byteLength
      this.receive(frame, isBinary)
    })
    ws.on('close', () => {
      counted.sockets--
      heartbeat.forget(ws)
      for (const channel of this.channels.values()) this.drop(channel)
    })
    ws.on('error', () => {})
  }

  get isOpen(): boolean {
    return this.ws.readyState === this.ws.OPEN
  }

  send(frame: Uint8Array): void {
    if (!this.isOpen) return
    const counted = this.relay.counters.hocuspocus
    counted.framesOut++
    counted.bytesOut += frame.byteLength
    this.ws.send(frame)
  }

  /** Close the whole socket (every document on it) with a documented code. */
  close(entry: CloseCodeEntry | { code: number; reason: string }): void {
    if (this.ws.readyState === this.ws.CLOSED || this.ws.readyState === this.ws.CLOSING) return
    const counters = this.relay.counters.closes
    counters.set(entry.code, (counters.get(entry.code) ?? 0) + 1)
    this.ws.close(entry.code, entry.reason)
  }

  pause(): void {
    if (this.pausedBy++ === 0) this.ws.pause()
  }

  resume(): void {
    if (this.pausedBy > 0 && --this.pausedBy === 0) this.ws.resume()
  }

  get bufferedAmount(): number {
    return this.ws.bufferedAmount
  }

  private receive(frame: Uint8Array, binary: boolean): void {
    if (!binary) return this.close(CloseCode.UNSUPPORTED_DATA)
    // v4's keepalive travels without a routing key, as one byte.
    if (frame.length === 1 && (frame[0] === HocuspocusMessage.PING || frame[0] === HocuspocusMessage.PONG)) {
      if (!this.budget.take(1)) return this.close(CloseCode.RATE_LIMITED)
      if (frame[0] === HocuspocusMessage.PING) this.send(encodePong())
      return
    }
    let envelope: HocuspocusEnvelope
    try {
      envelope = readEnvelope(frame)
    } catch {
      return this.close(CloseCode.MALFORMED_MESSAGE)
    }
    const channel = this.channels.get(envelope.key)
    if (envelope.messageType === HocuspocusMessage.AUTH) return this.receiveAuth(envelope, channel)
    // Every other message belongs to a document whose token came first (or is being checked).
    if (!channel) return this.close(CloseCode.MALFORMED_MESSAGE)
    switch (channel.state) {
      case 'refused':
        // The provider keeps sending for a refused document until it is told to stop; dropped, but counted.
        if (!this.budget.take(1)) this.close(CloseCode.RATE_LIMITED)
        return
      case 'authenticating':
        if (channel.queued.length >= MAX_FRAMES_BEFORE_AUTH) return this.close(CloseCode.LIMIT_EXCEEDED)
        channel.queued.push(envelope)
        return
      case 'open':
        this.deliver(channel, envelope)
    }
  }

  private receiveAuth(envelope: HocuspocusEnvelope, existing: DocumentChannel | undefined): void {
    let token: string
    try {
      token = readAuthToken(envelope.body)
    } catch {
      return this.close(CloseCode.MALFORMED_MESSAGE)
    }
    // Every token counts against the socket's budget, a refused document's too:
    // otherwise tokens for a bad name, refused at once, could be sent without end.
    if (!this.budget.take(1)) return this.close(CloseCode.RATE_LIMITED)
    // A token again for an open or pending document (a reconnect race): the first one stands.
    if (existing && existing.state !== 'refused') return
    if (!existing && this.channels.size >= MAX_DOCUMENTS_PER_SOCKET) return this.close(CloseCode.LIMIT_EXCEEDED)
    // Each document opened is what an upgrade is on the y-websocket path, and
    // counts as one from this address: opening and closing documents on one
    // socket (each open checks a token and may load a room) is held to the
    // address's upgrade rate. The socket's own upgrade paid for its first.
    if (this.attachedOnce && !this.spendUpgrade()) return this.close(CloseCode.RATE_LIMITED)
    this.attachedOnce = true
    const channel: DocumentChannel = { key: envelope.key, documentName: envelope.documentName, state: 'authenticating', queued: [], handle: null, socket: null }
    this.channels.set(channel.key, channel)
    const name = validateRoomName(envelope.documentName)
    if (!name.ok) return this.refuse(channel, `invalid document name (${name.problem})`, 400)
    void Promise.resolve()
      .then(() => this.authenticate(this.requestWithToken(token), name.name))
      .then(
        (auth) => {
          // The socket closed, or the client detached, while the token was checked.
          if (!this.isOpen || this.channels.get(channel.key) !== channel) return
          if (!auth.ok) return this.refuse(channel, auth.reason, auth.status)
          channel.state = 'open'
          channel.socket = new ChannelSocket(this, channel)
          this.hub.add(channel)
          this.send(encodeAuthenticated(channel.key, auth.grant.access === 'write' ? 'read-write' : 'readonly'))
          channel.handle = this.relay.connect(channel.socket, name.name, auth.grant)
          const queued = channel.queued
          channel.queued = []
          for (const frame of queued) if (channel.state === 'open') this.deliver(channel, frame)
        },
        (error: unknown) => {
          this.relay.logger.error('authenticate threw for a Hocuspocus document; refusing it', error)
          if (this.channels.get(channel.key) === channel) this.refuse(channel, 'authentication failed', 500)
        },
      )
  }

  /** Answer a token with a refusal; counted with the status an upgrade would have had (400 for a bad name). */
  private refuse(channel: DocumentChannel, reason: string, status: number): void {
    channel.state = 'refused'
    channel.queued = []
    const refusals = this.relay.counters.refusals
    refusals.set(status, (refusals.get(status) ?? 0) + 1)
    this.send(encodeAuthDenied(channel.key, reason))
  }

  private deliver(channel: DocumentChannel, envelope: HocuspocusEnvelope): void {
    switch (envelope.messageType) {
      case HocuspocusMessage.SYNC:
      case HocuspocusMessage.AWARENESS:
      case HocuspocusMessage.QUERY_AWARENESS:
        // After the key these are y-websocket frames: the core decodes, limits and answers them.
        channel.handle?.receive(envelope.inner, true)
        return
      case HocuspocusMessage.STATELESS: {
        if (!this.budget.take(1)) return this.close(CloseCode.RATE_LIMITED)
        let payload: string
        try {
          payload = readStateless(envelope.body)
        } catch {
          return this.close(CloseCode.MALFORMED_MESSAGE)
        }
        for (const other of this.hub.others(channel)) other.socket?.receiveStateless(payload)
        // And to the document's clients on other instances, when there are any.
        channel.handle?.stateless(payload)
        return
      }
      case HocuspocusMessage.CLOSE:
        // The provider detached this document; the socket goes on for the others.
        if (!this.budget.take(1)) return this.close(CloseCode.RATE_LIMITED)
        this.drop(channel)
        return
      default:
        // Unlike y-websocket's forward-compatible ignore, the dialect is closed: an unknown type is not the provider.
        this.close(CloseCode.MALFORMED_MESSAGE)
    }
  }

  /** Take a document off the socket (its client detached, or the socket closed). */
  drop(channel: DocumentChannel): void {
    if (this.channels.get(channel.key) === channel) this.channels.delete(channel.key)
    this.hub.remove(channel)
    channel.socket?.detach()
    const handle = channel.handle
    channel.handle = null
    channel.state = 'refused'
    handle?.closed()
  }

  /** The upgrade request as `authenticate` expects it, carrying this document's token as a bearer token. */
  private requestWithToken(token: string): Request {
    const headers = new Headers(this.upgrade.headers)
    if (token) headers.set('authorization', `Bearer ${token}`)
    else headers.delete('authorization')
    return new Request(this.upgrade.url, { headers })
  }
}

/**
 * One document of a Hocuspocus socket as the relay core's RelaySocket: frames
 * out get the routing key, a close ends this document only when the reason is
 * the document's (its grant expired, it was deleted) and the socket otherwise.
 */
class ChannelSocket implements RelaySocket {
  private attached = true
  private paused = false
  /** Acknowledgements go out in the order the updates came. */
  private acks: Promise<void> = Promise.resolve()

  constructor(
    private readonly session: HocuspocusSession,
    private readonly channel: DocumentChannel,
  ) {}

  send(frame: Uint8Array): void {
    if (!this.isOpen) return
    // The core's permission-denied for a reader's edit: the provider was told `readonly` at auth,
    // and in this dialect an Auth message from the server would mean something else.
    if (frame[0] === MessageType.AUTH) return
    this.session.send(wrapFrame(this.channel.key, frame))
  }

  receiveStateless(payload: string): void {
    if (this.isOpen) this.session.send(encodeStateless(this.channel.key, payload))
  }

  close(code: number, reason: string): void {
    if (!this.isOpen) return
    if (code === CloseCode.TOKEN_EXPIRED.code || code === CloseCode.DOCUMENT_DELETED.code) {
      if (code === CloseCode.TOKEN_EXPIRED.code) this.session.send(encodeAuthDenied(this.channel.key, reason))
      this.session.send(encodeDocumentClosed(this.channel.key, reason))
      // As a socket's close event would: the core has let go of the connection already.
      this.session.drop(this.channel)
      return
    }
    // Abuse, limits, shutdown, a slow reader: the socket's matter, as on the y-websocket path.
    this.session.close({ code, reason })
  }

  get bufferedAmount(): number {
    return this.session.bufferedAmount
  }

  get isOpen(): boolean {
    return this.attached && this.session.isOpen
  }

  pause(): void {
    if (!this.attached || this.paused) return
    this.paused = true
    this.session.pause()
  }

  resume(): void {
    if (!this.paused) return
    this.paused = false
    this.session.resume()
  }

  updateSettled(outcome: Promise<boolean>): void {
    this.acks = this.acks.then(async () => {
      const applied = await outcome
      if (this.isOpen) this.session.send(encodeSyncStatus(this.channel.key, applied))
    })
  }

  /** The document left the socket: a pause it held must not stop the others. */
  detach(): void {
    this.attached = false
    this.resume()
  }
}

function frameBytes(data: RawData): Uint8Array {
  if (Array.isArray(data)) return Buffer.concat(data)
  if (data instanceof ArrayBuffer) return new Uint8Array(data)
  return data
}
