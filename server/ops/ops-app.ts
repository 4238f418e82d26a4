import { Hono } from 'hono'
import type { Authenticate } from '../http/authenticate.ts'
import type { Relay } from '../relay/relay.ts'
import { createRelayMetrics, type RelayMetrics } from './metrics.ts'

/**
 * Options for `createOpsApp` (and so for `createRelayApp` and `serveRelay`,
 * which mount it).
 */
export interface OpsAppOptions {
  /**
   * With one, `/metrics` needs a token (as a bearer header or `?token=`)
   * whose grant for the document `*` is an admin's (`grant.admin`): a JWT
   * with `doc: '*'` and `admin: true`. Without one (an open relay) `/metrics`
   * is open too. `/readyz` is always open: it says only ready or not.
   */
  authenticate?: Authenticate
  /**
   * The metrics `/metrics` serves: pass `createRelayMetrics(relay, …)` to add
   * metrics of your own or count webhooks; `false` for no `/metrics`.
   * Default: a new `createRelayMetrics(relay)` (its own registry).
   */
  metrics?: RelayMetrics | false
  /**
   * More checks for `/readyz` besides storage, by name: each resolves when
   * its dependency answers and rejects (or outlasts `readinessTimeoutMs`)
   * when not. Storage is checked with a one-entry `describe`.
   */
  readinessChecks?: Record<string, () => Promise<unknown>>
  /** How long a readiness check may take before it counts as failed, in ms. Default 2000. */
  readinessTimeoutMs?: number
}

/** What `/readyz` answers. */
export interface Readiness {
  status: 'ready' | 'unavailable'
  /** Each check: `ok`, `failed` or `timed out`. */
  checks: Record<string, 'ok' | 'failed' | 'timed out'>
  /** Why it is unavailable (the checks that did not pass); absent when ready. */
  reason?: string
}

/**
 * The operator's routes: `GET /metrics` (Prometheus text format) and
 * `GET /readyz` (200 when storage and every extra check answer, else 503
 * with the reason). `createRelayApp` mounts it beside `/healthz`, which
 * only says the process is alive.
 *
 * @example
 * const app = new Hono()
 * app.route('/ops', createOpsApp(relay, { authenticate }))   // GET /ops/metrics, /ops/readyz
 */
export function createOpsApp(relay: Relay, options: OpsAppOptions = {}): Hono {
  const app = new Hono()
  const authenticate = options.authenticate
  const metrics = options.metrics === false ? null : (options.metrics ?? createRelayMetrics(relay))
  const timeoutMs = options.readinessTimeoutMs ?? 2000
  if (!(timeoutMs > 0)) throw new RangeError(`createOpsApp: readinessTimeoutMs must be > 0, got ${timeoutMs}`)
  const checks: Record<string, () => Promise<unknown>> = {
    storage: () => relay.storage.describe({ limit: 1 }),
    ...options.readinessChecks,
  }
  const probe = createReadinessProbe(checks, timeoutMs, relay.logger)

  if (metrics) {
    app.get('/metrics', async (c) => {
      if (authenticate) {
        // The whole relay's numbers: for whoever may administer every document.
        const auth = await authenticate(c.req.raw, '*')
        if (!auth.ok) return c.json({ error: auth.status === 401 ? 'unauthorized' : 'forbidden', reason: auth.reason }, auth.status, { 'x-collab-error': auth.reason })
        if (!auth.grant.admin) {
          const reason = 'metrics need an admin token for every document'
          return c.json({ error: 'forbidden', reason }, 403, { 'x-collab-error': reason })
        }
      }
      const { contentType, body } = await metrics.render()
      return c.body(body, 200, { 'content-type': contentType, 'cache-control': 'no-store' })
    })
  }

  app.get('/readyz', async (c) => {
    const readiness = await probe()
    return c.json(readiness, readiness.status === 'ready' ? 200 : 503, { 'cache-control': 'no-store' })
  })

  return app
}

/**
 * Run the checks, at most one round at a time (probes arriving meanwhile
 * share it), each bounded by `timeoutMs`. The reasons in the answer are
 * short and generic, since `/readyz` is open to anyone; the log gets the
 * error itself, once when a check starts failing and once when it recovers.
 */
function createReadinessProbe(
  checks: Record<string, () => Promise<unknown>>,
  timeoutMs: number,
  logger: Relay['logger'],
): () => Promise<Readiness> {
  let running: Promise<Readiness> | null = null
  const failing = new Set<string>()

  const runOne = async (name: string, check: () => Promise<unknown>): Promise<'ok' | 'failed' | 'timed out'> => {
    let timer: ReturnType<typeof setTimeout> | undefined
    const expired = new Promise<'timed out'>((resolve) => {
      timer = setTimeout(() => resolve('timed out'), timeoutMs)
    })
    let outcome: 'ok' | 'failed' | 'timed out'
    let problem: unknown
    try {
      outcome = await Promise.race([
        Promise.resolve()
          .then(check)
          .then(() => 'ok' as const),
        expired,
      ])
    } catch (error) {
      outcome = 'failed'
      problem = error
    } finally {
      clearTimeout(timer)
    }
    if (outcome === 'ok') {
      if (failing.delete(name)) logger.info(`readiness: ${name} answers again`)
    } else if (!failing.has(name)) {
      failing.add(name)
      if (outcome === 'timed out') logger.warn(`readiness: ${name} did not answer within ${timeoutMs} ms; /readyz answers 503`)
      else logger.error(`readiness: ${name} failed; /readyz answers 503`, problem)
    }
    return outcome
  }

  const round = async (): Promise<Readiness> => {
    const names = Object.keys(checks)
    const outcomes = await Promise.all(names.map((name) => runOne(name, checks[name])))
    const results = Object.fromEntries(names.map((name, index) => [name, outcomes[index]]))
    const bad = names.filter((name) => results[name] !== 'ok')
    if (bad.length === 0) return { status: 'ready', checks: results }
    return { status: 'unavailable', checks: results, reason: bad.map((name) => `${name} ${results[name]}`).join(', ') }
  }

  return () => {
    running ??= round().finally(() => {
      running = null
    })
    return running
  }
}
