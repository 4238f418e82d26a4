/**
 * Every WebSocket close code the relay uses, with the reason it sends and
 * whether a client should reconnect. Server, client UI and tests import this
 * table; none of them repeat the numbers. `shared/PROTOCOL.md` explains each.
 *
 * Codes below 4000 are the standard ones (RFC 6455 §7.4.1); 4000–4999 are
 * ours. A stock y-websocket client reconnects after any close, so `retry`
 * is advice for clients that can tell the difference (ours can).
 */
export const CloseCode = {
  /** The server is shutting down (SIGTERM/SIGINT). Reconnect to another instance or later. */
  GOING_AWAY: { code: 1001, reason: 'server shutting down', retry: true },
  /** A text frame arrived; the protocol is binary only. */
  UNSUPPORTED_DATA: { code: 1003, reason: 'binary frames only', retry: false },
  /** A binary frame that does not decode as a protocol message (or a Yjs update that does not decode). */
  MALFORMED_MESSAGE: { code: 1007, reason: 'malformed message', retry: false },
  /** A frame larger than the configured maximum payload (sent by `ws` itself). */
  MESSAGE_TOO_BIG: { code: 1009, reason: 'message too big', retry: false },
  /** An unexpected server fault while handling this connection. */
  INTERNAL_ERROR: { code: 1011, reason: 'internal error', retry: true },
  /** The connection did not read its messages fast enough; its send buffer stayed over the limit. */
  SLOW_CONSUMER: { code: 1013, reason: 'send buffer over limit', retry: true },
  /**
   * The connection's grant (its token) expired. Stock clients stop; ours ask
   * their token function for a fresh token and reconnect.
   */
  TOKEN_EXPIRED: { code: 4401, reason: 'token expired', retry: false },
  /**
   * The document was deleted (over the HTTP API), or the client offers content of a deleted
   * document (an offline copy). Reconnecting would open a new, empty one: clients should not,
   * and should drop their copy.
   */
  DOCUMENT_DELETED: { code: 4410, reason: 'document deleted', retry: false },
  /**
   * A well-formed message over one of the relay's limits (an update with too
   * many structs or types nested too deep, a state vector naming too many
   * clients, a presence state too large, too many presence IDs). The same
   * message would be refused again. See PROTOCOL.md, "Limits".
   */
  LIMIT_EXCEEDED: { code: 4413, reason: 'over a relay limit', retry: false },
  /** The connection sent more messages or bytes per second than its rate limit allows, for longer than a burst. */
  RATE_LIMITED: { code: 4429, reason: 'too many messages', retry: false },
  /** The relay is reloading the document from storage (it refused to go on with a copy that may be damaged). Reconnect. */
  ROOM_RESET: { code: 4500, reason: 'document reloading', retry: true },
  /** The room's document could not be loaded from storage; nothing was served. Retry later. */
  ROOM_UNAVAILABLE: { code: 4503, reason: 'document could not be loaded', retry: true },
} as const

export type CloseCodeName = keyof typeof CloseCode
export type CloseCodeEntry = (typeof CloseCode)[CloseCodeName]

/** Look up a close code's entry by its number (for clients reporting why they were closed). */
export function describeCloseCode(code: number): CloseCodeEntry | undefined {
  for (const entry of Object.values(CloseCode)) {
    if (entry.code === code) return entry
  }
  return undefined
}
