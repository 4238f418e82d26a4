/**
 * A Redis of the test's own (`redis-server` on a free port, nothing saved),
 * so a test can stop and restart it without touching the shared one.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { createServer } from 'node:net'
import { createClient } from 'redis'

export interface OwnRedis {
  readonly url: string
  readonly port: number
  /** Stop it (SIGKILL: an outage, not a shutdown). */
  stop(): Promise<void>
  /** Start it again on the same port (empty: nothing was saved). */
  start(): Promise<void>
}

/** The shared Redis of the machine (CI runs one on 6379). */
export const SHARED_REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379'

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const address = server.address()
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0))
    })
  })
}

async function waitAnswering(url: string): Promise<void> {
  const deadline = Date.now() + 10_000
  for (;;) {
    const client = createClient({ url, socket: { reconnectStrategy: false } })
    client.on('error', () => {})
    try {
      await client.connect()
      await client.ping()
      await client.quit()
      return
    } catch (error) {
      // A refused connect leaves the client closed already, and destroying a
      // closed client throws; only one that got as far as a socket needs it.
      if (client.isOpen) client.destroy()
      if (Date.now() > deadline) throw new Error(`redis-server at ${url} did not answer within 10 s`, { cause: error })
      await new Promise((resolve) => setTimeout(resolve, 50))
    }
  }
}

export async function startOwnRedis(): Promise<OwnRedis> {
  const port = await freePort()
  const url = `redis://127.0.0.1:${port}`
  let child: ChildProcess | null = null
  const start = async (): Promise<void> => {
    child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' })
    await waitAnswering(url)
  }
  await start()
  return {
    url,
    port,
    start,
    async stop() {
      const running = child
      child = null
      if (!running || running.exitCode !== null) return
      await new Promise<void>((resolve) => {
        running.once('exit', () => resolve())
        running.kill('SIGKILL')
      })
    },
  }
}
