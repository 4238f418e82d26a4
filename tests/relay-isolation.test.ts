/**
 * No module-level state: two relays in one process share nothing, not even
 * a room of the same name.
 */
import { describe, expect, it } from 'vitest'
import { useRelayScope, waitFor, waitSynced } from './support/harness.ts'

describe('two relays in one process', () => {
  const scope = useRelayScope()

  it('keep separate rooms, stats and storage for the same document name', async () => {
    const first = await scope.start()
    const second = await scope.start()
    const a = scope.client(first.wsUrl, 'same name')
    const b = scope.client(second.wsUrl, 'same name')
    await Promise.all([waitSynced(a), waitSynced(b)])

    a.text.insert(0, 'only on the first')
    b.text.insert(0, 'only on the second')
    await waitFor(async () => (await first.relay.storage.load('same name')).updates.length === 1, 'the first relay stored its edit')
    await waitFor(async () => (await second.relay.storage.load('same name')).updates.length === 1, 'the second relay stored its edit')

    // A late joiner on each relay sees that relay's text alone.
    const lateA = scope.client(first.wsUrl, 'same name')
    const lateB = scope.client(second.wsUrl, 'same name')
    await Promise.all([waitSynced(lateA), waitSynced(lateB)])
    expect(lateA.text.toString()).toBe('only on the first')
    expect(lateB.text.toString()).toBe('only on the second')
    expect(first.relay.stats().connections).toBe(2)
    expect(second.relay.stats().connections).toBe(2)

    // Closing one leaves the other serving.
    await scope.release(first)
    b.text.insert(0, '+')
    await waitFor(() => lateB.text.toString() === '+only on the second', 'the second relay still relays')
  })
})
