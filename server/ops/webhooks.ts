import { createHmac, randomUUID, timingSafeEqual } from 'node:crypto'
import * as Y from 'yjs'
import { loggableUrl } from '../auth/key-checks.ts'
import type { RelayHooks } from '../relay/hooks.ts'
import { consoleLogger, type RelayLogger } from '../relay/relay-socket.ts'
import { VERSION } from '../version.ts'

/** The events a webhook receives. */
export const WebhookEvent = {
  /** A document's first update was committed. */
  CREATED: 'document.created',
  /** A document changed (debounced: one event for a burst of changes). */
  CHANGED: 'document.changed',
  /** A document was deleted. */
  DELETED: 'document.deleted',
  /** A version of a document was saved: automatic, named, or the state before a restore. */
  VERSION_CREATED: 'document.version.created',
} as const
export type WebhookEvent = (typeof WebhookEvent)[keyof typeof WebhookEvent]

/** The JSON body of every webhook request. */
export interface WebhookPayload {
  /** Unique per event, the same on every retry of it: receivers can drop repeats. */
  id: string
  event: WebhookEvent
  document: string
  /**
   * Base64 of a Yjs-encoded state vector (`Y.decodeStateVector` reads it)
   * over the clients that wrote in the changes this event reports, each with
   * the clock it reached: a copy of the document whose state vector is at
   * least this for every listed client holds those changes. Deletions move
   * no clock. Null for `document.deleted`.
   */
  stateVector: string | null
  /** When it happened (ISO 8601): for `document.changed`, the last change it covers. */
  at: string
  /**
   * For `document.version.created` only: the version (`id` as the documents
   * API names it, `GET /api/documents/:name/versions/:id`). `stateVector` is
   * then the whole saved state's.
   */
  version?: WebhookVersion
}

/** The version a `document.version.created` event reports. */
export interface WebhookVersion {
  id: string
  kind: 'auto' | 'named' | 'restore'
  /** The name someone gave it; null for an automatic version. */
  name: string | null
  /** Who edited since the previous version. */
  authors: string[]
}

/** Running totals, for metrics (`createRelayMetrics({ webhooks })`). */
export interface WebhookStats {
  /** Deliveries a receiver answered with 2xx. */
  delivered: number
  /** Attempts that failed: timeout, network error, or a status other than 2xx. */
  failedAttempts: number
  /** Deliveries abandoned after `maxAttempts` failed attempts. */
  gaveUp: number
  /** Deliveries never attempted (or not retried) because the queue was full, or pending when `close` gave up. */
  dropped: number
  /** Deliveries waiting now: to be sent, in flight, or waiting to be retried. */
  queued: number
}

/** Options for `createWebhooks`. Times in ms. */
export interface WebhookOptions {
  /** Where every event is POSTed (each URL gets each event). */
  urls: readonly string[]
  /**
   * Sign each request: `x-collab-signature: sha256=<hex HMAC-SHA256 of "<timestamp>.<body>">`,
   * with `x-collab-timestamp` (seconds since the epoch). Without it requests are unsigned.
   */
  secret?: string
  /** Where delivery failures are reported. Default: the console. */
  logger?: RelayLogger
  /** `document.changed` goes out this long after a document's last change. Default 2000. */
  debounceMs?: number
  /** ...but at most this long after the first change it has not reported yet. Default 10 000. */
  maxWaitMs?: number
  /** One attempt's deadline (connect, send, answer). Default 10 000. */
  timeoutMs?: number
  /** Wait before the first retry; doubles each time. Default 1000. */
  retryMs?: number
  /** Longest wait between retries. Default 300 000 (5 min). */
  maxRetryMs?: number
  /** Attempts per delivery, the first included. Default 10 (about 8.5 minutes with the default waits). */
  maxAttempts?: number
  /** Deliveries waiting at most (to be sent, in flight, to be retried); past it new ones are dropped. Default 1000. */
  maxQueued?: number
  /** Requests in flight at most. Default 4. */
  concurrency?: number
}

/** A webhook sender: a hook subscriber (`createRelay({ hooks: [webhooks] })` or `relay.addHooks(webhooks)`). */
export interface Webhooks extends RelayHooks {
  readonly stats: WebhookStats
  /**
   * Send the debounced changes now, then wait (at most `timeoutMs`, default
   * 5000) for what is queued to be delivered, with no more retries; what is
   * left then is dropped (counted, and logged). Events after `close` are ignored.
   */
  close(options?: { timeoutMs?: number }): Promise<void>
}

