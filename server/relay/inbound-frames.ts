import { SLICE_MS } from './yielder.ts'

/**
 * A connection's received frames, handled in time slices rather than as they
 * arrive. `ws` hands over every frame of a TCP read at once (thousands of
 * small updates in a 64 KiB read); handling them all there would hold the
 * event loop for as long as that takes, and every other room and request
 * with it. Here at most `SLICE_MS` of frames are handled per turn of the
 * event loop, in order, and the backlog is reported so the connection can
 * stop reading while it is long.
 */
export class InboundFrames {
  private frames: (Uint8Array | undefined)[] = []
  private head = 0
  private scheduled = false
  private handler: ((frame: Uint8Array) => void) | null = null
  private idleWaiters: (() => void)[] = []

  /** `onBacklog` is told the number of frames waiting after every change. */
  constructor(private readonly onBacklog: (waiting: number) => void) {}

  /** Frames received and not handled yet. */
  get waiting(): number {
    return this.frames.length - this.head
  }

  push(frame: Uint8Array): void {
    this.frames.push(frame)
    this.onBacklog(this.waiting)
    this.schedule()
  }

  /** Start handling (the room is loaded); frames received so far go first. */
  start(handler: (frame: Uint8Array) => void): void {
    this.handler = handler
    this.schedule()
  }

  /** Resolves once every frame received so far is handled (or dropped). */
  idle(): Promise<void> {
    if (this.waiting === 0 || !this.handler) return Promise.resolve()
    return new Promise((resolve) => this.idleWaiters.push(resolve))
  }

  /** Drop everything (the connection closed). */
  clear(): void {
    this.frames = []
    this.head = 0
    this.handler = null
    this.wakeIdle()
  }

  private wakeIdle(): void {
    const waiters = this.idleWaiters
    this.idleWaiters = []
    for (const wake of waiters) wake()
  }

  private schedule(): void {
    if (this.scheduled || !this.handler || this.waiting === 0) return
    this.scheduled = true
    setImmediate(() => this.drain())
  }

  private drain(): void {
    this.scheduled = false
    const started = performance.now()
    while (this.handler && this.head < this.frames.length) {
      const frame = this.frames[this.head]!
      this.frames[this.head++] = undefined
      this.handler(frame)
      if (performance.now() - started >= SLICE_MS) break
    }
    if (this.head === this.frames.length) {
      this.frames = []
      this.head = 0
    } else if (this.head > 1024 && this.head * 2 > this.frames.length) {
      this.frames = this.frames.slice(this.head)
      this.head = 0
    }
    this.onBacklog(this.waiting)
    if (this.waiting === 0) this.wakeIdle()
    this.schedule()
  }
}
