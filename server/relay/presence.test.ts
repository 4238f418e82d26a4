import { describe, expect, it } from 'vitest'
import { decodeAwarenessUpdate, encodeAwarenessUpdate, type AwarenessEntry } from '../../shared/awareness-codec.ts'
import { ProtocolError } from '../../shared/protocol.ts'
import { Presence } from './presence.ts'

/** Owners are opaque to Presence; plain objects stand in for connections. */
interface Owner {
  name: string
  ids: Set<number>
}
const owner = (name: string): Owner => ({ name, ids: new Set() })

const update = (...entries: [clientId: number, clock: number, state: unknown][]): Uint8Array =>
  encodeAwarenessUpdate(entries.map(([clientId, clock, state]) => ({ clientId, clock, stateJson: JSON.stringify(state) })))

const entries = (bytes: Uint8Array | null): AwarenessEntry[] => (bytes ? decodeAwarenessUpdate(bytes) : [])

const apply = (presence: Presence<Owner>, from: Owner, bytes: Uint8Array): Uint8Array | null =>
  presence.apply(from, bytes, from.ids)

describe('Presence', () => {
  it('gives a client ID to the first owner that sends it', () => {
    const presence = new Presence<Owner>()
    const alice = owner('alice')
    const bytes = update([1, 0, { user: 'alice' }])

    expect(apply(presence, alice, bytes)).toBe(bytes)
    expect(alice.ids).toEqual(new Set([1]))
    expect(presence.size).toBe(1)
    expect(entries(presence.encodeAll())).toEqual([{ clientId: 1, clock: 0, stateJson: '{"user":"alice"}' }])
  })

  it("drops another owner's updates and removals for a claimed ID", () => {
    const presence = new Presence<Owner>()
    const alice = owner('alice')
    const mallory = owner('mallory')
    apply(presence, alice, update([1, 0, { user: 'alice' }]))

    expect(apply(presence, mallory, update([1, 5, { user: 'mallory' }]))).toBeNull()
    expect(apply(presence, mallory, update([1, 6, null]))).toBeNull()
    expect(mallory.ids.size).toBe(0)
    expect(alice.ids).toEqual(new Set([1]))
    expect(entries(presence.encodeAll())).toEqual([{ clientId: 1, clock: 0, stateJson: '{"user":"alice"}' }])
  })

  it('keeps the acceptable entries of a mixed update, re-encoded', () => {
    const presence = new Presence<Owner>()
    const alice = owner('alice')
    const bob = owner('bob')
    apply(presence, alice, update([1, 0, { user: 'alice' }]))

    const bytes = update([1, 3, { user: 'bob as alice' }], [2, 0, { user: 'bob' }])
    const accepted = apply(presence, bob, bytes)
    expect(accepted).not.toBe(bytes)
    expect(entries(accepted)).toEqual([{ clientId: 2, clock: 0, stateJson: '{"user":"bob"}' }])
    expect(bob.ids).toEqual(new Set([2]))
    expect(presence.size).toBe(2)
  })

  it("drops an owner's stale states (clock not above the last one)", () => {
    const presence = new Presence<Owner>()
    const alice = owner('alice')
    apply(presence, alice, update([1, 2, { cursor: 10 }]))

    expect(apply(presence, alice, update([1, 2, { cursor: 11 }]))).toBeNull()
    expect(apply(presence, alice, update([1, 1, { cursor: 12 }]))).toBeNull()
    expect(entries(presence.encodeAll())).toEqual([{ clientId: 1, clock: 2, stateJson: '{"cursor":10}' }])

    const newer = update([1, 3, { cursor: 13 }])
    expect(apply(presence, alice, newer)).toBe(newer)
    expect(entries(presence.encodeAll())).toEqual([{ clientId: 1, clock: 3, stateJson: '{"cursor":13}' }])
  })

  it("accepts an owner's removal and releases the ID", () => {
    const presence = new Presence<Owner>()
    const alice = owner('alice')
    apply(presence, alice, update([1, 0, { user: 'alice' }]))

    const removal = update([1, 1, null])
    expect(apply(presence, alice, removal)).toBe(removal)
    expect(presence.size).toBe(0)
    expect(alice.ids.size).toBe(0)
    expect(presence.encodeAll()).toBeNull()
  })

  it('ignores the removal of an ID nobody holds', () => {
    const presence = new Presence<Owner>()
    expect(apply(presence, owner('alice'), update([9, 0, null]))).toBeNull()
    expect(presence.size).toBe(0)
  })

  it('removeAll returns one removal for every owned state and frees the IDs', () => {
    const presence = new Presence<Owner>()
    const alice = owner('alice')
    const bob = owner('bob')
    apply(presence, alice, update([1, 4, { tab: 1 }], [2, 7, { tab: 2 }]))
    apply(presence, bob, update([3, 0, { user: 'bob' }]))

    const removal = presence.removeAll(alice.ids)
    expect(entries(removal)).toEqual([
      { clientId: 1, clock: 4, stateJson: 'null' },
      { clientId: 2, clock: 7, stateJson: 'null' },
    ])
    expect(alice.ids.size).toBe(0)
    expect(presence.size).toBe(1)
    expect(presence.removeAll(alice.ids)).toBeNull()

    // Freed: another owner may now take the ID.
    const takeover = update([1, 9, { user: 'bob, second tab' }])
    expect(apply(presence, bob, takeover)).toBe(takeover)
    expect(bob.ids).toEqual(new Set([1, 3]))
  })

  it('re-stamps a rejoining client with the clock after its removal, so peers accept it', () => {
    const presence = new Presence<Owner>()
    const first = owner('alice, first connection')
    apply(presence, first, update([1, 3, { user: 'alice' }]))
    presence.removeAll(first.ids)

    // The reconnecting client announces itself with the clock it had.
    const second = owner('alice, reconnected')
    const rejoin = update([1, 3, { user: 'alice' }])
    const accepted = apply(presence, second, rejoin)
    expect(accepted).not.toBe(rejoin)
    expect(entries(accepted)).toEqual([{ clientId: 1, clock: 4, stateJson: '{"user":"alice"}' }])
    expect(entries(presence.encodeAll())).toEqual([{ clientId: 1, clock: 4, stateJson: '{"user":"alice"}' }])
    expect(second.ids).toEqual(new Set([1]))

    // The stamped clock is now the last one: the client learns it from the
    // broadcast (which includes the sender), and only later clocks go through.
    expect(apply(presence, second, update([1, 4, { user: 'alice' }]))).toBeNull()
    expect(entries(apply(presence, second, update([1, 5, { user: 'alice' }])))[0].clock).toBe(5)
  })

  it('encodeAll carries every current state, and is null when there are none', () => {
    const presence = new Presence<Owner>()
    expect(presence.encodeAll()).toBeNull()
    apply(presence, owner('alice'), update([1, 0, { user: 'alice' }]))
    apply(presence, owner('bob'), update([2, 3, { user: 'bob' }]))
    expect(entries(presence.encodeAll())).toEqual([
      { clientId: 1, clock: 0, stateJson: '{"user":"alice"}' },
      { clientId: 2, clock: 3, stateJson: '{"user":"bob"}' },
    ])
  })

  it('returns the very input bytes when every entry is accepted unchanged', () => {
    const presence = new Presence<Owner>()
    const alice = owner('alice')
    const bytes = update([1, 0, { tab: 1 }], [2, 0, { tab: 2 }], [3, 0, { tab: 3 }])
    expect(apply(presence, alice, bytes)).toBe(bytes)
    const renewal = update([1, 1, { tab: 1 }], [2, 1, { tab: 2 }], [3, 1, null])
    expect(apply(presence, alice, renewal)).toBe(renewal)
  })

  it('throws ProtocolError on a malformed update and applies nothing', () => {
    const presence = new Presence<Owner>()
    const alice = owner('alice')
    const good = update([1, 0, { ok: true }])
    const truncated = good.slice(0, good.length - 2)
    expect(() => apply(presence, alice, truncated)).toThrow(ProtocolError)
    expect(presence.size).toBe(0)
    expect(alice.ids.size).toBe(0)
  })
})
