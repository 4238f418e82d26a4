import type * as Y from 'yjs'
import type { DocumentStorage, VersionInfo } from '../storage/types.ts'
import type { GrantedUser } from './grant.ts'
import type { HookRunner } from './hooks.ts'
import type { Room } from './room.ts'
import { NotEmptyError } from './update-pipeline.ts'
import type { RoomRegistry } from './room-registry.ts'
import type { VersionAuthorship } from './version-authors.ts'
import { deletedStateVector } from './deleted-content.ts'
import type { DocumentBus } from './document-bus.ts'

/** A document opened from the server side (the HTTP API, a script): it stays loaded until `release`. */
export interface DocumentHandle {
  readonly name: string
  /** The document as committed. Read it; never change it (changes go through `submit`). */
  readonly doc: Y.Doc
  /** Connections editing it now. */
  readonly connections: number
  /**
   * Submit a Yjs update (v1) the same way a client's goes: checked, stored,
   * applied, relayed. Resolves once it is committed (`accepted`), or at once
   * when it adds nothing (`unchanged`); rejects with `DocumentRefusal`.
   */
  submit(update: Uint8Array, origin?: { label?: string; user?: GrantedUser; onlyIfEmpty?: boolean }): Promise<'accepted' | 'unchanged'>
  /**
   * Save a version of the document as committed now: `named` (someone named
   * it) or `restore` (the state before a restore). Its state and authors
   * (who edited since the previous version) are taken at the call, before
   * anything else can change the document. Resolves once stored; rejects
   * with `DocumentRefusal('gone')` for a deleted document, or the storage's error.
   */
  saveVersion(what: { kind: 'named' | 'restore'; name: string }): Promise<VersionInfo>
  /** Who edited since the last version, and the Yjs client IDs each wrote with (not taken: the next version still gets them). */
  pendingAuthorship(): VersionAuthorship
  release(): void
}

/**
 * Why a server-side submit was refused: `malformed`, over a `limit`, the
 * document is `gone` (deleted meanwhile), or, for a create-only submit, it
 * `exists` in storage (another instance, say, wrote it first).
 */
export class DocumentRefusal extends Error {
  override name = 'DocumentRefusal'
  constructor(
    readonly kind: 'malformed' | 'limit' | 'gone' | 'exists',
    message: string,
  ) {
    super(message)
  }
}

/** A stored document, as listed. */
export interface DocumentInfo {
  name: string
  /** Stored bytes (the log: a snapshot and the updates since). */
  bytes: number
  /** When it last changed (null for logs written before times were kept). */
  updatedAt: Date | null
  /** Connections editing it now. */
  connections: number
  /** The names of the people present in it now (from their presence), when it is loaded here. */
  people: string[]
}

/** The relay's documents from the server side. */
export interface DocumentAccess {
  /** Open (load or join) a document; release the handle when done. */
  openDocument(name: string): Promise<DocumentHandle>
  /** Open, run `use`, release. */
  withDocument<T>(name: string, use: (handle: DocumentHandle) => T | Promise<T>): Promise<T>
  /** Whether storage holds the document. */
  documentExists(name: string): Promise<boolean>
  /**
   * Delete a document: its connections are closed with 4410 (permanent), what
   * they sent is committed, then its storage is removed. False when there was
   * nothing stored.
   */
  deleteDocument(name: string): Promise<boolean>
  /** Stored documents in name order, after the cursor `after`, at most `limit`. */
  listDocuments(options: { prefix?: string; after?: string; limit: number }): Promise<DocumentInfo[]>
  /** A document's versions, newest first (none for an unknown document). */
  listVersions(name: string): Promise<VersionInfo[]>
  /** One version with its state (a Yjs update), or null for an unknown or malformed id. */
  loadVersion(name: string, id: string): Promise<{ info: VersionInfo; state: Uint8Array } | null>
}

export function createDocumentAccess(
  registry: RoomRegistry,
  storage: DocumentStorage,
  hooks: HookRunner,
  closing: () => boolean,
  bus?: DocumentBus,
): DocumentAccess {
  const handleOf = (room: Room): DocumentHandle => {
    let released = false
    return {
      name: room.name,
      doc: room.doc,
      get connections() {
        return room.connections.size
      },
      async submit(update, origin = {}) {
        if (room.deleted) throw new DocumentRefusal('gone', 'the document was deleted')
        const result = room.submit(update, { kind: 'server', label: origin.label ?? 'api', ...(origin.user ? { user: origin.user } : {}) }, { onlyIfEmpty: origin.onlyIfEmpty })
        if (result.status === 'refused') throw new DocumentRefusal(result.kind, result.reason)
        if (result.status === 'unchanged' || result.status === 'read-only') return 'unchanged'
        try {
          await result.committed
        } catch (error) {
          if (error instanceof NotEmptyError) throw new DocumentRefusal('exists', 'the document exists')
          throw error
        }
        return 'accepted'
      },
      saveVersion(what) {
        if (room.deleted) return Promise.reject(new DocumentRefusal('gone', 'the document was deleted'))
        return room.versions.save(what)
      },
      pendingAuthorship: () => room.versions.pendingAuthorship(),
      release() {
        if (released) return
        released = true
        room.release()
      },
    }
  }

  const documentExists = async (name: string): Promise<boolean> => {
    // Names sort before every longer name they are a prefix of: the first entry is the name itself, if stored.
    const [first] = await storage.describe({ prefix: name, limit: 1 })
    return first?.name === name
  }

  const access: DocumentAccess = {
    async openDocument(name) {
      if (closing()) throw new Error('the relay is shutting down')
      const room = await registry.acquire(name)
      room.hold()
      return handleOf(room)
    },
    async withDocument(name, use) {
      const handle = await access.openDocument(name)
      try {
        return await use(handle)
      } finally {
        handle.release()
      }
    },
    documentExists,
    deleteDocument: (name) =>
      registry.whileDeleting(name, async () => {
        const existed = await documentExists(name)
        const room = registry.get(name)
        if (room) await registry.closeDeleted(room)
        // What the document held is kept (as a state vector), so that a browser's offline copy cannot bring it back.
        const stored = await storage.load(name)
        await storage.delete(name, stored.updates.length > 0 ? deletedStateVector(stored.updates, stored.deleted) : undefined)
        // Other instances' editors of it are closed too (scale-out).
        bus?.publishDeleted(name)
        if (existed || room) hooks.emit('documentDeleted', { name })
        return existed
      }),
    async listDocuments({ prefix, after, limit }) {
      const stored = await storage.describe({ ...(prefix ? { prefix } : {}), ...(after !== undefined ? { after } : {}), limit })
      return stored.map((info) => {
        const room = registry.get(info.name)
        return { ...info, connections: room?.connections.size ?? 0, people: room?.peopleNames() ?? [] }
      })
    },
    listVersions: (name) => storage.listVersions(name),
    loadVersion: (name, id) => storage.loadVersion(name, id),
  }
  return access
}