interface Delivery {
  url: string
  /** The URL as logs show it (no credentials, no query). */
  shownUrl: string
  payload: WebhookPayload
  body: string
  attempts: number
}

interface PendingChange {
  firstAt: number
  lastAt: number
  clocks: Map<number, number>
  timer: ReturnType<typeof setTimeout>
}

const positive = (name: string, value: number | undefined, fallback: number, min = 1): number => {
  const resolved = value ?? fallback
  if (!Number.isFinite(resolved) || resolved < min) throw new RangeError(`createWebhooks: ${name} must be a number >= ${min}, got ${value}`)
  return resolved
}

/** The signature header's value for one request: `sha256=` and the hex HMAC-SHA256 of `<timestamp>.<body>`. */
export function signWebhook(secret: string, timestamp: string, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')}`
}

/**
 * Check a webhook request as a receiver should: the signature matches (in
 * constant time) and the timestamp is within `toleranceSeconds` (default
 * 300) of now, so a recorded request cannot be replayed later.
 *
 * @example
 * const ok = verifyWebhook(process.env.WEBHOOK_SECRET!, {
 *   body: rawBody,                                          // the exact bytes received, as text
 *   timestamp: request.headers['x-collab-timestamp'] as string,
 *   signature: request.headers['x-collab-signature'] as string,
 * })
 */
export function verifyWebhook(
  secret: string,
  request: { body: string; timestamp: string | undefined; signature: string | undefined },
  options: { toleranceSeconds?: number; now?: number } = {},
): boolean {
  const { body, timestamp, signature } = request
  if (!timestamp || !signature || !/^\d+$/.test(timestamp)) return false
  const now = options.now ?? Date.now()
  if (Math.abs(now / 1000 - Number(timestamp)) > (options.toleranceSeconds ?? 300)) return false
  const expected = Buffer.from(signWebhook(secret, timestamp, body))
  const given = Buffer.from(signature)
  return expected.length === given.length && timingSafeEqual(expected, given)
}

/** `to` of each client in the update: the clock after its last struct. */
function mergeClocks(into: Map<number, number>, update: Uint8Array): void {
  for (const [client, clock] of Y.parseUpdateMeta(update).to) {
    if (clock > (into.get(client) ?? 0)) into.set(client, clock)
  }
}

const encodeClocks = (clocks: Map<number, number>): string => Buffer.from(Y.encodeStateVector(clocks)).toString('base64')

/**
 * Webhooks for document events: `document.created`, `document.changed`
 * (debounced per document: `debounceMs` after the last change, at most
 * `maxWaitMs` after the first unreported one), `document.deleted` and
 * `document.version.created` (on the instance that saved it), POSTed
 * as JSON (`WebhookPayload`) to every URL, signed with `secret`.
 *
 * Nothing here is on the relay's path: the hooks only queue, and requests go
 * out from the queue, at most `concurrency` at a time, each bounded by
 * `timeoutMs`. A failed attempt (no 2xx in time) is retried after `retryMs`,
 * doubling up to `maxRetryMs`, `maxAttempts` times in all; the queue holds at
 * most `maxQueued` deliveries. Order between events is not guaranteed (a
 * retried one arrives after later ones): use `at` and `stateVector`.
 * Changes that arrive from another relay instance (origin `instance`) are
 * not reported here: the instance that took them reports them.
 *
 * @example
 * const webhooks = createWebhooks({ urls: ['https://app.example/hooks/collab'], secret: process.env.WEBHOOK_SECRET })
 * const relay = createRelay({ hooks: [webhooks] })
 * // at shutdown, after the relay has closed:
 * await webhooks.close()
 */
