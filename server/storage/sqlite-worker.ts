/**
 * The SQLite storage's worker thread: it owns the database connection, so
 * commits (and their fsync) never block the relay's event loop. The relay
 * side sends the appends of each of its turns as one batch; batches that
 * arrive while this thread is busy are committed together in one
 * transaction (group commit across documents: one fsync per turn, however
 * many documents are being edited). Any other request first commits the
 * appends received before it, so it sees them.
 */
import { parentPort, workerData } from 'node:worker_threads'
import { createSqliteEngine, openDatabase, type SqliteEngine } from './sqlite-engine.ts'
import { unpackAppends, type SqliteRequest, type SqliteResponse, type SqliteWorkerData } from './sqlite-protocol.ts'

const port = parentPort!
const { file, synchronous } = workerData as SqliteWorkerData

let engine: SqliteEngine
try {
  engine = createSqliteEngine(openDatabase(file, synchronous))
} catch (error) {
  port.postMessage({ id: 0, ok: false, error: describeError(error) } satisfies SqliteResponse)
  throw error
}
port.postMessage({ id: 0, ok: true, value: null } satisfies SqliteResponse)

/** Append batches received and not committed yet (each is one turn of the relay's appends). */
let appends: { id: number; batch: { name: string; updates: Uint8Array[] }[] }[] = []
let scheduled = false

function commitAppends(): void {
  scheduled = false
  const received = appends
  appends = []
  if (received.length === 0) return
  try {
    const heads = engine.appendAll(received.flatMap((request) => request.batch))
    let at = 0
    for (const request of received) {
      port.postMessage({ id: request.id, ok: true, value: heads.slice(at, at + request.batch.length) } satisfies SqliteResponse)
      at += request.batch.length
    }
  } catch (error) {
    const described = describeError(error)
    for (const request of received) port.postMessage({ id: request.id, ok: false, error: described } satisfies SqliteResponse)
  }
}

port.on('message', (request: SqliteRequest) => {
  if (request.op === 'append') {
    appends.push({ id: request.id, batch: unpackAppends(request) })
    if (!scheduled) {
      scheduled = true
      setImmediate(commitAppends)
    }
    return
  }
  commitAppends()
  try {
    port.postMessage({ id: request.id, ok: true, value: run(request) } satisfies SqliteResponse)
  } catch (error) {
    port.postMessage({ id: request.id, ok: false, error: describeError(error) } satisfies SqliteResponse)
  }
  if (request.op === 'close') port.close()
})

function run(request: Exclude<SqliteRequest, { op: 'append' }>): unknown {
  switch (request.op) {
    case 'load':
      // Each part goes as soon as it is read: the main thread replays it while this thread reads on.
      return engine.load(request.name, (part) => {
        port.postMessage({ id: request.id, part } satisfies SqliteResponse, [part.buffer, part.lengths.buffer as ArrayBuffer])
      })
    case 'appendIfEmpty':
      return engine.appendIfEmpty(request.name, request.updates)
    case 'compact':
      return engine.compact(request.name, request.state, request.head, request.setAside)
    case 'quarantined':
      return engine.quarantined(request.name)
    case 'rename':
      return engine.rename(request.from, request.to)
    case 'delete':
      return engine.delete(request.name, request.deleted)
    case 'list':
      return engine.list()
    case 'describe':
      return engine.describe(request.options)
    case 'saveVersion':
      return engine.saveVersion(request.document, request.version)
    case 'listVersions':
      return engine.listVersions(request.document)
    case 'loadVersion':
      return engine.loadVersion(request.document, request.versionId)
    case 'deleteVersions':
      return engine.deleteVersions(request.document, request.ids)
    case 'flush':
      return null
    case 'close':
      return engine.close()
  }
}

function describeError(error: unknown): { name: string; message: string } {
  return error instanceof Error ? { name: error.name, message: error.message } : { name: 'Error', message: String(error) }
}
