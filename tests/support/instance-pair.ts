/**
 * Two relay instances in this process sharing documents the way production
 * does: each with its own PostgreSQL pool on one shared schema and its own
 * Redis connections (a bus under a prefix of its own, so tests never hear
 * each other).
 */
import { createRedisBus, type RedisBus } from '../../server/scale/redis-bus.ts'
import type { DocumentStorage } from '../../server/storage/types.ts'
import { startRelay, type TestRelay, type TestRelayOptions } from './harness.ts'
import { SHARED_REDIS_URL } from './redis-server.ts'
import type { PostgresBackend } from './storage-backends.ts'

const quietLogger = { info() {}, warn() {}, error() {} }

export interface Instance {
  relay: TestRelay
  bus: RedisBus
  storage: DocumentStorage
  /** Stop the relay, then its bus; idempotent. */
  close(): Promise<void>
}

/**
 * Start two instances on `backend`'s next schema. Each `close` is handed to
 * `teardown` as well. Heartbeats every 200 ms, an instance gone after 1 s.
 */
export async function startInstancePair(
  backend: PostgresBackend,
  teardown: (close: () => Promise<void>) => void,
  options: Omit<TestRelayOptions, 'storage' | 'bus'> = {},
  redisUrl = SHARED_REDIS_URL,
): Promise<[Instance, Instance]> {
  const prefix = `test-${Math.random().toString(36).slice(2)}`
  const instances: Instance[] = []
  for (const storage of [await backend.open(), await backend.reopen()]) {
    const bus = await createRedisBus({ url: redisUrl, prefix, logger: quietLogger, heartbeatMs: 200, instanceTimeoutMs: 1000 })
    // /readyz checks Redis, as the CLI's does with --redis-url.
    const relay = await startRelay({ ...options, storage, bus, readinessChecks: { redis: () => bus.ping(), ...options.readinessChecks } })
    let closed = false
    const close = async (): Promise<void> => {
      if (closed) return
      closed = true
      await relay.close()
      await bus.close()
    }
    instances.push({ relay, bus, storage, close })
    teardown(close)
  }
  return [instances[0], instances[1]]
}