export function createWebhooks(options: WebhookOptions): Webhooks {
  const urls = options.urls.map((url) => {
    let parsed: URL
    try {
      parsed = new URL(url)
    } catch {
      throw new RangeError(`createWebhooks: not a URL: ${JSON.stringify(loggableText(url))}`)
    }
    if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') throw new RangeError(`createWebhooks: expected an http(s) URL, got ${parsed.protocol}`)
    return { url: parsed.href, shownUrl: loggableUrl(parsed) }
  })
  const logger = options.logger ?? consoleLogger
  const secret = options.secret
  if (secret !== undefined && secret.length === 0) throw new RangeError('createWebhooks: the secret is empty')
  const debounceMs = positive('debounceMs', options.debounceMs, 2000, 0)
  const maxWaitMs = positive('maxWaitMs', options.maxWaitMs, 10_000, 0)
  const timeoutMs = positive('timeoutMs', options.timeoutMs, 10_000)
  const retryMs = positive('retryMs', options.retryMs, 1000)
  const maxRetryMs = positive('maxRetryMs', options.maxRetryMs, 300_000)
  const maxAttempts = positive('maxAttempts', options.maxAttempts, 10)
  const maxQueued = positive('maxQueued', options.maxQueued, 1000)
  const concurrency = positive('concurrency', options.concurrency, 4)

  const stats: WebhookStats = { delivered: 0, failedAttempts: 0, gaveUp: 0, dropped: 0, queued: 0 }
  const pendingChanges = new Map<string, PendingChange>()
  const ready: Delivery[] = []
  const retrying = new Map<Delivery, ReturnType<typeof setTimeout>>()
  const inFlight = new Set<Promise<void>>()
  let closed = false
  /** While closing: no more retries; a failed attempt is final. */
  let finalAttempts = false
  /** Dropped since the last warning, so a flood logs one line a second, not one per event. */
  let droppedUnreported = 0
  let dropWarning: ReturnType<typeof setTimeout> | null = null

  const updateQueued = (): void => {
    stats.queued = ready.length + inFlight.size + retrying.size
  }

  function drop(count: number, why: string): void {
    stats.dropped += count
    droppedUnreported += count
    if (dropWarning) return
    dropWarning = setTimeout(() => {
      dropWarning = null
      logger.warn(`webhooks: dropped ${droppedUnreported} deliveries (${why})`)
      droppedUnreported = 0
    }, closed ? 0 : 1000)
    dropWarning.unref()
  }

  function enqueue(event: WebhookEvent, document: string, stateVector: string | null, at: number, version?: WebhookVersion): void {
    if (urls.length === 0) return
    const payload: WebhookPayload = { id: randomUUID(), event, document, stateVector, at: new Date(at).toISOString(), ...(version ? { version } : {}) }
    const body = JSON.stringify(payload)
    for (const { url, shownUrl } of urls) {
      if (ready.length + inFlight.size + retrying.size >= maxQueued) {
        drop(1, `more than ${maxQueued} waiting; is a receiver down?`)
        continue
      }
      ready.push({ url, shownUrl, payload, body, attempts: 0 })
    }
    updateQueued()
    pump()
  }

  function pump(): void {
    while (inFlight.size < concurrency && ready.length > 0) {
      const delivery = ready.shift()!
      const attempt: Promise<void> = send(delivery).finally(() => {
        inFlight.delete(attempt)
        updateQueued()
        pump()
      })
      inFlight.add(attempt)
    }
    updateQueued()
  }

  async function send(delivery: Delivery): Promise<void> {
    delivery.attempts++
    // A fresh timestamp (and signature) per attempt: receivers reject old ones.
    const timestamp = String(Math.floor(Date.now() / 1000))
    const headers: Record<string, string> = {
      'content-type': 'application/json',
      'user-agent': `collab-relay/${VERSION}`,
      'x-collab-event': delivery.payload.event,
      'x-collab-delivery': delivery.payload.id,
      'x-collab-timestamp': timestamp,
    }
    if (secret !== undefined) headers['x-collab-signature'] = signWebhook(secret, timestamp, delivery.body)
    let problem: string
    try {
      const response = await fetch(delivery.url, {
        method: 'POST',
        headers,
        body: delivery.body,
        // A redirect is a failure: following it would turn the POST into a GET elsewhere.
        redirect: 'manual',
        signal: AbortSignal.timeout(timeoutMs),
      })
      // The answer's body is not read; cancelling frees the connection.
      await response.body?.cancel().catch(() => {})
      if (response.status >= 200 && response.status < 300) {
        stats.delivered++
        return
      }
      problem = `answered ${response.status}`
    } catch (error) {
      const cause = (error as { cause?: { code?: string } }).cause
      problem = (error as Error).name === 'TimeoutError' ? `no answer within ${timeoutMs} ms` : `${(error as Error).message}${cause?.code ? ` (${cause.code})` : ''}`
    }
    stats.failedAttempts++
    if (delivery.attempts >= maxAttempts || finalAttempts) {
      if (finalAttempts && delivery.attempts < maxAttempts) drop(1, 'still failing at shutdown')
      else {
        stats.gaveUp++
        logger.warn(`webhook ${delivery.payload.event} for ${JSON.stringify(delivery.payload.document)} to ${delivery.shownUrl}: ${problem}; gave up after ${delivery.attempts} attempts`)
      }
      return
    }
    const wait = Math.min(maxRetryMs, retryMs * 2 ** (delivery.attempts - 1))
    if (delivery.attempts === 1) logger.warn(`webhook ${delivery.payload.event} to ${delivery.shownUrl}: ${problem}; retrying (next in ${wait} ms)`)
    const timer = setTimeout(() => {
      retrying.delete(delivery)
      ready.push(delivery)
      pump()
    }, wait)
    timer.unref()
    retrying.set(delivery, timer)
  }

  function reportChange(name: string): void {
    const pending = pendingChanges.get(name)
    if (!pending) return
    clearTimeout(pending.timer)
    pendingChanges.delete(name)
    enqueue(WebhookEvent.CHANGED, name, encodeClocks(pending.clocks), pending.lastAt)
  }

  function changed(name: string, update: Uint8Array): void {
    const now = Date.now()
    let pending = pendingChanges.get(name)
    if (pending) clearTimeout(pending.timer)
    else pending = { firstAt: now, lastAt: now, clocks: new Map(), timer: undefined as never }
    pending.lastAt = now
    mergeClocks(pending.clocks, update)
    const wait = Math.max(0, Math.min(debounceMs, pending.firstAt + maxWaitMs - now))
    pending.timer = setTimeout(() => reportChange(name), wait)
    pending.timer.unref()
    pendingChanges.set(name, pending)
  }

  return {
    stats,
    updateCommitted({ name, update, origin, created }) {
      if (closed || origin.kind === 'instance') return
      if (created) {
        const clocks = new Map<number, number>()
        mergeClocks(clocks, update)
        enqueue(WebhookEvent.CREATED, name, encodeClocks(clocks), Date.now())
      }
      changed(name, update)
    },
    documentDeleted({ name }) {
      if (closed) return
      // Changes not reported yet are moot: the document is gone.
      const pending = pendingChanges.get(name)
      if (pending) {
        clearTimeout(pending.timer)
        pendingChanges.delete(name)
      }
      enqueue(WebhookEvent.DELETED, name, null, Date.now())
    },
    versionCreated({ name, version, stateVector }) {
      if (closed) return
      const { id, kind, name: versionName, authors } = version
      enqueue(WebhookEvent.VERSION_CREATED, name, Buffer.from(stateVector).toString('base64'), version.createdAt.getTime(), { id, kind, name: versionName, authors })
    },
    async close({ timeoutMs: closeTimeoutMs = 5000 } = {}) {
      if (closed) return
      for (const name of [...pendingChanges.keys()]) reportChange(name)
      closed = true
      finalAttempts = true
      // Waiting retries get their last attempt now.
      for (const [delivery, timer] of retrying) {
        clearTimeout(timer)
        ready.push(delivery)
      }
      retrying.clear()
      pump()
      const deadline = Date.now() + closeTimeoutMs
      while ((ready.length > 0 || inFlight.size > 0) && Date.now() < deadline) {
        await Promise.race([Promise.all(inFlight), new Promise((resolve) => setTimeout(resolve, Math.max(0, deadline - Date.now())))])
      }
      // Requests still in flight end by themselves within `timeoutMs` (and count then); the rest never start.
      const left = ready.length
      ready.length = 0
      if (left > 0) {
        stats.dropped += left
        logger.warn(`webhooks: ${left} deliveries not sent at shutdown, dropped`)
      }
      updateQueued()
    },
  }
}

/** A URL that did not parse, cut before anything that may be a query or credentials. */
function loggableText(url: string): string {
  return url.replace(/[?#].*$/, '').replace(/\/\/[^/@]*@/, '//')
}
