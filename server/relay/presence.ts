import { decodeAwarenessUpdate, encodeAwarenessUpdate, isRemoval, type AwarenessEntry } from '../../shared/awareness-codec.ts'

/**
 * A room's awareness (presence) states, and who owns them.
 *
 * A connection owns the client IDs it introduced; entries it sends for IDs
 * another connection owns are dropped, so nobody can move or erase someone
 * else's cursor. When a connection leaves, its entries are removed and the
 * removal is broadcast, like the stock server does.
 *
 * One thing the stock server gets wrong is fixed here: a client that
 * reconnects announces its state again with the clock it had, which every
 * peer (having seen its removal at that clock) ignores until the next 15 s
 * renewal. The relay remembers removed clocks and re-stamps such a rejoin
 * with the next clock, so the person reappears at once.
 */
export class Presence<Owner> {
  private readonly states = new Map<number, AwarenessEntry>()
  /** Last clock seen per client ID, kept after removal (see above). */
  private readonly clocks = new Map<number, number>()
  private readonly owners = new Map<number, Owner>()

  /** Number of clients with a state. */
  get size(): number {
    return this.states.size
  }

  /**
   * Apply an awareness update from `owner`. Returns the awareness update to
   * broadcast to the whole room (the original bytes when every entry was
   * accepted as is), or null when nothing changed. Throws `ProtocolError`
   * when the update is malformed; nothing is applied then.
   */
  apply(owner: Owner, update: Uint8Array, ownedIds: Set<number>): Uint8Array | null {
    const entries = decodeAwarenessUpdate(update)
    const accepted: AwarenessEntry[] = []
    let rewritten = false
    for (const entry of entries) {
      const currentOwner = this.owners.get(entry.clientId)
      if (currentOwner !== undefined && currentOwner !== owner) continue
      const lastClock = this.clocks.get(entry.clientId)
      if (isRemoval(entry)) {
        if (currentOwner === undefined || !this.states.has(entry.clientId)) continue
        if (lastClock !== undefined && entry.clock < lastClock) continue
        this.states.delete(entry.clientId)
        this.owners.delete(entry.clientId)
        ownedIds.delete(entry.clientId)
        this.clocks.set(entry.clientId, entry.clock)
        accepted.push(entry)
        continue
      }
      let clock = entry.clock
      if (lastClock !== undefined && clock <= lastClock) {
        // A stale state from the owner is dropped; a rejoin is re-stamped.
        if (currentOwner !== undefined) continue
        clock = lastClock + 1
        rewritten = true
      }
      const stored = { clientId: entry.clientId, clock, stateJson: entry.stateJson }
      this.states.set(entry.clientId, stored)
      this.clocks.set(entry.clientId, clock)
      this.owners.set(entry.clientId, owner)
      ownedIds.add(entry.clientId)
      accepted.push(stored)
    }
    if (accepted.length === 0) return null
    if (!rewritten && accepted.length === entries.length) return update
    return encodeAwarenessUpdate(accepted)
  }

  /** Remove every state `ownedIds` holds; returns the removal to broadcast, or null. */
  removeAll(ownedIds: Set<number>): Uint8Array | null {
    const removed: AwarenessEntry[] = []
    for (const clientId of ownedIds) {
      const state = this.states.get(clientId)
      this.owners.delete(clientId)
      if (!state) continue
      this.states.delete(clientId)
      removed.push({ clientId, clock: state.clock, stateJson: 'null' })
    }
    ownedIds.clear()
    return removed.length === 0 ? null : encodeAwarenessUpdate(removed)
  }

  /** Every current state as one awareness update, or null when there are none. */
  encodeAll(): Uint8Array | null {
    return this.states.size === 0 ? null : encodeAwarenessUpdate([...this.states.values()])
  }
}
