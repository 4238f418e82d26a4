/**
 * The moving parts of bench/hostile.ts: the relay under attack (the real CLI,
 * as an operator runs it), the stall probe and the honest clients (each a
 * child process of its own, see hostile-probe.ts and hostile-honest.ts), the
 * attacker's raw socket, and /proc readings of the relay.
 */
import { BENCH_CLI_FLAGS } from './unlimited.ts'
import { fork, type ChildProcess } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import * as decoding from 'lib0/decoding'
import WebSocket from 'ws'
import { MessageType, SyncStep } from '../shared/protocol.ts'
import { roomNameToPath } from '../shared/room-name.ts'
import { spawnCli, type SpawnedCli } from '../tests/support/spawn-cli.ts'
import type { HonestConfig, HonestProgress, HonestResult, LatencySample } from './hostile-honest.ts'
import type { ProbeReport } from './hostile-probe.ts'

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))
export const now = (): number => performance.timeOrigin + performance.now()

/** `promise`, or `fallback()` once `ms` have passed (the promise is left to settle on its own). */
export async function within<T>(promise: Promise<T>, ms: number, fallback: () => T): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined
  const expired = new Promise<T>((resolve) => {
    timer = setTimeout(() => resolve(fallback()), ms)
  })
  try {
    return await Promise.race([promise, expired])
  } finally {
    clearTimeout(timer)
  }
}

/**
 * Start the CLI on a free port with SQLite storage in `dataDir` (the default
 * backend). `entry` runs another build's bin/collab-relay.js (`--cli=`), to
 * compare a fix with the code before it.
 */
export function startRelay(dataDir: string, entry?: string): Promise<SpawnedCli> {
  // Honest clients, attackers and the probe all come from this machine: the per-address limits are off
  // (the rate limits stay on: refusing a flood is what the attacks should meet). An older build does not know the flags.
  return spawnCli(['--port', '0', '--data', dataDir, ...(entry ? [] : BENCH_CLI_FLAGS)], { timeoutMs: 30_000, ...(entry ? { entry } : {}) })
}

/** Whether the relay process has exited, and how. */
export function exitOf(relay: SpawnedCli): string | null {
  const { exitCode, signalCode } = relay.process
  if (exitCode === null && signalCode === null) return null
  return signalCode ? `signal ${signalCode}` : `code ${exitCode}`
}

/** The process's user + system CPU time so far, in ms (/proc/<pid>/stat, clock ticks of 10 ms). */
export function readCpuMs(pid: number): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    // After the command name: field 12 is utime, 13 stime (0-based, from `state`).
    return (Number(fields[11]) + Number(fields[12])) * 10
  } catch {
    return null
  }
}

const CHILD_EXEC_ARGV = ['--import', 'tsx']

/** A forked helper that answers one message type with another. */
class Child {
  private readonly waiters = new Map<string, ((message: any) => void)[]>()
  /** Handlers for message types the child streams (never waited for one by one). */
  protected readonly streams = new Map<string, (message: any) => void>()
  /** Messages nobody waited for yet (one room may be ready before we ask). */
  private readonly unclaimed: { type: string }[] = []
  readonly exited: Promise<void>

  constructor(readonly process: ChildProcess) {
    process.on('message', (message: { type: string }) => {
      const stream = this.streams.get(message.type)
      if (stream) return stream(message)
      const waiting = this.waiters.get(message.type)?.shift()
      if (waiting) waiting(message)
      else this.unclaimed.push(message)
    })
    this.exited = new Promise((resolve) => process.once('exit', () => resolve()))
  }

  /** Wait for the next message of `type`, or null after `timeoutMs` (or if the child is gone). */
  next<T>(type: string, timeoutMs: number): Promise<T | null> {
    const early = this.unclaimed.findIndex((message) => message.type === type)
    if (early >= 0) return Promise.resolve(this.unclaimed.splice(early, 1)[0] as T)
    const message = new Promise<T>((resolve) => {
      const list = this.waiters.get(type) ?? []
      list.push(resolve)
      this.waiters.set(type, list)
    })
    return within(Promise.race([message, this.exited.then(() => null)]), timeoutMs, () => null)
  }

  send(message: object): void {
    if (this.process.connected) this.process.send(message)
  }

  kill(): void {
    if (this.process.exitCode === null && this.process.signalCode === null) this.process.kill('SIGKILL')
  }
}

const entry = (name: string): string => fileURLToPath(new URL(`./${name}`, import.meta.url))

/** The stall probe (hostile-probe.ts), polling `GET /healthz`. */
export class Probe extends Child {
  constructor(url: string, pid: number, intervalMs: number) {
    super(fork(entry('hostile-probe.ts'), [JSON.stringify({ url: `${url}/healthz`, pid, intervalMs })], { execArgv: CHILD_EXEC_ARGV, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] }))
  }

  report(): Promise<ProbeReport | null> {
    const answer = this.next<ProbeReport>('report', 10_000)
    this.send({ type: 'report' })
    return answer
  }
}

