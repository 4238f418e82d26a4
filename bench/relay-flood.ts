/**
 * The 2-editor flood of bench/relay.ts: two editors in one room, each
 * keeping up to `window` keystrokes in flight. A keystroke is delivered when
 * the other editor receives it; each delivery lets its sender send the next
 * one. The result is how many deliveries a server completes per second when
 * two people's clients are never the bottleneck.
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
  /** Keystrokes the other editor has received (they arrive in order). */
  delivered: number
}

export async function flood(
  base: string,
  dialect: Dialect,
  options: { seconds: number; window: number },
  probe: ServerProbe,
): Promise<FloodResult> {
  const room = newRoom('flood')
  const clients: Client[] = []
  try {
    const firstId = 1 + Math.floor(Math.random() * 2 ** 30)
    const editors: Flooder[] = []
    for (let i = 0; i < 2; i++) {
      const client = await join(base, room, dialect)
      clients.push(client)
      editors.push({ client, id: firstId + i, sent: 0, delivered: 0 })
    }
    let sending = false
    let lastProgress = performance.now()
    const topUp = (editor: Flooder): void => {
      while (sending && editor.sent - editor.delivered < options.window) {
        editor.client.ws.send(dialect.updateFrame(room, keystrokeUpdate(editor.id, editor.sent++, 'x')))
      }
    }
    for (const [i, receiver] of editors.entries()) {
      const other = editors[1 - i]
      receiver.client.onUpdate = (update) =>
        forEachInsertRange(update, (sender, _from, to) => {
          if (sender !== other.id || to <= other.delivered) return
          other.delivered = to
          lastProgress = performance.now()
          topUp(other)
        })
    }
    const total = (): number => editors[0].delivered + editors[1].delivered
    const serverCpu = await probe.cpu()
    const clientCpu = process.cpuUsage()
    const started = performance.now()
    sending = true
    for (const editor of editors) topUp(editor)
    const deadline = started + options.seconds * 1000
    while (performance.now() < deadline && performance.now() - lastProgress < STALL_MS) await sleep(Math.min(50, deadline - performance.now()))
    sending = false
    const seconds = (performance.now() - started) / 1000
    const deliveries = total()
    const clientUsage = process.cpuUsage(clientCpu)
    const serverUsage = await probe.cpu()
    const serverCpuUs = serverUsage.user + serverUsage.system - serverCpu.user - serverCpu.system
    const drainUntil = performance.now() + DRAIN_MS
    const sent = (): number => editors[0].sent + editors[1].sent
    while (total() < sent() && performance.now() < drainUntil) await sleep(20)
    return {
      deliveriesPerSec: deliveries / seconds,
      deliveries,
      seconds,
      lost: sent() - total(),
      serverCpuUsPerDelivery: serverCpuUs / Math.max(1, deliveries),
      clientCores: (clientUsage.user + clientUsage.system) / 1e6 / seconds,
    }
  } finally {
    closeAll(clients)
  }
}
