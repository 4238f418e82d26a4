import { CloseCode, type CloseCodeEntry } from '../../shared/close-codes.ts'
import type { Grant } from './grant.ts'
import { InboundFrames, type FrameSink } from './inbound-frames.ts'
import { messageLabel, type RelayCounters } from './relay-counters.ts'
import type { ConnectionHandle } from './relay.ts'
import type { RelaySocket } from './relay-socket.ts'
import type { Room } from './room.ts'

/** Limits a connection enforces on itself. */
export interface ConnectionLimits {
  /** Send-buffer size above which the connection is on notice. */
  sendBufferHighWaterBytes: number
  /** How long the buffer may stay above the mark before the connection is closed (1013). */
  slowConsumerGraceMs: number
  /** Frames accepted while the room is still loading; more closes the connection (1013). */
  maxQueuedFramesWhileLoading: number
  /** Updates waiting for storage above which the relay stops reading from the connection. */
  maxQueuedUpdates: number
  /** Frames received but not handled yet above which the relay stops reading from the connection. */
  maxWaitingFrames: number
  /** The rate limits (see `RelayLimits`): past a burst, the connection is closed with 4429. */
  messagesPerSecond: number
  messageBurst: number
  bytesPerSecond: number
  byteBurst: number
}

/** The longest timer Node keeps (about 24.8 days); a later expiry is checked again then. */
const MAX_TIMER_MS = 2 ** 31 - 1

/** Told once when a connection closes, from either side (the relay, which takes it out of its room). */
export interface ConnectionOwner {
  connectionClosed(connection: Connection): void
}

/**
 * One client connection: its socket, the awareness client IDs it owns, the
 * rate limits and the slow-consumer watch. The room does the protocol; this
 * class only guards the socket. It is also the transport's handle on the
 * connection (`receive`, `closed`).
 *
 * Thousands of these live at once, mostly idle, so it keeps plain fields
 * and methods rather than closures or helper objects per connection: the
 * owner and the room are references, the two rate buckets are three
 * numbers, the set of client IDs is made when first asked for (a peer's
 * first awareness update, or its leaving) (docs/performance-log.md, "Less
 * kept per connection").
 */
export class Connection implements ConnectionHandle, FrameSink {
  private owned: Set<number> | null = null
  /** Frames received, handled in time slices once the room is loaded (see `InboundFrames`). */
  readonly inbound: InboundFrames = new InboundFrames(this)
  /** The room handling its frames, once loaded and joined. */
  room: Room | null = null
  private closedReason: CloseCodeEntry | 'remote' | null = null
  /**
   * Told once when the connection closes, from either side. The relay uses
   * it to take the connection out of its room at once: when the relay closes
   * a slow reader, the close handshake waits behind the very buffer it could
   * not drain, and the room must not wait with it.
   */
  owner: ConnectionOwner | null = null
  private slowTimer: ReturnType<typeof setTimeout> | null = null
  /** Its updates accepted but not yet committed (see `queueUpdate`). */
  private queuedUpdates = 0
  private waitingFrames = 0
  private paused = false
  /** When the relay last asked this peer to sync again (ms), to ask at most once in a while. */
  resyncAskedAt = 0
  /** Whether this reader has been told (once) that its edits are not accepted. */
  toldReadOnly = false
  private expiryTimer: ReturnType<typeof setTimeout> | null = null
  /** The two token buckets of the rate limits (see `TokenBucket`), refilled together. */
  private messageTokens: number
  private byteTokens: number
  private refilledAt = performance.now()

  constructor(
    readonly socket: RelaySocket,
    readonly roomName: string,
    private readonly limits: ConnectionLimits,
    /** What this connection may do (see `Grant`). */
    readonly grant: Grant,
    private readonly counters: RelayCounters,
  ) {
    this.messageTokens = limits.messageBurst
    this.byteTokens = limits.byteBurst
    if (grant.expiresAt !== undefined) this.watchExpiry(grant.expiresAt)
  }

  /** Awareness client IDs this connection introduced (see `Presence`). */
  get ownedClientIds(): Set<number> {
    return (this.owned ??= new Set())
  }

  /**
   * A frame arrived from the peer. Anything but a binary frame closes it
   * (1003), so does a rate past the limits (4429) or a pile of frames while
   * the room still loads (1013); the rest waits its turn in `inbound`.
   */
  receive(frame: Uint8Array, binary: boolean): void {
    if (this.isClosed) return
    if (!binary) {
      this.close(CloseCode.UNSUPPORTED_DATA)
      return
    }
    if (!this.withinRate(frame)) {
      this.close(CloseCode.RATE_LIMITED)
      return
    }
    if (!this.room && this.inbound.waiting >= this.limits.maxQueuedFramesWhileLoading) {
      this.close(CloseCode.SLOW_CONSUMER)
      return
    }
    this.inbound.push(frame)
  }

  /** `inbound`'s turn for a frame: the room handles it, unless the relay has closed the connection. */
  handleFrame(frame: Uint8Array): void {
    if (!this.closedByRelay) this.room!.handle(this, frame)
  }

  /** `inbound`'s backlog changed. */
  backlogChanged(waiting: number): void {
    this.waitingFrames = waiting
    this.updateReading()
  }

