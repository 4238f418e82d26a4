/**
 * Documents over HTTP: read a document as JSON, HTML, Markdown, text or
 * Yjs; apply a Yjs update; replace its content; delete it; list them.
 * Every change goes the one way into a document (`DocumentHandle.submit`),
 * so it is checked, stored before it is relayed, and live editors receive
 * it like any other edit. Routes and their OpenAPI description come from
 * `routes.ts`.
 */
import { OpenAPIHono } from '@hono/zod-openapi'
import type { Context, MiddlewareHandler } from 'hono'
import { bodyLimit } from 'hono/body-limit'
import { cors } from 'hono/cors'
import { createMiddleware } from 'hono/factory'
import type { Node as ProseMirrorNode } from 'prosemirror-model'
import type * as Y from 'yjs'
import { roomNameFromPath } from '../../../shared/room-name.ts'
import type { Grant } from '../../relay/grant.ts'
import { DocumentRefusal, type DocumentHandle } from '../../relay/relay-documents.ts'
import { readTitle } from '../../../shared/document-title.ts'
import type { Relay } from '../../relay/relay.ts'
import { VERSION } from '../../version.ts'
import type { Authenticate } from '../authenticate.ts'
import { createOriginCheck, ORIGIN_NOT_ALLOWED } from '../origin-check.ts'
import { createApiAccess, type ApiNeed } from './api-access.ts'
import { answerError, ApiError, refusalError } from './api-errors.ts'
import { createNameQueue } from './name-queue.ts'
import { checkPrefix, decodeCursor, decodeStateVectorParam, encodeCursor } from './query-values.ts'
import { chooseFormat, etagOf, ifNoneMatchHits } from './representations.ts'
import { deleteDocumentRoute, getDocumentRoute, listDocumentsRoute, postUpdateRoute, putDocumentRoute } from './routes.ts'
import { registerVersionRoutes } from './versions-api.ts'

/** Options for `createDocumentsApi`. */
export interface DocumentsApiOptions {
  /**
   * Grant or refuse each call: the relay app's `authenticate`, asked about
   * the document a call is for (a list: the pattern `<prefix>*`). Without it
   * (or with `allowEveryone`) the relay is open, and so is the API: every
   * call is allowed, listing and deleting included.
   */
  authenticate?: Authenticate
  /** Browser origins that may call the API (as for upgrades: `createOriginCheck`). Default: any. */
  allowedOrigins?: string[]
  /** Largest Yjs update `POST …/updates` takes, in bytes. Default 16 MiB (the relay's largest frame). */
  maxUpdateBytes?: number
  /** Largest content `PUT` takes, in bytes. Default 4 MiB. */
  maxContentBytes?: number
}

/** What a request carries through the API's middleware: the document's name and the caller's grant. */
export type ApiEnv = { Variables: { documentName: string; grant: Grant } }

const DEFAULT_MAX_UPDATE_BYTES = 16 * 1024 * 1024
const DEFAULT_MAX_CONTENT_BYTES = 4 * 1024 * 1024
const DEFAULT_PAGE_SIZE = 100
/** What PUT takes: Markdown, HTML, ProseMirror JSON. */
const PUT_MEDIA_TYPES = ['text/markdown', 'text/html', 'application/json']
/** The label server-side changes made through this API carry (hooks, logs). */
const ORIGIN_LABEL = 'http-api'

/**
 * The documents API as a Hono app, to mount under `/api` of the relay app
 * (`createRelayApp` does). `GET /openapi.json` describes it (OpenAPI 3.1).
 *
 * @example
 * const app = new Hono()
 * app.route('/api', createDocumentsApi(relay, { authenticate }))
 * // GET /api/documents/team%2Fspecs?format=markdown
 */
