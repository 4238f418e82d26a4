import { describe, expect, it } from 'vitest'
import { TokenBucket } from './token-bucket.ts'

describe('TokenBucket', () => {
  it('lets a burst up to the capacity through, then the rate', () => {
    const bucket = new TokenBucket(10, 100, 0)
    for (let i = 0; i < 100; i++) expect(bucket.take(1, 0)).toBe(true)
    expect(bucket.take(1, 0)).toBe(false)
    // 0.5 s later: 5 tokens.
    for (let i = 0; i < 5; i++) expect(bucket.take(1, 500)).toBe(true)
    expect(bucket.take(1, 500)).toBe(false)
  })

  it('never holds more than its capacity, and takes nothing when a request is too big', () => {
    const bucket = new TokenBucket(1_000, 50, 0)
    expect(bucket.take(51, 60_000)).toBe(false)
    expect(bucket.take(50, 60_000)).toBe(true)
    expect(bucket.take(1, 60_000)).toBe(false)
  })
})
