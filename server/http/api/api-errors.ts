/**
 * The documents API's errors: every refusal is an `ApiError` thrown where it
 * is decided and answered once, by `answerError`, as JSON
 * `{ "error": code, "message": sentence }`.
 */
import type { Context } from 'hono'
import { HTTPException } from 'hono/http-exception'
import type { ContentfulStatusCode } from 'hono/utils/http-status'
import type { RelayLogger } from '../../relay/relay-socket.ts'
import { DocumentRefusal } from '../../relay/relay-documents.ts'

/** The `error` codes the API answers with, by HTTP status. */
export const ERROR_CODES = {
  400: 'bad-request',
  401: 'unauthorized',
  403: 'forbidden',
  404: 'not-found',
  406: 'not-acceptable',
  410: 'gone',
  412: 'precondition-failed',
  413: 'too-large',
  415: 'unsupported-media-type',
  500: 'internal',
  503: 'unavailable',
} as const satisfies Partial<Record<ContentfulStatusCode, string>>

export type ApiErrorStatus = keyof typeof ERROR_CODES

/** An answer other than success: its status, code (`ERROR_CODES`, or a more precise one) and message. */
export class ApiError extends HTTPException {
  constructor(
    readonly statusCode: ApiErrorStatus,
    message: string,
    readonly code: string = ERROR_CODES[statusCode],
    readonly headers: Record<string, string> = {},
  ) {
    super(statusCode, { message })
  }
}

/** What a refused server-side submit becomes: malformed 400, over a limit 413, deleted meanwhile 410, already stored (create-only) 412. */
export function refusalError(refusal: DocumentRefusal): ApiError {
  switch (refusal.kind) {
    case 'malformed':
      return new ApiError(400, `the update was refused: ${refusal.message}`, 'malformed-update')
    case 'limit':
      return new ApiError(413, `the update was refused: ${refusal.message}`, 'over-limit')
    case 'gone':
      return new ApiError(410, 'the document was deleted', 'gone')
    case 'exists':
      return new ApiError(412, 'the document exists (If-None-Match: *)')
  }
}

/**
 * The one place errors become responses (the app's `onError`). Hono's own
 * HTTPExceptions (a body over the limit, malformed JSON, a media type the
 * route does not declare) get the same JSON shape; anything else is logged
 * and answered 500 without details.
 */
export function answerError(error: Error, c: Context, logger: RelayLogger): Response {
  if (error instanceof ApiError) {
    return c.json({ error: error.code, message: error.message }, error.statusCode, error.headers)
  }
  if (error instanceof DocumentRefusal) return answerError(refusalError(error), c, logger)
  if (error instanceof HTTPException) {
    const status = error.status in ERROR_CODES ? (error.status as ApiErrorStatus) : 400
    return c.json({ error: ERROR_CODES[status], message: error.message || 'bad request' }, status)
  }
  logger.error(`documents API: ${c.req.method} failed`, error)
  return c.json({ error: ERROR_CODES[500], message: 'internal error' }, 500)
}