export function createDocumentsApi(relay: Relay, options: DocumentsApiOptions = {}): OpenAPIHono<ApiEnv> {
  const maxUpdateBytes = positive('maxUpdateBytes', options.maxUpdateBytes, DEFAULT_MAX_UPDATE_BYTES)
  const maxContentBytes = positive('maxContentBytes', options.maxContentBytes, DEFAULT_MAX_CONTENT_BYTES)
  const originAllowed = createOriginCheck(options.allowedOrigins)
  const access = createApiAccess(options.authenticate)
  // Loaded on the first call that converts (see conversions.ts).
  let conversionsLoaded: Promise<typeof import('./conversions.ts')> | null = null
  const conversions = (): Promise<typeof import('./conversions.ts')> => (conversionsLoaded ??= import('./conversions.ts'))
  // One replacement at a time per document (see name-queue.ts). One API per
  // relay: a second API mounted on the same relay would keep its own queue.
  const replacements = createNameQueue()

  const app = new OpenAPIHono<ApiEnv>({
    defaultHook: (result) => {
      if (!result.success) {
        throw new ApiError(400, result.error.issues.map((issue) => `${issue.path.join('.') || 'request'}: ${issue.message}`).join('; '))
      }
    },
  })
  app.onError((error, c) => answerError(error, c, relay.logger))

  app.use('*', async (c, next) => {
    await next()
    // Documents are other people's text: never let a browser run or sniff what we send.
    c.res.headers.set('X-Content-Type-Options', 'nosniff')
    c.res.headers.set('Content-Security-Policy', "default-src 'none'; frame-ancestors 'none'; sandbox")
    // Answers depend on the caller's grant: no shared caches; revalidate with the ETag.
    if (!c.res.headers.has('Cache-Control')) c.res.headers.set('Cache-Control', 'private, no-cache')
  })
  // Tokens travel in a header or the query, never as cookies, so any origin
  // may call, as any may upgrade; `allowedOrigins` narrows both.
  app.use(
    '*',
    cors({
      origin: options.allowedOrigins && !options.allowedOrigins.includes('*') ? options.allowedOrigins : '*',
      allowMethods: ['GET', 'HEAD', 'POST', 'PUT', 'DELETE'],
      allowHeaders: ['Authorization', 'Content-Type', 'If-None-Match', 'Accept'],
      exposeHeaders: ['ETag', 'x-collab-error'],
      maxAge: 600,
    }),
  )
  app.use('*', async (c, next) => {
    if (!originAllowed(c.req.header('origin'))) throw new ApiError(403, ORIGIN_NOT_ALLOWED, 'forbidden', { 'x-collab-error': ORIGIN_NOT_ALLOWED })
    await next()
  })

  /** Name (from the path as sent) and grant, before anything else of the request is looked at. */
  const documentAccess = (need: ApiNeed, segmentsAfterName: number) =>
    createMiddleware<ApiEnv>(async (c, next) => {
      const segments = new URL(c.req.url).pathname.split('/')
      const parsed = roomNameFromPath(segments[segments.length - 1 - segmentsAfterName] ?? '')
      if (!parsed.ok) throw new ApiError(400, `invalid document name (${parsed.problem})`, 'bad-name')
      c.set('documentName', parsed.name)
      c.set('grant', await access(c.req.raw, parsed.name, need))
      await next()
    })
  /** 415 for a body of a type the route does not take (before the route's own validators, with a better message). */
  const accept = (...types: string[]) =>
    createMiddleware<ApiEnv>(async (c, next) => {
      if (!types.includes(mediaType(c))) throw new ApiError(415, `send Content-Type: ${types.join(', ')}`)
      await next()
    })
  const limitBody = (maxSize: number) =>
    bodyLimit({
      maxSize,
      onError: () => {
        throw new ApiError(413, `the body is over ${maxSize} bytes`)
      },
    })

  /**
   * What runs before a route's validators and handler, in this order: the
   * name and the grant first (nothing else of a request is read before it is
   * allowed), then the body limit.
   */
  function guard(route: { method: string; getRoutingPath(): string }, ...middleware: MiddlewareHandler<ApiEnv>[]): void {
    for (const handler of middleware) app.on(route.method.toUpperCase(), route.getRoutingPath(), handler)
  }

  async function open(name: string): Promise<DocumentHandle> {
    try {
      return await relay.openDocument(name)
    } catch (error) {
      throw unavailable(error)
    }
  }

  async function stored(name: string): Promise<boolean> {
    try {
      return await relay.documentExists(name)
    } catch (error) {
      throw unavailable(error)
    }
  }

  /**
   * The document if it exists: stored, or loaded with content. A document
   * neither stored nor loaded is not opened at all, so a GET creates
   * nothing (not even a room that hooks would hear of).
   */
  async function openExisting(name: string): Promise<DocumentHandle | null> {
    const loaded = relay.roomNames().includes(name)
    const isStored = loaded ? null : await stored(name)
    if (isStored === false) return null
    const handle = await open(name)
    if (hasContent(handle.doc) || (isStored ?? (await stored(name).catch(() => false)))) return handle
    handle.release()
    return null
  }

  /**
   * The titles of listed documents, each read from the document itself
   * (opened like any read, released at once). One that cannot be opened, or
   * was deleted meanwhile, is listed with no title rather than failing the page.
   */
  async function readTitles(names: readonly string[]): Promise<Map<string, string>> {
    const titles = new Map<string, string>()
    for (const name of names) {
      try {
        const handle = await openExisting(name)
        if (!handle) continue
        try {
          titles.set(name, readTitle(handle.doc))
        } finally {
          handle.release()
        }
      } catch {
        // No title for this one; the listing goes on.
      }
    }
    return titles
  }

  function unavailable(error: unknown): ApiError {
    relay.logger.error('documents API: could not open a document', error)
    return new ApiError(503, 'the document could not be opened; try again')
  }

  async function submit(handle: DocumentHandle, update: Uint8Array, grant: Grant, onlyIfEmpty = false, label = ORIGIN_LABEL): Promise<'accepted' | 'unchanged'> {
    try {
      // Create-only: storage decides too, so two instances seeding at once write it once.
      return await handle.submit(update, { label, ...(grant.user ? { user: grant.user } : {}), ...(onlyIfEmpty ? { onlyIfEmpty } : {}) })
    } catch (error) {
      if (error instanceof DocumentRefusal) throw refusalError(error)
      // Stored but not applied (the room is reloading): the reload applies or sets it aside.
      relay.logger.error('documents API: an update was not applied', error)
      throw new ApiError(503, `the update was not applied: ${error instanceof Error ? error.message : String(error)}`)
    }
  }

  guard(listDocumentsRoute, listAccess(access))
  app.openapi(listDocumentsRoute, async (c) => {
    const { prefix, cursor, limit = DEFAULT_PAGE_SIZE, titles } = c.req.valid('query')
    const after = cursor === undefined ? undefined : decodeCursor(cursor)
    let found
    try {
      // One more than asked: whether there is a next page.
      found = await relay.listDocuments({ ...(prefix ? { prefix: checkPrefix(prefix) } : {}), ...(after !== undefined ? { after } : {}), limit: limit + 1 })
    } catch (error) {
      if (error instanceof ApiError) throw error
      relay.logger.error('documents API: could not list documents', error)
      throw new ApiError(503, 'the documents could not be listed; try again')
    }
    const page = found.slice(0, limit)
    const titleOf = titles === 'true' ? await readTitles(page.map((info) => info.name)) : null
    return c.json(
      {
        documents: page.map((info) => ({
          name: info.name,
          bytes: info.bytes,
          updatedAt: info.updatedAt?.toISOString() ?? null,
          connections: info.connections,
          people: info.people,
          ...(titleOf ? { title: titleOf.get(info.name) ?? '' } : {}),
        })),
        nextCursor: found.length > limit ? encodeCursor(page[page.length - 1].name) : null,
      },
      200,
    )
  })

  guard(getDocumentRoute, documentAccess('read', 0))
  app.openapi(getDocumentRoute, async (c) => {
    const query = c.req.valid('query')
    const format = chooseFormat(c, query.format)
    const stateVector = query.stateVector === undefined ? null : decodeStateVectorParam(query.stateVector)
    if (stateVector && format !== 'yjs') throw new ApiError(400, 'stateVector needs Accept: application/octet-stream', 'bad-state-vector')
    const { represent } = await conversions()
    const handle = await openExisting(c.get('documentName'))
    if (!handle) throw new ApiError(404, 'no such document')
    try {
      const etag = etagOf(handle.doc, format, stateVector)
      const headers = { ETag: etag, Vary: 'Accept' }
      if (ifNoneMatchHits(c.req.header('if-none-match'), etag)) return c.body(null, 304, headers)
      const { body, contentType } = represent(handle.doc, format, stateVector)
      return c.body(body, 200, { ...headers, 'Content-Type': contentType })
    } finally {
      handle.release()
    }
  })

  guard(postUpdateRoute, documentAccess('write', 1), accept('application/octet-stream'), limitBody(maxUpdateBytes))
  app.openapi(postUpdateRoute, async (c) => {
    const update = new Uint8Array(await c.req.arrayBuffer())
    if (update.byteLength === 0) throw new ApiError(400, 'the body is empty: send a Yjs update (v1)', 'malformed-update')
    const handle = await open(c.get('documentName'))
    try {
      const existed = hasContent(handle.doc)
      const status = await submit(handle, update, c.get('grant'))
      return c.json({ status }, !existed && status === 'accepted' ? 201 : 200)
    } finally {
      handle.release()
    }
  })

  guard(putDocumentRoute, documentAccess('write', 0), accept(...PUT_MEDIA_TYPES), limitBody(maxContentBytes))
  app.openapi(putDocumentRoute, async (c) => {
    const createOnly = c.req.valid('header')['if-none-match'] === '*'
    // Parsed before waiting for the document: the slow part holds no one up.
    const content = await readContent(c)
    const { replaceContentUpdate } = await conversions()
    const name = c.get('documentName')
    const { status, created } = await replacements(name, async () => {
      const handle = await open(name)
      try {
        // From here to `submit`, no await: the decision is taken on the
        // document as committed, and nothing else of this API can submit to
        // it before this update is committed (the queue).
        const existed = hasContent(handle.doc)
        if (createOnly && existed) throw new ApiError(412, 'the document exists (If-None-Match: *)')
        const update = replaceContentUpdate(handle.doc, content)
        const status = update === null ? 'unchanged' : await submit(handle, update, c.get('grant'), createOnly)
        return { status, created: !existed && status === 'accepted' }
      } finally {
        handle.release()
      }
    })
    return c.json({ status }, created ? 201 : 200)
  })

  guard(deleteDocumentRoute, documentAccess('delete', 0))
  app.openapi(deleteDocumentRoute, async (c) => {
    const name = c.get('documentName')
    const wasLoaded = relay.roomNames().includes(name)
    let existed
    try {
      existed = await relay.deleteDocument(name)
    } catch (error) {
      relay.logger.error('documents API: could not delete a document', error)
      throw new ApiError(503, 'the document could not be deleted; try again')
    }
    if (!existed && !wasLoaded) throw new ApiError(404, 'no such document')
    return c.body(null, 204)
  })

  async function readContent(c: Context<ApiEnv>): Promise<ProseMirrorNode> {
    const type = mediaType(c)
    if (type !== 'application/json' && type !== 'text/markdown' && type !== 'text/html') {
      throw new ApiError(415, `send Content-Type: ${PUT_MEDIA_TYPES.join(', ')}`)
    }
    const body = await c.req.text()
    const { parseContent } = await conversions()
    try {
      return parseContent(type, body)
    } catch (error) {
      if (error instanceof ApiError) throw error
      throw new ApiError(400, `the content does not fit the document schema: ${error instanceof Error ? error.message : String(error)}`, 'invalid-content')
    }
  }

  registerVersionRoutes(app, relay, {
    guard,
    documentAccess,
    accept,
    limitBody,
    openExisting,
    stored,
    conversions,
    replacements,
    submit: (handle, update, grant, label) => submit(handle, update, grant, false, label),
  })

  app.openAPIRegistry.registerComponent('securitySchemes', 'bearer', { type: 'http', scheme: 'bearer', description: 'The relay token (what `authenticate` checks).' })
  app.openAPIRegistry.registerComponent('securitySchemes', 'token', { type: 'apiKey', in: 'query', name: 'token', description: 'The same token as a query parameter.' })
  app.doc31('/openapi.json', (c) => ({
    openapi: '3.1.0',
    info: { title: 'collab-relay documents API', version: VERSION, description: 'Documents over HTTP. Errors are JSON `{ "error", "message" }`.' },
    // Wherever the app is mounted: the paths below are relative to it.
    servers: [{ url: new URL(c.req.url).pathname.replace(/\/openapi\.json$/, '') || '/' }],
  }))

  // Every other path under the mount: JSON too.
  app.all('*', () => {
    throw new ApiError(404, 'no such endpoint; see openapi.json')
  })
  return app
}

/** Who may list: an admin of every name starting with the prefix, asked as the pattern `<prefix>*`. */
function listAccess(access: ReturnType<typeof createApiAccess>) {
  return createMiddleware<ApiEnv>(async (c, next) => {
    const prefix = checkPrefix(c.req.query('prefix') ?? '')
    c.set('grant', await access(c.req.raw, `${prefix}*`, 'admin'))
    await next()
  })
}

/** Whether the document holds anything (a deletion leaves the clients behind: deleted content counts). */
function hasContent(doc: Y.Doc): boolean {
  return doc.store.clients.size > 0
}

/** The request's media type, lower case, without parameters. */
function mediaType(c: Context): string {
  return (c.req.header('content-type') ?? '').split(';')[0].trim().toLowerCase()
}

function positive(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback
  if (!Number.isInteger(value) || value <= 0) throw new RangeError(`createDocumentsApi: ${name} must be a whole number > 0, got ${value}`)
  return value
}
