/**
 * The documents API's routes as data (`@hono/zod-openapi`): paths, what
 * each takes and answers. The handlers (`documents-api.ts`) are registered
 * from these, and `/api/openapi.json` is generated from them, so the
 * description cannot drift from what is served.
 */
import { createRoute, z } from '@hono/zod-openapi'
import { TEXT_FORMATS } from './representations.ts'

export const ErrorBody = z
  .object({
    error: z.string().openapi({ description: 'A code: `unauthorized`, `forbidden`, `not-found`, `malformed-update`, `over-limit`, …', example: 'not-found' }),
    message: z.string().openapi({ description: 'What went wrong, in a sentence.', example: 'no such document' }),
  })
  .openapi('Error')

const DocumentInfo = z
  .object({
    name: z.string().openapi({ example: 'team/specs/q4 plan' }),
    bytes: z.number().int().openapi({ description: 'Stored bytes (the log: a snapshot and the updates since).' }),
    updatedAt: z.string().nullable().openapi({ description: 'When it last changed (ISO 8601), null for logs written before times were kept.' }),
    connections: z.number().int().openapi({ description: 'Connections editing it now.' }),
    people: z
      .array(z.string())
      .openapi({ description: "The names of the people in it now, from their presence (distinct, sorted; empty when it is not open on this instance).", example: ['Ada', 'Grace'] }),
    title: z.string().optional().openapi({ description: "The title the document holds ('' when none); only with `titles=true`.", example: 'Q4 plan' }),
  })
  .openapi('DocumentInfo')

const DocumentList = z
  .object({
    documents: z.array(DocumentInfo),
    nextCursor: z.string().nullable().openapi({ description: 'Pass as `cursor` for the next page; null on the last page.' }),
  })
  .openapi('DocumentList')

export const ProseMirrorDocument = z
  .looseObject({
    type: z.literal('doc'),
    content: z.array(z.looseObject({ type: z.string() })).optional(),
  })
  .openapi('ProseMirrorDocument', {
    description: 'A document of the editor schema (`shared/schema.ts`) as ProseMirror JSON.',
    example: { type: 'doc', content: [{ type: 'paragraph', content: [{ type: 'text', text: 'Hello' }] }] },
  })

const WriteResult = z
  .object({ status: z.enum(['accepted', 'unchanged']).openapi({ description: '`accepted`: committed (and sent to live editors); `unchanged`: it added nothing.' }) })
  .openapi('WriteResult')

export const Binary = z.string().openapi({ type: 'string', format: 'binary' })
export const Text = z.string()

export const DocumentName = z.object({
  name: z.string().min(1).openapi({
    param: { name: 'name', in: 'path' },
    description: 'The document name, percent-encoded as one path segment: `/` as `%2F` (`encodeURIComponent`).',
    example: 'team%2Fspecs%2Fq4%20plan',
  }),
})

/** One error answer, described in the OpenAPI document: whatever the status, its body is an `ErrorBody`. */
export const errorResponse = (description: string) => ({ description, content: { 'application/json': { schema: ErrorBody } } })

/** The error answers of a route, described in the OpenAPI document. */
export const errors = (statuses: readonly number[]) => Object.fromEntries(statuses.map((status) => [status, errorResponse(ERROR_DESCRIPTIONS[status] ?? 'Error')]))

const ERROR_DESCRIPTIONS: Record<number, string> = {
  400: 'A bad name, parameter or body',
  401: 'No valid credentials (the authenticator says why)',
  403: 'The grant does not allow this',
  404: 'No such document',
  406: 'None of the formats `Accept` asks for',
  410: 'The document was deleted meanwhile',
  412: '`If-None-Match: *` and the document exists',
  413: 'The body, or the update, is over a limit',
  415: 'A `Content-Type` the route does not take',
  503: 'The document could not be opened (storage failing, relay shutting down)',
}

export const security: Record<string, string[]>[] = [{ bearer: [] }, { token: [] }]

/** What a document, or a version of one, can be read as: the media types of a read's 200 answer. */
export const documentContent = {
  'application/json': { schema: ProseMirrorDocument },
  'text/html': { schema: Text },
  'text/markdown': { schema: Text },
  'text/plain': { schema: Text },
  'application/octet-stream': { schema: Binary },
}

/** The 304 answer of a read whose `If-None-Match` holds the current ETag. */
export const notModified = { description: 'Unchanged since the `If-None-Match` ETag' }

