/**
 * Logs, metrics and webhooks as an operator runs them: the spawned
 * `collab-relay` with `--log-level`, `--log-format`, `--auth-secret` and
 * `--webhook-url`; JSON lines on a pipe, no info records at `warn`, one
 * stdout line, no token or secret in the output, webhooks flushed at
 * shutdown.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { OPEN_RELAY_WARNING } from '../server/cli-args.ts'
import { connectClient, waitFor, waitSynced, type TestClient } from './support/harness.ts'
import { scrape } from './support/prometheus.ts'
import { runCli, spawnCli, type SpawnedCli } from './support/spawn-cli.ts'
import { startWebhookReceiver, type WebhookReceiver } from './support/webhook-receiver.ts'

const SECRET = 'the relay secret of thirty-two bytes or more'
const WEBHOOK_SECRET = 'the webhook secret of thirty-two bytes or more'

const running: SpawnedCli[] = []
const clients: TestClient[] = []
const receivers: WebhookReceiver[] = []
afterEach(async () => {
  for (const client of clients.splice(0)) client.destroy()
  await Promise.all(running.splice(0).map((cli) => cli.stop('SIGKILL')))
  await Promise.all(receivers.splice(0).map((receiver) => receiver.close()))
})

async function spawn(args: string[], env: Record<string, string> = {}): Promise<SpawnedCli> {
  const cli = await spawnCli(['--port', '0', '--memory', ...args], { env })
  running.push(cli)
  return cli
}

interface LogRecord {
  level: string
  time: string
  pid: number
  msg: string
  err?: { message: string }
}

/** Every stderr line as a JSON record; the OPEN warning is the one plain line allowed. */
function records(stderr: string): LogRecord[] {
  return stderr
    .split('\n')
    .filter((line) => line !== '' && line !== OPEN_RELAY_WARNING)
    .map((line) => {
      try {
        return JSON.parse(line) as LogRecord
      } catch {
        throw new Error(`stderr line is not JSON: ${line}`)
      }
    })
}

describe('collab-relay logs', () => {
  it('writes JSON lines to stderr when it is not a terminal, and exactly one line to stdout', async () => {
    const cli = await spawn([])
    expect((await cli.stop('SIGTERM')).code).toBe(0)
    expect(cli.stdoutLines).toEqual([expect.stringMatching(/^listening on http:\/\/127\.0\.0\.1:\d+$/)])
    const logs = records(cli.stderr)
    for (const record of logs) {
      expect(['trace', 'debug', 'info', 'warn', 'error', 'fatal']).toContain(record.level)
      expect(Number.isNaN(Date.parse(record.time))).toBe(false)
      expect(record.pid).toBe(cli.process.pid)
    }
    const messages = logs.map((record) => record.msg)
    expect(messages).toContain('storage: in memory only (--memory): nothing is written to disk')
    expect(messages).toContain('SIGTERM: closing connections and flushing storage')
    expect(messages.at(-1)).toBe('stopped: every update is stored')
    expect(cli.stderr.split('\n').filter((line) => line === OPEN_RELAY_WARNING)).toHaveLength(1)
  })

  it('prints no info records at --log-level warn, and nothing but the OPEN warning at silent', async () => {
    const warn = await spawn(['--log-level', 'warn'])
    expect((await warn.stop('SIGTERM')).code).toBe(0)
    expect(records(warn.stderr).filter((record) => record.level === 'info')).toEqual([])
    expect(warn.stderr).not.toContain('storage:')
    expect(warn.stderr).not.toContain('stopped: every update is stored')
    expect(warn.stdoutLines).toHaveLength(1)

    const silent = await spawn([], { COLLAB_RELAY_LOG_LEVEL: 'silent' })
    expect((await silent.stop('SIGTERM')).code).toBe(0)
    expect(silent.stderr).toBe(`${OPEN_RELAY_WARNING}\n`)
  })

  it('writes one readable line per record with --log-format pretty', async () => {
    const cli = await spawn(['--log-format', 'pretty'])
    expect((await cli.stop('SIGTERM')).code).toBe(0)
    const lines = cli.stderr.split('\n').filter((line) => line !== '' && line !== OPEN_RELAY_WARNING)
    expect(lines.length).toBeGreaterThanOrEqual(3)
    for (const line of lines) expect(line).toMatch(/^\d\d:\d\d:\d\d\.\d{3} (INFO |WARN |ERROR) \S/)
    expect(lines).toContainEqual(expect.stringMatching(/ INFO  storage: in memory only/))
  })

  it('refuses an unknown level, naming the flag', async () => {
    const result = await runCli(['--port', '0', '--memory', '--log-level', 'loud'])
    expect(result.code).toBe(2)
    expect(result.stderr).toContain('--log-level: expected one of trace, debug, info, warn, error, silent, got "loud"')
  })
})

