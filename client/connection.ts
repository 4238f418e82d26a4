/**
 * When the editor connects, with which token, and what it tells the person
 * when the relay says no.
 *
 * The stock provider reconnects by itself, with backoff, after every close
 * except 4400–4499, and reads `params.token` whenever it opens a socket. That
 * leaves two gaps: a token function would race the provider's timer (the
 * socket could open before the fresh token arrives), and a refused upgrade is
 * only a close with 1006, the same as a relay that is down, so a refused
 * editor would say "Connecting…" forever. So the provider is told never to
 * reconnect on its own (`shouldReconnect: () => false`) and this module
 * decides after every close:
 *
 * - 4401 (token expired): with a token function, ask it for a fresh token and
 *   reconnect at once ("Reconnecting…"); with a fixed token, stop: access expired.
 * - 4429 (too many messages), or a 429 from `GET /auth`: wait, counting down, then retry.
 * - other 4400–4499: stop, and say why (`GET /auth` for 401/403, else the close).
 * - anything else (1006, 1001, 4503…): retry with the provider's own backoff.
 *   A failed attempt first asks `GET /auth` why, when the answer could be a
 *   refusal: when there is a token, or the editor has never got in.
 *
 * A token function is called before the first connection and before every
 * reconnection, and the attempt waits for it. (A connection the provider drops
 * itself, after 30 s without a message, is reopened by the provider with the
 * token it has; should that fail, the next attempt comes through here.)
 */
import type { WebsocketProvider } from 'y-websocket'
import { CloseCode } from '../shared/close-codes.ts'
import { askRelay, type AuthAnswer } from './auth-check.ts'
import type { Access, EditorProblem, StatusTracker } from './sync-status.ts'

/** An access token, or a function that gives a fresh one. */
export type TokenSource = string | (() => string | Promise<string>)

export interface ConnectionOptions {
  provider: WebsocketProvider
  /** The relay's `GET /auth?document=` address for this document (`authUrlFor`). */
  authUrl: string
  token: TokenSource | undefined
  /** The person asked for read-only: the grant cannot make the editor writable. */
  readOnly: boolean
  status: StatusTracker
}

export interface ConnectionManager {
  /**
   * Whether the editor knows enough to let the person type: false only while
   * the first access check of an editor with a token is under way (a reader
   * must not type before the editor learns it may only read).
   */
  readonly settled: boolean
  /** Called whenever `settled` or the access changes. */
  onChange: (() => void) | null
  /** The relay refused a write: this connection may only read. */
  permissionDenied(reason: string): void
  destroy(): void
}

/** Never renew a token more often than this, whatever the relay and the token function do. */
const RENEW_MIN_INTERVAL_MS = 1_000
/** Ask `GET /auth` at most this often while attempts keep failing. */
const PROBE_INTERVAL_MS = 15_000
/** The first wait after a rate limit; it doubles up to the next, and starts over once synced. */
const RATE_LIMIT_WAIT_MS = 5_000
const RATE_LIMIT_MAX_WAIT_MS = 60_000

const isPermanent = (code: number): boolean => code >= 4400 && code < 4500

/** One object, so that setting it again is no change. */
const RENEWING: EditorProblem = Object.freeze({ code: 'renewing', message: 'Reconnecting…' })

