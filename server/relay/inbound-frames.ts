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

/** Where a connection's frames go (the connection itself). */
export interface FrameSink {
  /** Handle one frame; frames come in the order received. */
  handleFrame(frame: Uint8Array): void
  /** The number of frames waiting has changed. */
  backlogChanged(waiting: number): void
}

/**
 * The queue of a connection with nothing waiting, shared by all of them and
 * never written: an idle connection keeps no array of its own.
 */
const NO_FRAMES = Object.freeze([]) as unknown as (Uint8Array | undefined)[]

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
  private frames: (Uint8Array | undefined)[] = NO_FRAMES
  private head = 0
  private scheduled = false
  private started = false
  private idleWaiters: (() => void)[] | null = null

  /** `sink` handles the frames, and is told the number waiting after every change. */
  constructor(private readonly sink: FrameSink) {}

  /** Frames received and not handled yet. */
  get waiting(): number {
    return this.frames.length - this.head
  }

  push(frame: Uint8Array): void {
    if (this.started && !this.scheduled && this.head === this.frames.length && taskHasTime()) {
      this.sink.handleFrame(frame)
      return
    }
    if (this.frames === NO_FRAMES) this.frames = []
    this.frames.push(frame)
    this.sink.backlogChanged(this.waiting)
    this.schedule()
  }

  /** Start handling (the room is loaded); frames received so far go first. */
  start(): void {
    this.started = true
    this.schedule()
  }

  /** Resolves once every frame received so far is handled (or dropped). */
  idle(): Promise<void> {
    if (this.waiting === 0 || !this.started) return Promise.resolve()
    return new Promise((resolve) => (this.idleWaiters ??= []).push(resolve))
  }

  /** Drop everything and handle nothing more (the connection closed). */
  clear(): void {
    this.frames = NO_FRAMES
    this.head = 0
    this.started = false
    this.wakeIdle()
  }

  private wakeIdle(): void {
    const waiters = this.idleWaiters
    this.idleWaiters = null
    if (waiters) for (const wake of waiters) wake()
  }

  private schedule(): void {
    if (this.scheduled || !this.started || this.waiting === 0) return
    this.scheduled = true
    setImmediate(() => this.drain())
  }

  private drain(): void {
    this.scheduled = false
    const started = performance.now()
    while (this.started && this.head < this.frames.length) {
      const frame = this.frames[this.head]!
      this.frames[this.head++] = undefined
      this.sink.handleFrame(frame)
      if (performance.now() - started >= SLICE_MS) break
    }
    if (this.head === this.frames.length) {
      this.frames = NO_FRAMES
      this.head = 0
    } else if (this.head > 1024 && this.head * 2 > this.frames.length) {
      this.frames = this.frames.slice(this.head)
      this.head = 0
    }
    this.sink.backlogChanged(this.waiting)
    if (this.waiting === 0) this.wakeIdle()
    this.schedule()
  }
}
