/** Default for `maxConnectionsPerIp`: WebSocket connections one address may hold at once. */
export const DEFAULT_MAX_CONNECTIONS_PER_IP = 50
/** Default for `maxUpgradesPerIpPerMinute`: upgrade attempts one address may make per rolling minute. */
export const DEFAULT_MAX_UPGRADES_PER_IP_PER_MINUTE = 120

/** The `x-collab-error` reasons of the 429 refusals (PROTOCOL.md, "HTTP refusals before the upgrade"). */
export const PerIpRefusal = {
  CONNECTIONS: 'too many connections from this address',
  UPGRADES: 'too many upgrades from this address',
} as const

/**
 * `Retry-After` for an address at its connection cap. Nothing tells when one
 * of its connections will end; this is a polite pause, not a promise.
 */
const CONNECTIONS_RETRY_AFTER_SECONDS = 10
/** How often idle addresses are forgotten (checked on the next upgrade after that). */
const SWEEP_INTERVAL_MS = 10_000

/** What an upgrade from one address is told. */
export type PerIpAdmission =
  | {
      ok: true
      /** The connection (or the attempt) is over: free its slot. Idempotent. */
      release(): void
    }
  | { ok: false; reason: (typeof PerIpRefusal)[keyof typeof PerIpRefusal]; retryAfterSeconds: number }

/** Per-address limits on WebSocket upgrades. Create with `createPerIpLimiter`. */
export interface PerIpLimiter {
  /**
   * Count one upgrade attempt from `key` (`limitKey` of the client's
   * address): refused when its upgrades of the last minute or its open
   * connections are at the limit, else it holds a connection slot until
   * `release()`. A refused attempt still counts towards the minute's upgrades
   * while tokens are left (retrying in a loop runs the bucket dry).
   */
  admit(key: string): PerIpAdmission
  /**
   * Count one more attach from `key` that needs no new connection (a
   * document opened on a Hocuspocus socket the address already holds, which
   * for a y-websocket client would be an upgrade): takes an upgrade token,
   * and says false when there was none.
   */
  spend(key: string): boolean
  /** Addresses remembered now (open connections, or upgrades within the last minute). */
  readonly trackedAddresses: number
}

interface AddressState {
  /** Upgrade tokens: a bucket of `maxUpgradesPerMinute`, refilled evenly over a minute. */
  tokens: number
  refilledAt: number
  connections: number
}

/**
 * Count upgrades and open connections per address. A limit of 0 (or
 * Infinity) turns it off.
 *
 * The upgrade limit is a token bucket (capacity `maxUpgradesPerMinute`,
 * refilled at that many per 60 s): a burst of a minute's worth passes, and a
 * steady rate above it is refused. Memory stays bounded by the addresses
 * active in the last minute or so: an address with no open connection whose
 * bucket has refilled is forgotten at the next sweep (every 10 s).
 *
 * @example
 * const limiter = createPerIpLimiter({ maxConnections: 50, maxUpgradesPerMinute: 120 })
 * const admission = limiter.admit(limitKey('198.51.100.4'))
 * if (admission.ok) socket.once('close', admission.release)
 */
export function createPerIpLimiter(
  limits: { maxConnections: number; maxUpgradesPerMinute: number },
  now: () => number = () => performance.now(),
): PerIpLimiter {
  const maxConnections = checkedLimit('maxConnectionsPerIp', limits.maxConnections)
  const capacity = checkedLimit('maxUpgradesPerIpPerMinute', limits.maxUpgradesPerMinute)
  const tokensPerMs = capacity / 60_000
  const addresses = new Map<string, AddressState>()
  let sweptAt = now()

  const refill = (state: AddressState, at: number): void => {
    if (capacity === Infinity) return
    state.tokens = Math.min(capacity, state.tokens + (at - state.refilledAt) * tokensPerMs)
    state.refilledAt = at
  }

  function sweep(at: number): void {
    sweptAt = at
    for (const [key, state] of addresses) {
      if (state.connections > 0) continue
      refill(state, at)
      if (state.tokens >= capacity) addresses.delete(key)
    }
  }

  /** The address's state, its bucket refilled to now. */
  const stateOf = (key: string, at: number): AddressState => {
    if (at - sweptAt >= SWEEP_INTERVAL_MS) sweep(at)
    let state = addresses.get(key)
    if (!state) {
      state = { tokens: capacity, refilledAt: at, connections: 0 }
      addresses.set(key, state)
    }
    refill(state, at)
    return state
  }

  return {
    spend(key) {
      const state = stateOf(key, now())
      if (state.tokens < 1) return false
      state.tokens -= 1
      return true
    },
    admit(key) {
      const at = now()
      const state = stateOf(key, at)
      if (state.tokens < 1) {
        return { ok: false, reason: PerIpRefusal.UPGRADES, retryAfterSeconds: Math.max(1, Math.ceil((1 - state.tokens) / tokensPerMs / 1000)) }
      }
      state.tokens -= 1
      if (state.connections >= maxConnections) {
        return { ok: false, reason: PerIpRefusal.CONNECTIONS, retryAfterSeconds: CONNECTIONS_RETRY_AFTER_SECONDS }
      }
      state.connections++
      const held = state
      let released = false
      return {
        ok: true,
        release() {
          if (released) return
          released = true
          held.connections--
        },
      }
    },
    get trackedAddresses() {
      return addresses.size
    },
  }
}

function checkedLimit(name: string, value: number): number {
  if (value === 0 || value === Infinity) return Infinity
  if (!Number.isInteger(value) || value < 0) throw new RangeError(`createRelayApp: ${name} must be a whole number >= 0 (0 for no limit), got ${value}`)
  return value
}
