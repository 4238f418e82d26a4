import { CloseCode, type CloseCodeEntry } from '../../shared/close-codes.ts'
import type { Grant } from './grant.ts'
import { InboundFrames } from './inbound-frames.ts'
import { messageLabel, type RelayCounters } from './relay-counters.ts'
import { TokenBucket } from './token-bucket.ts'
import type { RelaySocket } from './relay-socket.ts'

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

/**
 * One client connection: its socket, the awareness client IDs it owns, and
 * the slow-consumer watch. The room does the protocol; this class only
 * guards the socket.
 */
export class Connection {
  /** Awareness client IDs this connection introduced (see `Presence`). */
  readonly ownedClientIds = new Set<number>()
  /** Frames received, handled in time slices once the room is loaded (see `InboundFrames`). */
  readonly inbound = new InboundFrames((waiting) => {
    this.waitingFrames = waiting
    this.updateReading()
  })
  private closedReason: CloseCodeEntry | 'remote' | null = null
  /**
   * Run once when the connection closes, from either side. The relay uses it
   * to take the connection out of its room at once: when the relay closes a
   * slow reader, the close handshake waits behind the very buffer it could
   * not drain, and the room must not wait with it.
   */
  onClosed: (() => void) | null = null
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
  private readonly messages: TokenBucket
  private readonly bytes: TokenBucket

  constructor(
    readonly socket: RelaySocket,
    readonly roomName: string,
    private readonly limits: ConnectionLimits,
    /** What this connection may do (see `Grant`). */
    readonly grant: Grant,
    private readonly counters: RelayCounters,
  ) {
    this.messages = new TokenBucket(limits.messagesPerSecond, limits.messageBurst)
    this.bytes = new TokenBucket(limits.bytesPerSecond, limits.byteBurst)
    if (grant.expiresAt !== undefined) this.watchExpiry(grant.expiresAt)
  }

  /**
   * Count a received frame against the rate limits. False once the peer has
   * sent faster than its rate for longer than its burst: the caller closes
   * the connection then (4429).
   */
  withinRate(frame: Uint8Array): boolean {
    const label = messageLabel(frame)
    this.counters.framesIn[label]++
    this.counters.bytesIn[label] += frame.byteLength
    return this.messages.take(1) && this.bytes.take(frame.byteLength)
  }

  /** Close with 4401 when the grant ends, however long that is. */
  private watchExpiry(expiresAt: number): void {
    const left = expiresAt - Date.now()
    if (left <= 0) {
      // Expired already: close after the caller has set everything up (onClosed and the like).
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
    this.runOnClosed()
  }

  /** The transport reports the socket closed (by either side). */
  markClosed(): void {
    // Frames it sent before closing are still handled (see the relay's onClosed).
    this.closedReason ??= 'remote'
    this.clearTimers()
    this.runOnClosed()
  }

  private runOnClosed(): void {
    const callback = this.onClosed
    this.onClosed = null
    callback?.()
  }

  private clearTimers(): void {
    if (this.slowTimer) clearTimeout(this.slowTimer)
    this.slowTimer = null
    if (this.expiryTimer) clearTimeout(this.expiryTimer)
    this.expiryTimer = null
  }
}
