/**
 * A spawned relay under attack: honest stock clients keep typing in the
 * attacked room and in another one, /healthz is polled throughout, and the
 * worst response time is kept. For tests/hostile-updates.test.ts.
 */
import { spawn } from 'node:child_process'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { connectClient, openRawSocket, waitFor, waitSynced, type RawSocket, type TestClient } from './harness.ts'
import { spawnCli, type SpawnedCli } from './spawn-cli.ts'

export const ATTACKED_ROOM = 'hostile/attacked'
export const OTHER_ROOM = 'hostile/other'

export interface Battlefield {
  cli: SpawnedCli
  dataDir: string
  honest: TestClient[]
  /** A raw socket to the attacked room (opened on demand; all are closed at the end). */
  attacker(room?: string): Promise<RawSocket>
  /** Worst /healthz response time so far, in ms (a request still waiting counts its age). */
  worstHealthMs(): Promise<number>
  /** Stop typing, check every honest client converged in its room with all it typed; then tear down. */
  finish(): Promise<void>
}

/** Every battlefield not finished yet, for `finishAll` in an afterEach (a test that times out skips its finally). */
const open = new Set<Battlefield>()

/** Finish every battlefield still open. */
export async function finishAll(): Promise<void> {
  await Promise.all([...open].map((field) => field.finish().catch(() => {})))
}

/** Start the CLI with honest typists and a health probe. Always call `finish()` (in a finally), and `finishAll` in an afterEach. */
export async function underAttack(args: string[] = []): Promise<Battlefield> {
  const dataDir = mkdtempSync(join(tmpdir(), 'collab-hostile-'))
  // Everyone here comes from 127.0.0.1: the per-address limits would count honest clients and attackers as one.
  const cli = await spawnCli(['--port', '0', '--data', dataDir, '--max-connections-per-ip', '0', '--max-upgrades-per-minute', '0', ...args])
  const honest = [connectClient(cli.wsUrl, ATTACKED_ROOM), connectClient(cli.wsUrl, ATTACKED_ROOM), connectClient(cli.wsUrl, OTHER_ROOM), connectClient(cli.wsUrl, OTHER_ROOM)]
  await Promise.all(honest.map((client) => waitSynced(client, 10_000)))
  const typed = honest.map(() => [] as string[])
  let serial = 0
  // Each honest client types a token every 50 ms, at the end of the text.
  const typing = setInterval(() => {
    honest.forEach((client, i) => {
      if (i % 2 === 1 && serial % 2 === 0) return
      const token = `<${i}.${serial}>`
      typed[i].push(token)
      client.text.insert(client.text.length, token)
    })
    serial++
  }, 50)
  const probe = startProbe(`${cli.url}/healthz`)
  const sockets: RawSocket[] = []
  let finished: Promise<void> | null = null
  const field: Battlefield = {
    cli,
    dataDir,
    honest,
    async attacker(room = ATTACKED_ROOM) {
      const socket = await openRawSocket(cli.wsUrl, room)
      sockets.push(socket)
      return socket
    },
    worstHealthMs: () => probe.worst(),
    finish() {
      finished ??= settle().finally(() => open.delete(field))
      return finished
    },
  }
  open.add(field)
  return field

  async function settle(): Promise<void> {
      clearInterval(typing)
      try {
        for (const pair of [honest.slice(0, 2), honest.slice(2)]) {
          await waitFor(
            () => pair[0].text.toString() === pair[1].text.toString() && pair.every((client) => client.provider.wsconnected),
            'honest clients of a room to converge',
            20_000,
          )
        }
        honest.forEach((client, i) => {
          const text = client.text.toString()
          for (const token of typed[i]) if (!text.includes(token)) throw new Error(`honest client ${i} lost ${token}`)
        })
      } finally {
        await probe.stop()
        for (const socket of sockets) socket.ws.terminate()
        for (const client of honest) client.destroy()
        await cli.stop('SIGTERM')
      }
  }
}

/**
 * The /healthz poller, in a process of its own: the test process is busy
 * sending attacks and applying what its clients receive, and a probe on its
 * event loop would time the test's stalls, not the relay's.
 */
const PROBE_SCRIPT = `
const http = require('node:http')
let worst = 0
let pending = null
const poll = () => {
  const at = Date.now()
  pending = at
  const done = () => { worst = Math.max(worst, Date.now() - at); pending = null; setTimeout(poll, 20) }
  http.get(process.argv[1], (res) => { res.resume(); res.on('end', done) }).on('error', done)
}
poll()
process.on('message', () => process.send(Math.max(worst, pending === null ? 0 : Date.now() - pending)))
// The test process gone (a timeout, a crash): go too.
process.on('disconnect', () => process.exit(0))
`

function startProbe(url: string): { worst(): Promise<number>; stop(): Promise<void> } {
  const child = spawn(process.execPath, ['-e', PROBE_SCRIPT, url], { stdio: ['ignore', 'ignore', 'inherit', 'ipc'] })
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  let last = 0
  return {
    async worst() {
      if (child.exitCode !== null || child.signalCode !== null) return last
      last = await new Promise<number>((resolve) => {
        child.once('message', (value) => resolve(Number(value)))
        child.send('report')
      })
      return last
    },
    async stop() {
      await this.worst()
      child.kill()
      await exited
    },
  }
}
