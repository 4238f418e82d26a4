import { SLICE_MS } from './yielder.ts'

/**
 * When the frames handled as they arrived, in the current task, started
 * (ms), or -1 between tasks. Shared by every connection: `ws` delivers all
 * the frames of one TCP read in one task, and a task is what the budget
 * bounds.
 */
let taskStartedAt = -1

function endTask(): void {
  taskStartedAt = -1
}

/** Whether the current task may still handle a frame as it arrives (under `SLICE_MS` so far). */
function taskHasTime(): boolean {
  const now = performance.now()
  if (taskStartedAt < 0) {
    taskStartedAt = now
    // Microtasks run once the task's synchronous work is done: the next read starts afresh.
    queueMicrotask(endTask)
  }
  return now - taskStartedAt < SLICE_MS
}

/**
 * A connection's received frames, handled in order and in time slices. `ws`
 * hands over every frame of a TCP read at once (thousands of small updates
 * in a 64 KiB read); handling them all there would hold the event loop for
 * as long as that takes, and every other room and request with it. So a
 * frame is handled as it arrives only while nothing of this connection
 * waits and the current task has used less than `SLICE_MS`; the rest wait
 * for later turns of the event loop, at most `SLICE_MS` of frames each, and
 * the backlog is reported so the connection can stop reading while it is
 * long. Handling the usual lone frame at once, rather than a turn later,
 * also lets the room commit it within the same turn of the event loop.
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
    if (this.handler && !this.scheduled && this.head === this.frames.length && taskHasTime()) {
      this.handler(frame)
      return
    }
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
