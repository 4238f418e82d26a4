import type { VersionInfo } from '../storage/types.ts'
import type { Grant } from './grant.ts'
import type { OriginInfo } from './origin.ts'
import type { RelayLogger } from './relay-socket.ts'

/**
 * What the relay tells its subscribers (metrics, webhooks, tests): a small,
 * typed list of lifecycle events, in the shape of Hocuspocus's extension
 * hooks. Every subscriber gets every event in order, each awaited before the
 * next; the relay itself never waits for them (a slow webhook cannot slow
 * relaying), and a subscriber that throws is logged and skipped.
 */
export interface RelayHooks {
  /** A document was loaded from storage (`bytes`: its stored size). */
  documentLoaded?(event: { name: string; bytes: number; setAside: number }): void | Promise<void>
  /** Updates were committed to storage and applied (one event per update). */
  updateCommitted?(event: { name: string; update: Uint8Array; origin: OriginInfo; created: boolean }): void | Promise<void>
  /** A document left memory (no connections, no holders, everything committed). */
  documentUnloaded?(event: { name: string }): void | Promise<void>
  /** A document was deleted (its storage removed, its connections closed). */
  documentDeleted?(event: { name: string }): void | Promise<void>
  /** A connection joined a document. */
  connectionOpened?(event: { name: string; grant: Grant }): void | Promise<void>
  /** A connection left (`code`: the close code the relay sent, if it closed it). */
  connectionClosed?(event: { name: string; code: number | null }): void | Promise<void>
  /** Storage took a batch (`ms`: how long the append took; `error` when it failed). */
  storageAppended?(event: { name: string; updates: number; bytes: number; ms: number; error?: Error }): void | Promise<void>
  /** The log was compacted (or failed to be). */
  storageCompacted?(event: { name: string; ms: number; error?: Error }): void | Promise<void>
  /** A version of a document was saved (automatic, named, or before a restore); `stateVector`: the saved state's (Yjs, v1). */
  versionCreated?(event: { name: string; version: VersionInfo; stateVector: Uint8Array }): void | Promise<void>
}

export type HookName = keyof RelayHooks
type HookEvent<Name extends HookName> = Parameters<NonNullable<RelayHooks[Name]>>[0]

/** Delivers hook events to subscribers, in order, off the relay's own path. */
export class HookRunner {
  private readonly subscribers: RelayHooks[] = []
  private queue: (() => Promise<void>)[] = []
  private running = false

  constructor(private readonly logger: RelayLogger) {}

  /** Subscribe; returns the way to unsubscribe. */
  add(hooks: RelayHooks): () => void {
    this.subscribers.push(hooks)
    return () => {
      const at = this.subscribers.indexOf(hooks)
      if (at >= 0) this.subscribers.splice(at, 1)
    }
  }

  /** Whether anyone listens for `name` (so callers can skip building an event nobody reads). */
  wants(name: HookName): boolean {
    return this.subscribers.some((hooks) => hooks[name] !== undefined)
  }

  emit<Name extends HookName>(name: Name, event: HookEvent<Name>): void {
    const listeners = this.subscribers.filter((hooks) => hooks[name] !== undefined)
    if (listeners.length === 0) return
    this.queue.push(async () => {
      for (const hooks of listeners) {
        try {
          await (hooks[name] as (event: HookEvent<Name>) => void | Promise<void>)(event)
        } catch (error) {
          this.logger.error(`hook ${name} failed`, error)
        }
      }
    })
    if (!this.running) void this.drain()
  }

  /** Resolves once every event emitted so far has been delivered. */
  async settled(): Promise<void> {
    while (this.running || this.queue.length > 0) await new Promise((resolve) => setImmediate(resolve))
  }

  private async drain(): Promise<void> {
    this.running = true
    try {
      while (this.queue.length > 0) {
        const next = this.queue.shift()!
        await next()
      }
    } finally {
      this.running = false
    }
  }
}