describe('collab-relay /metrics and /readyz', () => {
  it('serves /metrics only to an admin token for every document when it has a key, /readyz to anyone', async () => {
    const cli = await spawn([], { COLLAB_RELAY_AUTH_SECRET: SECRET })
    const unauthorized = await fetch(`${cli.url}/metrics`)
    expect(unauthorized.status).toBe(401)
    expect(unauthorized.headers.get('x-collab-error')).toBe('missing token')
    const issued = await runCli(['token', '--doc', '*', '--access', 'read', '--admin', '--expires', '5m'], { env: { COLLAB_RELAY_AUTH_SECRET: SECRET } })
    const admin = issued.stdout.trim()
    const notAdmin = (await runCli(['token', '--doc', '*', '--access', 'write', '--expires', '5m'], { env: { COLLAB_RELAY_AUTH_SECRET: SECRET } })).stdout.trim()
    expect((await fetch(`${cli.url}/metrics`, { headers: { authorization: `Bearer ${notAdmin}` } })).status).toBe(403)
    const metrics = await scrape(cli.url, admin)
    expect(metrics.value('collab_relay_connections')).toBe(0)
    expect(metrics.value('nodejs_eventloop_lag_p99_seconds')).toBeGreaterThanOrEqual(0)
    const ready = await fetch(`${cli.url}/readyz`)
    expect(ready.status).toBe(200)
    expect(await ready.json()).toEqual({ status: 'ready', checks: { storage: 'ok' } })

    expect((await cli.stop('SIGTERM')).code).toBe(0)
    const output = `${cli.stdoutLines.join('\n')}\n${cli.stderr}`
    for (const token of [admin, notAdmin]) for (const part of token.split('.').slice(1)) expect(output).not.toContain(part)
    expect(output).not.toContain(SECRET)
  })
})

describe('collab-relay --webhook-url', () => {
  it('delivers signed events, and sends the change still waiting for its debounce when stopped', async () => {
    const receiver = await startWebhookReceiver()
    receivers.push(receiver)
    const cli = await spawn(['--webhook-url', `${receiver.url}?key=hidden-in-query`], { COLLAB_RELAY_WEBHOOK_SECRET: WEBHOOK_SECRET })
    const writer = connectClient(cli.wsUrl, 'cli/hooked')
    clients.push(writer)
    await waitSynced(writer)
    writer.doc.getText('text').insert(0, 'secret document text')
    await waitFor(() => receiver.events('document.created').length === 1, 'document.created')
    expect(receiver.events('document.changed')).toHaveLength(0)
    const metrics = await scrape(cli.url)
    expect(metrics.count('collab_relay_webhook_deliveries_total', { outcome: 'delivered' })).toBe(1)

    // Stopped before the 2 s debounce ends: the change goes out during shutdown.
    expect((await cli.stop('SIGTERM')).code).toBe(0)
    expect(receiver.events('document.changed', 'cli/hooked')).toHaveLength(1)
    for (const hook of receiver.received) expect(hook.headers['x-collab-signature']).toMatch(/^sha256=[0-9a-f]{64}$/)
    const logs = records(cli.stderr)
    expect(logs.map((record) => record.msg)).toContain(`webhooks: document events to ${receiver.url}?…, signed`)
    expect(cli.stderr).not.toContain('hidden-in-query')
    expect(cli.stderr).not.toContain(WEBHOOK_SECRET)
    expect(cli.stderr).not.toContain('secret document text')
  })

  it('warns that webhooks without a secret are unsigned, and refuses a short secret without printing it', async () => {
    const receiver = await startWebhookReceiver()
    receivers.push(receiver)
    const cli = await spawn(['--webhook-url', receiver.url])
    expect(records(cli.stderr).filter((record) => record.level === 'warn').map((record) => record.msg)).toContainEqual(
      expect.stringMatching(/^webhooks are not signed/),
    )
    const refused = await runCli(['--port', '0', '--memory', '--webhook-url', receiver.url, '--webhook-secret', 'too-short'])
    expect(refused.code).toBe(2)
    expect(refused.stderr).toContain('--webhook-secret: the secret is 9 bytes')
    expect(refused.stderr).not.toContain('too-short')
  })
})
