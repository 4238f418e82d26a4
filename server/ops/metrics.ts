import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client'
import type { Relay } from '../relay/relay.ts'
import type { MessageLabel } from '../relay/relay-counters.ts'
import { VERSION } from '../version.ts'
import type { WebhookStats } from './webhooks.ts'

/** Options for `createRelayMetrics`. */
export interface RelayMetricsOptions {
  /**
   * Also export the process and runtime metrics of prom-client's
   * `collectDefaultMetrics` (CPU, memory, file descriptors, event-loop delay,
   * GC, `nodejs_*`, `process_*`), registered in this registry only. Default
   * true. They describe the whole process: two relays in one process report
   * the same values.
   */
  processMetrics?: boolean
  /** Count this webhook sender's deliveries (`collab_relay_webhook_*`). */
  webhooks?: { readonly stats: WebhookStats }
}

/** A relay's Prometheus metrics: a registry of its own, fed by the relay's hooks and counters. */
export interface RelayMetrics {
  /** The registry (no global one is used): add metrics of your own to it. */
  readonly registry: Registry
  /** The metrics in the Prometheus text format, and its content type. */
  render(): Promise<{ contentType: string; body: string }>
  /** Stop listening to the relay's hooks (the registry keeps its last values). */
  dispose(): void
}

/** Storage commits take from well under a millisecond (memory, SQLite) to seconds (a struggling database). */
const STORAGE_SECONDS_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30]

const MESSAGE_TYPES: readonly MessageLabel[] = ['sync', 'awareness', 'auth', 'query-awareness', 'other']

/**
 * Prometheus metrics for one relay, in a registry of their own, so two
 * relays in one process never share a metric. Lifecycle events (updates
 * committed, documents loaded, storage latency) come from the relay's hooks;
 * frame and close totals are read from `relay.counters` when scraped.
 * `createRelayApp` creates one and serves it at `/metrics`; pass your own
 * (option `metrics`) to add metrics to it or to count webhooks.
 *
 * @example
 * const relay = createRelay()
 * const metrics = createRelayMetrics(relay)
 * new Counter({ name: 'my_app_saves_total', help: 'saves', registers: [metrics.registry] })
 * app.route('/collab', createRelayApp(relay, { metrics }))
 */
