import * as decoding from 'lib0/decoding'
import { decodeAwarenessUpdate, encodeAwarenessUpdate, isRemoval, type AwarenessEntry } from '../../shared/awareness-codec.ts'
import type { GrantedUser } from './grant.ts'
import type { RelayLimits } from './limits.ts'
import { jsonNestedDeeper } from './update-parse.ts'

/** A presence update over a limit (a state too large or nested too deeply, too many entries): the connection is closed with 4413. */
export class PresenceLimitError extends Error {
  override name = 'PresenceLimitError'
}

/** The limits `Presence` enforces (see `RelayLimits`). */
export type PresenceLimits = Pick<
  RelayLimits,
  'maxAwarenessStateBytes' | 'maxAwarenessClientsPerConnection' | 'maxAwarenessEntriesPerUpdate' | 'awarenessForgetMs' | 'maxValueDepth'
>

/** Removed clients whose clocks are remembered, at most (the oldest are forgotten first). */
const MAX_REMEMBERED_REMOVALS = 10_000

/**
 * A room's awareness (presence) states, and who owns them.
 *
 * A connection owns the client IDs it introduced, at most
 * `maxAwarenessClientsPerConnection` at a time (further new IDs are ignored);
 * entries it sends for IDs another connection owns are dropped, so nobody can
 * move or erase someone else's cursor. When a connection leaves, its entries
 * are removed and the removal is broadcast, like the stock server does.
 *
 * One thing the stock server gets wrong is fixed here: a client that
 * reconnects announces its state again with the clock it had, which every
 * peer (having seen its removal at that clock) ignores until the next 15 s
 * renewal. The relay remembers removed clocks (for the awareness timeout,
 * then forgets them) and re-stamps such a rejoin with the next clock, so the
 * person reappears at once.
 */
/** Names longer than this are cut in the documents list (a name is a label, not a payload). */
const MAX_LISTED_NAME_LENGTH = 80

export class Presence<Owner> {
  private readonly states = new Map<number, AwarenessEntry>()
  /** Last clock seen per client ID with a state. */
  private readonly clocks = new Map<number, number>()
  /** Clock and time of removal of removed client IDs. */
  private readonly removed = new Map<number, { clock: number; at: number }>()
  /**
   * The same removals in the order they happened, for forgetting the oldest
   * first. A queue of its own: taking the first key of a Map that has seen
   * many deletions makes V8 step over every deleted slot, each time.
   */
  private removalOrder: { clientId: number; at: number }[] = []
  private removalHead = 0
  private readonly owners = new Map<number, Owner>()

  constructor(private readonly limits: PresenceLimits) {}

  /** Number of clients with a state. */
  get size(): number {
    return this.states.size
  }

  /** Removed clients still remembered (for tests and stats). */
  get rememberedRemovals(): number {
    return this.removed.size
  }

  /**
   * Apply an awareness update from `owner`. Returns the entries to broadcast
   * (clocks re-stamped where needed); empty when nothing changed. Throws
   * `ProtocolError` when the update is malformed and `PresenceLimitError` when
   * a state is too large; nothing is applied then.
   */
  apply(owner: Owner, update: Uint8Array, ownedIds: Set<number>, options: { identity?: GrantedUser; now?: number; trusted?: boolean } = {}): AwarenessEntry[] {
    const now = options.now ?? Date.now()
    // `trusted`: another instance's presence, every limit checked there when its clients sent it.
    const limited = !options.trusted
    // The count first: decoding (and parsing the JSON of) 100,000 entries is the cost to avoid.
    if (limited && entryCount(update) > this.limits.maxAwarenessEntriesPerUpdate) {
      throw new PresenceLimitError(`more than ${this.limits.maxAwarenessEntriesPerUpdate} entries in one presence update`)
    }
    const entries = decodeAwarenessUpdate(update)
    for (const entry of limited ? entries : []) {
      if (utf8Length(entry.stateJson) > this.limits.maxAwarenessStateBytes || jsonNestedDeeper(entry.stateJson, this.limits.maxValueDepth)) {
        throw new PresenceLimitError(`a presence state over ${this.limits.maxAwarenessStateBytes} bytes or nested too deeply`)
      }
    }
    this.forgetOldRemovals(now)
    const accepted: AwarenessEntry[] = []
    for (const entry of entries) {
      const currentOwner = this.owners.get(entry.clientId)
      if (currentOwner !== undefined && currentOwner !== owner) continue
      if (isRemoval(entry)) {
        if (currentOwner === undefined || !this.states.has(entry.clientId)) continue
        if (entry.clock < (this.clocks.get(entry.clientId) ?? 0)) continue
        this.remove(entry.clientId, entry.clock, now)
        ownedIds.delete(entry.clientId)
        accepted.push(entry)
        continue
      }
      if (limited && currentOwner === undefined && ownedIds.size >= this.limits.maxAwarenessClientsPerConnection) continue
      let clock = entry.clock
      const lastClock = this.clocks.get(entry.clientId) ?? this.removed.get(entry.clientId)?.clock
      if (lastClock !== undefined && clock <= lastClock) {
        // A stale state from the owner is dropped; a rejoin is re-stamped.
        if (currentOwner !== undefined) continue
        clock = lastClock + 1
      }
      const stateJson = options.identity ? withIdentity(entry.stateJson, options.identity) : entry.stateJson
      const stored = { clientId: entry.clientId, clock, stateJson }
      this.removed.delete(entry.clientId)
      this.states.set(entry.clientId, stored)
      this.clocks.set(entry.clientId, clock)
      this.owners.set(entry.clientId, owner)
      ownedIds.add(entry.clientId)
      accepted.push(stored)
    }
    return accepted
  }

