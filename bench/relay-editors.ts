/**
 * Many simulated editors in this one process, typing on a schedule: the
 * engine of the paced and capacity scenarios of bench/relay.ts.
 *
 * Each editor is a raw socket (bench/relay-clients.ts) with a Yjs client ID
 * and nothing else: its keystrokes and cursor updates are encoded by hand
 * (bench/relay-keystrokes.ts), and on arrival only the client ID and clock
 * range of an update are read. One timer drives every editor: each tick sends
 * whatever is due, and the editors' send times are spread evenly over the
 * period (editors of one room interleaved with the other rooms'), so the load
 * is steady rather than a burst once a second.
 */
import { closeAll, join, type Client, type Dialect } from './relay-clients.ts'
import { cursorAwareness, forEachInsertRange, keystrokeUpdate } from './relay-keystrokes.ts'
import { newRoom, type ServerProbe } from './relay-scenarios.ts'

/** The scheduler's timer period (ms): the longest a due keystroke waits to be sent. */
const TICK_MS = 5
/** How often the drain checks whether everything has arrived (ms). */
const DRAIN_POLL_MS = 20

interface Editor {
  /** Yjs client ID, also its awareness client ID. */
  id: number
  name: string
  room: string
  /** How many editors share the room (fixed once joined). */
  roomSize: number
  client: Client
  /** Next keystroke clock; keystroke k has clock k. */
  clock: number
  awarenessClock: number
  /** performance.now() at each keystroke's send, by clock. */
  sentAt: number[]
  /** Per sender in the room: the next clock not yet seen, so a repeat is never counted twice. */
  seen: Map<number, number>
}

export interface TypingOptions {
  /** Keystrokes per editor per second. */
  rate: number
  seconds: number
  /** Also send a cursor (awareness) update with every keystroke. */
  awareness: boolean
  /** After the last send, how long to wait for deliveries before counting the missing ones lost (ms). */
  drainMs: number
}

export interface TypingResult {
  editors: number
  rooms: number
  keystrokes: number
  /** Keystrokes × the other editors of the room. */
  expected: number
  delivered: number
  /** Expected deliveries that had not arrived when the drain ended. */
  lost: number
  /** Send-to-arrival over every delivery (ms). */
  p50Ms: number
  p99Ms: number
  p999Ms: number
  maxMs: number
  /** Non-update frames received (awareness, mostly). */
  otherFrames: number
  /** Sockets the server closed during the run. */
  closed: number
  /** The latest any keystroke was sent after its scheduled time (ms): large when this process is saturated. */
  maxSendLagMs: number
  /** CPU time of this process (the load generator) and of the server over the run, in cores. */
  clientCores: number
  serverCores: number
}

const cpuTotal = (usage: NodeJS.CpuUsage): number => usage.user + usage.system
export const percentile = (sorted: ArrayLike<number>, p: number): number =>
  sorted.length === 0 ? Number.NaN : sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]

/** A growing set of editors on one server; `type` runs a paced round over all of them. */
export class EditorPool {
  private readonly editors: Editor[] = []
  /** Send order: the i-th editor of every room, then the (i+1)-th, so a room's keystrokes are spread over the period. */
  private order: Editor[] = []
  private readonly byId = new Map<number, Editor>()
  private rooms = 0
  /** Deliveries of keystrokes sent at or after this time count; older ones belong to an earlier round. */
  private roundStart = Number.POSITIVE_INFINITY
  private samples: number[] = []
  private delivered = 0
  private otherFrames = 0
  private closed = 0
  /** From a random start per pool, so two pools never share client IDs. */
  private nextId = 1 + Math.floor(Math.random() * 2 ** 30)

  constructor(
    private readonly base: string,
    private readonly dialect: Dialect,
    private readonly label: string,
  ) {}

  get size(): number {
    return this.editors.length
  }

  /** Join `roomCount` fresh rooms with `perRoom` editors each, `atOnce` handshakes at a time. */
  async addRooms(roomCount: number, perRoom: number, atOnce = 50): Promise<void> {
    const added: Editor[] = []
    try {
      for (let r = 0; r < roomCount; r++) {
        const room = newRoom(`${this.label}-${this.rooms++}`)
        // Rooms join in parallel up to `atOnce` handshakes: several small rooms at a time.
        added.push(...this.newEditors(room, perRoom))
      }
      for (let i = 0; i < added.length; i += atOnce) {
        const batch = added.slice(i, i + atOnce)
        await Promise.all(
          batch.map(async (editor) => {
            this.attach(editor, await join(this.base, editor.room, this.dialect))
          }),
        )
      }
    } catch (error) {
      closeAll(added.filter((editor) => editor.client).map((editor) => editor.client))
      throw error
    }
    this.editors.push(...added)
    for (const editor of added) this.byId.set(editor.id, editor)
    this.order = interleave(this.editors)
  }

