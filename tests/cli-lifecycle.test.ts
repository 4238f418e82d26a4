/**
 * How the `collab-relay` process starts and stops under the ways people and
 * supervisors run it: `node bin/collab-relay.js`, `npx collab-relay`
 * (npm → shell → relay), and detached with nohup/setsid. Real processes,
 * real signals, real sockets.
 */
import { spawn } from 'node:child_process'
import { mkdtempSync, readFileSync } from 'node:fs'
import { createServer, type AddressInfo, type Socket } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { CloseCode } from '../shared/close-codes.ts'
import { connectClient, waitFor, waitSynced, type TestClient } from './support/harness.ts'
import { descendantsOf, isAlive, processesMatching } from './support/processes.ts'
import { REPO_ROOT, spawnCli, type SpawnedCli } from './support/spawn-cli.ts'

/** The documented bound on an orderly shutdown (server/main.ts SHUTDOWN_DEADLINE_MS). */
const SHUTDOWN_BOUND_MS = 10_000

const relays: SpawnedCli[] = []
const clients: TestClient[] = []
/** Unique strings (data directories) whose processes are SIGKILLed after each test, whoever their parent. */
const strays: string[] = []

afterEach(async () => {
  for (const client of clients.splice(0)) client.destroy()
  await Promise.all(relays.splice(0).map((cli) => cli.stop('SIGKILL')))
  for (const marker of strays.splice(0)) for (const entry of processesMatching(marker)) process.kill(entry.pid, 'SIGKILL')
})

const freshDir = (): string => mkdtempSync(join(tmpdir(), 'collab-lifecycle-'))

/**
 * A stock client that writes `text` and waits until the relay has stored it:
 * the relay relays an update only once it is committed, so another client
 * seeing the text means storage holds it.
 */
async function writeAndWaitSaved(wsUrl: string, room: string, text: string): Promise<TestClient> {
  const client = connectClient(wsUrl, room)
  const observer = connectClient(wsUrl, room)
  clients.push(client, observer)
  await Promise.all([waitSynced(client), waitSynced(observer)])
  client.text.insert(0, text)
  await waitFor(() => observer.text.toString() === text, 'another client to see the write (it is stored)')
  observer.provider.shouldConnect = false
  return client
}

/** The close code the provider's socket saw, once it closes. */
function closeCodeOf(client: TestClient): Promise<number> {
  return new Promise((resolve) => client.provider.once('connection-close', (event: CloseEvent | null) => resolve(event?.code ?? -1)))
}

async function textAfterRestart(dataDir: string, room: string): Promise<string> {
  const cli = await spawnCli(['--port', '0', '--data', dataDir])
  relays.push(cli)
  const reader = connectClient(cli.wsUrl, room)
  clients.push(reader)
  await waitSynced(reader)
  return reader.text.toString()
}

describe('signals during start-up', () => {
  // A supervisor may signal as soon as the process exists. Each moment below
  // used to fall before the handlers were installed, and the default action
  // killed the relay by signal (no close frames, no flush).
  it('SIGTERM while storage is still opening exits 0 at once', async () => {
    // A PostgreSQL address that accepts the connection and never answers: the relay sits in its start-up.
    const blackhole = createServer((socket) => {
      held.push(socket)
      socket.on('error', () => {})
    })
    const held: Socket[] = []
    const reached = new Promise<void>((resolve) => blackhole.once('connection', () => resolve()))
    await new Promise<void>((resolve) => blackhole.listen(0, '127.0.0.1', resolve))
    try {
      const { port } = blackhole.address() as AddressInfo
      const child = spawn(process.execPath, [join(REPO_ROOT, 'bin/collab-relay.js'), '--port', '0', '--database-url', `postgres://postgres@127.0.0.1:${port}/test`], {
        stdio: ['ignore', 'pipe', 'pipe'],
        env: { PATH: process.env.PATH },
      })
      const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
        child.once('close', (code, signal) => resolve({ code, signal })),
      )
      await reached
      child.kill('SIGTERM')
      expect(await exited).toEqual({ code: 0, signal: null })
    } finally {
      for (const socket of held) socket.destroy()
      await new Promise((resolve) => blackhole.close(resolve))
    }
  })

  it('SIGTERM the moment "listening on" is printed closes in order and exits 0', async () => {
    for (let attempt = 0; attempt < 3; attempt++) {
      const cli = await spawnCli(['--port', '0', '--data', freshDir()])
      relays.push(cli)
      expect(await cli.stop('SIGTERM', SHUTDOWN_BOUND_MS + 5_000), `attempt ${attempt}`).toEqual({ code: 0, signal: null })
      expect(cli.stderr).toContain('stopped: every update is stored')
    }
  })
})

