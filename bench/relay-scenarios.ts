/**
 * The scenarios of bench/relay.ts, each against one running server:
 * throughput (one writer bursting, N readers) and latency (one writer at a
 * steady rate). Every scenario ends by checking that each reader's text is
 * the writer's, and that a late joiner gets the same document.
 */
import * as Y from 'yjs'
import {
  checkReaders,
  closeAll,
  join,
  joinMany,
  readerText,
  verifyLateJoiners,
  withTimeout,
  type Client,
  type Dialect,
} from './relay-clients.ts'

/** The first `count` updates of the trace and what they add up to. */
export interface Slice {
  updates: Uint8Array[]
  /** The writer's text after them. */
  text: string
  /** The Yjs client ID the trace was replayed as (the only one in it). */
  client: number
  /** The writer's clock after the last update, which inserts (see `sliceOf`). */
  finalClock: number
}

/**
 * The first `count` updates, shortened if needed so that the last one
 * inserts: a reader knows it has everything once its updates reach the
 * final clock, which holds even when a server merges updates (Hocuspocus
 * does, per event-loop turn) and frames no longer map one to one.
 */
export function sliceOf(all: readonly Uint8Array[], count: number): Slice {
  let n = Math.min(count, all.length)
  while (n > 0 && Y.parseUpdateMeta(all[n - 1]).to.size === 0) n--
  if (n === 0) throw new Error(`no inserting update among the first ${count}`)
  const updates = all.slice(0, n)
  const [[client, finalClock]] = [...Y.parseUpdateMeta(updates[n - 1]).to]
  return { updates, text: readerText(null, updates), client, finalClock }
}

let roomSerial = 0
/** A fresh room per run, so no run sees another's document. */
export const newRoom = (label: string): string => `bench-${label}-${++roomSerial}-${process.pid}`

/** The server's CPU time so far (`process.cpuUsage()` of its process, microseconds). */
export interface ServerProbe {
  cpu(): Promise<NodeJS.CpuUsage>
}

export interface ThroughputResult {
  /** Updates per second: N over the time from the first send until every reader has all N. */
  updatesPerSec: number
  seconds: number
  /** Mean update frames a reader received (below N where the server merges updates). */
  framesPerReader: number
  /** Server CPU time (user + system) over the measured window, per update: independent of how busy the load generator was. */
  serverCpuUsPerUpdate: number
  /** The load generator's CPU time over the same window, as a share of the wall time (1 = one core busy throughout). */
  clientCpuShare: number
}

const cpuTotal = (usage: NodeJS.CpuUsage): number => usage.user + usage.system

/**
 * One writer sends every update of `slice` as fast as its socket takes them;
 * the clock stops when every one of `readerCount` readers has them all.
 * `whileConnected` runs after the check, before anyone leaves (Hocuspocus
 * unloads a document as soon as its last client goes).
 */
export async function throughput(
  base: string,
  dialect: Dialect,
  slice: Slice,
  readerCount: number,
  label: string,
  probe: ServerProbe,
  whileConnected?: () => Promise<void>,
): Promise<ThroughputResult> {
  const room = newRoom(label)
  const frames = slice.updates.map((update) => dialect.updateFrame(room, update))
  const clients: Client[] = []
  try {
    const writer = await join(base, room, dialect)
    clients.push(writer)
    const readers = await joinMany(base, room, dialect, readerCount)
    clients.push(...readers)
    const received: Uint8Array[][] = readers.map(() => [])
    const done = readers.map(
      (reader, i) =>
        new Promise<void>((resolve, reject) => {
          reader.onUpdate = (update) => {
            received[i].push(update)
            if (Y.parseUpdateMeta(update).to.get(slice.client) === slice.finalClock) resolve()
          }
          reader.ws.once('close', (code) => reject(new Error(`reader ${i} closed with ${code} after ${received[i].length} frames`)))
        }),
    )
    const serverCpu = cpuTotal(await probe.cpu())
    const clientCpu = process.cpuUsage()
    const started = performance.now()
    for (const frame of frames) writer.ws.send(frame)
    await withTimeout(Promise.all(done), `${label}: relaying ${frames.length} updates to ${readerCount} readers`)
    const seconds = (performance.now() - started) / 1000
    const clientCpuUs = cpuTotal(process.cpuUsage(clientCpu))
    // Asked after the clock stops; the IPC round trip adds a few hundred microseconds at most.
    const serverCpuUs = cpuTotal(await probe.cpu()) - serverCpu
    checkReaders(label, readers.map((reader, i) => readerText(reader.initial, received[i])), slice.text)
    const frameCount = received.reduce((sum, list) => sum + list.length, 0)
    await whileConnected?.()
    // While the room is live: Hocuspocus drops an unpersisted document when its last client leaves.
    await verifyLateJoiners(base, room, dialect, slice.text)
    return {
      updatesPerSec: slice.updates.length / seconds,
      seconds,
      framesPerReader: frameCount / readers.length,
      serverCpuUsPerUpdate: serverCpuUs / slice.updates.length,
      clientCpuShare: clientCpuUs / 1e6 / seconds,
    }
  } finally {
    closeAll(clients)
  }
}

