/**
 * The whole of what the relay core needs from a transport. The Hono/`ws`
 * adapter (`server/http/ws-socket.ts`) maps a real WebSocket onto it; tests may map
 * anything else. Nothing in `server/relay/` imports a WebSocket library.
 */
export interface RelaySocket {
  /**
   * Queue one binary frame. Never throws for a closed socket; the core checks
   * `isOpen` first. The bytes must not change after the call: a transport may
   * write them later, and may share one framing of them among the sockets a
   * fan-out sends the same frame to.
   */
  send(frame: Uint8Array): void
  /** Start the closing handshake with a code from `shared/close-codes.ts`. */
  close(code: number, reason: string): void
  /** Bytes queued for sending but not yet written to the network. */
  readonly bufferedAmount: number
  /** Whether frames can still be sent. */
  readonly isOpen: boolean
  /**
   * Optional: hold frames sent until `uncork()` and write them together.
   * The room corks every member while it relays a committed batch, so a
   * burst of updates costs one write per connection instead of one each.
   */
  cork?(): void
  uncork?(): void
  /**
   * Optional: stop reading frames from the peer until `resume()`. The relay
   * pauses a connection whose updates pile up faster than storage commits
   * them, so a flood waits in the peer's TCP buffer, not in relay memory.
   */
  pause?(): void
  resume?(): void
  /**
   * Optional: told of every update (sync step 2 or update) the room took from
   * this socket's peer, with a promise of its fate: true once it is committed
   * to storage and applied (or added nothing, after everything before it was),
   * false when refused as read-only. Dialects that acknowledge each update
   * (Hocuspocus's SyncStatus) answer from it.
   */
  updateSettled?(outcome: Promise<boolean>): void
  /**
   * Optional: a stateless message (Hocuspocus's, a string the relay does
   * not read) that a client of the document sent on another instance. A
   * dialect without stateless messages leaves it out.
   */
  receiveStateless?(payload: string): void
}

/** Where the core reports what it does not handle itself. */
export interface RelayLogger {
  info(message: string): void
  warn(message: string): void
  error(message: string, error?: unknown): void
}

/** A logger for library use: warnings and errors to the console, nothing else. */
export const consoleLogger: RelayLogger = {
  info() {},
  warn: (message) => console.warn(message),
  error: (message, error) => console.error(message, error ?? ''),
}
