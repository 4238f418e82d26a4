import { describe, expect, it } from 'vitest'
import * as Y from 'yjs'
import { createMemoryStorage } from '../storage/memory.ts'
import type { DocumentStorage } from '../storage/types.ts'
import { HookRunner } from './hooks.ts'
import { DocumentWriter, type PendingWrite, type WriterContext } from './room-writes.ts'

const quiet = { info() {}, warn() {}, error() {} }

/** One update typing `text` at the end of a document built from `source`. */
function typed(source: Y.Doc, text: string): Uint8Array {
  const before = Y.encodeStateVector(source)
  source.getText('text').insert(source.getText('text').length, text)
  return Y.encodeStateAsUpdate(source, before)
}

/**
 * The memory storage, its appends held on demand until released or failed:
 * the timing of a slow disk, controlled by the test.
 */
function gatedStorage() {
  const inner = createMemoryStorage()
  const held: { release(): void; fail(error: Error): void }[] = []
  let hold = false
  const storage: DocumentStorage = {
    ...inner,
    load: (name) => inner.load(name),
    compact: (...args) => inner.compact(...args),
    async append(name, updates) {
      if (hold) await new Promise<void>((resolve, reject) => held.push({ release: resolve, fail: reject }))
      return inner.append(name, updates)
    },
  }
  return {
    storage,
    held,
    hold(on: boolean) {
      hold = on
    },
  }
}

/** Pending writes that type their origin into `source`, one update each. */
function writesTo(source: Y.Doc): (origin: string) => PendingWrite<string> {
  return (origin) => {
    const update = typed(source, origin)
    return { update, frame: update, origin }
  }
}

async function until(check: () => boolean): Promise<void> {
  for (let i = 0; i < 1000 && !check(); i++) await new Promise((resolve) => setImmediate(resolve))
  expect(check()).toBe(true)
}

function writerFor(storage: DocumentStorage, options: { compactAfterUpdates?: number; slowCommit?: boolean; deleted?: () => boolean } = {}) {
  const doc = new Y.Doc()
  const commits: string[][] = []
  /** Documents relayed while storage did not hold them (see slowCommit). */
  const losses: string[] = []
  const context: WriterContext<string> = {
    storage,
    logger: quiet,
    hooks: new HookRunner(quiet),
    compactAfterUpdates: options.compactAfterUpdates ?? 1000,
    compactAfterBytes: 1 << 30,
    writeRetryMs: 1,
    name: 'doc',
    maxBatch: 1000,
    async commit(batch) {
      const origins = batch.map((write) => write.origin)
      // A large batch is applied in slices, over several turns: the next write may finish meanwhile.
      if (options.slowCommit) await new Promise((resolve) => setImmediate(resolve))
      for (const write of batch) Y.applyUpdate(doc, write.update)
      commits.push(origins)
      if (options.slowCommit) {
        // Whatever has been relayed must be in storage, at every moment (a crash could come now).
        const reopened = new Y.Doc()
        for (const update of (await storage.load('doc')).updates) Y.applyUpdate(reopened, update)
        const relayed = doc.getText('text').toString()
        if (!reopened.getText('text').toString().startsWith(relayed)) losses.push(relayed)
      }
    },
    discard(write, error) {
      discarded.push(`${write.origin}: ${error?.message ?? 'condition'}`)
    },
    deleted: options.deleted ?? (() => false),
  }
  const discarded: string[] = []
  const writer = new DocumentWriter(context, doc, { head: 0, count: 0, bytes: 0 })
  return { writer, doc, commits, losses, discarded }
}

/** Store a while holding storage; b and c arrive meanwhile (the next batch); then a's write completes. */
async function storeAThenBC(gate: ReturnType<typeof gatedStorage>, writer: DocumentWriter<string>, write: (origin: string) => PendingWrite<string>): Promise<void> {
  gate.hold(true)
  writer.enqueue(write('a'))
  await until(() => gate.held.length === 1)
  writer.enqueue(write('b'))
  writer.enqueue(write('c'))
  gate.held.shift()!.release()
}

