/**
 * A loaded document's versions: who edited since the last one, when to
 * save an automatic one, and saving (automatic, named, restore) with
 * retention thinning after each automatic save.
 *
 * When. An automatic version is saved once editing has settled (no edit for
 * `settleMs`) and at least `intervalMs` has passed since the previous
 * version of any kind; while editing goes on without settling, one is saved
 * anyway once `intervalMs + settleMs` have passed since the first edit it
 * would hold, so a day of non-stop typing is not one version. A document
 * without any version yet gets its first as soon as its first burst
 * settles: there is no previous one to space it from. A room that unloads
 * (or a relay that shuts down) with edits not in a version saves one then,
 * whatever the interval, so nothing edited goes unversioned.
 *
 * Several instances (scale-out). Only edits committed on this instance
 * count (a connection here, or the API here): an instance that only
 * received the others' edits saves nothing, so one burst typed on one
 * instance gives one version, not one per instance holding the document.
 * A burst typed on two instances at once gives a version on each, each
 * with its own authors: versions are about people, and neither instance
 * knows the other's.
 */
import * as Y from 'yjs'
import type { DocumentStorage, VersionInfo } from '../storage/types.ts'
import type { Connection } from './connection.ts'
import { FORMAT_UPGRADE_LABEL } from './format-upgrade.ts'
import type { HookRunner } from './hooks.ts'
import type { UpdateOrigin } from './origin.ts'
import type { RelayLogger } from './relay-socket.ts'
import { authorName, VersionAuthors, type VersionAuthorship } from './version-authors.ts'
import { thinVersions } from './version-retention.ts'
import type { VersionSettings } from './version-settings.ts'

/** Shortest wait before trying again after an automatic save failed (ms). */
const MIN_RETRY_MS = 1_000

/** What a room's versions need from the room. */
export interface RoomVersionsContext {
  name: string
  /** The room's document as committed; only read here. */
  doc: Y.Doc
  storage: DocumentStorage
  logger: RelayLogger
  hooks: HookRunner
  settings: VersionSettings
  /** The name in the presence `connection` owns, if any. */
  presenceName(connection: Connection): string | null
  /** The document was deleted, or its copy broke: nothing more is saved from it. */
  gone(): boolean
}

/** What a version is saved as: `named` and `restore` carry a name. */
export type SavedKind = { kind: 'auto'; name?: null } | { kind: 'named' | 'restore'; name: string }

/** One loaded document's versions (see the module comment); created and destroyed with its room. */
export class RoomVersions {
  private readonly authors = new VersionAuthors()
  /**
   * Each connection's key among the authors: a plain object, so a closed
   * connection (its socket, its buffers) is not held until the next version.
   */
  private readonly editorKeys = new WeakMap<Connection, object>()
  /** When the newest version was saved (ms); null: none yet; undefined: not read from storage yet. */
  private lastVersionAt: number | null | undefined = undefined
  private lastVersionRead: Promise<void> | null = null
  /** The first and the last edit not in a version yet (ms). */
  private firstUnsavedAt: number | null = null
  private lastEditAt = 0
  private timer: unknown = null
  /** Saves go to storage one after another, in the order they were asked for. */
  private queue: Promise<unknown> = Promise.resolve()
  private stopped = false

  constructor(private readonly context: RoomVersionsContext) {}

  private get automatic(): boolean {
    return this.context.settings.intervalMs > 0
  }

  /** An update was committed and applied: note who wrote it (`clients`: the Yjs client IDs it added to). */
  committed(origin: UpdateOrigin, clients: Iterable<number>): void {
    // Another instance's edit is that instance's to version; the format
    // upgrade at load is no one's edit.
    if (origin.kind === 'instance' || (origin.kind === 'server' && origin.label === FORMAT_UPGRADE_LABEL)) return
    try {
      this.noteAuthor(origin, clients)
    } catch (error) {
      // Called from the pipeline's commit: whatever goes wrong here must not stop relaying.
      this.context.logger.error(`room "${this.context.name}": could not note who edited`, error)
    }
    const now = this.context.settings.clock.now()
    this.lastEditAt = now
    this.firstUnsavedAt ??= now
    this.schedule()
  }

  private noteAuthor(origin: Exclude<UpdateOrigin, { kind: 'instance' }>, clients: Iterable<number>): void {
    if (origin.kind === 'connection') {
      const { connection } = origin
      let key = this.editorKeys.get(connection)
      if (!key) this.editorKeys.set(connection, (key = {}))
      const granted = authorName(connection.grant.user?.name)
      const inPresence = (): string | null => authorName(this.context.presenceName(connection))
      // A granted name is final; one from presence may come after the first edit (looked for again later).
      if (granted !== null) this.authors.note(key, granted, clients)
      else this.authors.note(key, inPresence(), clients, inPresence)
    } else {
      const name = authorName(origin.user?.name)
      // One author per person however many calls they make; those without a name together.
      this.authors.note(`server:${origin.user?.id ?? name ?? ''}`, name, clients)
    }
  }

  /** The connection is leaving (its presence with it): its name, if it had none yet, is looked for one last time. */
  connectionLeaving(connection: Connection): void {
    const key = this.editorKeys.get(connection)
    // Its last chance at a name; the lookup (which holds the connection) is dropped.
    if (key) this.authors.settle(key)
  }

