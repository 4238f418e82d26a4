import { mkdirSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname } from 'node:path'
import { pathToFileURL } from 'node:url'
import { Worker } from 'node:worker_threads'
import { unpackUpdates, type PackedUpdates } from './packed-updates.ts'
import { openDatabase, type LogEnd } from './sqlite-engine.ts'
import { packAppends, type SqliteRequest, type SqliteResponse, type SqliteWorkerData } from './sqlite-protocol.ts'
import type { DocumentStorage, StoredDocument, StoredDocumentInfo, VersionInfo } from './types.ts'
import { checkNewVersion } from './version-fields.ts'

/** Options for `createSqliteStorage`. */
export interface SqliteStorageOptions {
  /** Database file; its directory is created if missing. `:memory:` works for tests. */
  file: string
  /**
   * `full` (default) syncs the write-ahead log to disk at every commit, so a
   * committed update survives a power cut, not only a crash of the relay.
   * `normal` survives any crash of the relay process but may lose the last
   * commits if the machine itself goes down; it is faster on slow disks.
   */
  synchronous?: 'full' | 'normal'
}

/**
 * A small young generation for the worker's V8 heap. What the worker
 * allocates (a batch's rows and statement arguments) dies within the batch,
 * and with V8's default (up to 3 x 16 MiB) its scavenges ran over a nursery
 * far larger than the CPU's caches: with 6 MiB the 2-editor flood with SQLite
 * went from 16.7-22.3k to 18.2-26.6k deliveries/s (nine interleaved pairs, the
 * smaller young generation ahead in each) and the process's RSS with the
 * trace's clients connected from 139 to 131-134 MiB. 3 and 12 MiB did no better.
 */
const WORKER_LIMITS = { maxYoungGenerationSizeMb: 6 }

/**
 * Start the worker: the compiled `sqlite-worker.js` beside this file, or,
 * running from the TypeScript sources (tests, development), the `.ts` source
 * through tsx's loader, registered inside the worker (workers take no
 * `--import`).
 */
function startWorker(workerData: SqliteWorkerData): Worker {
  if (!import.meta.url.endsWith('.ts')) return new Worker(new URL('./sqlite-worker.js', import.meta.url), { workerData, resourceLimits: WORKER_LIMITS })
  // tsx's ESM API (its `import` build: the `require` one cannot register from an eval'd worker).
  const api = pathToFileURL(createRequire(import.meta.url).resolve('tsx/esm/api').replace(/\.cjs$/, '.mjs')).href
  const source = new URL('./sqlite-worker.ts', import.meta.url).href
  const bootstrap = `import(${JSON.stringify(api)}).then((tsx) => { tsx.register(); return import(${JSON.stringify(source)}) })`
  return new Worker(bootstrap, { eval: true, workerData, resourceLimits: WORKER_LIMITS })
}

type Request = SqliteRequest extends infer R ? (R extends { id: number } ? Omit<R, 'id'> : never) : never

/**
 * The embedded default: one SQLite file in WAL mode, an append-only log of
 * updates per document with compacted snapshots in place of their prefix.
 *
 * better-sqlite3 is synchronous, and an fsync can take milliseconds: run on
 * the relay's thread, every commit would hold up the relaying of every other
 * document. So the database lives on a worker thread (sqlite-worker.ts);
 * this side only posts requests. Appends from every room that arrive in the
 * same turn are committed together in one transaction (group commit): one
 * fsync per turn, however many documents are being edited.
 *
 * The file is opened, checked (a newer schema is refused) and migrated here,
 * synchronously, before the worker starts: a bad file fails the call that
 * opens it.
 */
