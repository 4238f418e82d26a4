/**
 * One relay under test, in a process of its own so that the load generator
 * (bench/relay.ts) does not share its event loop. Started by `fork` with an
 * IPC channel:
 *
 *   node --import tsx --expose-gc bench/relay-server.ts <kind> [data-dir] [--room-idle-ms=N]
 *
 * `--room-idle-ms` sets our relay's `roomIdleMs` (the peers have no such
 * setting). It listens on 127.0.0.1, port 0, and reports
 * `{ type: 'listening', port }`. Messages in: `{ type: 'memory' }` (answered
 * with a garbage-collected `{ type: 'memory', rss, heapUsed }`),
 * `{ type: 'cpu' }` (answered with `process.cpuUsage()`, microseconds),
 * `{ type: 'stats' }` (answered with `{ type: 'stats', documents,
 * connections }`: what the server holds) and `{ type: 'close' }` (closes the
 * server and exits, so that `--cpu-prof` can write its profile).
 */
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { join } from 'node:path'
import { WebSocketServer, type WebSocket } from 'ws'
import { loadHocuspocusServer, loadYWebsocketServerUtils } from './peers/load.mjs'
import { BENCH_RELAY_LIMITS, BENCH_SERVE_OPTIONS } from './unlimited.ts'

export const SERVER_KINDS = ['ours', 'ours-sqlite', 'y-websocket-server', 'hocuspocus', 'raw-ws'] as const
export type ServerKind = (typeof SERVER_KINDS)[number]

/** What a server holds right now. */
export interface ServerStats {
  /** Documents loaded in memory. */
  documents: number
  connections: number
}

interface Running {
  port: number
  stats(): ServerStats
  close(): Promise<void>
}

interface StartOptions {
  dataDir?: string
  /** Our relay's `roomIdleMs`; its default when absent. */
  roomIdleMs?: number
}

const quiet = { info() {}, warn() {}, error: (message: string, error?: unknown) => console.error(message, error ?? '') }

/** Our relay as `serveRelay` runs it, with every default but the storage and the flood limits (see unlimited.ts). */
async function ours(storage: 'memory' | 'sqlite', { dataDir, roomIdleMs }: StartOptions): Promise<Running> {
  if (storage === 'sqlite' && !dataDir) throw new Error('ours-sqlite needs a data directory')
  // Imported here, not at the top: a peer's process must not load this checkout's Yjs beside its own.
  const { serveRelay } = await import('../dist/node/server/http/serve.js')
  const { createRelay } = await import('../dist/node/server/relay/relay.js')
  const { createMemoryStorage } = await import('../dist/node/server/storage/memory.js')
  const { createSqliteStorage } = await import('../dist/node/server/storage/sqlite.js')
  const relay = createRelay({
    limits: BENCH_RELAY_LIMITS,
    storage: storage === 'memory' ? createMemoryStorage() : createSqliteStorage({ file: join(dataDir!, 'bench.sqlite') }),
    logger: quiet,
    roomIdleMs,
  })
  const server = await serveRelay(relay, { host: '127.0.0.1', port: 0, ...BENCH_SERVE_OPTIONS })
  return {
    port: server.port,
    stats: () => {
      const { rooms, connections } = relay.stats()
      return { documents: rooms, connections }
    },
    close: () => server.close(),
  }
}

/**
 * @y/websocket-server as its own bin wires it (`setupWSConnection` on every
 * upgrade), minus the bin's fixed port and its env-configured persistence.
 */
async function yWebsocketServer(): Promise<Running> {
  const { setupWSConnection, docs } = await loadYWebsocketServerUtils()
  const wss = new WebSocketServer({ noServer: true })
  wss.on('connection', setupWSConnection)
  const http = createServer((_request, response) => response.end('okay'))
  http.on('upgrade', (request, socket, head) => {
    wss.handleUpgrade(request, socket, head, (ws) => wss.emit('connection', ws, request))
  })
  return serving(http, wss, () => docs.size)
}

