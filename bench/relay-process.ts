/**
 * The servers bench/relay.ts measures, each started in a child process of
 * its own (bench/relay-server.ts, by `fork`) so that the load generator does
 * not share its event loop, and asked over IPC for its memory, CPU time and
 * what it holds.
 */
import { fork, type ChildProcess } from 'node:child_process'
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { hocuspocusDialect, withTimeout, yWebsocketDialect, type Dialect } from './relay-clients.ts'
import type { ServerProbe } from './relay-scenarios.ts'
import type { ServerKind, ServerStats } from './relay-server.ts'
import { peerVersion } from './peers/load.mjs'

const SERVER_ENTRY = fileURLToPath(new URL('./relay-server.ts', import.meta.url))
const START_TIMEOUT_MS = 30_000

/** Each kind's row label and the protocol its clients speak. */
export const SERVERS: Record<ServerKind, { label: string; dialect: Dialect }> = {
  ours: { label: 'ours (memory)', dialect: yWebsocketDialect(true) },
  'ours-sqlite': { label: 'ours (sqlite, durable)', dialect: yWebsocketDialect(true) },
  'y-websocket-server': { label: `@y/websocket-server ${peerVersion('@y/websocket-server')}`, dialect: yWebsocketDialect(true) },
  hocuspocus: { label: `@hocuspocus/server ${peerVersion('@hocuspocus/server')}`, dialect: hocuspocusDialect },
  'raw-ws': { label: 'raw ws broadcast (floor)', dialect: yWebsocketDialect(false) },
}

/** Our relay's kinds: the ones `roomIdleMs` applies to. */
export const isOurs = (kind: ServerKind): boolean => kind === 'ours' || kind === 'ours-sqlite'

export interface Memory {
  rss: number
  heapUsed: number
}

/** A server child: its WebSocket base URL, its memory, CPU time and holdings on request, and a clean stop. */
export interface ServerProcess extends ServerProbe {
  kind: ServerKind
  base: string
  /** After a forced garbage collection in the child. */
  memory(): Promise<Memory>
  stats(): Promise<ServerStats>
  stop(): Promise<void>
}

export interface StartOptions {
  /** Names the `--cpu-prof` directory. */
  label: string
  /** Write CPU profiles under this directory (`node --cpu-prof`). */
  profileDir?: string
  /** Our relay's `roomIdleMs` (ignored by the peers). */
  roomIdleMs?: number
}

let childSerial = 0

/**
 * The Node flags the `collab-relay` command starts with (its shebang line):
 * ours runs as users run it. The peers run with Node's defaults, as their
 * own commands start them.
 */
export const RELAY_NODE_FLAGS: readonly string[] = (() => {
  const shebang = readFileSync(fileURLToPath(new URL('../bin/collab-relay.js', import.meta.url)), 'utf8').split('\n', 1)[0]
  const match = /^#!\/usr\/bin\/env -S node((?: --[^ ]+)*)$/.exec(shebang)
  if (!match) throw new Error(`bin/collab-relay.js: a shebang this benchmark does not understand: ${shebang}`)
  return match[1].split(' ').filter(Boolean)
})()

export async function startServer(kind: ServerKind, options: StartOptions): Promise<ServerProcess> {
  const dataDir = kind === 'ours-sqlite' ? mkdtempSync(join(tmpdir(), 'collab-relay-bench-')) : undefined
  const execArgv = ['--import', 'tsx', '--expose-gc', ...(isOurs(kind) ? RELAY_NODE_FLAGS : []), ...(process.env.BENCH_SERVER_NODE_FLAGS?.split(' ').filter(Boolean) ?? [])]
  if (options.profileDir) {
    // A directory per child: tsx's loader thread writes a profile of its own beside the main thread's.
    const dir = join(options.profileDir, `${kind}-${options.label}-${++childSerial}`)
    mkdirSync(dir, { recursive: true })
    execArgv.push('--cpu-prof', `--cpu-prof-dir=${dir}`)
  }
  const args: string[] = [kind]
  if (dataDir) args.push(dataDir)
  if (options.roomIdleMs !== undefined && isOurs(kind)) args.push(`--room-idle-ms=${options.roomIdleMs}`)
  const child: ChildProcess = fork(SERVER_ENTRY, args, { execArgv, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] })
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  const cleanup = (): void => {
    if (dataDir) rmSync(dataDir, { recursive: true, force: true })
  }
  let port: number
  try {
    port = await withTimeout(
      new Promise<number>((resolve, reject) => {
        child.once('message', (message: { type: string; port?: number; message?: string }) => {
          if (message.type === 'listening') resolve(message.port!)
          else reject(new Error(message.message ?? `unexpected message ${message.type}`))
        })
        child.once('exit', (code) => reject(new Error(`exited with ${code} before listening`)))
      }),
      `starting ${kind}`,
      START_TIMEOUT_MS,
    )
  } catch (error) {
    child.kill()
    await exited
    cleanup()
    throw error
  }
  const ask = <T>(type: string): Promise<T> =>
    withTimeout(
      new Promise<T>((resolve) => {
        const onMessage = (message: { type: string }): void => {
          if (message.type !== type) return
          child.off('message', onMessage)
          resolve(message as T)
        }
        child.on('message', onMessage)
        child.send({ type })
      }),
      `${kind}: ${type} report`,
      // A server with thousands of clients can take a while to collect its garbage and answer.
      30_000,
    )
  return {
    kind,
    base: `ws://127.0.0.1:${port}`,
    memory: async () => {
      const { rss, heapUsed } = await ask<Memory>('memory')
      return { rss, heapUsed }
    },
    stats: async () => {
      const { documents, connections } = await ask<ServerStats>('stats')
      return { documents, connections }
    },
    cpu: async () => {
      const { user, system } = await ask<NodeJS.CpuUsage>('cpu')
      return { user, system }
    },
    async stop() {
      if (child.connected) child.send({ type: 'close' })
      const timer = setTimeout(() => child.kill('SIGKILL'), 15_000)
      await exited
      clearTimeout(timer)
      cleanup()
    },
  }
}

/** Run `body` on a fresh server, stopped afterwards whatever happens. */
export async function onServer<T>(kind: ServerKind, options: StartOptions, body: (server: ServerProcess) => Promise<T>): Promise<T> {
  const server = await startServer(kind, options)
  try {
    return await body(server)
  } finally {
    await server.stop()
  }
}
