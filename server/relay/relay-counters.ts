/**
 * Running totals the relay keeps as it works, cheap enough for the per-frame
 * path (a few additions); metrics read them when scraped. Lifecycle events
 * go through hooks instead (hooks.ts).
 */
export interface RelayCounters {
  /** Frames received, by message type (`sync`, `awareness`, `auth`, `query-awareness`, `other`). */
  framesIn: Record<MessageLabel, number>
  bytesIn: Record<MessageLabel, number>
  /** Frames sent, by message type. */
  framesOut: Record<MessageLabel, number>
  bytesOut: Record<MessageLabel, number>
  /** Connections the relay closed, by close code. */
  closes: Map<number, number>
  /**
   * Connections refused before they reached a room, by the status the
   * transport answered with (401, 403, 429, 400…). The transport counts
   * them here so that one scrape shows refusals beside closes.
   */
  refusals: Map<number, number>
  /**
   * Hocuspocus sockets (server/http/hocuspocus-session.ts): how many are
   * open, and every frame they carry as it travels, routing key included
   * (tokens and their answers, stateless messages, closes and pings too,
   * which no document's connection sees). The y-websocket messages inside
   * are counted again, by type, in the totals above.
   */
  hocuspocus: { sockets: number; framesIn: number; bytesIn: number; framesOut: number; bytesOut: number }
}

export type MessageLabel = 'sync' | 'awareness' | 'auth' | 'query-awareness' | 'other'

const LABELS: readonly MessageLabel[] = ['sync', 'awareness', 'auth', 'query-awareness']

/** The message type of a frame, from its first byte (y-websocket's message types 0–3). */
export function messageLabel(frame: Uint8Array): MessageLabel {
  return LABELS[frame[0]] ?? 'other'
}

export function createCounters(): RelayCounters {
  const zero = (): Record<MessageLabel, number> => ({ sync: 0, awareness: 0, auth: 0, 'query-awareness': 0, other: 0 })
  return {
    framesIn: zero(),
    bytesIn: zero(),
    framesOut: zero(),
    bytesOut: zero(),
    closes: new Map(),
    refusals: new Map(),
    hocuspocus: { sockets: 0, framesIn: 0, bytesIn: 0, framesOut: 0, bytesOut: 0 },
  }
}
