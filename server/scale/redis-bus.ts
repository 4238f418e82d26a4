import { randomUUID } from 'node:crypto'
import { createClient, RESP_TYPES } from 'redis'
import type { BusReceiver, BusSubscription, DocumentBus } from '../relay/document-bus.ts'
import type { RelayLogger } from '../relay/relay-socket.ts'
import { createInstanceWatch, type InstanceWatch } from './instance-watch.ts'

/** Options for `createRedisBus`. */
export interface RedisBusOptions {
  /** `redis://host:port` (or `rediss://`). */
  url: string
  /** Prefix of every key and channel, so several deployments can share one Redis. Default `collab`. */
  prefix?: string
  /** Entries a document's stream keeps at most (about: trimmed with `~`). Everything in it is in storage already. Default 1000. */
  streamMaxLength?: number
  /** A document stream nobody wrote to for this long expires, in ms. Default one hour. */
  streamIdleMs?: number
  /** How often this instance says it is alive, in ms. Default 2000. */
  heartbeatMs?: number
  /** An instance silent for this long is gone: its clients' presence is dropped everywhere, in ms. Default 8000. */
  instanceTimeoutMs?: number
  logger?: RelayLogger
}

/** A `DocumentBus` over Redis, with what its owner needs besides. */
export interface RedisBus extends DocumentBus {
  /** Resolves when Redis answers (for `/readyz`). */
  ping(): Promise<void>
  /** Say goodbye (the other instances drop this one's presence at once) and disconnect. */
  close(): Promise<void>
}

/** The fields of a stream entry. */
const enum Kind {
  Update = 'u',
  Presence = 'a',
  Query = 'q',
  Stateless = 's',
  Deleted = 'x',
}

interface Subscription {
  cursor: string
  receivers: Set<BusReceiver>
}

const textEncoder = new TextEncoder()
const textDecoder = new TextDecoder()

/** How long one blocking read waits before reading again (it is woken early when documents are added). */
const BLOCK_MS = 5_000
/** Entries one read takes at most per document. */
const READ_COUNT = 500

/**
 * Relay instances sharing documents through Redis Streams: one stream per
 * document (`<prefix>:doc:{<name>}`, the braces keep a document on one
 * Redis Cluster slot), holding committed updates, presence and presence
 * queries, each entry tagged with the instance that wrote it. An instance
 * reads only the streams of documents it has loaded, with one blocking
 * XREAD for all of them. Streams are trimmed freely: an update is published
 * only after storage committed it, so after a gap (Redis restarted, the
 * connection dropped) each room reconciles with storage rather than
 * replaying the stream. Instance liveness travels on a pub/sub channel.
 */
