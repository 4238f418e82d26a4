/**
 * A token bucket: `capacity` tokens, refilled at `perSecond`. A burst up to
 * the capacity passes at once; a sustained rate above `perSecond` runs it dry.
 */
export class TokenBucket {
  private tokens: number
  private refilledAt: number

  constructor(
    private readonly perSecond: number,
    private readonly capacity: number,
    now = performance.now(),
  ) {
    this.tokens = capacity
    this.refilledAt = now
  }

  /** Take `count` tokens; false (taking none) when there are not enough. */
  take(count: number, now = performance.now()): boolean {
    this.tokens = Math.min(this.capacity, this.tokens + ((now - this.refilledAt) / 1000) * this.perSecond)
    this.refilledAt = now
    if (this.tokens < count) return false
    this.tokens -= count
    return true
  }
}
