import { describe, expect, it } from 'vitest'
import { decodeAwarenessUpdate, encodeAwarenessUpdate, type AwarenessEntry } from '../../shared/awareness-codec.ts'
import { ProtocolError } from '../../shared/protocol.ts'
import { DEFAULT_LIMITS } from './limits.ts'
import { Presence, PresenceLimitError } from './presence.ts'

/** Owners are opaque to Presence; plain objects stand in for connections. */
interface Owner {
  name: string
  ids: Set<number>
}
const owner = (name: string): Owner => ({ name, ids: new Set() })

const update = (...entries: [clientId: number, clock: number, state: unknown][]): Uint8Array =>
  encodeAwarenessUpdate(entries.map(([clientId, clock, state]) => ({ clientId, clock, stateJson: JSON.stringify(state) })))

const entries = (bytes: Uint8Array | null): AwarenessEntry[] => (bytes ? decodeAwarenessUpdate(bytes) : [])

/** What `apply` accepted, as an update (null when nothing), to compare with what was sent. */
const apply = (presence: Presence<Owner>, from: Owner, bytes: Uint8Array, now?: number): Uint8Array | null => {
  const accepted = presence.apply(from, bytes, from.ids, { now })
  return accepted.length === 0 ? null : encodeAwarenessUpdate(accepted)
}

const newPresence = (limits: Partial<typeof DEFAULT_LIMITS> = {}): Presence<Owner> => new Presence<Owner>({ ...DEFAULT_LIMITS, ...limits })

