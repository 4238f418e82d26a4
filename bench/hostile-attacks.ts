/**
 * The attacks bench/hostile.ts runs, one per row: each sends its hostile
 * input (built by tests/support/hostile.ts) over a raw socket into the room
 * where the honest clients type, and notes what it saw on the wire. Sizes are
 * the report's, or a tenth or so of them with `--quick`.
 */
import * as Y from 'yjs'
import { decodeAwarenessUpdate } from '../shared/awareness-codec.ts'
import { encodeAwareness, encodeSyncStep1, encodeUpdate } from '../shared/protocol.ts'
import * as hostile from '../tests/support/hostile.ts'
import { now, sleep, type RawClient } from './hostile-harness.ts'

/** What an attack gets from the runner. */
export interface AttackContext {
  /** The room the honest clients type in. */
  room: string
  /** Open the attacker's socket in `room` (its close code goes in the report). */
  attacker(): Promise<RawClient>
  /** Open another raw socket (a joiner or an observer), closed by the runner. */
  raw(room: string): Promise<RawClient>
  /** A line for the report's notes. */
  note(text: string): void
}

export interface Attack {
  id: string
  /** What the row is called in the table. */
  title: string
  /** Its damage is a cost on every later honest update: report the relay's CPU per update it relayed. */
  keystrokeCost?: boolean
  run(context: AttackContext): Promise<void>
}

const EMPTY_STATE_VECTOR = Y.encodeStateVector(new Y.Doc())
const kb = (bytes: number): string => (bytes < 10_000 ? `${bytes.toLocaleString('en-US')} bytes` : `${(bytes / 1000).toLocaleString('en-US', { maximumFractionDigits: 0 })} KB`)

/** Send every frame as fast as the socket takes it; resolves once they have left this process. */
async function sendAll(socket: RawClient, frames: Iterable<Uint8Array>): Promise<{ frames: number; bytes: number }> {
  let count = 0
  let bytes = 0
  for (const frame of frames) {
    socket.send(frame)
    count++
    bytes += frame.byteLength
    // Keep at most ~64 MB in this process's send buffer (the churn is 32 MB of frames).
    if (socket.ws.bufferedAmount > 64 * 2 ** 20) await socket.drained()
  }
  await socket.drained()
  return { frames: count, bytes }
}

/**
 * Ask for the relay's whole state (sync step 1 with an empty state vector)
 * until it holds `clock` clocks of `client`: the relay answers from committed
 * updates only, so this is also "the update is stored". Null on timeout.
 */
async function stateOnceStored(socket: RawClient, client: number, clock: number, timeoutMs = 30_000): Promise<Uint8Array | null> {
  const deadline = now() + timeoutMs
  while (socket.isOpen && now() < deadline) {
    const seen = socket.received.step2.length
    socket.send(encodeSyncStep1(EMPTY_STATE_VECTOR))
    while (socket.isOpen && socket.received.step2.length === seen && now() < deadline) await sleep(20)
    const state = socket.received.step2.at(-1)
    if (state && (Y.decodeStateVector(Y.encodeStateVectorFromUpdate(state)).get(client) ?? 0) >= clock) return state
    await sleep(200)
  }
  return null
}

/** Send one update frame and note its size. */
function oneUpdate(id: string, title: string, build: () => Uint8Array): Attack {
  return {
    id,
    title,
    async run(context) {
      const update = build()
      const socket = await context.attacker()
      socket.send(encodeUpdate(update))
      await socket.drained()
      context.note(`sent one update of ${kb(update.byteLength)}`)
    },
  }
}

/** An awareness update, then a fresh joiner: how large is the presence frame it gets first? */
function awarenessThenJoiner(id: string, title: string, build: () => Uint8Array): Attack {
  return {
    id,
    title,
    async run(context) {
      const update = build()
      const socket = await context.attacker()
      socket.send(encodeAwareness(update))
      await socket.drained()
      await sleep(500)
      const joiner = await context.raw(context.room)
      await sleep(1_000)
      const first = joiner.received.firstAwarenessBytes
      context.note(`sent ${kb(update.byteLength)} of awareness; a joiner's first awareness frame: ${first === null ? 'none' : kb(first)}`)
    },
  }
}