describe('npx collab-relay (npm exec → shell → relay)', () => {
  it('stops in order when npm is signalled: clients get 1001, the relay reports an orderly stop and exits, and what it stored is there after a restart', async () => {
    const dataDir = freshDir()
    strays.push(dataDir)
    const npx = await spawnCli(['--port', '0', '--data', dataDir], { launcher: 'npm-exec', timeoutMs: 60_000 })
    relays.push(npx)
    const relay = descendantsOf(npx.process.pid!).find((entry) => entry.command.includes('collab-relay') && entry.command.startsWith('node'))
    expect(relay, `the relay under npm: ${JSON.stringify(descendantsOf(npx.process.pid!))}`).toBeDefined()
    // The bin's shebang gives Node its flags (a smaller young generation: docs/performance-log.md).
    expect(relay!.command).toMatch(/^node --max-semi-space-size=8 \S*collab-relay /)

    const writer = await writeAndWaitSaved(npx.wsUrl, 'npx-doc', 'written under npx')
    const closed = closeCodeOf(writer)
    writer.provider.shouldConnect = false // no reconnect to a relay that is going away

    const signalledAt = Date.now()
    npx.process.kill('SIGTERM') // what a supervisor running `npx collab-relay` does
    expect(await closed).toBe(CloseCode.GOING_AWAY.code)
    await waitFor(() => !isAlive(relay!.pid), 'the relay process to exit', SHUTDOWN_BOUND_MS + 5_000)
    expect(Date.now() - signalledAt).toBeLessThan(SHUTDOWN_BOUND_MS)
    // The relay's stderr is the pipe npm handed it: ours.
    await waitFor(() => npx.stderr.includes('stopped: every update is stored'), 'the relay to report an orderly stop')
    expect(npx.stderr).toContain('npm (the parent process) exited')

    expect(await textAfterRestart(dataDir, 'npx-doc')).toBe('written under npx')
  })

  it('keeps serving when started detached (setsid + nohup) and the shell that started it exits', async () => {
    const dataDir = freshDir()
    strays.push(dataDir)
    const log = join(dataDir, 'relay.log')
    // The launching shell backgrounds npm and exits at once, as `nohup npx collab-relay &` in a login shell does.
    const launcher = spawn('setsid', ['sh', '-c', `nohup npm exec -- collab-relay --port 0 --data '${dataDir}' > '${log}' 2>&1 &`], {
      cwd: REPO_ROOT,
      stdio: 'ignore',
      env: Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith('npm_') && !key.startsWith('COLLAB_RELAY_'))),
    })
    await new Promise((resolve) => launcher.once('close', resolve))
    const url = await waitFor(
      () => {
        const match = /listening on (http:\/\/\S+)/.exec(safeRead(log))
        return match ? match[1] : null
      },
      'the detached relay to listen',
      60_000,
    )
    const relay = processesMatching(dataDir).find((entry) => entry.command.startsWith('node') && entry.command.includes('collab-relay'))
    expect(relay).toBeDefined()

    // What the npm parent watch must not do: stop a relay whose npm is still there.
    // There is no event for "did not stop", so watch it for several check intervals (500 ms each).
    const watchUntil = Date.now() + 3_000
    while (Date.now() < watchUntil) {
      expect(isAlive(relay!.pid), 'the detached relay is still running').toBe(true)
      expect((await fetch(`${url}/healthz`)).status).toBe(200)
      await new Promise((resolve) => setTimeout(resolve, 250))
    }
    expect(safeRead(log)).not.toContain('closing connections')
  })
})

describe('the CLI runs compiled JavaScript', () => {
  it('npm start passes Node the flags the command’s shebang does', () => {
    const shebang = readFileSync(join(REPO_ROOT, 'bin/collab-relay.js'), 'utf8').split('\n', 1)[0]
    const flags = /^#!\/usr\/bin\/env -S node (.+)$/.exec(shebang)?.[1]
    expect(flags).toBe('--max-semi-space-size=8')
    const { scripts } = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> }
    expect(scripts.start).toBe(`node ${flags} bin/collab-relay.js`)
  })

  it('bin/collab-relay.js loads dist/node, with no TypeScript loader (no esbuild service beside the relay)', async () => {
    const bin = readFileSync(join(REPO_ROOT, 'bin/collab-relay.js'), 'utf8')
    expect(bin).toContain('dist/node/server/main.js')
    expect(bin).not.toMatch(/tsx/)
    const cli = await spawnCli(['--port', '0', '--memory'])
    relays.push(cli)
    // tsx compiles through a long-lived esbuild child process; compiled JavaScript needs none.
    expect(descendantsOf(cli.process.pid!)).toEqual([])
  })
})

describe('addresses people can open', () => {
  it('with --host 0.0.0.0 it also names addresses that work, and they answer', async () => {
    const cli = await spawnCli(['--port', '0', '--memory', '--host', '0.0.0.0'])
    relays.push(cli)
    expect(cli.stdoutLines).toEqual([`listening on http://0.0.0.0:${cli.port}`])
    // The message of a JSON log record (stderr is not a terminal): up to its closing quote.
    const match = /open the editor at ([^"\n]+)/.exec(cli.stderr)
    expect(match, cli.stderr).not.toBeNull()
    const urls = match![1].split(' or ')
    expect(urls).toContain(`http://127.0.0.1:${cli.port}`)
    for (const url of urls) {
      expect(url).not.toContain('0.0.0.0')
      expect((await fetch(`${url}/healthz`)).status, url).toBe(200)
    }
  })

  it('answers 400, saying why, for the page of a document name the relay refuses', async () => {
    const cli = await spawnCli(['--port', '0', '--memory'])
    relays.push(cli)
    for (const bad of ['%00bad', 'a%ZZ', `${'x'.repeat(600)}`]) {
      const response = await fetch(`${cli.url}/d/${bad}`)
      expect(response.status, bad).toBe(400)
      expect(await response.text()).toMatch(/invalid document name/)
    }
    const good = await fetch(`${cli.url}/d/team%2Fq4%20plan`)
    expect(good.status).toBe(200)
    await good.text()
  })
})

function safeRead(path: string): string {
  try {
    return readFileSync(path, 'utf8')
  } catch {
    return ''
  }
}
