/**
 * How relay instances that share documents (and their storage) tell each
 * other what changed: the seam scale-out plugs into (`server/scale/` has the
 * Redis implementation). The relay core knows only this interface.
 *
 * The contract the relay relies on:
 * - An instance publishes an update only after storage committed it, so
 *   whatever another instance receives is already durable, and whatever it
 *   missed (a Redis outage, a trimmed stream) is in storage.
 * - `subscribe` starts after `position`: a room takes the position before it
 *   loads from storage, so nothing published between the two is lost.
 * - After any gap the bus calls `resync`: the room reconciles its copy with
 *   storage by state vectors.
 */
export interface DocumentBus {
  /** This instance's ID (different in every process). */
  readonly instanceId: string
  /** Where the document's channel ends now: pass it to `subscribe` after loading. */
  position(name: string): Promise<string>
  /** Receive what other instances publish for `name` after `from`. */
  subscribe(name: string, from: string, receiver: BusReceiver): BusSubscription
  /** A committed update, for the other instances' copies of the document. */
  publishUpdate(name: string, update: Uint8Array): void
  /** A presence (awareness) update from this instance's connections. */
  publishPresence(name: string, awarenessUpdate: Uint8Array): void
  /** Ask the other instances holding `name` to publish their presence in full. */
  queryPresence(name: string): void
  /** A stateless message from a client here, for the clients of `name` on other instances. Not stored: one missed is lost. */
  publishStateless(name: string, payload: string): void
  /**
   * The document was deleted here (storage has forgotten it): the other
   * instances close their copies' connections with 4410. One missed leaves
   * that instance's editors on a copy until they leave; the next load of the
   * name finds it deleted.
   */
  publishDeleted(name: string): void
}

/** What a room does with what other instances publish. */
export interface BusReceiver {
  update(update: Uint8Array, instanceId: string): void
  presence(awarenessUpdate: Uint8Array, instanceId: string): void
  /** Another instance asked for everyone's presence in this document. */
  presenceQueried(): void
  /** A stateless message a client sent on another instance. */
  stateless(payload: string, instanceId: string): void
  /** The instance stopped (it said so, or its heartbeats stopped): drop its presence. */
  instanceGone(instanceId: string): void
  /** Another instance deleted the document. */
  deleted(instanceId: string): void
  /** Messages may have been missed: reconcile with storage. */
  resync(): void
}

export interface BusSubscription {
  close(): void
}