  /** Remove every state `ownedIds` holds; returns the removal entries to broadcast. */
  removeAll(ownedIds: Set<number>, now = Date.now()): AwarenessEntry[] {
    const removed: AwarenessEntry[] = []
    for (const clientId of ownedIds) {
      const state = this.states.get(clientId)
      this.owners.delete(clientId)
      if (!state) continue
      this.remove(clientId, state.clock, now)
      removed.push({ clientId, clock: state.clock, stateJson: 'null' })
    }
    ownedIds.clear()
    return removed
  }

  /** Every current state as one awareness update, or null when there are none. */
  encodeAll(): Uint8Array | null {
    return this.states.size === 0 ? null : encodeAwarenessUpdate([...this.states.values()])
  }

  /**
   * The names people go by in this room (each state's `user.name`: the
   * granted name where there is a grant), distinct and sorted, for the
   * documents list. States without a usable name are left out.
   */
  names(): string[] {
    const names = new Set<string>()
    for (const entry of this.states.values()) {
      const name = userName(entry.stateJson)
      if (name) names.add(name)
    }
    return [...names].sort((a, b) => a.localeCompare(b))
  }

  /** The name (`user.name`) the first of `clientIds` with one goes by, or null (for a version's authors). */
  nameOf(clientIds: Iterable<number>): string | null {
    for (const clientId of clientIds) {
      const state = this.states.get(clientId)
      const name = state ? userName(state.stateJson) : ''
      if (name) return name
    }
    return null
  }

  /** The states of the owners `which` picks, as one awareness update, or null when there are none. */
  encodeOwned(which: (owner: Owner) => boolean): Uint8Array | null {
    const entries = [...this.states.values()].filter((entry) => {
      const owner = this.owners.get(entry.clientId)
      return owner !== undefined && which(owner)
    })
    return entries.length === 0 ? null : encodeAwarenessUpdate(entries)
  }

  private remove(clientId: number, clock: number, now: number): void {
    this.states.delete(clientId)
    this.owners.delete(clientId)
    this.clocks.delete(clientId)
    this.removed.set(clientId, { clock, at: now })
    this.removalOrder.push({ clientId, at: now })
    while (this.removed.size > MAX_REMEMBERED_REMOVALS) this.forgetOldest()
  }

  /** Peers forget a removed client after the awareness timeout; so does the relay. */
  private forgetOldRemovals(now: number): void {
    while (this.removalHead < this.removalOrder.length && now - this.removalOrder[this.removalHead].at >= this.limits.awarenessForgetMs) {
      this.forgetOldest()
    }
  }

  private forgetOldest(): void {
    const oldest = this.removalOrder[this.removalHead++]
    // Only if not removed again since (a later removal has its own place in the queue).
    if (oldest && this.removed.get(oldest.clientId)?.at === oldest.at) this.removed.delete(oldest.clientId)
    if (this.removalHead > 1024 && this.removalHead * 2 > this.removalOrder.length) {
      this.removalOrder = this.removalOrder.slice(this.removalHead)
      this.removalHead = 0
    }
  }
}

/** A state's `user.name`, trimmed and cut to length; '' when it has none. */
function userName(stateJson: string): string {
  try {
    const user = (JSON.parse(stateJson) as { user?: { name?: unknown } } | null)?.user
    return typeof user?.name === 'string' ? user.name.trim().slice(0, MAX_LISTED_NAME_LENGTH) : ''
  } catch {
    // Decoding checked the JSON; a state that still cannot be read names nobody.
    return ''
  }
}

/**
 * The state with its `user` field carrying the granted name (and colour,
 * when the grant has one): nobody appears under a name their grant does not
 * give them. Whatever else `user` holds stays; a state that is not an object
 * is left alone (nothing in it can name anyone).
 */
function withIdentity(stateJson: string, identity: GrantedUser): string {
  if (identity.name === undefined && identity.color === undefined) return stateJson
  const state = JSON.parse(stateJson) as unknown
  if (typeof state !== 'object' || state === null || Array.isArray(state)) return stateJson
  const record = state as Record<string, unknown>
  const user = typeof record.user === 'object' && record.user !== null && !Array.isArray(record.user) ? (record.user as Record<string, unknown>) : {}
  record.user = {
    ...user,
    ...(identity.name !== undefined ? { name: identity.name } : {}),
    ...(identity.color !== undefined ? { color: identity.color } : {}),
  }
  return JSON.stringify(record)
}

/**
 * The entry count an awareness update starts with; 0 when it cannot be read
 * or could not fit in the bytes (three at least per entry): decoding then
 * refuses it as malformed, which it is.
 */
function entryCount(update: Uint8Array): number {
  try {
    const count = decoding.readVarUint(decoding.createDecoder(update))
    return count * 3 > update.length ? 0 : count
  } catch {
    return 0
  }
}

/** UTF-8 length of a string, without encoding it. */
function utf8Length(text: string): number {
  let bytes = text.length
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i)
    if (c >= 0x80) bytes += c < 0x800 || (c >= 0xd800 && c <= 0xdfff) ? 1 : 2 // a surrogate pair is 4 bytes for 2 units
  }
  return bytes
}