/** The honest clients of one room (hostile-honest.ts). */
export class HonestRoom extends Child {
  private stderrTail = ''
  /** What the child has streamed so far (see HonestProgress). */
  private readonly streamed = { samples: [] as LatencySample[], typed: 0, undelivered: 0 }

  constructor(readonly config: HonestConfig) {
    super(fork(entry('hostile-honest.ts'), [JSON.stringify(config)], { execArgv: CHILD_EXEC_ARGV, stdio: ['ignore', 'ignore', 'pipe', 'ipc'] }))
    this.streams.set('progress', (message: HonestProgress) => {
      this.streamed.samples.push(...message.samples)
      this.streamed.typed = message.typed
      this.streamed.undelivered = message.undelivered
    })
    // Stock clients log to the console on trouble; keep the end of it for the report.
    this.process.stderr!.setEncoding('utf8')
    this.process.stderr!.on('data', (chunk: string) => {
      this.stderrTail = (this.stderrTail + chunk).slice(-2000)
    })
  }

  get stderr(): string {
    return this.stderrTail
  }

  ready(timeoutMs: number): Promise<boolean> {
    return this.next<object>('ready', timeoutMs).then((message) => message !== null)
  }

  start(): void {
    this.send({ type: 'start' })
  }

  /**
   * Stop typing and wait (up to `convergeTimeoutMs`, plus slack) for the
   * result. A child too busy to answer yields what it streamed, with
   * `answered: false` (and no convergence).
   */
  async stop(convergeTimeoutMs: number): Promise<HonestResult & { answered: boolean }> {
    const answer = this.next<HonestResult>('result', convergeTimeoutMs + 10_000)
    this.send({ type: 'stop', convergeTimeoutMs })
    const result = await answer
    if (result) return { ...result, samples: [...this.streamed.samples, ...result.samples], answered: true }
    const { samples, typed, undelivered } = this.streamed
    return { type: 'result', room: this.config.room, samples, typed, undelivered, converged: false, text: '', closeCodes: [], errors: [], answered: false }
  }

  async exit(): Promise<void> {
    this.send({ type: 'exit' })
    await within(this.exited, 5_000, () => this.kill())
  }
}

/** What a raw socket has received, by kind (frames are decoded as they arrive). */
export interface Received {
  frames: number
  bytes: number
  /** Awareness frames, and the size of the first one (a joiner's view of the room's presence). */
  awareness: number
  firstAwarenessBytes: number | null
  /** Sync step 2 payloads (answers to our step 1s). */
  step2: Uint8Array[]
}

/** A raw `ws` socket that speaks the protocol by hand: the attacker, or a probing joiner. */
export class RawClient {
  readonly received: Received = { frames: 0, bytes: 0, awareness: 0, firstAwarenessBytes: null, step2: [] }
  closeCode: number | null = null
  /** Called for every awareness payload (attack 7c counts the attacker's own). */
  onAwareness: ((payload: Uint8Array) => void) | null = null

  private constructor(readonly ws: WebSocket) {
    ws.on('error', () => {})
    ws.on('close', (code) => {
      this.closeCode = code
    })
    ws.on('message', (data: Buffer) => this.record(new Uint8Array(data)))
  }

  /** Open a socket to `room`; rejects if it does not open within `timeoutMs`. */
  static async open(wsUrl: string, room: string, timeoutMs = 15_000): Promise<RawClient> {
    const client = new RawClient(new WebSocket(`${wsUrl}/${roomNameToPath(room)}`, { maxPayload: 256 * 2 ** 20 }))
    const opened = new Promise<boolean>((resolve) => {
      client.ws.once('open', () => resolve(true))
      client.ws.once('close', () => resolve(false))
    })
    if (!(await within(opened, timeoutMs, () => false))) {
      client.ws.terminate()
      throw new Error(`raw socket to "${room}" did not open within ${timeoutMs} ms`)
    }
    return client
  }

  get isOpen(): boolean {
    return this.ws.readyState === WebSocket.OPEN
  }

  send(frame: Uint8Array): void {
    if (this.isOpen) this.ws.send(frame)
  }

  /** Resolves once everything sent so far has left this process (or the socket closed). */
  async drained(timeoutMs = 60_000): Promise<void> {
    const deadline = now() + timeoutMs
    while (this.isOpen && this.ws.bufferedAmount > 0 && now() < deadline) await sleep(10)
  }

  close(): void {
    this.ws.terminate()
  }

  private record(frame: Uint8Array): void {
    this.received.frames++
    this.received.bytes += frame.byteLength
    try {
      const decoder = decoding.createDecoder(frame)
      const type = decoding.readVarUint(decoder)
      if (type === MessageType.AWARENESS) {
        this.received.awareness++
        this.received.firstAwarenessBytes ??= frame.byteLength
        this.onAwareness?.(decoding.readVarUint8Array(decoder))
      } else if (type === MessageType.SYNC && decoding.readVarUint(decoder) === SyncStep.STEP2) {
        this.received.step2.push(decoding.readVarUint8Array(decoder))
      }
    } catch {
      // Not ours to judge: the relay's frames are the stock protocol.
    }
  }
}