export async function createRedisBus(options: RedisBusOptions): Promise<RedisBus> {
  const prefix = options.prefix ?? 'collab'
  const maxLength = options.streamMaxLength ?? 1000
  const idleMs = options.streamIdleMs ?? 3_600_000
  const logger = options.logger ?? console
  const instanceId = randomUUID()
  const keyOf = (name: string): string => `${prefix}:doc:{${name}}`

  const commands = createClient({ url: options.url, commandsQueueMaxLength: 10_000 })
  const reader = commands.duplicate().withTypeMapping({ [RESP_TYPES.BLOB_STRING]: Buffer })
  let reportedDown = false
  for (const client of [commands, reader]) {
    client.on('error', (error: Error) => {
      // node-redis reconnects by itself; say so once per outage.
      if (!reportedDown) logger.warn(`redis: ${error.message}; reconnecting`)
      reportedDown = true
    })
  }
  await Promise.all([commands.connect(), reader.connect()])
  let readerId = Number(await reader.clientId())

  const subscriptions = new Map<string, Subscription>()
  const names = new Map<string, string>() // stream key → document name
  const expiresRefreshed = new Map<string, number>()
  let closed = false
  let wake: (() => void) | null = null

  const watch: InstanceWatch = await createInstanceWatch({
    client: commands,
    channel: `${prefix}:instances`,
    instanceId,
    heartbeatMs: options.heartbeatMs ?? 2000,
    timeoutMs: options.instanceTimeoutMs ?? 8000,
    logger,
    onGone: (gone) => {
      for (const subscription of subscriptions.values()) for (const receiver of subscription.receivers) receiver.instanceGone(gone)
    },
  })

  /** Interrupt the blocking read so it picks up a new document now. */
  const interruptRead = (): void => {
    wake?.()
    if (!reader.isReady || !commands.isReady) return
    commands.sendCommand(['CLIENT', 'UNBLOCK', String(readerId)]).catch(() => {})
  }

  const publish = (name: string, kind: Kind, data: Uint8Array): void => {
    if (closed) return
    const key = keyOf(name)
    commands
      .xAdd(key, '*', { i: instanceId, t: kind, d: Buffer.from(data.buffer, data.byteOffset, data.byteLength) }, {
        TRIM: { strategy: 'MAXLEN', strategyModifier: '~', threshold: maxLength },
      })
      .catch((error: Error) => {
        // The others reconcile with storage after the outage: nothing committed is lost.
        if (!closed && !reportedDown) logger.warn(`redis: could not publish to "${name}" (${error.message})`)
      })
    const now = Date.now()
    if (now - (expiresRefreshed.get(key) ?? 0) > idleMs / 4) {
      expiresRefreshed.set(key, now)
      commands.pExpire(key, idleMs).catch(() => {})
    }
  }

  const latest = async (name: string): Promise<string> => {
    const last = await commands.xRevRange(keyOf(name), '+', '-', { COUNT: 1 })
    return last[0]?.id ?? '0-0'
  }

  const dispatch = (name: string, subscription: Subscription, fields: Record<string, Buffer>): void => {
    const from = fields.i?.toString()
    if (!from || from === instanceId) return
    watch.seen(from)
    const kind = fields.t?.toString()
    const data = fields.d ? new Uint8Array(fields.d.buffer, fields.d.byteOffset, fields.d.byteLength) : new Uint8Array(0)
    for (const receiver of subscription.receivers) {
      try {
        if (kind === Kind.Update) receiver.update(data, from)
        else if (kind === Kind.Presence) receiver.presence(data, from)
        else if (kind === Kind.Query) receiver.presenceQueried()
        else if (kind === Kind.Stateless) receiver.stateless(textDecoder.decode(data), from)
        else if (kind === Kind.Deleted) receiver.deleted(from)
      } catch (error) {
        logger.error(`redis: handling a message for "${name}" failed`, error)
      }
    }
  }

  /** After an outage: start each document from where its stream ends now, and reconcile with storage. */
  const recover = async (): Promise<void> => {
    readerId = Number(await reader.clientId())
    for (const [name, subscription] of subscriptions) {
      subscription.cursor = await latest(name)
      for (const receiver of subscription.receivers) receiver.resync()
      publish(name, Kind.Query, new Uint8Array(0))
    }
    if (reportedDown) logger.info?.('redis: connected again; documents reconciled with storage')
    reportedDown = false
  }

  const readLoop = async (): Promise<void> => {
    let failed = false
    while (!closed) {
      if (subscriptions.size === 0) {
        await new Promise<void>((resolve) => (wake = resolve))
        wake = null
        continue
      }
      try {
        if (failed) {
          await recover()
          failed = false
        }
        const streams = [...subscriptions].map(([name, subscription]) => ({ key: keyOf(name), id: subscription.cursor }))
        const answer = (await reader.xRead(streams, { BLOCK: BLOCK_MS, COUNT: READ_COUNT })) as
          | { name: Buffer; messages: { id: Buffer; message: Record<string, Buffer> }[] }[]
          | null
        for (const stream of answer ?? []) {
          const name = names.get(stream.name.toString())
          const subscription = name === undefined ? undefined : subscriptions.get(name)
          if (!subscription || name === undefined) continue
          for (const entry of stream.messages) {
            subscription.cursor = entry.id.toString()
            dispatch(name, subscription, entry.message)
          }
        }
      } catch (error) {
        if (closed) return
        if (!failed && !reportedDown) logger.warn(`redis: reading failed (${(error as Error).message}); reconnecting`)
        failed = true
        reportedDown = true
        await new Promise((resolve) => setTimeout(resolve, 250))
      }
    }
  }
  const reading = readLoop()

  return {
    instanceId,
    async position(name) {
      try {
        return await latest(name)
      } catch {
        // Redis is away: read what the stream still holds once it is back (the reconcile after the outage covers the rest).
        return '0-0'
      }
    },
    subscribe(name, from, receiver): BusSubscription {
      let subscription = subscriptions.get(name)
      if (!subscription) {
        subscription = { cursor: from, receivers: new Set() }
        subscriptions.set(name, subscription)
        names.set(keyOf(name), name)
      }
      subscription.receivers.add(receiver)
      interruptRead()
      return {
        close() {
          const current = subscriptions.get(name)
          if (!current) return
          current.receivers.delete(receiver)
          if (current.receivers.size === 0) {
            subscriptions.delete(name)
            names.delete(keyOf(name))
          }
        },
      }
    },
    publishUpdate: (name, update) => publish(name, Kind.Update, update),
    publishPresence: (name, update) => publish(name, Kind.Presence, update),
    queryPresence: (name) => publish(name, Kind.Query, new Uint8Array(0)),
    publishStateless: (name, payload) => publish(name, Kind.Stateless, textEncoder.encode(payload)),
    publishDeleted: (name) => publish(name, Kind.Deleted, new Uint8Array(0)),
    async ping() {
      await commands.ping()
    },
    async close() {
      if (closed) return
      await watch.close()
      closed = true
      wake?.()
      // The blocked read ends with its socket; pending publishes are sent first when Redis is there to take them.
      reader.destroy()
      if (commands.isReady) await commands.close().catch((error: Error) => logger.warn(`redis: closing: ${error.message}`))
      else commands.destroy()
      await reading
    },
  }
}
