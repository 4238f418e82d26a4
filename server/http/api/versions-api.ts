/**
 * A document's versions over HTTP: list them, save a named one, read one in
 * any of the document formats, restore one, compare one with now or with
 * another. Registered on the documents API's app (`createDocumentsApi`),
 * behind the same name check, grants, errors and OpenAPI description;
 * routes in `version-routes.ts`.
 *
 * A restore is a change like any other: it goes the one way into the
 * document (`DocumentHandle.submit`, labelled `restore`, with the caller's
 * user), after the document as it was is saved as a `restore` version.
 */
import type { OpenAPIHono } from '@hono/zod-openapi'
import type { MiddlewareHandler } from 'hono'
import * as Y from 'yjs'
import { readTitle } from '../../../shared/document-title.ts'
import type { Grant } from '../../relay/grant.ts'
import { DocumentRefusal, type DocumentHandle } from '../../relay/relay-documents.ts'
import type { Relay } from '../../relay/relay.ts'
import type { VersionInfo } from '../../storage/types.ts'
import type { ApiNeed } from './api-access.ts'
import { ApiError } from './api-errors.ts'
import type { ApiEnv } from './documents-api.ts'
import type { NameQueue } from './name-queue.ts'
import { chooseFormat, etagOf, ifNoneMatchHits, MEDIA_TYPES } from './representations.ts'
import { compareVersionRoute, createVersionRoute, getVersionRoute, listVersionsRoute, MAX_VERSION_NAME_LENGTH, restoreVersionRoute } from './version-routes.ts'

/** What the versions routes use of the documents API they are part of (see `createDocumentsApi`). */
export interface VersionRoutesKit {
  /** Middleware run before a route's validators and handler. */
  guard(route: { method: string; getRoutingPath(): string }, ...middleware: MiddlewareHandler<ApiEnv>[]): void
  /** The document's name (`segmentsAfterName` path segments before the end) and the caller's grant for `need`. */
  documentAccess(need: ApiNeed, segmentsAfterName: number): MiddlewareHandler<ApiEnv>
  accept(...types: string[]): MiddlewareHandler<ApiEnv>
  limitBody(maxSize: number): MiddlewareHandler<ApiEnv>
  /** The document if it exists (never creates one); release it. */
  openExisting(name: string): Promise<DocumentHandle | null>
  /** Whether storage holds the document (503 when storage fails). */
  stored(name: string): Promise<boolean>
  conversions(): Promise<typeof import('./conversions.ts')>
  /** One replacement at a time per document: restores queue with PUTs. */
  replacements: NameQueue
  /** Submit a server-side change as the caller, under `label`; API errors for refusals. */
  submit(handle: DocumentHandle, update: Uint8Array, grant: Grant, label: string): Promise<'accepted' | 'unchanged'>
}

/** The label restores carry (hooks, logs, webhooks). */
const RESTORE_LABEL = 'restore'
/** A name is at most 100 characters: its JSON body has no business being larger than this. */
const MAX_NAME_BODY_BYTES = 16 * 1024
const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f-\u009f]+/g
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/

/**
 * Add the versions routes to the documents API's `app`. Called by
 * `createDocumentsApi`, before its catch-all 404.
 *
 * @example
 * registerVersionRoutes(app, relay, { guard, documentAccess, accept, limitBody, openExisting, stored, conversions, replacements, submit })
 */
