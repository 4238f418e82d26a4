/**
 * `RelaySocket.updateSettled`, the seam that lets a dialect acknowledge each
 * update (Hocuspocus's SyncStatus): true only once storage has committed the
 * update, false for a reader's edit. A fake socket on `relay.connect`, no network.
 */
import { describe, expect, it } from 'vitest'
import * as Y from 'yjs'
import { encodeSyncStep2, encodeUpdate } from '../../shared/protocol.ts'
import { createMemoryStorage } from '../storage/memory.ts'
import type { DocumentStorage } from '../storage/types.ts'
import { createRelay } from './relay.ts'
import type { RelaySocket } from './relay-socket.ts'

const quiet = { info() {}, warn() {}, error() {} }

class FakeSocket implements RelaySocket {
  readonly outcomes: (boolean | 'pending')[] = []
  sent = 0
  isOpen = true
  bufferedAmount = 0
  send(): void {
    this.sent++
  }
  close(): void {
    this.isOpen = false
  }
  updateSettled(outcome: Promise<boolean>): void {
    const index = this.outcomes.push('pending') - 1
    void outcome.then((applied) => (this.outcomes[index] = applied))
  }
}

function edit(text: string): Uint8Array {
  const doc = new Y.Doc()
  doc.getText('text').insert(0, text)
  return Y.encodeStateAsUpdate(doc)
}

const until = async (check: () => boolean): Promise<void> => {
  for (let i = 0; i < 500 && !check(); i++) await new Promise((resolve) => setTimeout(resolve, 2))
  expect(check()).toBe(true)
}

describe('RelaySocket.updateSettled', () => {
  it('settles true only after storage commits, true for nothing new, false for a reader', async () => {
    const memory = createMemoryStorage()
    let release: () => void = () => {}
    let held: Promise<void> | null = new Promise((resolve) => (release = resolve))
    const storage: DocumentStorage = {
      ...memory,
      append: async (name, updates) => {
        if (held) await held
        return memory.append(name, updates)
      },
    }
    const relay = createRelay({ storage, logger: quiet })
    const writer = new FakeSocket()
    const handle = relay.connect(writer, 'doc')
    const update = edit('hello')
    handle.receive(encodeUpdate(update), true)
    await until(() => writer.outcomes.length === 1)
    await new Promise((resolve) => setTimeout(resolve, 50))
    expect(writer.outcomes).toEqual(['pending'])
    held = null
    release()
    await until(() => writer.outcomes[0] === true)

    // Another writer's update waits for storage; this one's repeat adds nothing, and waits for it too.
    held = new Promise((resolve) => (release = resolve))
    const other = new FakeSocket()
    relay.connect(other, 'doc').receive(encodeUpdate(edit('other')), true)
    await until(() => other.outcomes.length === 1)
    handle.receive(encodeSyncStep2(update), true)
    await until(() => writer.outcomes.length === 2)
    await new Promise((resolve) => setTimeout(resolve, 50))
    expect(writer.outcomes).toEqual([true, 'pending'])
    expect(other.outcomes).toEqual(['pending'])
    held = null
    release()
    await until(() => writer.outcomes[1] === true && other.outcomes[0] === true)

    const reader = new FakeSocket()
    relay.connect(reader, 'doc', { access: 'read' }).receive(encodeUpdate(edit('no')), true)
    await until(() => reader.outcomes.length === 1 && reader.outcomes[0] === false)
    await relay.close()
  })
})
