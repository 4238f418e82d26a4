/**
 * The flood scenarios of bench/relay.ts: rooms of editors, each editor
 * keeping up to `window` keystrokes in flight. A keystroke counts as
 * delivered to each other editor of its room that receives it; the next
 * editor of the room (in join order, round) is the one whose receipt lets
 * its sender send the next. The result is how many deliveries a server
 * completes per second when the clients are never the bottleneck: the
 * 2-editor flood (1 room of 2), many rooms (100 of 5) and one large room
 * (1 of 50).
 */
import { closeAll, join, type Client, type Dialect } from './relay-clients.ts'
import { forEachInsertRange, keystrokeUpdate } from './relay-keystrokes.ts'
import { newRoom, type ServerProbe } from './relay-scenarios.ts'
import { sleep } from './relay-editors.ts'

export interface FloodResult {
  /** Deliveries (both directions) completed within the window, per second. */
  deliveriesPerSec: number
  deliveries: number
  seconds: number
  /** Keystrokes still undelivered after the drain (should be 0). */
  lost: number
  /** Server CPU time per delivery over the window (µs). */
  serverCpuUsPerDelivery: number
  /** CPU time of this process over the window, in cores. */
  clientCores: number
}

/** How long undelivered keystrokes get after the window before they count as lost (ms). */
const DRAIN_MS = 5_000
/** No delivery for this long means the server stalled: stop early (ms). */
const STALL_MS = 10_000

interface Flooder {
  client: Client
  id: number
  /** Keystrokes sent; keystroke k has clock k. */
  sent: number
  /** Keystrokes the next editor of the room has received (they arrive in order). */
  delivered: number
}

/** The shape of a flood: how many rooms, editors in each, keystrokes in flight per editor, for how long. */
export interface FloodParams {
  rooms: number
  perRoom: number
  window: number
  seconds: number
}

export async function flood(base: string, dialect: Dialect, options: FloodParams, probe: ServerProbe): Promise<FloodResult> {
  const clients: Client[] = []
  try {
    let nextId = 1 + Math.floor(Math.random() * 2 ** 30)
    let sending = false
    let lastProgress = performance.now()
    let deliveries = 0
    const all: Flooder[] = []
    const topUp = (editor: Flooder, room: string): void => {
      while (sending && editor.sent - editor.delivered < options.window) {
        editor.client.ws.send(dialect.updateFrame(room, keystrokeUpdate(editor.id, editor.sent++, 'x')))
      }
    }
    const starts: (() => void)[] = []
    for (let r = 0; r < options.rooms; r++) {
      const room = newRoom('flood')
      const editors: Flooder[] = []
      for (let i = 0; i < options.perRoom; i++) {
        const client = await join(base, room, dialect)
        clients.push(client)
        editors.push({ client, id: nextId++, sent: 0, delivered: 0 })
      }
      const byId = new Map(editors.map((editor, i) => [editor.id, { editor, tracker: editors[(i + 1) % editors.length] }]))
      for (const receiver of editors) {
        // What this editor has received from each other editor of the room (its clock).
        const seen = new Map<number, number>()
        receiver.client.onUpdate = (update) =>
          forEachInsertRange(update, (sender, _from, to) => {
            const known = byId.get(sender)
            if (!known || sender === receiver.id) return
            const before = seen.get(sender) ?? 0
            if (to <= before) return
            seen.set(sender, to)
            deliveries += to - before
            lastProgress = performance.now()
            if (known.tracker !== receiver) return
            known.editor.delivered = to
            topUp(known.editor, room)
          })
      }
      all.push(...editors)
      starts.push(() => editors.forEach((editor) => topUp(editor, room)))
    }
    const serverCpu = await probe.cpu()
    const clientCpu = process.cpuUsage()
    const started = performance.now()
    sending = true
    for (const start of starts) start()
    const deadline = started + options.seconds * 1000
    while (performance.now() < deadline && performance.now() - lastProgress < STALL_MS) await sleep(Math.min(50, deadline - performance.now()))
    sending = false
    const seconds = (performance.now() - started) / 1000
    const delivered = deliveries
    const clientUsage = process.cpuUsage(clientCpu)
    const serverUsage = await probe.cpu()
    const serverCpuUs = serverUsage.user + serverUsage.system - serverCpu.user - serverCpu.system
    // Every keystroke sent is owed to each other editor of its room.
    const owed = (): number => all.reduce((sum, editor) => sum + editor.sent, 0) * (options.perRoom - 1)
    const drainUntil = performance.now() + DRAIN_MS
    while (deliveries < owed() && performance.now() < drainUntil) await sleep(20)
    return {
      deliveriesPerSec: delivered / seconds,
      deliveries: delivered,
      seconds,
      lost: owed() - deliveries,
      serverCpuUsPerDelivery: serverCpuUs / Math.max(1, delivered),
      clientCores: (clientUsage.user + clientUsage.system) / 1e6 / seconds,
    }
  } finally {
    closeAll(clients)
  }
}