  private newEditors(room: string, count: number): Editor[] {
    return Array.from({ length: count }, () => {
      const id = this.nextId++
      return { id, name: `editor ${id}`, room, roomSize: count, client: undefined as unknown as Client, clock: 0, awarenessClock: 0, sentAt: [], seen: new Map() }
    })
  }

  private attach(editor: Editor, client: Client): void {
    editor.client = client
    client.onUpdate = (update, at) => forEachInsertRange(update, (sender, from, to) => this.arrived(editor, sender, from, to, at))
    client.onOther = () => void this.otherFrames++
    client.ws.on('close', () => void this.closed++)
  }

  private arrived(receiver: Editor, senderId: number, from: number, to: number, at: number): void {
    const sender = this.byId.get(senderId)
    // Its own keystrokes echoed back (@y/websocket-server does) are not deliveries.
    if (!sender || sender === receiver) return
    const next = receiver.seen.get(senderId) ?? 0
    for (let clock = Math.max(from, next); clock < to; clock++) {
      const sentAt = sender.sentAt[clock]
      if (sentAt === undefined || sentAt < this.roundStart) continue
      this.samples.push(at - sentAt)
      this.delivered++
    }
    if (to > next) receiver.seen.set(senderId, to)
  }

  private send(editor: Editor, awareness: boolean): void {
    const clock = editor.clock++
    editor.sentAt[clock] = performance.now()
    editor.client.ws.send(this.dialect.updateFrame(editor.room, keystrokeUpdate(editor.id, clock, 'x')))
    if (awareness) {
      const update = cursorAwareness(editor.id, ++editor.awarenessClock, editor.name, clock)
      editor.client.ws.send(this.dialect.awarenessFrame(editor.room, update))
    }
  }

  /** Every editor types `rate` keystrokes a second for `seconds`; then the drain, then the figures. */
  async type(options: TypingOptions, probe: ServerProbe): Promise<TypingResult> {
    const editors = this.order
    const perEditor = Math.max(1, Math.round(options.rate * options.seconds))
    const total = editors.length * perEditor
    const spacingMs = 1000 / options.rate / editors.length
    let expected = 0
    this.samples = []
    this.delivered = 0
    this.otherFrames = 0
    this.closed = 0
    const serverCpu = cpuTotal(await probe.cpu())
    const clientCpu = process.cpuUsage()
    const started = performance.now()
    this.roundStart = started
    let sent = 0
    let maxSendLagMs = 0
    await new Promise<void>((resolve) => {
      const tick = (): void => {
        // Catch up if the timer fired late: the schedule, not the timer, sets the pace.
        const now = performance.now()
        const due = Math.min(total, Math.floor((now - started) / spacingMs) + 1)
        if (sent < due) maxSendLagMs = Math.max(maxSendLagMs, now - (started + sent * spacingMs))
        for (; sent < due; sent++) {
          const editor = editors[sent % editors.length]
          this.send(editor, options.awareness)
          expected += editor.roomSize - 1
        }
        if (sent === total) resolve()
        else setTimeout(tick, Math.min(TICK_MS, Math.max(0, started + sent * spacingMs - performance.now())))
      }
      tick()
    })
    const drainUntil = performance.now() + options.drainMs
    while (this.delivered < expected && performance.now() < drainUntil) await sleep(DRAIN_POLL_MS)
    const wallSeconds = (performance.now() - started) / 1000
    const clientCores = cpuTotal(process.cpuUsage(clientCpu)) / 1e6 / wallSeconds
    const serverCores = (cpuTotal(await probe.cpu()) - serverCpu) / 1e6 / wallSeconds
    this.roundStart = Number.POSITIVE_INFINITY
    const sorted = Float64Array.from(this.samples).sort()
    this.samples = []
    return {
      editors: editors.length,
      rooms: this.rooms,
      keystrokes: total,
      expected,
      delivered: this.delivered,
      lost: expected - this.delivered,
      p50Ms: percentile(sorted, 50),
      p99Ms: percentile(sorted, 99),
      p999Ms: percentile(sorted, 99.9),
      maxMs: sorted.length > 0 ? sorted[sorted.length - 1] : Number.NaN,
      otherFrames: this.otherFrames,
      closed: this.closed,
      maxSendLagMs,
      clientCores,
      serverCores,
    }
  }

  close(): void {
    closeAll(this.editors.map((editor) => editor.client))
  }
}

/** Editors in send order: slot 0 of every room, slot 1 of every room, ... */
function interleave(editors: Editor[]): Editor[] {
  const byRoom = new Map<string, Editor[]>()
  for (const editor of editors) {
    let list = byRoom.get(editor.room)
    if (!list) byRoom.set(editor.room, (list = []))
    list.push(editor)
  }
  const rooms = [...byRoom.values()]
  const order: Editor[] = []
  const largest = Math.max(0, ...rooms.map((room) => room.length))
  for (let slot = 0; slot < largest; slot++) for (const room of rooms) if (slot < room.length) order.push(room[slot])
  return order
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))