export function registerVersionRoutes(app: OpenAPIHono<ApiEnv>, relay: Relay, kit: VersionRoutesKit): void {
  let contentLoaded: Promise<typeof import('./version-content.ts')> | null = null
  const content = (): Promise<typeof import('./version-content.ts')> => (contentLoaded ??= import('./version-content.ts'))

  /** A storage call; its failure is a 503 (logged), never a 500. */
  async function fromStorage<T>(what: string, call: () => Promise<T>): Promise<T> {
    try {
      return await call()
    } catch (error) {
      if (error instanceof ApiError) throw error
      relay.logger.error(`documents API: could not ${what}`, error)
      throw new ApiError(503, `could not ${what}; try again`)
    }
  }

  async function loadVersion(name: string, id: string): Promise<{ info: VersionInfo; state: Uint8Array }> {
    const found = await fromStorage('read the version', () => relay.loadVersion(name, id))
    if (!found) throw new ApiError(404, 'no such version')
    return found
  }

  async function openOr404(name: string): Promise<DocumentHandle> {
    const handle = await kit.openExisting(name)
    if (!handle) throw new ApiError(404, 'no such document')
    return handle
  }

  /** A version save: a deleted document is 410 (`DocumentRefusal`, answered by `answerError`), storage failing 503. */
  async function saved(saving: Promise<VersionInfo>): Promise<VersionInfo> {
    try {
      return await saving
    } catch (error) {
      if (error instanceof DocumentRefusal) throw error
      relay.logger.error('documents API: could not save a version', error)
      throw new ApiError(503, 'the version could not be saved; try again')
    }
  }

  kit.guard(listVersionsRoute, kit.documentAccess('read', 1))
  app.openapi(listVersionsRoute, async (c) => {
    const name = c.get('documentName')
    if (!(await kit.stored(name))) throw new ApiError(404, 'no such document')
    const versions = await fromStorage('list the versions', () => relay.listVersions(name))
    return c.json({ versions: versions.map(versionJson) }, 200)
  })

  kit.guard(createVersionRoute, kit.documentAccess('write', 1), kit.accept('application/json'), kit.limitBody(MAX_NAME_BODY_BYTES))
  app.openapi(createVersionRoute, async (c) => {
    const versionName = checkVersionName(c.req.valid('json').name)
    const handle = await openOr404(c.get('documentName'))
    try {
      return c.json(versionJson(await saved(handle.saveVersion({ kind: 'named', name: versionName }))), 201)
    } finally {
      handle.release()
    }
  })

  kit.guard(getVersionRoute, kit.documentAccess('read', 2))
  app.openapi(getVersionRoute, async (c) => {
    const format = chooseFormat(c, c.req.valid('query').format)
    const found = await loadVersion(c.get('documentName'), c.req.valid('param').id)
    const [{ represent }, { versionDoc }] = await Promise.all([kit.conversions(), content()])
    const doc = versionDoc(found.state)
    try {
      const headers = { ETag: etagOf(doc, format, null), Vary: 'Accept' }
      if (ifNoneMatchHits(c.req.header('if-none-match'), headers.ETag)) return c.body(null, 304, headers)
      // The state as saved, byte for byte; the other formats are read from it.
      if (format === 'yjs') return c.body(found.state as Uint8Array<ArrayBuffer>, 200, { ...headers, 'Content-Type': MEDIA_TYPES.yjs })
      const { body, contentType } = represent(doc, format, null)
      return c.body(body, 200, { ...headers, 'Content-Type': contentType })
    } finally {
      doc.destroy()
    }
  })

  kit.guard(restoreVersionRoute, kit.documentAccess('write', 3))
  app.openapi(restoreVersionRoute, async (c) => {
    const name = c.get('documentName')
    const { id } = c.req.valid('param')
    const grant = c.get('grant')
    const { restoreUpdate, documentJson } = await content()
    const result = await kit.replacements(name, async () => {
      const handle = await openOr404(name)
      try {
        const found = await loadVersion(name, id)
        // From here to `saveVersion`, no await: the restore version holds
        // exactly the state the change is computed on, and the queue keeps
        // this API's other replacements out until the change is committed.
        // Edits from live editors in between are merged with it, as for PUT.
        const update = restoreUpdate(handle.doc, found.state)
        if (update === null) return { status: 'unchanged' as const, savedBefore: null, document: documentJson(handle.doc), title: readTitle(handle.doc) }
        const before = await saved(handle.saveVersion({ kind: 'restore', name: restoreVersionName(found.info) }))
        const status = await kit.submit(handle, update, grant, RESTORE_LABEL)
        return { status, savedBefore: versionJson(before), document: documentJson(handle.doc), title: readTitle(handle.doc) }
      } finally {
        handle.release()
      }
    })
    return c.json(result, 200)
  })

  kit.guard(compareVersionRoute, kit.documentAccess('read', 3))
  app.openapi(compareVersionRoute, async (c) => {
    const name = c.get('documentName')
    const { with: other = 'now', format = 'json' } = c.req.valid('query')
    const base = await loadVersion(name, c.req.valid('param').id)
    const { compareVersions } = await content()
    let older: Uint8Array
    let newer: Uint8Array
    let live: Record<string, string> = {}
    if (other === 'now') {
      const handle = await openOr404(name)
      try {
        newer = Y.encodeStateAsUpdate(handle.doc)
        live = handle.pendingAuthorship().clients
      } finally {
        handle.release()
      }
      older = base.state
    } else {
      const second = await loadVersion(name, other)
      ;[older, newer] = isOlder(second.info, base.info) ? [second.state, base.state] : [base.state, second.state]
    }
    // Every version's writers: a client ID that wrote what is compared may have been recorded in any of them.
    const clients = mergeClients([...(await fromStorage('list the versions', () => relay.listVersions(name))).map((info) => info.clients), live])
    const comparison = compareVersions(older, newer, clients)
    if (format === 'html') return c.body(comparison.html, 200, { 'Content-Type': 'text/html; charset=utf-8' })
    return c.json(comparison, 200)
  })
}

/** A version as the API shows it. */
function versionJson(info: VersionInfo) {
  return { id: info.id, name: info.name, kind: info.kind, createdAt: info.createdAt.toISOString(), authors: info.authors, bytes: info.bytes }
}

/** A version name as kept: NFC, control characters as spaces, trimmed; 400 when empty, too long, or not text. */
export function checkVersionName(raw: string): string {
  const name = raw.normalize('NFC').replace(CONTROL_CHARACTERS, ' ').trim()
  if (name === '') throw new ApiError(400, 'the version name is empty', 'bad-version-name')
  if (name.length > MAX_VERSION_NAME_LENGTH) throw new ApiError(400, `the version name is over ${MAX_VERSION_NAME_LENGTH} characters`, 'bad-version-name')
  if (LONE_SURROGATE.test(name)) throw new ApiError(400, 'the version name is not valid text (a lone surrogate)', 'bad-version-name')
  return name
}

/** What the version saved before a restore is called: after the restored version's name, or its time. */
function restoreVersionName(restored: VersionInfo): string {
  const what = restored.name !== null ? `"${restored.name}"` : `the version of ${restored.createdAt.toISOString().slice(0, 16).replace('T', ' ')} UTC`
  return `Before restoring ${what}`
}

/** Whether `a` was saved before `b` (ids increase with saving: they break ties). */
function isOlder(a: VersionInfo, b: VersionInfo): boolean {
  const at = a.createdAt.getTime() - b.createdAt.getTime()
  if (at !== 0) return at < 0
  return /^\d+$/.test(a.id) && /^\d+$/.test(b.id) ? BigInt(a.id) < BigInt(b.id) : false
}

/** Client ID → name from several maps; a name wins over '' (a writer not known by name). */
function mergeClients(maps: Readonly<Record<string, string>>[]): Record<string, string> {
  const merged: Record<string, string> = {}
  for (const map of maps) for (const [client, name] of Object.entries(map)) if (!merged[client]) merged[client] = name
  return merged
}