  /** Who edited since the last version (and with which client IDs), without taking it. */
  pendingAuthorship(): VersionAuthorship {
    return this.authors.peek()
  }

  /**
   * Save the document as it is now. The state and the authors are taken at
   * the call, synchronously: a caller that computes a change in the same
   * step (a restore) knows exactly what the version holds. Resolves once
   * stored; rejects when storage refuses (the authors then go into the next
   * version).
   */
  save(what: SavedKind): Promise<VersionInfo> {
    if (this.context.gone()) return Promise.reject(new Error('the document was deleted or is being reloaded'))
    const { doc, storage, name } = this.context
    const { clock } = this.context.settings
    const state = Y.encodeStateAsUpdate(doc)
    const stateVector = Y.encodeStateVector(doc)
    const taken = this.authors.take()
    const createdAt = clock.now()
    const before = { lastVersionAt: this.lastVersionAt, firstUnsavedAt: this.firstUnsavedAt }
    this.lastVersionAt = createdAt
    this.firstUnsavedAt = null
    this.clearTimer()
    const version = { state, name: what.name ?? null, kind: what.kind, createdAt: new Date(createdAt), authors: taken.authors, clients: taken.clients }
    const saving = this.queue.then(() => storage.saveVersion(name, version))
    this.queue = saving.catch(() => {})
    return saving.then(
      (info) => {
        this.context.hooks.emit('versionCreated', { name, version: info, stateVector })
        return info
      },
      (error: unknown) => {
        this.authors.putBack(taken)
        if (this.lastVersionAt === createdAt) this.lastVersionAt = before.lastVersionAt
        if (before.firstUnsavedAt !== null) this.firstUnsavedAt = Math.min(before.firstUnsavedAt, this.firstUnsavedAt ?? Infinity)
        // What it took is unsaved again: it goes into an automatic version in time.
        this.firstUnsavedAt ??= taken.authors.length > 0 ? createdAt : null
        this.schedule()
        throw error
      },
    )
  }

  /** Save an automatic version of edits not in one yet (the room is unloading); resolves either way. */
  async saveUnversioned(): Promise<void> {
    this.clearTimer()
    if (!this.automatic || this.authors.empty || this.context.gone()) return
    await this.saveAutomatic()
  }

  /** No more timers (the room is being destroyed). */
  stop(): void {
    this.stopped = true
    this.clearTimer()
  }

  private async saveAutomatic(): Promise<void> {
    try {
      await this.save({ kind: 'auto' })
    } catch (error) {
      this.context.logger.warn(`room "${this.context.name}": could not save a version (${error instanceof Error ? error.message : String(error)}); trying again later`)
      this.retryLater()
      return
    }
    try {
      const { storage, name, settings } = this.context
      const doomed = thinVersions(await storage.listVersions(name), settings.clock.now(), settings.retention)
      if (doomed.length > 0) await storage.deleteVersions(name, doomed)
    } catch (error) {
      // Thinned after the next automatic version instead.
      this.context.logger.warn(`room "${this.context.name}": could not thin its versions (${error instanceof Error ? error.message : String(error)})`)
    }
  }

  /** Set the timer for the next automatic version, from what is known now. */
  private schedule(): void {
    if (!this.automatic || this.stopped || this.firstUnsavedAt === null) return
    if (this.lastVersionAt === undefined) {
      this.lastVersionRead ??= this.readLastVersion().then(() => this.schedule())
      return
    }
    const { settleMs, intervalMs, clock } = this.context.settings
    const spaced = this.lastVersionAt === null ? -Infinity : this.lastVersionAt + intervalMs
    const settled = Math.max(this.lastEditAt + settleMs, spaced)
    // Never before `spaced`: the first unsaved edit came after the last version.
    const atLatest = this.firstUnsavedAt + intervalMs + settleMs
    this.setTimer(Math.max(spaced, Math.min(settled, atLatest)) - clock.now())
  }

  private async readLastVersion(): Promise<void> {
    try {
      const [newest] = await this.context.storage.listVersions(this.context.name)
      if (this.lastVersionAt === undefined) this.lastVersionAt = newest ? newest.createdAt.getTime() : null
    } catch (error) {
      // Unknown: space the first one from now, as if a version had just been saved.
      this.context.logger.warn(`room "${this.context.name}": could not read its versions (${error instanceof Error ? error.message : String(error)})`)
      if (this.lastVersionAt === undefined) this.lastVersionAt = this.context.settings.clock.now()
    }
  }

  private retryLater(): void {
    if (this.stopped || this.context.gone()) return
    this.setTimer(Math.max(MIN_RETRY_MS, this.context.settings.settleMs))
  }

  private setTimer(ms: number): void {
    this.clearTimer()
    const { clock } = this.context.settings
    this.timer = clock.setTimeout(() => {
      this.timer = null
      if (this.stopped || this.context.gone() || this.authors.empty) return
      void this.saveAutomatic()
    }, Math.max(0, ms))
  }

  private clearTimer(): void {
    if (this.timer === null) return
    this.context.settings.clock.clearTimeout(this.timer)
    this.timer = null
  }
}