/** Hocuspocus with its defaults: no extensions, nothing persisted. */
async function hocuspocus(): Promise<Running> {
  const { Server } = await loadHocuspocusServer()
  const server = new Server({ port: 0, address: '127.0.0.1', quiet: true, stopOnSignals: false })
  await server.listen()
  return {
    port: server.address.port,
    stats: () => ({ documents: server.hocuspocus.getDocumentsCount(), connections: server.hocuspocus.getConnectionsCount() }),
    close: () => server.destroy(),
  }
}

/**
 * The floor: every binary frame goes to every other socket on the same path,
 * with no parsing, no document and no state. No real relay can beat it.
 */
async function rawWs(): Promise<Running> {
  const rooms = new Map<string, Set<WebSocket>>()
  const http = createServer((_request, response) => response.end('okay'))
  const wss = new WebSocketServer({ server: http, perMessageDeflate: false })
  wss.on('connection', (ws, request) => {
    const path = request.url ?? '/'
    let peers = rooms.get(path)
    if (!peers) rooms.set(path, (peers = new Set()))
    const room = peers
    room.add(ws)
    ws.on('message', (data, isBinary) => {
      if (!isBinary) return
      for (const peer of room) if (peer !== ws && peer.readyState === peer.OPEN) peer.send(data)
    })
    ws.on('close', () => {
      room.delete(ws)
      if (room.size === 0) rooms.delete(path)
    })
  })
  return serving(http, wss, () => rooms.size)
}

function listen(http: ReturnType<typeof createServer>): Promise<number> {
  return new Promise((resolve, reject) => {
    http.once('error', reject)
    http.listen(0, '127.0.0.1', () => resolve((http.address() as AddressInfo).port))
  })
}

async function start(kind: string, options: StartOptions): Promise<Running> {
  switch (kind as ServerKind) {
    case 'ours':
      return ours('memory', options)
    case 'ours-sqlite':
      return ours('sqlite', options)
    case 'y-websocket-server':
      return yWebsocketServer()
    case 'hocuspocus':
      return hocuspocus()
    case 'raw-ws':
      return rawWs()
  }
  throw new Error(`unknown server kind "${kind}" (one of ${SERVER_KINDS.join(', ')})`)
}

/** Only when run as the child: the parent imports `SERVER_KINDS` from here too. */
if (process.send) {
  const send = process.send.bind(process)
  const args = process.argv.slice(2)
  const [kind, dataDir] = args.filter((arg) => !arg.startsWith('--'))
  const idleFlag = args.find((arg) => arg.startsWith('--room-idle-ms='))
  try {
    const running = await start(kind, { dataDir, roomIdleMs: idleFlag ? Number(idleFlag.slice('--room-idle-ms='.length)) : undefined })
    process.on('message', async (message: { type: string }) => {
      if (message.type === 'memory') {
        // Started with --expose-gc: collect first, so the figure is live memory, not garbage.
        ;(globalThis as { gc?: () => void }).gc?.()
        const { rss, heapUsed } = process.memoryUsage()
        send({ type: 'memory', rss, heapUsed })
      } else if (message.type === 'stats') {
        send({ type: 'stats', ...running.stats() })
      } else if (message.type === 'cpu') {
        const { user, system } = process.cpuUsage()
        send({ type: 'cpu', user, system })
      } else if (message.type === 'close') {
        await running.close().catch((error: unknown) => console.error(`${kind}: close failed`, error))
        process.exit(0)
      }
    })
    // The parent went away without saying so: do not linger.
    process.on('disconnect', () => process.exit(0))
    send({ type: 'listening', port: running.port })
  } catch (error) {
    send({ type: 'failed', message: error instanceof Error ? error.message : String(error) })
    process.exit(1)
  }
}

/** Listen on a free port; closing cuts every client, then the HTTP server. */
async function serving(http: Parameters<typeof listen>[0], wss: { clients: Set<{ terminate(): void }> }, documents: () => number): Promise<Running> {
  const port = await listen(http)
  return {
    port,
    stats: () => ({ documents: documents(), connections: wss.clients.size }),
    async close() {
      for (const client of wss.clients) client.terminate()
      await new Promise((resolve) => http.close(resolve))
    },
  }
}