export function createSqliteStorage(options: SqliteStorageOptions): DocumentStorage {
  const synchronous = options.synchronous ?? 'full'
  if (options.file !== ':memory:') {
    mkdirSync(dirname(options.file), { recursive: true })
    openDatabase(options.file, synchronous).close()
  }
  const worker = startWorker({ file: options.file, synchronous })
  const pending = new Map<number, { resolve(value: unknown): void; reject(error: Error): void; part?(part: PackedUpdates): void }>()
  let nextId = 1
  let closed = false
  let failure: Error | null = null
  // The worker keeps the process alive only while a request waits for it.
  worker.unref()

  const settleAll = (error: Error): void => {
    failure ??= error
    for (const waiting of pending.values()) waiting.reject(error)
    pending.clear()
    worker.unref()
  }
  worker.on('message', (response: SqliteResponse) => {
    if (response.id === 0) {
      if ('ok' in response && !response.ok) settleAll(toError(response.error))
      return
    }
    const waiting = pending.get(response.id)
    if (!waiting) return
    if ('part' in response) {
      waiting.part?.(response.part)
      return
    }
    pending.delete(response.id)
    if (pending.size === 0) worker.unref()
    if (response.ok) waiting.resolve(response.value)
    else waiting.reject(toError(response.error))
  })
  worker.on('error', (error) => settleAll(error))
  worker.on('exit', (code) => {
    if (!closed) settleAll(new Error(`the SQLite worker stopped (exit code ${code})`))
  })

  // The appends of one turn go to the worker as one batch, committed in one transaction.
  let queue: { name: string; updates: Uint8Array[]; resolve(head: number): void; reject(error: Error): void }[] = []
  const sendQueue = (): void => {
    const batch = queue
    queue = []
    if (batch.length === 0) return
    const packed = packAppends(batch)
    ask<number[]>({ op: 'append', ...packed }, [packed.buffer, packed.lengths.buffer as ArrayBuffer]).then(
      (heads) => batch.forEach((entry, i) => entry.resolve(heads[i])),
      (error: Error) => batch.forEach((entry) => entry.reject(error)),
    )
  }

  const ask = <T>(request: Request, transfer: ArrayBuffer[] = [], part?: (part: PackedUpdates) => void): Promise<T> => {
    if (failure) return Promise.reject(failure)
    // A closed storage answers at once, as the database handle itself would (its worker is gone).
    if (closed && request.op !== 'close') return Promise.reject(new Error('storage is closed'))
    return new Promise<T>((resolve, reject) => {
      const id = nextId++
      if (pending.size === 0) worker.ref()
      pending.set(id, { resolve: resolve as (value: unknown) => void, reject, part })
      worker.postMessage({ ...request, id }, transfer)
    })
  }

  return {
    // The worker sends the log in parts as it reads them; each is handed on as it comes.
    async load(name, onPart): Promise<StoredDocument> {
      sendQueue()
      const updates: Uint8Array[] = []
      const end = await ask<LogEnd>({ op: 'load', name }, [], (packed) => {
        const part = unpackUpdates(packed)
        for (const update of part) updates.push(update)
        onPart?.(part)
      })
      if (updates.length !== end.count) throw new Error(`load: the worker sent ${updates.length} of ${end.count} updates`)
      return { updates, head: end.head, bytes: end.bytes, ...(end.deleted ? { deleted: end.deleted } : {}) }
    },
    append(name, updates) {
      if (closed) return Promise.reject(new Error('storage is closed'))
      if (updates.length === 0) return Promise.reject(new RangeError('append: no updates'))
      return new Promise<number>((resolve, reject) => {
        if (queue.length === 0) setImmediate(sendQueue)
        queue.push({ name, updates: [...updates], resolve, reject })
      })
    },
    // Appends called for before it commit first (the worker handles requests in order), and count.
    async appendIfEmpty(name, updates) {
      if (closed) throw new Error('storage is closed')
      if (updates.length === 0) throw new RangeError('appendIfEmpty: no updates')
      sendQueue()
      return ask<number | null>({ op: 'appendIfEmpty', name, updates: [...updates] })
    },
    async compact(name, state, head, setAside = []) {
      sendQueue()
      await ask({ op: 'compact', name, state, head, setAside: [...setAside] })
    },
    quarantined: (name) => (sendQueue(), ask({ op: 'quarantined', name })),
    // Appends called for before a rename or delete commit first, and so move or go with the document.
    rename: (from, to) => (sendQueue(), ask({ op: 'rename', from, to })),
    delete: (name, deleted) => (sendQueue(), ask({ op: 'delete', name, ...(deleted ? { deleted } : {}) })),
    list: () => (sendQueue(), ask<string[]>({ op: 'list' })),
    describe: (options) => (sendQueue(), ask<StoredDocumentInfo[]>({ op: 'describe', options })),
    // Appends called for before a version is saved commit first: a document's first version finds the log it follows.
    async saveVersion(document, version) {
      const checked = checkNewVersion(version)
      sendQueue()
      return ask<VersionInfo>({ op: 'saveVersion', document, version: checked })
    },
    listVersions: (document) => (sendQueue(), ask<VersionInfo[]>({ op: 'listVersions', document })),
    loadVersion: (document, id) =>
      (sendQueue(), ask<{ info: VersionInfo; state: Uint8Array } | null>({ op: 'loadVersion', document, versionId: id })),
    deleteVersions: (document, ids) => (sendQueue(), ask<void>({ op: 'deleteVersions', document, ids: [...ids] })),
    async close() {
      if (closed) return
      // Appends called for before close are sent first, and commit before the database closes.
      sendQueue()
      closed = true
      try {
        if (!failure) await ask({ op: 'close' })
      } finally {
        await worker.terminate()
      }
    },
  }
}

/** An error from the worker, as the same kind of error here. */
function toError(described: { name: string; message: string }): Error {
  const error = described.name === 'RangeError' ? new RangeError(described.message) : described.name === 'TypeError' ? new TypeError(described.message) : new Error(described.message)
  if (error.name !== described.name) error.name = described.name
  return error
}
