/**
 * One task at a time per document name, in arrival order.
 *
 * Why the API needs it for content replacements (PUT): a replacement is
 * computed against the document as committed, and its update is committed
 * a storage round trip later. Two replacements computed in that gap would
 * both see the old content and both insert theirs (two seeds of a
 * create-only PUT would both see an empty document). Run one after the
 * other, each sees what the one before committed.
 */
export type NameQueue = <T>(name: string, task: () => Promise<T>) => Promise<T>

export function createNameQueue(): NameQueue {
  const tails = new Map<string, Promise<void>>()
  return async (name, task) => {
    const previous = tails.get(name) ?? Promise.resolve()
    let done!: () => void
    const mine = new Promise<void>((resolve) => (done = resolve))
    const tail = previous.then(() => mine)
    tails.set(name, tail)
    try {
      await previous
      return await task()
    } finally {
      done()
      // The last in line cleans up, so idle names hold no memory.
      if (tails.get(name) === tail) tails.delete(name)
    }
  }
}
