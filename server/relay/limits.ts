/**
 * What one connection may ask of the relay. Each limit is sized so that real
 * editors never reach it (the figures in the comments are what they do), and
 * each is documented with its close code in shared/PROTOCOL.md, "Limits".
 */
export interface RelayLimits {
  /** Clients with structs or deletions in one update. A document edited in many sessions has one per session. */
  maxUpdateClients: number
  /**
   * Structs in one update. The whole history of a 100,000-character paper
   * typed in 125 sessions is 11,000 structs; reading and checking an update
   * costs about 1.5 µs per struct, so this bounds one frame's check.
   */
  maxUpdateStructs: number
  /** Deleted ranges in one update (that paper's whole history: 2,700). */
  maxUpdateDeleteRanges: number
  /** Deepest nesting of arrays and objects inside JSON or `Any` content. */
  maxValueDepth: number
  /** Deepest nesting of shared types (ProseMirror documents: a few dozen levels). */
  maxTypeDepth: number
  /** Named top-level types per document (editors use one to a handful). */
  maxRootTypes: number
  /**
   * Work applied to the document in one go, in units of about one struct
   * (about 1.5 µs each); larger updates and bursts are cut into parts, with
   * the event loop free for other rooms between them.
   */
  partBudget: number
  /** Clients a state vector (sync step 1) may name beyond those the document has. */
  maxUnknownStateVectorClients: number
  /** Updates of one connection waiting for storage before the relay stops reading from it. */
  maxQueuedUpdatesPerConnection: number
  /** Bytes of one client's presence (awareness) state, as JSON (a caret and a name: about 300). */
  maxAwarenessStateBytes: number
  /** Awareness client IDs one connection may own (a stock client owns one). */
  maxAwarenessClientsPerConnection: number
  /**
   * Entries in one awareness update. A stock client sends its own state, and
   * the removal of every peer that timed out at once (a few, in a big room).
   */
  maxAwarenessEntriesPerUpdate: number
  /** Presence updates of one client are relayed at most once per this interval (ms); the latest wins. */
  awarenessIntervalMs: number
  /** How long the clock of a removed presence is remembered (ms), to recognise a stale re-send. */
  awarenessForgetMs: number
  /** Messages one connection may send per second, sustained (typing with a cursor: about 20). */
  messagesPerSecond: number
  /** Messages one connection may send in a burst above that rate (a reconnect, a quick flurry). */
  messageBurst: number
  /** Bytes one connection may send per second, sustained. */
  bytesPerSecond: number
  /** Bytes one connection may send in a burst (a large paste is one message; this must exceed the largest frame). */
  byteBurst: number
  /**
   * Largest document, in stored bytes: an update adding content that would
   * take it past this is refused (4413). Deletions always pass, so a document
   * past the limit (loaded from before it was set) can still shrink.
   */
  maxDocumentBytes: number
}

export const DEFAULT_LIMITS: RelayLimits = {
  maxUpdateClients: 50_000,
  maxUpdateStructs: 60_000,
  maxUpdateDeleteRanges: 200_000,
  maxValueDepth: 64,
  maxTypeDepth: 128,
  maxRootTypes: 256,
  partBudget: 10_000,
  maxUnknownStateVectorClients: 1_000,
  maxQueuedUpdatesPerConnection: 2_000,
  maxAwarenessStateBytes: 8 * 1024,
  maxAwarenessClientsPerConnection: 4,
  maxAwarenessEntriesPerUpdate: 1_000,
  awarenessIntervalMs: 50,
  awarenessForgetMs: 30_000,
  messagesPerSecond: 100,
  messageBurst: 2_000,
  bytesPerSecond: 2 * 1024 * 1024,
  byteBurst: 32 * 1024 * 1024,
  maxDocumentBytes: 64 * 1024 * 1024,
}

/** `DEFAULT_LIMITS` with `overrides`, each checked. Throws `RangeError` naming a bad one. */
export function resolveLimits(overrides: Partial<RelayLimits> = {}): RelayLimits {
  const limits = { ...DEFAULT_LIMITS }
  for (const [key, value] of Object.entries(overrides) as [keyof RelayLimits, number | undefined][]) {
    if (value === undefined) continue
    if (!(key in DEFAULT_LIMITS)) throw new RangeError(`createRelay: unknown limit "${key}"`)
    if (typeof value !== 'number' || !(value > 0)) throw new RangeError(`createRelay: limits.${key} must be a number > 0, got ${String(value)}`)
    limits[key] = value
  }
  return limits
}

/** The checks stored updates get when a document loads: every safety rule, no size limit (they were accepted once). */
export function loadLimits(limits: RelayLimits): RelayLimits {
  return {
    ...limits,
    maxUpdateClients: Number.POSITIVE_INFINITY,
    maxUpdateStructs: Number.POSITIVE_INFINITY,
    maxUpdateDeleteRanges: Number.POSITIVE_INFINITY,
  }
}