describe('Presence', () => {
  it('gives a client ID to the first owner that sends it', () => {
    const presence = newPresence()
    const alice = owner('alice')
    const bytes = update([1, 0, { user: 'alice' }])

    expect(apply(presence, alice, bytes)).toEqual(bytes)
    expect(alice.ids).toEqual(new Set([1]))
    expect(presence.size).toBe(1)
    expect(entries(presence.encodeAll())).toEqual([{ clientId: 1, clock: 0, stateJson: '{"user":"alice"}' }])
  })

  it("drops another owner's updates and removals for a claimed ID", () => {
    const presence = newPresence()
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
    const presence = newPresence()
    const alice = owner('alice')
    const bob = owner('bob')
    apply(presence, alice, update([1, 0, { user: 'alice' }]))

    const bytes = update([1, 3, { user: 'bob as alice' }], [2, 0, { user: 'bob' }])
    const accepted = apply(presence, bob, bytes)
    expect(accepted).not.toEqual(bytes)
    expect(entries(accepted)).toEqual([{ clientId: 2, clock: 0, stateJson: '{"user":"bob"}' }])
    expect(bob.ids).toEqual(new Set([2]))
    expect(presence.size).toBe(2)
  })

  it("drops an owner's stale states (clock not above the last one)", () => {
    const presence = newPresence()
    const alice = owner('alice')
    apply(presence, alice, update([1, 2, { cursor: 10 }]))

    expect(apply(presence, alice, update([1, 2, { cursor: 11 }]))).toBeNull()
    expect(apply(presence, alice, update([1, 1, { cursor: 12 }]))).toBeNull()
    expect(entries(presence.encodeAll())).toEqual([{ clientId: 1, clock: 2, stateJson: '{"cursor":10}' }])

    const newer = update([1, 3, { cursor: 13 }])
    expect(apply(presence, alice, newer)).toEqual(newer)
    expect(entries(presence.encodeAll())).toEqual([{ clientId: 1, clock: 3, stateJson: '{"cursor":13}' }])
  })

  it("accepts an owner's removal and releases the ID", () => {
    const presence = newPresence()
    const alice = owner('alice')
    apply(presence, alice, update([1, 0, { user: 'alice' }]))

    const removal = update([1, 1, null])
    expect(apply(presence, alice, removal)).toEqual(removal)
    expect(presence.size).toBe(0)
    expect(alice.ids.size).toBe(0)
    expect(presence.encodeAll()).toBeNull()
  })

  it('ignores the removal of an ID nobody holds', () => {
    const presence = newPresence()
    expect(apply(presence, owner('alice'), update([9, 0, null]))).toBeNull()
    expect(presence.size).toBe(0)
  })

  it('removeAll returns one removal for every owned state and frees the IDs', () => {
    const presence = newPresence()
    const alice = owner('alice')
    const bob = owner('bob')
    apply(presence, alice, update([1, 4, { tab: 1 }], [2, 7, { tab: 2 }]))
    apply(presence, bob, update([3, 0, { user: 'bob' }]))

    const removal = presence.removeAll(alice.ids)
    expect(removal).toEqual([
      { clientId: 1, clock: 4, stateJson: 'null' },
      { clientId: 2, clock: 7, stateJson: 'null' },
    ])
    expect(alice.ids.size).toBe(0)
    expect(presence.size).toBe(1)
    expect(presence.removeAll(alice.ids)).toEqual([])

    // Freed: another owner may now take the ID.
    const takeover = update([1, 9, { user: 'bob, second tab' }])
    expect(apply(presence, bob, takeover)).toEqual(takeover)
    expect(bob.ids).toEqual(new Set([1, 3]))
  })

  it('re-stamps a rejoining client with the clock after its removal, so peers accept it', () => {
    const presence = newPresence()
    const first = owner('alice, first connection')
    apply(presence, first, update([1, 3, { user: 'alice' }]))
    presence.removeAll(first.ids)

    // The reconnecting client announces itself with the clock it had.
    const second = owner('alice, reconnected')
    const rejoin = update([1, 3, { user: 'alice' }])
    const accepted = apply(presence, second, rejoin)
    expect(accepted).not.toEqual(rejoin)
    expect(entries(accepted)).toEqual([{ clientId: 1, clock: 4, stateJson: '{"user":"alice"}' }])
    expect(entries(presence.encodeAll())).toEqual([{ clientId: 1, clock: 4, stateJson: '{"user":"alice"}' }])
    expect(second.ids).toEqual(new Set([1]))

    // The stamped clock is now the last one: the client learns it from the
    // broadcast (which includes the sender), and only later clocks go through.
    expect(apply(presence, second, update([1, 4, { user: 'alice' }]))).toBeNull()
    expect(entries(apply(presence, second, update([1, 5, { user: 'alice' }])))[0].clock).toBe(5)
  })

  it('encodeAll carries every current state, and is null when there are none', () => {
    const presence = newPresence()
    expect(presence.encodeAll()).toBeNull()
    apply(presence, owner('alice'), update([1, 0, { user: 'alice' }]))
    apply(presence, owner('bob'), update([2, 3, { user: 'bob' }]))
    expect(entries(presence.encodeAll())).toEqual([
      { clientId: 1, clock: 0, stateJson: '{"user":"alice"}' },
      { clientId: 2, clock: 3, stateJson: '{"user":"bob"}' },
    ])
  })

  it('accepts every entry unchanged when all are acceptable', () => {
    const presence = newPresence()
    const alice = owner('alice')
    const bytes = update([1, 0, { tab: 1 }], [2, 0, { tab: 2 }], [3, 0, { tab: 3 }])
    expect(apply(presence, alice, bytes)).toEqual(bytes)
    const renewal = update([1, 1, { tab: 1 }], [2, 1, { tab: 2 }], [3, 1, null])
    expect(apply(presence, alice, renewal)).toEqual(renewal)
  })

  it('refuses a state over the size limit or nested too deeply, applying nothing', () => {
    const presence = newPresence({ maxAwarenessStateBytes: 100 })
    const alice = owner('alice')
    expect(() => presence.apply(alice, update([1, 0, { ok: 'x'.repeat(80) }], [2, 0, { big: 'é'.repeat(50) }]), alice.ids)).toThrow(PresenceLimitError)
    expect(presence.size).toBe(0)
    const deep = JSON.parse('['.repeat(DEFAULT_LIMITS.maxValueDepth + 1) + ']'.repeat(DEFAULT_LIMITS.maxValueDepth + 1))
    expect(() => presence.apply(alice, update([1, 0, deep]), alice.ids)).toThrow(PresenceLimitError)
  })

  it('writes the granted name and colour into the user field, keeping the rest', () => {
    const presence = newPresence()
    const alice = owner('alice')
    const identity = { id: 'u1', name: 'Alice (verified)', color: '#112233' }
    const accepted = presence.apply(alice, update([1, 0, { user: { name: 'Mallory', color: '#ffffff', avatar: 'a.png' }, cursor: 3 }]), alice.ids, { identity })
    expect(JSON.parse(accepted[0].stateJson)).toEqual({ user: { name: 'Alice (verified)', color: '#112233', avatar: 'a.png' }, cursor: 3 })
    // No user field at all: one is added. Only a name in the grant: the colour stays the client's.
    const bob = owner('bob')
    expect(JSON.parse(presence.apply(bob, update([2, 0, { cursor: 1 }]), bob.ids, { identity: { name: 'Bob' } })[0].stateJson)).toEqual({ cursor: 1, user: { name: 'Bob' } })
    expect(JSON.parse(presence.apply(bob, update([2, 1, { user: { name: 'x', color: '#000000' } }]), bob.ids, { identity: { name: 'Bob' } })[0].stateJson)).toEqual({ user: { name: 'Bob', color: '#000000' } })
    // A removal stays a removal.
    expect(presence.apply(bob, update([2, 2, null]), bob.ids, { identity: { name: 'Bob' } })[0].stateJson).toBe('null')
  })

  it('refuses an update with more entries than the limit before decoding it', () => {
    const presence = newPresence({ maxAwarenessEntriesPerUpdate: 3 })
    const alice = owner('alice')
    expect(() => presence.apply(alice, update([1, 0, {}], [2, 0, {}], [3, 0, {}], [4, 0, {}]), alice.ids)).toThrow(PresenceLimitError)
    expect(presence.size).toBe(0)
    expect(presence.apply(alice, update([1, 0, {}], [2, 0, {}], [3, 0, {}]), alice.ids)).toHaveLength(3)
  })

  it('lets one owner hold at most the limit of client IDs; further new IDs are ignored', () => {
    const presence = newPresence({ maxAwarenessClientsPerConnection: 2 })
    const alice = owner('alice')
    expect(entries(apply(presence, alice, update([1, 0, {}], [2, 0, {}], [3, 0, {}])))).toHaveLength(2)
    expect(alice.ids).toEqual(new Set([1, 2]))
    // Renewals of owned IDs still pass; a removal frees a slot.
    expect(entries(apply(presence, alice, update([1, 1, {}], [4, 0, {}])))).toEqual([{ clientId: 1, clock: 1, stateJson: '{}' }])
    apply(presence, alice, update([2, 1, null]))
    expect(entries(apply(presence, alice, update([4, 0, {}])))).toHaveLength(1)
  })

  it('forgets removed clients after the awareness timeout, and keeps a bounded number meanwhile', () => {
    const presence = newPresence({ awarenessForgetMs: 1000, maxAwarenessClientsPerConnection: 1 })
    const alice = owner('alice')
    for (let id = 1; id <= 20_000; id++) {
      apply(presence, alice, update([id, 0, {}]), 0)
      presence.removeAll(alice.ids, 0)
    }
    expect(presence.rememberedRemovals).toBe(10_000)
    // A rejoin within the timeout is re-stamped past its removal...
    expect(entries(apply(presence, alice, update([20_000, 0, {}]), 500))[0].clock).toBe(1)
    presence.removeAll(alice.ids, 500)
    // ...and once the timeout has passed, the old clocks are gone.
    apply(presence, owner('bob'), update([7, 0, {}]), 1600)
    expect(presence.rememberedRemovals).toBe(0)
  })

  it('throws ProtocolError on a malformed update and applies nothing', () => {
    const presence = newPresence()
    const alice = owner('alice')
    const good = update([1, 0, { ok: true }])
    const truncated = good.slice(0, good.length - 2)
    expect(() => apply(presence, alice, truncated)).toThrow(ProtocolError)
    expect(presence.size).toBe(0)
    expect(alice.ids.size).toBe(0)
  })
})
