/**
 * The versions routes of the documents API as data (`@hono/zod-openapi`),
 * like `routes.ts`: listing, naming, reading, restoring and comparing a
 * document's versions. Handlers are in `versions-api.ts`.
 */
import { createRoute, z } from '@hono/zod-openapi'
import { UNNAMED_AUTHOR } from '../../relay/version-authors.ts'
import { TEXT_FORMATS } from './representations.ts'
import { documentContent, DocumentName, errorResponse, errors, notModified, ProseMirrorDocument, security, Text } from './routes.ts'

/** Longest version name, in UTF-16 units (after trimming). */
export const MAX_VERSION_NAME_LENGTH = 100

/** A version as the API lists it (without its state). */
export const Version = z
  .object({
    id: z.string().openapi({ description: 'Opaque; unique within the document, never reused.', example: '42' }),
    name: z.string().nullable().openapi({ description: 'The name someone gave it; null for an automatic version.', example: 'Draft for review' }),
    kind: z.enum(['auto', 'named', 'restore']).openapi({
      description: '`auto`: saved when editing settled; `named`: someone named it; `restore`: the state just before a restore (restoring it undoes that restore).',
    }),
    createdAt: z.string().openapi({ description: 'When it was saved (ISO 8601).', example: '2025-03-20T12:00:00.000Z' }),
    authors: z.array(z.string()).openapi({
      description: `Who edited since the previous version, in the order they first did: the names their grants or their presence gave them; editors without a name appear once, together, as "${UNNAMED_AUTHOR}".`,
      example: ['Ada', 'Grace'],
    }),
    bytes: z.number().int().openapi({ description: 'Size of the saved state (a Yjs update).' }),
  })
  .openapi('Version')

const VersionList = z.object({ versions: z.array(Version).openapi({ description: 'Newest first.' }) }).openapi('VersionList')

const NewVersionBody = z
  .object({
    name: z.string().openapi({
      description: `1–${MAX_VERSION_NAME_LENGTH} characters once trimmed; line breaks and other control characters become spaces.`,
      example: 'Draft for review',
    }),
  })
  .openapi('NewVersion')

const RestoreResult = z
  .object({
    status: z.enum(['accepted', 'unchanged']).openapi({ description: '`accepted`: the document now reads as the version (live editors have the change); `unchanged`: it already did.' }),
    savedBefore: Version.nullable().openapi({ description: 'The `restore` version holding the document as it was just before (restore it to undo); null when nothing changed.' }),
    document: ProseMirrorDocument,
    title: z.string().openapi({ description: 'The title the document holds now.' }),
  })
  .openapi('RestoreResult')

const Comparison = z
  .object({
    html: z.string().openapi({ description: 'The newer state as HTML: added text in `<ins>` (with `data-author` where known), removed text in `<del>`.' }),
    added: z.number().int().openapi({ description: 'Characters added.' }),
    removed: z.number().int().openapi({ description: 'Characters removed.' }),
    authors: z.array(z.string()).openapi({ description: 'Who added something, where known.' }),
  })
  .openapi('Comparison')

const VersionParams = DocumentName.extend({
  id: z.string().min(1).openapi({ param: { name: 'id', in: 'path' }, description: 'A version id from the list.', example: '42' }),
})

/** The errors of these routes; 404 covers unknown versions too. */
const versionErrors = (statuses: readonly number[]) => ({
  ...errors(statuses),
  ...(statuses.includes(404) ? { 404: errorResponse('No such document, or no such version of it (unknown or malformed id)') } : {}),
})

export const listVersionsRoute = createRoute({
  method: 'get',
  path: '/documents/{name}/versions',
  operationId: 'listVersions',
  summary: 'List a document’s versions',
  description: 'Its saved versions, newest first: automatic, named, and those saved before each restore. Needs a read grant.',
  security,
  request: { params: DocumentName },
  responses: {
    200: { description: 'The versions', content: { 'application/json': { schema: VersionList } } },
    ...versionErrors([400, 401, 403, 404, 503]),
  },
})

export const createVersionRoute = createRoute({
  method: 'post',
  path: '/documents/{name}/versions',
  operationId: 'createVersion',
  summary: 'Save a named version',
  description: 'Saves the document as it is now under a name, with who edited since the previous version. Needs a write grant.',
  security,
  request: {
    params: DocumentName,
    body: { required: true, content: { 'application/json': { schema: NewVersionBody } } },
  },
  responses: {
    201: { description: 'Saved', content: { 'application/json': { schema: Version } } },
    ...versionErrors([400, 401, 403, 404, 410, 413, 415, 503]),
  },
})

export const getVersionRoute = createRoute({
  method: 'get',
  path: '/documents/{name}/versions/{id}',
  operationId: 'getVersion',
  summary: 'Read a version',
  description:
    'The version’s content as ProseMirror JSON (default), HTML, Markdown or plain text (`?format=`, or `Accept`), or its Yjs state ' +
    '(`Accept: application/octet-stream`: a v1 update). Needs a read grant.',
  security,
  request: {
    params: VersionParams,
    query: z.object({ format: z.enum(TEXT_FORMATS).optional().openapi({ description: 'Overrides `Accept`.' }) }),
    headers: z.object({ accept: z.string().optional(), 'if-none-match': z.string().optional() }),
  },
  responses: {
    200: {
      description: 'The version',
      headers: { ETag: { schema: { type: 'string' }, description: 'A version never changes: revalidate with `If-None-Match`' } },
      content: documentContent,
    },
    304: notModified,
    ...versionErrors([400, 401, 403, 404, 406, 503]),
  },
})

export const restoreVersionRoute = createRoute({
  method: 'post',
  path: '/documents/{name}/versions/{id}/restore',
  operationId: 'restoreVersion',
  summary: 'Restore a version',
  description:
    'Makes the document’s content and title read as the version’s, as one new change that every live editor receives (nobody’s history is rewritten; ' +
    'what someone types meanwhile is merged, as for PUT). The document as it was is saved first, as a `restore` version: restoring that one undoes the restore. ' +
    'Needs a write grant.',
  security,
  request: { params: VersionParams },
  responses: {
    200: { description: 'Restored (or it already read so)', content: { 'application/json': { schema: RestoreResult } } },
    ...versionErrors([400, 401, 403, 404, 410, 413, 503]),
  },
})

export const compareVersionRoute = createRoute({
  method: 'get',
  path: '/documents/{name}/versions/{id}/compare',
  operationId: 'compareVersion',
  summary: 'Compare a version with now, or with another version',
  description:
    'What changed from the older of the two to the newer: added text highlighted, removed text struck through, with who added what where it is known ' +
    '(from the authors versions recorded). `with=now` (default) compares with the document as it is now. Needs a read grant.',
  security,
  request: {
    params: VersionParams,
    query: z.object({
      with: z.string().optional().openapi({ description: '`now` (default), or another version’s id.', example: 'now' }),
      format: z.enum(['json', 'html']).optional().openapi({ description: '`json` (default): the comparison as JSON; `html`: its HTML alone.' }),
    }),
  },
  responses: {
    200: { description: 'The comparison', content: { 'application/json': { schema: Comparison }, 'text/html': { schema: Text } } },
    ...versionErrors([400, 401, 403, 404, 503]),
  },
})
