import type { RedisClientType } from 'redis'
import type { RelayLogger } from '../relay/relay-socket.ts'

/** Which other instances are alive, from their heartbeats. */
export interface InstanceWatch {
  /** Any message from an instance counts as a heartbeat. */
  seen(instanceId: string): void
  /** Say goodbye and stop. */
  close(): Promise<void>
}

export interface InstanceWatchOptions {
  /** A connected client; the watch subscribes on a duplicate of it. */
  client: Pick<RedisClientType, 'duplicate' | 'publish'>
  channel: string
  instanceId: string
  heartbeatMs: number
  timeoutMs: number
  logger: RelayLogger
  /** An instance said goodbye or fell silent for `timeoutMs`. */
  onGone(instanceId: string): void
}

/**
 * Heartbeats on a pub/sub channel: every instance publishes `alive:<id>`
 * every `heartbeatMs` and `bye:<id>` when it stops. An instance killed
 * without a goodbye falls silent; after `timeoutMs` the others drop its
 * clients' presence (well within the 30 s after which y-protocols clients
 * would drop it themselves, and for joiners, who would otherwise be shown it).
 */
export async function createInstanceWatch(options: InstanceWatchOptions): Promise<InstanceWatch> {
  const lastSeen = new Map<string, number>()
  const subscriber = options.client.duplicate()
  subscriber.on('error', () => {
    // Reported by the bus's own clients; node-redis reconnects and resubscribes.
  })
  await subscriber.connect()
  await subscriber.subscribe(options.channel, (message: string) => {
    const [kind, id] = message.split(':', 2)
    if (!id || id === options.instanceId) return
    if (kind === 'alive') lastSeen.set(id, Date.now())
    else if (kind === 'bye') {
      lastSeen.delete(id)
      options.onGone(id)
    }
  })

  const beat = (): void => {
    options.client.publish(options.channel, `alive:${options.instanceId}`).catch(() => {})
    const now = Date.now()
    for (const [id, at] of lastSeen) {
      if (now - at <= options.timeoutMs) continue
      lastSeen.delete(id)
      options.logger.warn(`redis: instance ${id} fell silent; dropping its clients' presence`)
      options.onGone(id)
    }
  }
  beat()
  const timer = setInterval(beat, options.heartbeatMs)
  timer.unref()

  return {
    seen(id) {
      lastSeen.set(id, Date.now())
    },
    async close() {
      clearInterval(timer)
      // Redis may be away: the goodbye is worth half a second at most (the others time this instance out anyway).
      let patience: ReturnType<typeof setTimeout> | undefined
      await Promise.race([
        options.client.publish(options.channel, `bye:${options.instanceId}`).catch(() => {}),
        new Promise((resolve) => (patience = setTimeout(resolve, 500))),
      ])
      clearTimeout(patience)
      subscriber.destroy()
    },
  }
}
