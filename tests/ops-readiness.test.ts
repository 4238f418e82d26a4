/**
 * `/readyz`: ready when storage answers, 503 with a reason when it does not
 * (a closed SQLite handle, a PostgreSQL table renamed away, a check that
 * hangs), ready again once it recovers; `/healthz` says alive throughout.
 */
import { afterAll, describe, expect, it } from 'vitest'
import type { Readiness } from '../server/ops/ops-app.ts'
import { useRelayScope } from './support/harness.ts'
import { createPostgresBackend, createSqliteBackend } from './support/storage-backends.ts'

const { start } = useRelayScope()
const sqlite = createSqliteBackend()
const postgres = createPostgresBackend()
afterAll(async () => {
  await sqlite.cleanup()
  await postgres.cleanup()
})

async function readyz(url: string): Promise<{ status: number; body: Readiness }> {
  const response = await fetch(`${url}/readyz`)
  return { status: response.status, body: (await response.json()) as Readiness }
}

const logged = (): { lines: string[]; logger: { info(m: string): void; warn(m: string): void; error(m: string, e?: unknown): void } } => {
  const lines: string[] = []
  return {
    lines,
    logger: {
      info: (message) => lines.push(`info ${message}`),
      warn: (message) => lines.push(`warn ${message}`),
      error: (message, error) => lines.push(`error ${message}: ${String(error)}`),
    },
  }
}

describe('/readyz', () => {
  it('is ready on working storage of each kind', async () => {
    for (const storage of [undefined, await sqlite.open(), await postgres.open()]) {
      const relay = await start(storage ? { storage } : {})
      expect(await readyz(relay.server.url)).toEqual({ status: 200, body: { status: 'ready', checks: { storage: 'ok' } } })
    }
  })

  it('answers 503 once the SQLite handle is closed, while /healthz still says alive', async () => {
    const storage = await sqlite.open()
    const { lines, logger } = logged()
    const relay = await start({ storage, logger })
    expect((await readyz(relay.server.url)).status).toBe(200)
    await storage.close()
    expect(await readyz(relay.server.url)).toEqual({
      status: 503,
      body: { status: 'unavailable', checks: { storage: 'failed' }, reason: 'storage failed' },
    })
    expect((await fetch(`${relay.server.url}/healthz`)).status).toBe(200)
    // The log says why, once, however often the probe asks.
    await readyz(relay.server.url)
    expect(lines.filter((line) => line.startsWith('error readiness: storage failed'))).toHaveLength(1)
  })

  it('answers 503 while the PostgreSQL log table is renamed away, and 200 once it is back', async () => {
    const { lines, logger } = logged()
    const relay = await start({ storage: await postgres.open(), logger })
    expect((await readyz(relay.server.url)).status).toBe(200)
    await postgres.query(`ALTER TABLE "${postgres.schema}".collab_updates RENAME TO broken`)
    try {
      const down = await readyz(relay.server.url)
      expect(down.status).toBe(503)
      expect(down.body.reason).toBe('storage failed')
      // The answer is open to anyone: it names no table, host or error.
      expect(JSON.stringify(down.body)).not.toMatch(/collab_updates|broken|relation|127\.0\.0\.1/)
    } finally {
      await postgres.query(`ALTER TABLE "${postgres.schema}".broken RENAME TO collab_updates`)
    }
    expect((await readyz(relay.server.url)).status).toBe(200)
    expect(lines.some((line) => line.startsWith('error readiness: storage failed') && line.includes('collab_updates'))).toBe(true)
    expect(lines).toContain('info readiness: storage answers again')
  })

  it('counts a check that does not answer in time as failed, and runs extra checks by name', async () => {
    let redisUp = true
    const relay = await start({
      readinessTimeoutMs: 100,
      readinessChecks: {
        redis: () => (redisUp ? Promise.resolve() : new Promise(() => {})),
      },
    })
    expect(await readyz(relay.server.url)).toEqual({ status: 200, body: { status: 'ready', checks: { storage: 'ok', redis: 'ok' } } })
    redisUp = false
    const started = Date.now()
    expect(await readyz(relay.server.url)).toEqual({
      status: 503,
      body: { status: 'unavailable', checks: { storage: 'ok', redis: 'timed out' }, reason: 'redis timed out' },
    })
    expect(Date.now() - started).toBeLessThan(2000)
  })
})