export const listDocumentsRoute = createRoute({
  method: 'get',
  path: '/documents',
  operationId: 'listDocuments',
  summary: 'List stored documents',
  description:
    'Stored documents in name order, optionally those starting with `prefix`, a page at a time. Needs an admin grant for the pattern `<prefix>*` ' +
    '(`*` without a prefix): `authenticate` is asked about that pattern, so a JWT whose `doc` is `acme/*` with `admin: true` may list `prefix=acme/`.',
  security,
  request: {
    query: z.object({
      prefix: z.string().optional().openapi({ description: 'Only names starting with this (NFC).', example: 'team/' }),
      cursor: z.string().optional().openapi({ description: '`nextCursor` of the previous page.' }),
      limit: z.coerce.number().int().min(1).max(1000).optional().openapi({ description: 'Page size, 1–1000 (default 100).', example: 100 }),
      titles: z
        .enum(['true', 'false'])
        .optional()
        .openapi({ description: "`true`: each entry has the document's `title`. Each listed document is then opened, so keep such pages small (the editor's home page asks 50)." }),
    }),
  },
  responses: {
    200: { description: 'A page of documents', content: { 'application/json': { schema: DocumentList } } },
    ...errors([400, 401, 403, 503]),
  },
})

export const getDocumentRoute = createRoute({
  method: 'get',
  path: '/documents/{name}',
  operationId: 'getDocument',
  summary: 'Read a document',
  description:
    'The document as ProseMirror JSON (default), HTML, Markdown or plain text (`?format=`, or `Accept`), or its Yjs state ' +
    '(`Accept: application/octet-stream`: a v1 update; with `stateVector`, only what that state lacks). Needs a read grant. ' +
    'An `ETag` comes with every answer; `If-None-Match` with it answers 304 while the document is unchanged. Reading never creates a document.',
  security,
  request: {
    params: DocumentName,
    query: z.object({
      format: z.enum(TEXT_FORMATS).optional().openapi({ description: 'Overrides `Accept`.' }),
      stateVector: z.string().optional().openapi({ description: 'base64url of a Yjs state vector (v1); with `Accept: application/octet-stream` only.' }),
    }),
    headers: z.object({
      accept: z.string().optional(),
      'if-none-match': z.string().optional(),
    }),
  },
  responses: {
    200: {
      description: 'The document',
      headers: { ETag: { schema: { type: 'string' }, description: 'Changes whenever the document changes' } },
      content: documentContent,
    },
    304: notModified,
    ...errors([400, 401, 403, 404, 406, 503]),
  },
})

export const postUpdateRoute = createRoute({
  method: 'post',
  path: '/documents/{name}/updates',
  operationId: 'postUpdate',
  summary: 'Apply a Yjs update',
  description:
    'A Yjs update (v1, binary), taken exactly as a client’s: checked, stored, then applied and sent to live editors. ' +
    'Answers once it is committed. Needs a write grant.',
  security,
  request: {
    params: DocumentName,
    body: { required: true, content: { 'application/octet-stream': { schema: Binary } } },
  },
  responses: {
    200: { description: 'Committed, or it added nothing', content: { 'application/json': { schema: WriteResult } } },
    201: { description: 'Committed, and the document did not exist before', content: { 'application/json': { schema: WriteResult } } },
    ...errors([400, 401, 403, 410, 413, 415, 503]),
  },
})

export const putDocumentRoute = createRoute({
  method: 'put',
  path: '/documents/{name}',
  operationId: 'putDocument',
  summary: 'Replace a document’s content',
  description:
    'Replaces the content with Markdown, HTML or ProseMirror JSON, as one change that live editors receive (only what differs is replaced). ' +
    '`If-None-Match: *` creates only: 412 when the document exists. Needs a write grant.',
  security,
  request: {
    params: DocumentName,
    headers: z.object({ 'if-none-match': z.literal('*').optional().openapi({ description: '`*`: only if the document does not exist' }) }),
    body: {
      description: 'The new content (required).',
      content: {
        'text/markdown': { schema: Text },
        'text/html': { schema: Text },
        'application/json': { schema: ProseMirrorDocument },
      },
    },
  },
  responses: {
    200: { description: 'Replaced (or already so: `unchanged`)', content: { 'application/json': { schema: WriteResult } } },
    201: { description: 'Created', content: { 'application/json': { schema: WriteResult } } },
    ...errors([400, 401, 403, 410, 412, 413, 415, 503]),
  },
})

export const deleteDocumentRoute = createRoute({
  method: 'delete',
  path: '/documents/{name}',
  operationId: 'deleteDocument',
  summary: 'Delete a document',
  description: 'Closes its live connections with 4410 and removes it from storage. Needs a write grant with `admin`.',
  security,
  request: { params: DocumentName },
  responses: {
    204: { description: 'Deleted' },
    ...errors([400, 401, 403, 404, 503]),
  },
})