/** Start connecting `provider` (created with `connect: false`) and keep deciding when to reconnect. */
export function manageConnection(options: ConnectionOptions): ConnectionManager {
  const { provider, authUrl, status } = options
  const source = options.token
  const renewable = typeof source === 'function'
  let token: string | undefined = typeof source === 'string' ? source : undefined
  let settled = source === undefined
  let destroyed = false
  /** Bumped by every decision; an async step whose decision was overtaken stops. */
  let generation = 0
  let timer: ReturnType<typeof setTimeout> | null = null
  let countdown: ReturnType<typeof setInterval> | null = null
  let everConnected = false
  let closedWhileOpen = false
  /** The current run of failed attempts: when `GET /auth` was last asked, and whether a fresh token was tried. */
  let failures = { probedAt: 0, renewed: false }
  let lastRenewAt = -Infinity
  let rateLimitWaitMs = RATE_LIMIT_WAIT_MS

  provider.shouldReconnect = () => false

  const manager: ConnectionManager = {
    get settled() {
      return settled
    },
    onChange: null,
    permissionDenied() {
      learn('read')
    },
    destroy() {
      destroyed = true
      generation++
      clearTimers()
      provider.off('status', onStatus)
      provider.off('sync', onSync)
      provider.off('connection-close', onConnectionClose)
      provider.off('closed', onClosed)
    },
  }

  const changed = (): void => manager.onChange?.()
  const learn = (access: Access): void => {
    status.set({ access: options.readOnly ? 'read' : access })
    changed()
  }
  const settle = (): void => {
    if (settled) return
    settled = true
    changed()
  }
  const clearTimers = (): void => {
    if (timer) clearTimeout(timer)
    if (countdown) clearInterval(countdown)
    timer = countdown = null
  }
  /** Start a new decision: earlier timers and async steps no longer act. */
  const decide = (): number => {
    clearTimers()
    return ++generation
  }
  const current = (decision: number): boolean => !destroyed && decision === generation

  const refuse = (problem: EditorProblem): void => {
    decide()
    if (provider.shouldConnect || provider.ws) provider.disconnect()
    status.set({ connection: 'refused', problem })
    settle()
  }
  const refusal = (answer: Extract<AuthAnswer, { kind: 'refused' }>): EditorProblem =>
    answer.status === 401
      ? { code: 'unauthorized', message: `Sign-in needed / link expired: ${answer.reason}`, reason: answer.reason }
      : { code: 'forbidden', message: `Access denied: ${answer.reason}`, reason: answer.reason }

  /** Ask the token function; false (and a retry scheduled) when it failed. */
  const renewToken = async (decision: number): Promise<boolean> => {
    if (typeof source !== 'function') return true
    lastRenewAt = Date.now()
    try {
      const fresh = await source()
      if (typeof fresh !== 'string' || fresh === '') throw new Error('the token function gave no token')
      token = fresh
      provider.params = { ...provider.params, token }
      return true
    } catch (error) {
      if (!current(decision)) return false
      const reason = error instanceof Error ? error.message : String(error)
      status.set({ connection: 'offline', problem: { code: 'token-unavailable', message: 'Could not get an access token, retrying…', reason } })
      retryLater(backoffMs())
      return false
    }
  }

  /**
   * Ask `GET /auth` with the current token and act on a refusal or a 429:
   * true when the editor may go on connecting. A refusal with a token
   * function gets one fresh token and one more question first.
   */
  const checkAccess = async (decision: number, renewOnRefusal: boolean): Promise<boolean> => {
    let answer = await askRelay(authUrl, token)
    if (!current(decision)) return false
    if (answer.kind === 'refused' && renewOnRefusal && renewable) {
      if (!(await renewToken(decision)) || !current(decision)) return false
      answer = await askRelay(authUrl, token)
      if (!current(decision)) return false
    }
    switch (answer.kind) {
      case 'granted':
        learn(answer.access)
        return true
      case 'refused':
        refuse(refusal(answer))
        return false
      case 'busy':
        waitOut(answer.retryAfterMs, 'Too many connections')
        return false
      case 'unknown':
        return true
    }
  }

  const connectNow = async (decision: number, withFreshToken: boolean): Promise<void> => {
    if (withFreshToken && !(await renewToken(decision))) return
    if (!current(decision)) return
    provider.connect()
  }

  const retryLater = (delayMs: number): void => {
    const decision = decide()
    timer = setTimeout(() => void connectNow(decision, renewable), delayMs)
  }

  /** The provider's own backoff: 200 ms after a connection that had synced, doubling up to `maxBackoffTime`. */
  const backoffMs = (): number => Math.min(2 ** provider.wsUnsuccessfulReconnects * 100, provider.maxBackoffTime)

  /** Pause for a rate limit, counting down in the status line, then reconnect. */
  const waitOut = (delayMs: number, what: string): void => {
    const decision = decide()
    const retryAt = Date.now() + delayMs
    const show = (): void => {
      const retryInSeconds = Math.max(1, Math.ceil((retryAt - Date.now()) / 1000))
      status.set({ connection: 'offline', problem: { code: 'rate-limited', message: `${what}, retrying in ${retryInSeconds} s`, retryInSeconds } })
    }
    show()
    countdown = setInterval(show, 1000)
    timer = setTimeout(() => {
      clearTimers()
      void connectNow(decision, renewable)
    }, delayMs)
    settle()
  }

  /** The relay closed a connection that had got in because its token expired. */
  const renewAfterExpiry = async (): Promise<void> => {
    if (!renewable) {
      refuse({ code: 'expired', message: 'Access expired: open the link again or sign in again' })
      return
    }
    const decision = decide()
    status.set({ connection: 'connecting', problem: RENEWING })
    // A token function that hands out tokens about to expire must not turn into a busy loop.
    const waitMs = Math.max(0, lastRenewAt + RENEW_MIN_INTERVAL_MS - Date.now())
    if (waitMs > 0) await new Promise((resolve) => (timer = setTimeout(resolve, waitMs)))
    if (!current(decision) || !(await renewToken(decision))) return
    // The fresh token may grant something else (read instead of write, say), or nothing.
    if (!(await checkAccess(decision, false))) return
    provider.connect()
  }

  const afterClose = async (code: number, reason: string, wasOpen: boolean): Promise<void> => {
    if (code === CloseCode.TOKEN_EXPIRED.code) return renewAfterExpiry()
    if (code === CloseCode.RATE_LIMITED.code) {
      const delayMs = rateLimitWaitMs
      rateLimitWaitMs = Math.min(rateLimitWaitMs * 2, RATE_LIMIT_MAX_WAIT_MS)
      return waitOut(delayMs, 'Sending too fast')
    }
    const decision = decide()
    if (isPermanent(code)) {
      // The relay's words, or, when it was about the token, the access check's.
      if (!(await checkAccess(decision, false))) return
      const message =
        code === CloseCode.LIMIT_EXCEEDED.code
          ? 'Stopped: a change was over the relay’s limits (reload to reconnect)'
          : `Closed by the relay: ${reason || `code ${code}`}`
      refuse({ code: 'closed', message, closeCode: code, reason })
      return
    }
    // A retry after a renewal or a wait that failed: the status goes back to plain offline.
    if (status.status.problem) status.set({ connection: 'offline', problem: null })
    // A refused upgrade looks like a relay that is down (1006). Ask why when
    // a refusal is possible: there is a token, or this editor never got in.
    const now = Date.now()
    if (!wasOpen && (token !== undefined || !everConnected) && now - failures.probedAt >= PROBE_INTERVAL_MS) {
      const firstOfRun = failures.probedAt === 0
      failures.probedAt = now
      const renewOnRefusal = firstOfRun && !failures.renewed
      if (renewOnRefusal) failures.renewed = true
      if (!(await checkAccess(decision, renewOnRefusal))) return
    }
    retryLater(backoffMs())
  }

  const onStatus = ({ status: s }: { status: string }): void => {
    if (s !== 'connected') return
    everConnected = true
    failures = { probedAt: 0, renewed: false }
    settle()
  }
  const onSync = (synced: boolean): void => {
    if (synced) rateLimitWaitMs = RATE_LIMIT_WAIT_MS
  }
  // Emitted before the provider forgets whether the socket had opened, and
  // before its 'disconnected': an expiry that will be renewed says
  // "Reconnecting…" straight away, never "Offline".
  const onConnectionClose = (event: CloseEvent | null): void => {
    closedWhileOpen = provider.wsconnected
    if (!destroyed && renewable && event?.code === CloseCode.TOKEN_EXPIRED.code) status.set({ connection: 'connecting', problem: RENEWING })
  }
  const onClosed = ({ code, reason }: { code: number; reason: string }): void => {
    if (!destroyed) void afterClose(code, reason, closedWhileOpen)
  }
  provider.on('status', onStatus)
  provider.on('sync', onSync)
  provider.on('connection-close', onConnectionClose)
  provider.on('closed', onClosed)

  // The first connection: with a token, learn what it grants before opening
  // the socket (a reader's editor is never editable, not even for a moment).
  const start = async (): Promise<void> => {
    const decision = decide()
    if (source === undefined) return void provider.connect()
    if (!(await renewToken(decision)) || !current(decision)) return settle()
    provider.params = { ...provider.params, token: token! }
    const proceed = await checkAccess(decision, true)
    settle()
    if (proceed) provider.connect()
  }
  void start()
  return manager
}
