/**
 * The `collab-relay` command as an operator runs it: a spawned process, real
 * sockets, real signals.
 */
import { createServer, type Server } from 'node:net'
import type { AddressInfo } from 'node:net'
import { mkdtempSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { CloseCode } from '../shared/close-codes.ts'
import { SETTINGS } from '../server/cli-args.ts'
import { connectClient, openRawSocket, waitFor, waitSynced, type RawSocket, type TestClient } from './support/harness.ts'
import { REPO_ROOT, runCli, spawnCli, type SpawnedCli } from './support/spawn-cli.ts'

const packageVersion = (JSON.parse(readFileSync(`${REPO_ROOT}package.json`, 'utf8')) as { version: string }).version

/** The documented bound on shutdown (server/main.ts SHUTDOWN_DEADLINE_MS). */
const SHUTDOWN_BOUND_MS = 10_000

const relays: SpawnedCli[] = []
const clients: TestClient[] = []
const sockets: RawSocket[] = []
const blockers: Server[] = []

async function startCli(args: string[], env?: Record<string, string | undefined>, cwd?: string): Promise<SpawnedCli> {
  const cli = await spawnCli(args, { env, cwd })
  relays.push(cli)
  return cli
}

afterEach(async () => {
  for (const client of clients.splice(0)) client.destroy()
  for (const socket of sockets.splice(0)) socket.ws.terminate()
  for (const blocker of blockers.splice(0)) await new Promise((resolve) => blocker.close(resolve))
  await Promise.all(relays.splice(0).map((cli) => cli.stop('SIGKILL')))
})

interface Health {
  status: string
  rooms: number
  connections: number
  uptimeSeconds: number
  version: string
}

async function health(url: string): Promise<{ status: number; body: Health }> {
  const response = await fetch(`${url}/healthz`)
  return { status: response.status, body: (await response.json()) as Health }
}

describe('collab-relay: listening', () => {
  it('prints exactly one stdout line with the real port, and serves /healthz', async () => {
    const cli = await startCli(['--port', '0'])
    expect(cli.port).toBeGreaterThan(0)
    expect(cli.url).toBe(`http://127.0.0.1:${cli.port}`)

    const { status, body } = await health(cli.url)
    expect(status).toBe(200)
    expect(body).toMatchObject({ status: 'ok', rooms: 0, connections: 0, version: packageVersion })
    expect(Number.isInteger(body.uptimeSeconds) && body.uptimeSeconds >= 0).toBe(true)

    // The counts are live, not constants.
    const socket = await openRawSocket(cli.wsUrl, 'health-probe')
    sockets.push(socket)
    await waitFor(async () => {
      const { body: now } = await health(cli.url)
      return now.rooms === 1 && now.connections === 1
    }, '/healthz to count the open connection and its room')

    const exit = await cli.stop('SIGTERM')
    expect(exit.code).toBe(0)
    // Checked after exit, so a line printed later (during shutdown) would count too.
    expect(cli.stdoutLines).toEqual([`listening on http://127.0.0.1:${cli.port}`])
  })

  it('takes its port from COLLAB_RELAY_PORT when no flag is given', async () => {
    const cli = await startCli([], { COLLAB_RELAY_PORT: '0' })
    // 0 picks an ephemeral port; without the variable the relay would take the default.
    expect(cli.port).toBeGreaterThan(0)
    expect(String(cli.port)).not.toBe(SETTINGS.port.default)
    expect((await health(cli.url)).status).toBe(200)
  })

  it('lets a flag override the environment (the bad env value is never read)', async () => {
    const cli = await startCli(['--port', '0'], { COLLAB_RELAY_PORT: 'abc' })
    expect(cli.port).toBeGreaterThan(0)
    expect((await health(cli.url)).status).toBe(200)
  })
})

describe('collab-relay: editing', () => {
  it('relays between two stock y-websocket clients until they converge', async () => {
    const cli = await startCli(['--port', '0'])
    const a = connectClient(cli.wsUrl, 'shared doc')
    const b = connectClient(cli.wsUrl, 'shared doc')
    clients.push(a, b)
    await Promise.all([waitSynced(a), waitSynced(b)])

    a.text.insert(0, 'hello from a. ')
    b.text.insert(0, 'hello from b. ')
    await waitFor(
      () => a.text.toString() === b.text.toString() && a.text.length === 'hello from a. hello from b. '.length,
      'both clients to hold both edits',
    )
    expect(a.text.toString()).toContain('hello from a. ')
    expect(b.text.toString()).toContain('hello from b. ')
  })
})

describe('collab-relay: storage', () => {
  it('keeps documents across a restart with no flag (SQLite under ./data) and says where', async () => {
    const cwd = mkdtempSync(join(tmpdir(), 'collab-cli-'))
    const first = await startCli(['--port', '0'], undefined, cwd)
    expect(first.stderr).toContain(`SQLite at ${join('data', 'collab-relay.sqlite')}`)
    const writer = connectClient(first.wsUrl, 'kept')
    clients.push(writer)
    await waitSynced(writer)
    writer.text.insert(0, 'survives a restart')
    writer.provider.disconnect()
    expect(await first.stop('SIGTERM')).toEqual({ code: 0, signal: null })

    const second = await startCli(['--port', '0'], undefined, cwd)
    const reader = connectClient(second.wsUrl, 'kept')
    clients.push(reader)
    await waitSynced(reader)
    expect(reader.text.toString()).toBe('survives a restart')
  })

  it('--memory says at start that nothing is kept on disk', async () => {
    const cli = await startCli(['--port', '0', '--memory'])
    expect(cli.stderr).toMatch(/in memory only.*nothing is written to disk/)
  })
})

describe('collab-relay: shutdown', () => {
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    it(`on ${signal} closes connections with GOING_AWAY and exits 0 within ${SHUTDOWN_BOUND_MS / 1000} s`, async () => {
      const cli = await startCli(['--port', '0'])
      const socket = await openRawSocket(cli.wsUrl, 'room')
      sockets.push(socket)

      const signalledAt = Date.now()
      const exit = await cli.stop(signal, SHUTDOWN_BOUND_MS + 5_000)
      const took = Date.now() - signalledAt

      expect(await socket.waitClosed()).toBe(CloseCode.GOING_AWAY.code)
      expect(socket.closeReason).toBe(CloseCode.GOING_AWAY.reason)
      expect(exit).toEqual({ code: 0, signal: null })
      expect(took).toBeLessThan(SHUTDOWN_BOUND_MS)
    })
  }
})