export interface LatencyResult {
  p50Ms: number
  p99Ms: number
  maxMs: number
  /** Send-to-arrival samples: updates × readers. */
  samples: number
  /** The rate the writer achieved, updates per second. */
  sentPerSec: number
  /** Server CPU time per update while paced (includes whatever it does while idle between updates). */
  serverCpuUsPerUpdate: number
}

/** Which update each writer clock belongs to: inserts by the clocks they create, deletes by the clocks they delete. */
function indexUpdates(slice: Slice): { byInsert: Map<number, number>; byDelete: Map<number, number> } {
  const byInsert = new Map<number, number>()
  const byDelete = new Map<number, number>()
  slice.updates.forEach((update, i) => {
    const { structs, ds } = Y.decodeUpdate(update)
    if (structs.length > 0) {
      for (const struct of structs) for (let c = struct.id.clock; c < struct.id.clock + struct.length; c++) byInsert.set(c, i)
    } else {
      for (const item of ds.clients.get(slice.client) ?? []) for (let c = item.clock; c < item.clock + item.len; c++) byDelete.set(c, i)
    }
  })
  return { byInsert, byDelete }
}

/** The updates of the slice that a received (possibly merged or re-encoded) update carries. */
function updatesIn(update: Uint8Array, slice: Slice, index: ReturnType<typeof indexUpdates>): Set<number> {
  const found = new Set<number>()
  const { structs, ds } = Y.decodeUpdate(update)
  for (const struct of structs) {
    if (struct instanceof Y.Skip || struct.id.client !== slice.client) continue
    for (let c = struct.id.clock; c < struct.id.clock + struct.length; c++) {
      const i = index.byInsert.get(c)
      if (i !== undefined) found.add(i)
    }
  }
  for (const item of ds.clients.get(slice.client) ?? []) {
    for (let c = item.clock; c < item.clock + item.len; c++) {
      const i = index.byDelete.get(c)
      if (i !== undefined) found.add(i)
    }
  }
  return found
}

const percentile = (sorted: number[], p: number): number => sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]

/**
 * One writer sends the slice at `rate` updates per second (open loop: on
 * schedule whatever the server does); each reader records when each update
 * arrives. Latency is arrival minus send, both on this process's clock.
 */
export async function latency(
  base: string,
  dialect: Dialect,
  slice: Slice,
  readerCount: number,
  rate: number,
  label: string,
  probe: ServerProbe,
  /** Where the readers join, when not where the writer does (another relay instance). */
  readerBase: string = base,
): Promise<LatencyResult> {
  const room = newRoom(label)
  const frames = slice.updates.map((update) => dialect.updateFrame(room, update))
  const index = indexUpdates(slice)
  const sentAt = new Float64Array(frames.length)
  const clients: Client[] = []
  try {
    const writer = await join(base, room, dialect)
    clients.push(writer)
    const readers = await joinMany(readerBase, room, dialect, readerCount)
    clients.push(...readers)
    const arrivals = readers.map(() => new Float64Array(frames.length).fill(-1))
    const received: Uint8Array[][] = readers.map(() => [])
    const done = readers.map(
      (reader, r) =>
        new Promise<void>((resolve, reject) => {
          let count = 0
          reader.onUpdate = (update, at) => {
            received[r].push(update)
            for (const i of updatesIn(update, slice, index)) {
              if (arrivals[r][i] >= 0) continue
              arrivals[r][i] = at
              if (++count === frames.length) resolve()
            }
          }
          reader.ws.once('close', (code) => reject(new Error(`reader ${r} closed with ${code} after ${count} updates`)))
        }),
    )

    const interval = 1000 / rate
    const serverCpu = cpuTotal(await probe.cpu())
    const started = performance.now()
    let next = 0
    await new Promise<void>((resolve) => {
      const tick = (): void => {
        // Catch up if a timer fired late: the schedule, not the timer, sets the pace.
        const due = Math.min(frames.length, Math.floor((performance.now() - started) / interval) + 1)
        while (next < due) {
          sentAt[next] = performance.now()
          writer.ws.send(frames[next++])
        }
        if (next === frames.length) resolve()
        else setTimeout(tick, Math.max(0, started + next * interval - performance.now()))
      }
      tick()
    })
    const sentPerSec = frames.length / ((performance.now() - started) / 1000)
    await withTimeout(Promise.all(done), `${label}: ${frames.length} paced updates reaching ${readerCount} readers`)
    const serverCpuUs = cpuTotal(await probe.cpu()) - serverCpu

    checkReaders(label, readers.map((reader, r) => readerText(reader.initial, received[r])), slice.text)
    const samples: number[] = []
    for (const times of arrivals) times.forEach((at, i) => samples.push(at - sentAt[i]))
    samples.sort((a, b) => a - b)
    await verifyLateJoiners(base, room, dialect, slice.text)
    return {
      p50Ms: percentile(samples, 50),
      p99Ms: percentile(samples, 99),
      maxMs: samples[samples.length - 1],
      samples: samples.length,
      sentPerSec,
      serverCpuUsPerUpdate: serverCpuUs / frames.length,
    }
  } finally {
    closeAll(clients)
  }
}
