/**
 * The memory scenarios of bench/relay.ts: what idle connections cost a
 * server, and whether it gives memory back after many documents have come
 * and gone. Every figure is the server's RSS after a forced garbage
 * collection in its process (bench/relay-server.ts).
 */
import { closeAll, join, type Client, type Dialect } from './relay-clients.ts'
import { keystrokeUpdate } from './relay-keystrokes.ts'
import { newRoom } from './relay-scenarios.ts'
import type { Memory, ServerProcess } from './relay-process.ts'
import type { ServerStats } from './relay-server.ts'
import { sleep } from './relay-editors.ts'
import { settledReading } from './relay-settle.ts'

/**
 * Clients that join (in rooms of their own) before the first reading: what a
 * server loads, compiles and sizes at its first connections is a one-time
 * cost, not a per-connection one.
 */
export const IDLE_WARM_UP_CLIENTS = 50

export interface IdleResult {
  clients: number
  rooms: number
  /** RSS of the fresh server (bytes). */
  freshRss: number
  /** RSS with the warm-up clients joined (the baseline of the growth), and with every client joined too (bytes). */
  startRss: number
  joinedRss: number
  joinedHeapUsed: number
  /** (joined - start) / clients. */
  bytesPerConnection: number
  /** The same for the JavaScript heap alone (what the server's objects hold, without the heap's own sizing). */
  heapBytesPerConnection: number
  joinSeconds: number
  stats: ServerStats
}

/** `rooms` rooms of `perRoom` clients that join (sync step 1, step 2) and then do nothing. */
export async function idleConnections(server: ServerProcess, dialect: Dialect, rooms: number, perRoom: number, atOnce = 50): Promise<IdleResult> {
  const fresh = await server.memory()
  const clients: Client[] = []
  try {
    const warmUpRooms = Array.from({ length: 5 }, () => newRoom('warm-up'))
    const warmUp = await Promise.all(Array.from({ length: IDLE_WARM_UP_CLIENTS }, (_, i) => join(server.base, warmUpRooms[i % warmUpRooms.length], dialect)))
    clients.push(...warmUp)
    await sleep(1_000)
    const start = await server.memory()
    const names = Array.from({ length: rooms }, () => newRoom('idle'))
    const targets = names.flatMap((room) => Array.from({ length: perRoom }, () => room))
    const counted = clients.length
    const began = performance.now()
    for (let i = 0; i < targets.length; i += atOnce) {
      clients.push(...(await Promise.all(targets.slice(i, i + atOnce).map((room) => join(server.base, room, dialect)))))
    }
    const joinSeconds = (performance.now() - began) / 1000
    // Let whatever the joins started (awareness, timers) settle before the reading.
    await sleep(1_000)
    const joined = await server.memory()
    const stats = await server.stats()
    const measured = clients.length - counted
    return {
      clients: measured,
      rooms,
      freshRss: fresh.rss,
      startRss: start.rss,
      joinedRss: joined.rss,
      joinedHeapUsed: joined.heapUsed,
      bytesPerConnection: (joined.rss - start.rss) / measured,
      heapBytesPerConnection: (joined.heapUsed - start.heapUsed) / measured,
      joinSeconds,
      stats,
    }
  } finally {
    closeAll(clients)
  }
}

export interface ChurnResult {
  documents: number
  seconds: number
  /** RSS and what the server holds: fresh (settled), right after the last client left, and after the idle wait. */
  start: Memory & ServerStats
  after: Memory & ServerStats
  afterIdle: Memory & ServerStats
  /** How long the idle reading waited after the last client left (ms). */
  idleWaitMs: number
  /**
   * The reading once RSS has stopped falling (relay-settle.ts), and when that was
   * (ms after the last client left). A runtime gives freed pages back to the
   * system on its own schedule (V8's memory reducer runs seconds after the
   * process goes quiet), so a reading taken a moment after the load can hold
   * memory that is already free; the settled one tells a leak from a delay.
   */
  settled: Memory & ServerStats
  settledAfterMs: number
  /** False when RSS was still moving at the cap (relay-settle.ts): `settled` is then the last reading. */
  settledInTime: boolean
}

/**
 * `documents` fresh rooms, `atOnce` at a time: a client joins, writes one
 * keystroke, closes (the close handshake completes after the server has read
 * the keystroke: frames are handled in order) and the next room begins.
 */
export async function churn(server: ServerProcess, dialect: Dialect, documents: number, atOnce: number, idleWaitMs: number): Promise<ChurnResult> {
  const reading = async (): Promise<Memory & ServerStats> => ({ ...(await server.memory()), ...(await server.stats()) })
  // The fresh reading settles too: a server just started still releases what its start-up allocated.
  const { reading: start } = await settledReading(reading, performance.now())
  const began = performance.now()
  let next = 0
  const id = 1 + Math.floor(Math.random() * 2 ** 30)
  const worker = async (): Promise<void> => {
    while (next < documents) {
      const n = next++
      const room = newRoom('churn')
      const client = await join(server.base, room, dialect)
      const closed = new Promise<void>((resolve) => client.ws.once('close', () => resolve()))
      client.ws.send(dialect.updateFrame(room, keystrokeUpdate(id + n, 0, 'x')))
      client.ws.close(1000)
      await closed
    }
  }
  await Promise.all(Array.from({ length: atOnce }, worker))
  const left = performance.now()
  const seconds = (left - began) / 1000
  const after = await reading()
  await sleep(idleWaitMs)
  const afterIdle = await reading()
  const { reading: settled, afterMs: settledAfterMs, settled: settledInTime } = await settledReading(reading, left, afterIdle)
  return { documents, seconds, start, after, afterIdle, idleWaitMs, settled, settledAfterMs, settledInTime }
}
