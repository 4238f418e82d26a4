/** How long work may hold the event loop before it lets other rooms run, in ms. */
export const SLICE_MS = 10

/** Lets long work pause between slices: `maybeYield()` returns to the event loop once `sliceMs` have passed. */
export interface Yielder {
  /** True once the current slice has used its time. */
  readonly due: boolean
  /** Yield (a macrotask, so I/O runs) if the slice is used up; start a new slice. */
  maybeYield(): Promise<void>
}

export function createYielder(sliceMs = SLICE_MS): Yielder {
  let sliceStart = performance.now()
  return {
    get due() {
      return performance.now() - sliceStart >= sliceMs
    },
    async maybeYield() {
      if (performance.now() - sliceStart < sliceMs) return
      await new Promise<void>((resolve) => setImmediate(resolve))
      sliceStart = performance.now()
    },
  }
}