/** The attacks, in the report's order. `extras` adds the variants the report did not measure. */
export function attacks(quick: boolean, extras: boolean): Attack[] {
  const size = (full: number, small: number): number => (quick ? small : full)
  const depth = 50_000 // the overflow needs the depth, and it is cheap: the same in --quick
  const list: Attack[] = [
    { id: '0', title: 'baseline (no attack)', keystrokeCost: true, run: async () => {} },
    {
      id: '1',
      title: `deep Y.Map nest (${depth.toLocaleString('en-US')}), then delete its root`,
      async run(context) {
        const nest = hostile.deepMapNest({ depth })
        const socket = await context.attacker()
        socket.send(encodeUpdate(nest))
        const stored = await stateOnceStored(socket, hostile.ATTACKER_CLIENT, depth)
        const refused = socket.closeCode === null ? 'NOT stored within 30 s' : `NOT stored (the attacker was closed with ${socket.closeCode})`
        context.note(`nest of ${kb(nest.byteLength)} ${stored ? 'stored and served back' : refused}`)
        const removal = hostile.deleteNestRoot()
        socket.send(encodeUpdate(removal))
        await socket.drained()
        context.note(`then a ${removal.byteLength}-byte delete of its root`)
      },
    },
    { ...oneUpdate('2', `deletes for ${size(300_000, 30_000).toLocaleString('en-US')} unknown clients`, () => hostile.unknownClientDeletes({ clients: size(300_000, 30_000) })), keystrokeCost: true },
    {
      id: '3',
      title: `${size(40_000, 10_000).toLocaleString('en-US')} descending one-char deletes`,
      async run(context) {
        const ranges = size(40_000, 10_000)
        const seed = hostile.longTextInsert({ chars: ranges * 2 })
        const socket = await context.attacker()
        socket.send(encodeUpdate(seed))
        // The deletions must hit text the relay holds: build them from its own state.
        const state = await stateOnceStored(socket, hostile.ATTACKER_CLIENT, ranges * 2)
        if (!state) throw new Error('the seed text was not stored within 30 s')
        const deletes = hostile.descendingDeletesOverText(state, { ranges, clients: [hostile.ATTACKER_CLIENT] })
        socket.send(encodeUpdate(deletes))
        await socket.drained()
        context.note(`seeded ${kb(seed.byteLength)} of text, then sent ${kb(deletes.byteLength)} of deletions`)
      },
    },
    oneUpdate('4a', `${size(2_000_000, 200_000).toLocaleString('en-US')} zero-length GC structs`, () => hostile.zeroLengthGcStructs({ structs: size(2_000_000, 200_000) })),
    oneUpdate('4b', `${size(1_000_000, 100_000).toLocaleString('en-US')} empty clients`, () => hostile.emptyClients({ clients: size(1_000_000, 100_000) })),
    {
      id: '5',
      title: `sync step 1 claiming ${size(1_000_000, 100_000).toLocaleString('en-US')} clients (x3)`,
      async run(context) {
        const frame = encodeSyncStep1(hostile.hugeStateVector({ clients: size(1_000_000, 100_000) }))
        const socket = await context.attacker()
        // Three frames, apart, so the worst stall is one frame's.
        for (let i = 0; i < 3; i++) {
          socket.send(frame)
          await socket.drained()
          await sleep(1_500)
        }
        context.note(`3 frames of ${kb(frame.byteLength)}, 1.5 s apart; ${socket.received.step2.length} answered`)
      },
    },
    {
      id: '6',
      title: `${size(100_000, 10_000).toLocaleString('en-US')} small updates in one burst`,
      async run(context) {
        const updates = hostile.keystrokeBurst({ updates: size(100_000, 10_000) })
        const socket = await context.attacker()
        const sent = await sendAll(socket, updates.map(encodeUpdate))
        context.note(`${sent.frames.toLocaleString('en-US')} frames, ${kb(sent.bytes)}`)
      },
    },
    awarenessThenJoiner('7a', `awareness: one ${kb(size(1_000_000, 100_000))} state`, () => hostile.largeAwarenessState({ bytes: size(1_000_000, 100_000) })),
    awarenessThenJoiner('7b', `awareness: ${size(100_000, 10_000).toLocaleString('en-US')} client IDs on one socket`, () => hostile.manyAwarenessIds({ ids: size(100_000, 10_000) })),
    {
      id: '7c',
      title: `awareness: ${size(20_000, 2_000).toLocaleString('en-US')} updates in ${size(4, 0.4)} s`,
      async run(context) {
        const updates = hostile.awarenessFlood({ updates: size(20_000, 2_000) })
        const observer = await context.raw(context.room)
        let relayed = 0
        observer.onAwareness = (payload) => {
          if (decodeAwarenessUpdate(payload).some((entry) => entry.clientId === hostile.ATTACKER_CLIENT)) relayed++
        }
        const socket = await context.attacker()
        // 50 every 10 ms: the report's 5,000 per second.
        for (let i = 0; i < updates.length; i += 50) {
          for (const update of updates.slice(i, i + 50)) socket.send(encodeAwareness(update))
          await sleep(10)
        }
        await socket.drained()
        await sleep(1_000)
        context.note(`an observer in the room received ${relayed.toLocaleString('en-US')} of the ${updates.length.toLocaleString('en-US')}`)
      },
    },
    {
      id: '7d',
      title: `awareness: ${size(2_000_000, 200_000).toLocaleString('en-US')} IDs added and removed`,
      async run(context) {
        const socket = await context.attacker()
        const sent = await sendAll(socket, (function* () {
          for (const update of hostile.awarenessChurn({ ids: size(2_000_000, 200_000) })) yield encodeAwareness(update)
        })())
        context.note(`${sent.frames} frames, ${kb(sent.bytes)}`)
      },
    },
  ]
  if (extras) {
    list.push(
      oneUpdate('x1', `${size(100_000, 10_000).toLocaleString('en-US')} zero-length string items`, () => hostile.zeroLengthItems({ items: size(100_000, 10_000) })),
      oneUpdate('x2', `${size(100_000, 10_000).toLocaleString('en-US')} Skip structs`, () => hostile.skipStructs({ skips: size(100_000, 10_000) })),
      oneUpdate('x3', `${size(100_000, 10_000).toLocaleString('en-US')} items after a missing struct`, () => hostile.forwardReference({ items: size(100_000, 10_000) })),
    )
  }
  return list
}