export function createRelayMetrics(relay: Relay, options: RelayMetricsOptions = {}): RelayMetrics {
  const registry = new Registry()
  const registers = [registry]
  if (options.processMetrics ?? true) collectDefaultMetrics({ register: registry })

  new Gauge({ name: 'collab_relay_info', help: 'The relay version (always 1).', labelNames: ['version'], registers }).set({ version: VERSION }, 1)
  new Gauge({
    name: 'collab_relay_connections',
    help: 'Document connections open now: one per y-websocket socket, one per document open on a Hocuspocus socket.',
    registers,
    collect() {
      this.set(relay.stats().connections)
    },
  })
  new Gauge({
    name: 'collab_relay_hocuspocus_sockets',
    help: 'Hocuspocus-protocol sockets open now (each may carry several documents).',
    registers,
    collect() {
      this.set(relay.counters.hocuspocus.sockets)
    },
  })
  new Gauge({
    name: 'collab_relay_loaded_documents',
    help: 'Documents loaded in memory now (rooms).',
    registers,
    collect() {
      this.set(relay.stats().rooms)
    },
  })
  new Gauge({
    name: 'collab_relay_documents_failing_writes',
    help: 'Loaded documents whose last storage write failed (they retry).',
    registers,
    collect() {
      this.set(relay.stats().roomsFailingWrites)
    },
  })

  // The relay keeps running totals; Prometheus counters only go up by
  // increments, so each scrape adds what the totals grew by since the last.
  const totals = (name: string, help: string, read: () => Record<MessageLabel, number>): void => {
    const seen = new Map<MessageLabel, number>()
    new Counter({
      name,
      help,
      labelNames: ['type'],
      registers,
      collect() {
        const now = read()
        for (const type of MESSAGE_TYPES) {
          // inc by 0 too: every type appears, at 0 until used.
          this.inc({ type }, Math.max(0, now[type] - (seen.get(type) ?? 0)))
          seen.set(type, now[type])
        }
      },
    })
  }
  const counters = relay.counters
  totals('collab_relay_frames_received_total', 'WebSocket frames received, by y-websocket message type.', () => counters.framesIn)
  totals('collab_relay_received_bytes_total', 'Bytes of WebSocket frames received, by message type.', () => counters.bytesIn)
  totals('collab_relay_frames_sent_total', 'WebSocket frames sent, by message type.', () => counters.framesOut)
  totals('collab_relay_sent_bytes_total', 'Bytes of WebSocket frames sent, by message type.', () => counters.bytesOut)

  // Totals kept by number (close code, HTTP status), labelled by it.
  const byNumber = (name: string, help: string, label: string, read: () => Map<number, number>): void => {
    const seen = new Map<number, number>()
    new Counter({
      name,
      help,
      labelNames: [label],
      registers,
      collect() {
        for (const [key, count] of read()) {
          const grown = count - (seen.get(key) ?? 0)
          if (grown > 0) this.inc({ [label]: String(key) }, grown)
          seen.set(key, count)
        }
      },
    })
  }
  byNumber(
    'collab_relay_closes_total',
    'Connections the relay closed, by WebSocket close code (shared/close-codes.ts); peers that left on their own are not counted.',
    'code',
    () => counters.closes,
  )
  byNumber(
    'collab_relay_refusals_total',
    'Connections refused before they joined a document, by HTTP status (401 no valid token, 403 not allowed, 429 per-address limits, 400 bad name).',
    'status',
    () => counters.refusals,
  )
  // Hocuspocus sockets' own totals, by direction (see RelayCounters.hocuspocus).
  const byDirection = (name: string, help: string, read: () => { in: number; out: number }): void => {
    const seen = { in: 0, out: 0 }
    new Counter({
      name,
      help,
      labelNames: ['direction'],
      registers,
      collect() {
        const now = read()
        for (const direction of ['in', 'out'] as const) {
          this.inc({ direction }, Math.max(0, now[direction] - seen[direction]))
          seen[direction] = now[direction]
        }
      },
    })
  }
  const dialect = counters.hocuspocus
  byDirection(
    'collab_relay_hocuspocus_frames_total',
    'Frames on Hocuspocus sockets as they travel (tokens, stateless messages, closes and pings included); the y-websocket messages inside are also in collab_relay_frames_*.',
    () => ({ in: dialect.framesIn, out: dialect.framesOut }),
  )
  byDirection('collab_relay_hocuspocus_bytes_total', 'Bytes of frames on Hocuspocus sockets, routing keys included.', () => ({ in: dialect.bytesIn, out: dialect.bytesOut }))

  const updates = new Counter({
    name: 'collab_relay_updates_committed_total',
    help: 'Document updates committed to storage and applied, by origin (connection, server, instance).',
    labelNames: ['origin'],
    registers,
  })
  const created = new Counter({ name: 'collab_relay_documents_created_total', help: 'Documents that received their first update.', registers })
  const loads = new Counter({ name: 'collab_relay_document_loads_total', help: 'Documents loaded from storage.', registers })
  const unloads = new Counter({ name: 'collab_relay_document_unloads_total', help: 'Documents that left memory.', registers })
  const deletions = new Counter({ name: 'collab_relay_document_deletions_total', help: 'Documents deleted.', registers })
  const appendSeconds = new Histogram({
    name: 'collab_relay_storage_append_seconds',
    help: 'Time to append one batch of updates to storage (successful appends).',
    buckets: STORAGE_SECONDS_BUCKETS,
    registers,
  })
  const appendFailures = new Counter({ name: 'collab_relay_storage_append_failures_total', help: 'Storage appends that failed (each is retried).', registers })
  const appendedBytes = new Counter({ name: 'collab_relay_storage_appended_bytes_total', help: 'Bytes of updates appended to storage.', registers })
  const compactionSeconds = new Histogram({
    name: 'collab_relay_storage_compaction_seconds',
    help: "Time to compact a document's stored log (successful compactions).",
    buckets: STORAGE_SECONDS_BUCKETS,
    registers,
  })
  const compactionFailures = new Counter({ name: 'collab_relay_storage_compaction_failures_total', help: 'Compactions that failed.', registers })
  // Every label value from the start, so a dashboard sees 0 rather than nothing.
  for (const origin of ['connection', 'server', 'instance']) updates.inc({ origin }, 0)

  if (options.webhooks) {
    const { stats } = options.webhooks
    const outcomes = ['delivered', 'gave_up', 'dropped'] as const
    const seen = new Map<string, number>()
    new Counter({
      name: 'collab_relay_webhook_deliveries_total',
      help: 'Webhook deliveries by outcome: delivered (2xx), gave_up (every attempt failed), dropped (queue full, or pending at shutdown).',
      labelNames: ['outcome'],
      registers,
      collect() {
        for (const outcome of outcomes) {
          const value = outcome === 'delivered' ? stats.delivered : outcome === 'gave_up' ? stats.gaveUp : stats.dropped
          this.inc({ outcome }, Math.max(0, value - (seen.get(outcome) ?? 0)))
          seen.set(outcome, value)
        }
      },
    })
    let failedSeen = 0
    new Counter({
      name: 'collab_relay_webhook_failed_attempts_total',
      help: 'Webhook attempts that failed (no answer in time, a network error, or a status other than 2xx); most are retried.',
      registers,
      collect() {
        this.inc(Math.max(0, stats.failedAttempts - failedSeen))
        failedSeen = stats.failedAttempts
      },
    })
    new Gauge({
      name: 'collab_relay_webhook_queued',
      help: 'Webhook deliveries waiting: to be sent, in flight, or waiting to be retried.',
      registers,
      collect() {
        this.set(stats.queued)
      },
    })
  }

  const unsubscribe = relay.addHooks({
    updateCommitted({ origin, created: isNew }) {
      updates.inc({ origin: origin.kind })
      if (isNew) created.inc()
    },
    documentLoaded() {
      loads.inc()
    },
    documentUnloaded() {
      unloads.inc()
    },
    documentDeleted() {
      deletions.inc()
    },
    storageAppended({ ms, bytes, error }) {
      if (error) {
        appendFailures.inc()
        return
      }
      appendSeconds.observe(ms / 1000)
      appendedBytes.inc(bytes)
    },
    storageCompacted({ ms, error }) {
      if (error) compactionFailures.inc()
      else compactionSeconds.observe(ms / 1000)
    },
  })

  return {
    registry,
    async render() {
      return { contentType: registry.contentType, body: await registry.metrics() }
    },
    dispose: unsubscribe,
  }
}