describe('collab-relay: bad settings', () => {
  it('rejects an unknown flag, naming it', async () => {
    const result = await runCli(['--bogus'])
    expect(result.code).not.toBe(0)
    expect(result.code).not.toBeNull()
    expect(result.stderr).toContain('--bogus')
    expect(result.stdout).toBe('')
  })

  it.each([
    ['abc', 'not a number'],
    ['70000', 'out of range'],
  ])('rejects --port %s (%s), saying what is wrong', async (value) => {
    const result = await runCli(['--port', value])
    expect(result.code).not.toBe(0)
    expect(result.code).not.toBeNull()
    expect(result.stderr).toContain('--port')
    expect(result.stderr).toContain(`"${value}"`)
    expect(result.stderr).toMatch(/whole number from 0 to 65535/)
  })

  it('rejects a bad COLLAB_RELAY_PORT, naming the variable', async () => {
    const result = await runCli([], { env: { COLLAB_RELAY_PORT: 'abc' } })
    expect(result.code).not.toBe(0)
    expect(result.code).not.toBeNull()
    expect(result.stderr).toContain('COLLAB_RELAY_PORT')
    expect(result.stderr).toContain('"abc"')
    expect(result.stderr).not.toContain('--port:')
  })

  it('fails clearly when the port is already in use', async () => {
    const blocker = createServer()
    blockers.push(blocker)
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve))
    const { port } = blocker.address() as AddressInfo

    const result = await runCli(['--port', String(port)])
    expect(result.code).not.toBe(0)
    expect(result.code).not.toBeNull()
    expect(result.stderr).toContain(`cannot listen on 127.0.0.1:${port}`)
    expect(result.stderr).toMatch(/EADDRINUSE|in use/)
    expect(result.stdout).not.toContain('listening on')
  })
})

describe('collab-relay: --help and --version', () => {
  it('--help lists every setting with its flag and environment variable, and exits 0', async () => {
    const result = await runCli(['--help'])
    expect(result.code).toBe(0)
    expect(result.stdout).toMatch(/^Usage: collab-relay/)
    for (const setting of Object.values(SETTINGS)) {
      const line = result.stdout.split('\n').find((row) => row.trimStart().startsWith(`--${setting.flag} `))
      expect(line, `a usage line for --${setting.flag}`).toBeDefined()
      expect(line).toContain(setting.env)
    }
    expect(result.stdout).toContain('--help')
    expect(result.stdout).toContain('--version')
  })

  it('--version prints the package.json version and exits 0', async () => {
    const result = await runCli(['--version'])
    expect(result.code).toBe(0)
    expect(result.stdout.trim()).toBe(packageVersion)
  })
})
