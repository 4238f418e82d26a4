import { describe, expect, it } from 'vitest'
import { InboundFrames } from './inbound-frames.ts'
import { SLICE_MS } from './yielder.ts'

const frame = (n: number): Uint8Array => Uint8Array.of(n)
const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve))

/** Keep the thread busy for `ms` (the handler's cost in these tests). */
function spin(ms: number): void {
  const until = performance.now() + ms
  while (performance.now() < until) {
    // busy
  }
}

/**
 * An InboundFrames whose sink is two callbacks: the backlog's given here,
 * the frames' handler given to `start` (as the relay's room is, once loaded).
 */
function testFrames(onBacklog: (waiting: number) => void) {
  let handler: (frame: Uint8Array) => void = () => {
    throw new Error('a frame was handled before start')
  }
  const inbound = new InboundFrames({ handleFrame: (frame) => handler(frame), backlogChanged: onBacklog })
  const start = inbound.start.bind(inbound)
  return Object.assign(inbound, {
    start(handle: (frame: Uint8Array) => void) {
      handler = handle
      start()
    },
  })
}

describe('InboundFrames', () => {
  it('handles a lone frame as it arrives, without waiting for a turn of the event loop', () => {
    const handled: number[] = []
    const inbound = testFrames(() => {})
    inbound.start((f) => handled.push(f[0]!))
    inbound.push(frame(1))
    expect(handled).toEqual([1])
    expect(inbound.waiting).toBe(0)
  })

  it('keeps frames that arrive before it starts, and handles them first, in order', async () => {
    const handled: number[] = []
    const inbound = testFrames(() => {})
    inbound.push(frame(1))
    inbound.push(frame(2))
    expect(inbound.waiting).toBe(2)
    inbound.start((f) => handled.push(f[0]!))
    // A frame arriving while others wait queues behind them.
    inbound.push(frame(3))
    expect(handled).toEqual([])
    await inbound.idle()
    expect(handled).toEqual([1, 2, 3])
  })

  it('defers what a task receives past its time budget to later turns, in order, and reports the backlog', async () => {
    const handled: number[] = []
    const backlog: number[] = []
    const inbound = testFrames((waiting) => backlog.push(waiting))
    inbound.start((f) => {
      handled.push(f[0]!)
      spin(SLICE_MS / 4)
    })
    // One synchronous burst, as `ws` delivers the frames of one read.
    for (let i = 0; i < 20; i++) inbound.push(frame(i))
    const handledAtOnce = handled.length
    expect(handledAtOnce).toBeGreaterThan(0)
    expect(handledAtOnce).toBeLessThanOrEqual(5)
    expect(inbound.waiting).toBe(20 - handledAtOnce)
    expect(Math.max(...backlog)).toBe(20 - handledAtOnce)
    await nextTurn()
    // A later turn handles at most a slice's worth too.
    expect(handled.length).toBeLessThan(20)
    await inbound.idle()
    expect(handled).toEqual(Array.from({ length: 20 }, (_, i) => i))
    expect(backlog.at(-1)).toBe(0)
  })

  it('gives the next task a fresh budget', async () => {
    const handled: number[] = []
    const inbound = testFrames(() => {})
    const other = testFrames(() => {})
    inbound.start((f) => {
      handled.push(f[0]!)
      spin(SLICE_MS)
    })
    other.start((f) => handled.push(f[0]!))
    inbound.push(frame(1))
    // The budget is the task's, shared by every connection: another connection's frame waits now...
    other.push(frame(2))
    expect(handled).toEqual([1])
    await other.idle()
    // ...and in a later task a frame is handled at once again.
    other.push(frame(3))
    expect(handled).toEqual([1, 2, 3])
  })

  it('drops what waits when cleared', async () => {
    const handled: number[] = []
    const inbound = testFrames(() => {})
    inbound.push(frame(1))
    inbound.clear()
    inbound.start((f) => handled.push(f[0]!))
    await nextTurn()
    expect(handled).toEqual([])
    expect(inbound.waiting).toBe(0)
  })
})