describe('DocumentWriter', () => {
  it('retries a failed write before relaying anything that came after it', async () => {
    const gate = gatedStorage()
    const source = new Y.Doc()
    const { writer, commits, doc } = writerFor(gate.storage)
    const write = writesTo(source)

    gate.hold(true)
    writer.enqueue(write('a'))
    await until(() => gate.held.length === 1)
    writer.enqueue(write('b'))
    gate.held.shift()!.release()
    // b is being stored; it fails, and c arrives meanwhile.
    await until(() => gate.held.length === 1)
    writer.enqueue(write('c'))
    gate.held.shift()!.fail(new Error('disk full'))
    await until(() => gate.held.length === 1)
    expect(commits).toEqual([['a']])
    expect(writer.writeError?.message).toBe('disk full')
    gate.hold(false)
    gate.held.shift()!.release()
    await writer.flush()
    // b went first again, with c behind it (in the same transaction or after it).
    expect(commits.flat()).toEqual(['a', 'b', 'c'])
    expect(writer.writeError).toBeNull()
    expect(doc.getText('text').toString()).toBe('abc')
  })

  it('writes and compacts nothing once the document is deleted: what was waiting is dropped, not stored', async () => {
    const gate = gatedStorage()
    const source = new Y.Doc()
    let deleted = false
    const { writer, commits, discarded } = writerFor(gate.storage, { compactAfterUpdates: 1, deleted: () => deleted })
    const write = writesTo(source)
    gate.hold(true)
    writer.enqueue(write('a'))
    await until(() => gate.held.length === 1)
    writer.enqueue(write('b'))
    writer.enqueue(write('c'))
    // Deleted (here, or another instance said so) while a is being stored and b, c wait.
    deleted = true
    gate.held.shift()!.release()
    await writer.flush()
    expect(commits).toEqual([['a']])
    expect(discarded).toEqual(['b: the document was deleted', 'c: the document was deleted'])
    // a's compaction (due after every update) did not run either: the log is a alone.
    expect((await gate.storage.load('doc')).updates).toHaveLength(1)
    expect(gate.held).toHaveLength(0)
  })

  it('relays nothing storage does not hold, at any moment, compactions included', async () => {
    const gate = gatedStorage()
    const source = new Y.Doc()
    const { writer, losses, doc } = writerFor(gate.storage, { compactAfterUpdates: 3, slowCommit: true })
    const write = writesTo(source)
    await storeAThenBC(gate, writer, write)
    // b and c are being stored; d arrives meanwhile.
    await until(() => gate.held.length === 1)
    writer.enqueue(write('d'))
    // Storing b and c makes a compaction due: its snapshot must be exactly the stored log, however fast storage is.
    gate.hold(false)
    gate.held.shift()!.release()
    await writer.flush()
    expect(losses).toEqual([])
    expect(doc.getText('text').toString()).toBe('abcd')
    const reopened = new Y.Doc()
    const stored = await gate.storage.load('doc')
    for (const update of stored.updates) Y.applyUpdate(reopened, update)
    expect(reopened.getText('text').toString()).toBe('abcd')
  })

  it('compacts only when the document holds exactly the stored log', async () => {
    const gate = gatedStorage()
    const source = new Y.Doc()
    const { writer, doc, losses } = writerFor(gate.storage, { compactAfterUpdates: 3, slowCommit: true })
    const write = writesTo(source)
    for (let i = 0; i < 40; i++) {
      writer.enqueue(write(String(i % 10)))
      // Some turns pass between arrivals, so batches of different sizes overlap their relaying.
      if (i % 3 === 0) await new Promise((resolve) => setImmediate(resolve))
    }
    await writer.flush()
    expect(losses).toEqual([])
    const stored = await gate.storage.load('doc')
    expect(stored.updates.length).toBeLessThan(40)
    const reopened = new Y.Doc()
    for (const update of stored.updates) Y.applyUpdate(reopened, update)
    expect(reopened.getText('text').toString()).toBe(source.getText('text').toString())
    expect(doc.getText('text').toString()).toBe(source.getText('text').toString())
  })
})
