import { encodeAwarenessUpdate, type AwarenessEntry } from '../../shared/awareness-codec.ts'

/**
 * A room's outgoing presence: at most one awareness update per interval.
 * Changes in between are merged, the latest per client winning, so a flood
 * of cursor moves costs the room one frame per interval; the first change
 * after a quiet spell goes out at once.
 */
export class PresenceBatch {
  /** Changes waiting to go out, the latest per client. */
  private readonly waiting = new Map<number, AwarenessEntry>()
  private timer: ReturnType<typeof setTimeout> | null = null
  private sentAt = 0

  constructor(
    private readonly intervalMs: number,
    /** Sends one encoded awareness update (to the room's connections and other instances). */
    private readonly send: (update: Uint8Array) => void,
  ) {}

  add(entries: readonly AwarenessEntry[]): void {
    if (entries.length === 0) return
    for (const entry of entries) this.waiting.set(entry.clientId, entry)
    if (this.timer) return
    const wait = this.sentAt + this.intervalMs - Date.now()
    if (wait <= 0) this.flush()
    else this.timer = setTimeout(() => this.flush(), wait)
  }

  /** Drop what waits (the room is going away). */
  stop(): void {
    if (this.timer) clearTimeout(this.timer)
    this.timer = null
    this.waiting.clear()
  }

  private flush(): void {
    this.timer = null
    if (this.waiting.size === 0) return
    this.sentAt = Date.now()
    const update = encodeAwarenessUpdate([...this.waiting.values()])
    this.waiting.clear()
    this.send(update)
  }
}