  /**
   * Count a received frame against the rate limits. False once the peer has
   * sent faster than its rate for longer than its burst: the caller closes
   * the connection then (4429).
   */
  private withinRate(frame: Uint8Array): boolean {
    const label = messageLabel(frame)
    const size = frame.byteLength
    this.counters.framesIn[label]++
    this.counters.bytesIn[label] += size
    const { limits } = this
    const now = performance.now()
    const seconds = (now - this.refilledAt) / 1000
    this.refilledAt = now
    this.messageTokens = Math.min(limits.messageBurst, this.messageTokens + seconds * limits.messagesPerSecond)
    this.byteTokens = Math.min(limits.byteBurst, this.byteTokens + seconds * limits.bytesPerSecond)
    if (this.messageTokens < 1 || this.byteTokens < size) return false
    this.messageTokens -= 1
    this.byteTokens -= size
    return true
  }

  /** Close with 4401 when the grant ends, however long that is. */
  private watchExpiry(expiresAt: number): void {
    const left = expiresAt - Date.now()
    if (left <= 0) {
      // Expired already: close after the caller has set everything up (its owner and the like).
      queueMicrotask(() => this.close(CloseCode.TOKEN_EXPIRED))
      return
    }
    this.expiryTimer = setTimeout(() => {
      this.expiryTimer = null
      this.watchExpiry(expiresAt)
    }, Math.min(left, MAX_TIMER_MS))
  }

  /** Whether the connection is closed or closing; nothing is sent or handled then. */
  get isClosed(): boolean {
    return this.closedReason !== null || !this.socket.isOpen
  }

  /**
   * Send a frame. Updates are never dropped on an open connection: when the
   * peer cannot keep up, it is closed instead, and it resyncs on reconnect.
   */
  send(frame: Uint8Array): void {
    if (this.isClosed) return
    this.socket.send(frame)
    const label = messageLabel(frame)
    this.counters.framesOut[label]++
    this.counters.bytesOut[label] += frame.byteLength
    const buffered = this.socket.bufferedAmount
    if (buffered <= this.limits.sendBufferHighWaterBytes) return
    // Far over the mark: memory is at stake, do not wait out the grace period.
    if (buffered > this.limits.sendBufferHighWaterBytes * 4) {
      this.close(CloseCode.SLOW_CONSUMER)
      return
    }
    this.slowTimer ??= setTimeout(() => {
      this.slowTimer = null
      if (this.socket.bufferedAmount > this.limits.sendBufferHighWaterBytes) this.close(CloseCode.SLOW_CONSUMER)
    }, this.limits.slowConsumerGraceMs)
  }

  /** One more of its updates waits for storage; reading pauses past the limit. */
  queueUpdate(): void {
    this.queuedUpdates++
    this.updateReading()
  }

  /** One of its updates is committed (or dropped). */
  updateDone(): void {
    this.queuedUpdates--
    this.updateReading()
  }

  /**
   * Stop reading from the peer while its frames or its updates pile up (the
   * rest waits in its TCP buffer, not in relay memory); read again once both
   * are down to half their limit.
   */
  private updateReading(): void {
    const { maxQueuedUpdates, maxWaitingFrames } = this.limits
    if (!this.paused && (this.queuedUpdates > maxQueuedUpdates || this.waitingFrames > maxWaitingFrames) && this.socket.pause) {
      this.paused = true
      this.socket.pause()
    } else if (this.paused && this.queuedUpdates <= maxQueuedUpdates / 2 && this.waitingFrames <= maxWaitingFrames / 2) {
      this.paused = false
      this.socket.resume?.()
    }
  }

  /** The code the relay closed it with, or null (open, or closed by the peer). */
  get closeCode(): number | null {
    return this.closedReason !== null && this.closedReason !== 'remote' ? this.closedReason.code : null
  }

  /** Whether the relay closed it (its frames not handled yet are dropped then; a peer's own close keeps them). */
  get closedByRelay(): boolean {
    return this.closedReason !== null && this.closedReason !== 'remote'
  }

  /** Close with a documented code. Idempotent. */
  close(entry: CloseCodeEntry): void {
    if (this.closedReason !== null) return
    this.closedReason = entry
    this.counters.closes.set(entry.code, (this.counters.closes.get(entry.code) ?? 0) + 1)
    this.inbound.clear()
    this.clearTimers()
    if (this.socket.isOpen) this.socket.close(entry.code, entry.reason)
    this.tellOwner()
  }

  /** A stateless message from the client: on to the other instances (the transport delivered it to its own). */
  stateless(payload: string): void {
    if (!this.isClosed) this.room?.publishStateless(payload)
  }

  /** The transport reports the socket closed (by either side). */
  closed(): void {
    // Frames it sent before closing are still handled (see the relay's connectionClosed).
    this.closedReason ??= 'remote'
    this.clearTimers()
    this.tellOwner()
  }

  private tellOwner(): void {
    const owner = this.owner
    this.owner = null
    owner?.connectionClosed(this)
  }

  private clearTimers(): void {
    if (this.slowTimer) clearTimeout(this.slowTimer)
    this.slowTimer = null
    if (this.expiryTimer) clearTimeout(this.expiryTimer)
    this.expiryTimer = null
  }
}
