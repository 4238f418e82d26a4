import { describe, expect, it } from 'vitest'
import * as Y from 'yjs'
import { createMemoryStorage } from '../server/storage/memory.ts'
import type { DocumentStorage } from '../server/storage/types.ts'
import { useRelayScope, waitFor, waitSynced } from './support/harness.ts'

/** The real memory storage, counting compactions. */
function countingStorage(): { storage: DocumentStorage; compactions: () => number } {
  const inner = createMemoryStorage()
  let compactions = 0
  return {
    compactions: () => compactions,
    storage: {
      ...inner,
      compact(name, state, head) {
        compactions++
        return inner.compact(name, state, head)
      },
    },
  }
}

describe('log compaction', () => {
  const { start, client } = useRelayScope()

  it('merges the log by count and by bytes, and a document larger than the byte threshold is not rewritten on every write', async () => {
    const { storage, compactions } = countingStorage()
    const relay = await start({ storage, compactAfterUpdates: 100, compactAfterBytes: 4096 })
    const writer = client(relay.wsUrl, 'doc')
    await waitSynced(writer)

    // One 64 KiB insert: over the byte threshold, so it compacts once.
    writer.text.insert(0, 'x'.repeat(64 * 1024))
    await waitFor(() => compactions() === 1, 'the large write compacts the log')

    // 300 one-character writes: by count that is 3 compactions; by bytes
    // (each a few dozen bytes against a 64 KiB snapshot) none.
    for (let i = 0; i < 300; i++) {
      writer.text.insert(0, 'a')
      // Separate event-loop turns, so the relay sees separate batches.
      await new Promise((resolve) => setImmediate(resolve))
    }
    const storedText = async (): Promise<string> => {
      const replay = new Y.Doc()
      for (const update of (await storage.load('doc')).updates) Y.applyUpdate(replay, update)
      return replay.getText('text').toString()
    }
    // The compacted log holds the whole document.
    await waitFor(async () => (await storedText()) === writer.text.toString(), 'every write is stored')
    expect(compactions()).toBeGreaterThanOrEqual(3)
    expect(compactions()).toBeLessThanOrEqual(4)
    expect((await storage.load('doc')).updates.length).toBeLessThanOrEqual(100)
  })
})
