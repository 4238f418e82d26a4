/**
 * Rooms with nobody in them are unloaded after `roomIdleMs` and reloaded from
 * storage on the next join; nothing of the relay outlives `close()`.
 */
import { describe, expect, it } from 'vitest'
import { CloseCode } from '../shared/close-codes.ts'
import { createMemoryStorage } from '../server/storage/memory.ts'
import type { DocumentStorage } from '../server/storage/types.ts'
import { useRelayScope, waitFor, waitSynced, type TestRelay } from './support/harness.ts'

const { start, client, raw, release } = useRelayScope()

/** Real memory storage that counts loads per room and can hold loads back until released. */
interface InstrumentedStorage {
  storage: DocumentStorage
  /** Loads started, per room. */
  loads: Map<string, number>
  /** Loads finished, per room. */
  loaded: Map<string, number>
  /** Hold every load until the returned function is called. */
  hold(): () => void
}

function instrumentedStorage(): InstrumentedStorage {
  const inner = createMemoryStorage()
  const loads = new Map<string, number>()
  const loaded = new Map<string, number>()
  let gate: Promise<void> | null = null
  return {
    loads,
    loaded,
    hold() {
      let release!: () => void
      gate = new Promise<void>((resolve) => (release = resolve))
      return () => {
        gate = null
        release()
      }
    },
    storage: {
      ...inner,
      async load(name) {
        loads.set(name, (loads.get(name) ?? 0) + 1)
        if (gate) await gate
        const stored = await inner.load(name)
        loaded.set(name, (loaded.get(name) ?? 0) + 1)
        return stored
      },
    },
  }
}

async function editTogether(relay: TestRelay, room: string): Promise<string> {
  const a = client(relay.wsUrl, room)
  const b = client(relay.wsUrl, room)
  await Promise.all([waitSynced(a), waitSynced(b)])
  a.text.insert(0, 'first line from a\n')
  b.text.insert(0, 'first line from b\n')
  // The relay forwards an update only once storage has it, so convergence means both are stored.
  await waitFor(() => a.text.length === 36 && a.text.toString() === b.text.toString(), 'a and b to converge')
  const text = a.text.toString()
  release(a)
  release(b)
  return text
}

// First in the file on purpose: the baseline must not include timers that
// earlier tests' clients leave to expire (reconnect back-offs and the like),
// or a leak could hide behind them running out.
describe('relay close', () => {
  const count = (type: string): number => process.getActiveResourcesInfo().filter((t) => t === type).length
  const TRACKED = ['Timeout', 'TCPServerWrap', 'TCPSocketWrap'] as const

  it('leaves no timers, servers or sockets behind', async () => {
    const baseline = Object.fromEntries(TRACKED.map((type) => [type, count(type)]))

    // A long idle period so rooms are still counting down when the relay closes.
    const relay = await start({ roomIdleMs: 60_000 })
    await editTogether(relay, 'idle-at-close')
    await waitFor(() => relay.relay.stats().connections === 0, 'the clients to leave')
    const held = await raw(relay.wsUrl, 'open-at-close')
    await waitFor(() => relay.relay.roomNames().length === 2, 'both rooms loaded')
    // The measurement can see the relay's own timers (idle countdown, heartbeat, HTTP checks).
    expect(count('Timeout')).toBeGreaterThan(baseline.Timeout)

    await release(relay)
    expect(held.closeCode).toBe(CloseCode.GOING_AWAY.code)
    expect(relay.relay.stats()).toEqual({ rooms: 0, connections: 0, roomsFailingWrites: 0 })

    for (const type of TRACKED) {
      await waitFor(() => count(type) <= baseline[type], `${type} handles back to the baseline of ${baseline[type]}`)
    }
  })
})

describe('room unloading', () => {
  it('unloads a room once everyone has left, and reloads its whole text from storage', async () => {
    const relay = await start({ roomIdleMs: 100 })
    const text = await editTogether(relay, 'notes')

    await waitFor(() => relay.relay.stats().rooms === 0, 'the idle room to unload')
    expect(relay.relay.roomNames()).toEqual([])
    expect(relay.relay.stats().connections).toBe(0)
    expect(await relay.relay.storage.list()).toContain('notes')

    const late = client(relay.wsUrl, 'notes')
    await waitSynced(late)
    await waitFor(() => late.text.toString() === text, 'the late joiner to receive the whole text')
    expect(relay.relay.roomNames()).toEqual(['notes'])
  })

  it('keeps a room loaded when someone joins during the idle period', async () => {
    const { storage, loads } = instrumentedStorage()
    // Long enough that the join below lands inside the idle period even on a busy machine.
    const relay = await start({ roomIdleMs: 1_000, storage })
    const text = await editTogether(relay, 'busy')
    await waitFor(() => relay.relay.stats().connections === 0, 'the relay to see both clients leave')

    const returning = client(relay.wsUrl, 'busy')
    await waitSynced(returning)
    expect(returning.text.toString()).toBe(text)

    // Timers of equal length fire in the order they were set: once this probe
    // room (emptied after the join) has unloaded, the idle timer started when
    // 'busy' emptied has had its turn too.
    const probe = await raw(relay.wsUrl, 'probe')
    await waitFor(() => relay.relay.roomNames().includes('probe'), 'the probe room to load')
    probe.ws.close()
    await waitFor(() => !relay.relay.roomNames().includes('probe'), 'the probe room to unload', 5_000)

    expect(relay.relay.roomNames()).toEqual(['busy'])
    expect(loads.get('busy'), 'the room was never reloaded').toBe(1)
    expect(returning.text.toString()).toBe(text)

    // The cancelled unload does not wedge the room: it still unloads later.
    release(returning)
    await waitFor(() => relay.relay.stats().rooms === 0, 'the room to unload once empty again', 5_000)
  })

  it('unloads a room whose only joiner left while it was still loading', async () => {
    const { storage, loads, loaded, hold } = instrumentedStorage()
    const relay = await start({ roomIdleMs: 100, storage })
    const release = hold()

    const socket = await raw(relay.wsUrl, 'slow')
    await waitFor(() => loads.get('slow') === 1, 'the room load to start')
    socket.ws.close()
    await waitFor(() => relay.relay.stats().connections === 0, 'the relay to see the joiner leave')
    expect(loaded.get('slow')).toBeUndefined()

    release()
    await waitFor(() => loaded.get('slow') === 1, 'the room load to finish')
    // The probe empties after 'slow' finished loading, so once it has unloaded
    // (equal idle periods), 'slow' has had its idle turn as well.
    const probe = await raw(relay.wsUrl, 'probe')
    await waitFor(() => relay.relay.roomNames().includes('probe'), 'the probe room to load')
    probe.ws.close()
    await waitFor(() => !relay.relay.roomNames().includes('probe'), 'the probe room to unload')
    expect(relay.relay.roomNames()).toEqual([])
    expect(relay.relay.stats().rooms).toBe(0)

    // Nothing stale is cached either: the next join loads afresh and works.
    const again = client(relay.wsUrl, 'slow')
    await waitSynced(again)
    expect(loads.get('slow')).toBe(2)
    expect(relay.relay.roomNames()).toEqual(['slow'])
  })
})
