import { Hono } from 'hono'
import { HTTPException } from 'hono/http-exception'
import { describe, expect, it } from 'vitest'
import { DocumentRefusal } from '../../relay/relay-documents.ts'
import { answerError, ApiError } from './api-errors.ts'
import { createNameQueue } from './name-queue.ts'

/** A tiny app whose one route throws `error`, answered by `answerError`. */
async function answerTo(error: Error): Promise<{ status: number; body: unknown; logged: unknown[] }> {
  const logged: unknown[] = []
  const logger = { info() {}, warn() {}, error: (message: string, cause?: unknown) => void logged.push(message, cause) }
  const app = new Hono()
  app.onError((thrown, c) => answerError(thrown, c, logger))
  app.get('/', () => {
    throw error
  })
  const response = await app.request('/')
  return { status: response.status, body: await response.json(), logged }
}

describe('API errors', () => {
  it('answers refused submits by kind: malformed 400, limit 413, gone 410', async () => {
    expect(await answerTo(new DocumentRefusal('malformed', 'trailing bytes'))).toMatchObject({ status: 400, body: { error: 'malformed-update' } })
    expect(await answerTo(new DocumentRefusal('limit', 'too many structs'))).toMatchObject({ status: 413, body: { error: 'over-limit' } })
    expect(await answerTo(new DocumentRefusal('gone', 'deleted'))).toMatchObject({ status: 410, body: { error: 'gone', message: 'the document was deleted' } })
  })

  it('gives Hono’s own exceptions the same shape, and hides unexpected errors behind a logged 500', async () => {
    expect(await answerTo(new HTTPException(415, { message: 'Unsupported Media Type' }))).toMatchObject({ status: 415, body: { error: 'unsupported-media-type' } })
    expect(await answerTo(new ApiError(412, 'exists'))).toMatchObject({ status: 412, body: { error: 'precondition-failed', message: 'exists' } })
    const crash = await answerTo(new Error('secret detail'))
    expect(crash.status).toBe(500)
    expect(crash.body).toEqual({ error: 'internal', message: 'internal error' })
    expect(crash.logged).toHaveLength(2)
  })
})

describe('name queue', () => {
  it('runs the tasks of one name one at a time, in order, other names alongside', async () => {
    const queue = createNameQueue()
    const events: string[] = []
    const task = (label: string, ms: number) => async () => {
      events.push(`start ${label}`)
      await new Promise((resolve) => setTimeout(resolve, ms))
      events.push(`end ${label}`)
      return label
    }
    const failing = queue('a', async () => {
      events.push('start a-fails')
      throw new Error('no')
    })
    const results = await Promise.all([queue('a', task('a1', 20)), queue('a', task('a2', 1)), queue('b', task('b1', 5)), failing.catch(() => 'failed')])
    expect(results).toEqual(['a1', 'a2', 'b1', 'failed'])
    expect(events.filter((event) => event.includes(' a'))).toEqual(['start a-fails', 'start a1', 'end a1', 'start a2', 'end a2'])
    expect(events.indexOf('start b1')).toBeLessThan(events.indexOf('end a1'))
  })
})
