import type { WebSocket } from 'ws'

/** One socket under watch: set `alive` whenever anything arrives from it. */
export interface Beat {
  alive: boolean
}

/**
 * Liveness for every socket of a relay app: each `intervalMs`, a socket that
 * sent nothing since the previous ping (no pong, no frame) is terminated,
 * and every other one is pinged again. So a peer has at least one whole
 * interval to answer.
 *
 * One timer and one pong listener for all sockets rather than a timer and
 * closures per connection, which were about 300 bytes of heap per idle
 * connection (docs/performance-log.md).
 */
export class Heartbeat {
  private readonly beats = new Map<WebSocket, Beat>()
  private timer: ReturnType<typeof setInterval> | null = null
  /** Shared by every socket: `ws` calls it with the socket as `this`. */
  private readonly onPong: (this: WebSocket) => void

  constructor(private readonly intervalMs: number) {
    const beats = this.beats
    this.onPong = function (this: WebSocket) {
      const beat = beats.get(this)
      if (beat) beat.alive = true
    }
  }

  /**
   * Watch `ws`; the caller marks the returned beat alive on every frame and
   * calls `forget` when the socket closes. `beat` may be an object the caller
   * keeps for the socket anyway.
   */
  watch(ws: WebSocket, beat: Beat = { alive: true }): Beat {
    this.beats.set(ws, beat)
    ws.on('pong', this.onPong)
    this.timer ??= setInterval(() => this.beat(), this.intervalMs)
    return beat
  }

  forget(ws: WebSocket): void {
    this.beats.delete(ws)
    if (this.beats.size === 0 && this.timer) {
      clearInterval(this.timer)
      this.timer = null
    }
  }

  private beat(): void {
    for (const [ws, beat] of this.beats) {
      // No pong (and no frame) since the last ping: the peer is gone.
      if (!beat.alive) ws.terminate()
      else {
        beat.alive = false
        ws.ping()
      }
    }
  }
}
