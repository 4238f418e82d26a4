/**
 * Awareness (presence) through the relay: propagation, join and leave,
 * ownership (no spoofing), echo to the sender, re-stamped rejoins and
 * query-awareness.
 */
import { describe, expect, it } from 'vitest'
import { decodeAwarenessUpdate, encodeAwarenessUpdate, type AwarenessEntry } from '../shared/awareness-codec.ts'
import { decodeClientFrame, encodeAwareness, encodeQueryAwareness } from '../shared/protocol.ts'
import { useRelayScope, waitFor, waitSynced, type RawSocket, type TestClient } from './support/harness.ts'

const scope = useRelayScope()
const { start, raw } = scope

/** A stock client that has finished its initial sync. */
async function client(wsUrl: string, room: string): Promise<TestClient> {
  const created = scope.client(wsUrl, room)
  await waitSynced(created)
  return created
}

/** A client ID for raw sockets; Yjs picks random 32-bit IDs, so a clash is negligible. */
const RAW_ID = 7

const idOf = (c: TestClient): number => c.doc.clientID

/** What `viewer` currently holds for `subject` (undefined when absent). */
const stateSeen = (viewer: TestClient, subject: number): Record<string, unknown> | undefined =>
  viewer.provider.awareness.getStates().get(subject)

/** Every awareness entry a raw socket has received, in order, from index `from` on. */
function awarenessFrames(socket: RawSocket, from = 0): AwarenessEntry[][] {
  const frames: AwarenessEntry[][] = []
  for (const frame of socket.received.slice(from)) {
    const message = decodeClientFrame(frame)
    if (message.kind === 'awareness') frames.push(decodeAwarenessUpdate(message.update))
  }
  return frames
}

const sendAwareness = (socket: RawSocket, entries: AwarenessEntry[]): void =>
  socket.send(encodeAwareness(encodeAwarenessUpdate(entries)))

describe('relay presence', () => {
  it('propagates an awareness change to other clients', async () => {
    const { wsUrl } = await start()
    const a = await client(wsUrl, 'presence')
    const b = await client(wsUrl, 'presence')
    a.provider.awareness.setLocalStateField('user', { name: 'A' })
    await waitFor(() => (stateSeen(b, idOf(a))?.user as { name?: string } | undefined)?.name === 'A', 'B sees A')
    expect(stateSeen(b, idOf(a))).toEqual({ user: { name: 'A' } })
  })

  it('gives a newly joining client the existing awareness states on connect', async () => {
    const { wsUrl } = await start()
    const a = await client(wsUrl, 'presence')
    const b = await client(wsUrl, 'presence')
    a.provider.awareness.setLocalStateField('user', { name: 'A' })
    b.provider.awareness.setLocalStateField('user', { name: 'B' })
    await waitFor(() => stateSeen(b, idOf(a))?.user && stateSeen(a, idOf(b))?.user, 'A and B see each other')

    // A and B are quiet now (their renewals are 15 s away): only the relay's
    // join-time snapshot can tell C about them in time.
    const c = scope.client(wsUrl, 'presence')
    await waitFor(
      () => stateSeen(c, idOf(a))?.user && stateSeen(c, idOf(b))?.user,
      'C receives A and B on connect',
      2000,
    )
    expect(stateSeen(c, idOf(a))).toEqual({ user: { name: 'A' } })
    expect(stateSeen(c, idOf(b))).toEqual({ user: { name: 'B' } })
  })

  it('removes a client state for the others when it disconnects', async () => {
    const { wsUrl } = await start()
    const a = await client(wsUrl, 'presence')
    const b = await client(wsUrl, 'presence')
    a.provider.awareness.setLocalStateField('user', { name: 'A' })
    await waitFor(() => stateSeen(b, idOf(a))?.user, 'B sees A')
    a.provider.destroy()
    await waitFor(() => !b.provider.awareness.getStates().has(idOf(a)), 'B sees A removed')
  })

  it('broadcasts the removal of a socket that closes without removing its own state', async () => {
    const { wsUrl } = await start()
    const b = await client(wsUrl, 'presence')
    const socket = await raw(wsUrl, 'presence')
    sendAwareness(socket, [{ clientId: RAW_ID, clock: 1, stateJson: '{"user":{"name":"raw"}}' }])
    await waitFor(() => stateSeen(b, RAW_ID)?.user, 'B sees the raw socket')
    // A plain close: no null state is sent, so only the relay can announce the leave.
    socket.ws.close()
    await waitFor(() => !b.provider.awareness.getStates().has(RAW_ID), 'B sees the raw socket removed')
  })

  it('refuses awareness updates for a client ID another connection owns', async () => {
    const { wsUrl } = await start()
    const a = await client(wsUrl, 'presence')
    const b = await client(wsUrl, 'presence')
    a.provider.awareness.setLocalStateField('user', { name: 'A' })
    await waitFor(() => stateSeen(b, idOf(a))?.user, 'B sees A')
    const original = structuredClone(stateSeen(b, idOf(a)))
    const originalClock = b.provider.awareness.meta.get(idOf(a))?.clock
    expect(originalClock).toBeTypeOf('number')
    const clock = originalClock as number

    const mallory = await raw(wsUrl, 'presence')
    const spoofed = JSON.stringify({ user: { name: 'mallory' } })
    sendAwareness(mallory, [{ clientId: idOf(a), clock: clock + 10, stateJson: spoofed }])
    sendAwareness(mallory, [{ clientId: idOf(a), clock: clock + 20, stateJson: 'null' }])
    // The barrier carries one more spoofed entry next to a legit one: only the
    // legit entry may pass. Frames from one socket are handled in order.
    sendAwareness(mallory, [
      { clientId: idOf(a), clock: clock + 30, stateJson: spoofed },
      { clientId: RAW_ID, clock: 1, stateJson: '{"user":{"name":"raw"}}' },
    ])
    await waitFor(() => stateSeen(b, RAW_ID)?.user, "B sees the raw socket's own state")

    expect(b.provider.awareness.getStates().has(idOf(a))).toBe(true)
    expect(stateSeen(b, idOf(a))).toEqual(original)
    expect(b.provider.awareness.meta.get(idOf(a))?.clock).toBe(clock)
    // Nothing about A beyond the join-time snapshot went out to anyone.
    const aboutA = awarenessFrames(mallory)
      .flat()
      .filter((entry) => entry.clientId === idOf(a))
    expect(aboutA.every((entry) => entry.clock === clock && entry.stateJson !== 'null' && !entry.stateJson.includes('mallory'))).toBe(true)
  })

  it('echoes an awareness update back to its sender', async () => {
    const { wsUrl } = await start()
    const socket = await raw(wsUrl, 'echo')
    const entry = { clientId: RAW_ID, clock: 3, stateJson: '{"cursor":{"anchor":1,"head":4}}' }
    sendAwareness(socket, [entry])
    await waitFor(() => awarenessFrames(socket).some((frame) => frame.some((e) => e.clientId === RAW_ID)), 'echo arrives')
    const echoed = awarenessFrames(socket)
      .flat()
      .filter((e) => e.clientId === RAW_ID)
    expect(echoed).toEqual([entry])
  })

  it('shows a reconnecting client again at once, and passes its next change on', async () => {
    const { wsUrl } = await start()
    const a = await client(wsUrl, 'presence')
    const b = await client(wsUrl, 'presence')
    a.provider.awareness.setLocalStateField('user', { name: 'A' })
    await waitFor(() => stateSeen(b, idOf(a))?.user, 'B sees A')

    a.provider.disconnect()
    await waitFor(() => !b.provider.awareness.getStates().has(idOf(a)), 'B sees A leave')
    a.provider.connect()
    // Without the relay's re-stamped clock B would ignore A until its 15 s renewal.
    await waitFor(() => stateSeen(b, idOf(a))?.user, 'B sees A again', 2000)
    expect(stateSeen(b, idOf(a))).toEqual({ user: { name: 'A' } })

    // A's clock must still move forward past the re-stamped one.
    a.provider.awareness.setLocalStateField('user', { name: 'A, back' })
    await waitFor(
      () => (stateSeen(b, idOf(a))?.user as { name?: string } | undefined)?.name === 'A, back',
      "B sees A's next change",
      2000,
    )
  })

  it('answers query-awareness with every current state', async () => {
    const { wsUrl } = await start()
    const a = await client(wsUrl, 'presence')
    const b = await client(wsUrl, 'presence')
    a.provider.awareness.setLocalStateField('user', { name: 'A' })
    b.provider.awareness.setLocalStateField('user', { name: 'B' })
    const socket = await raw(wsUrl, 'presence')
    sendAwareness(socket, [{ clientId: RAW_ID, clock: 1, stateJson: '{"user":{"name":"raw"}}' }])
    // The relay holds a state once a peer has heard of it through the relay.
    await waitFor(
      () => stateSeen(a, idOf(b))?.user && stateSeen(b, idOf(a))?.user && stateSeen(a, RAW_ID)?.user,
      'the relay holds the states of A, B and the raw socket',
    )

    const before = socket.received.length
    socket.send(encodeQueryAwareness())
    // Only the answer lists several clients in one frame (changes and echoes carry one each).
    const answer = await waitFor(
      () => awarenessFrames(socket, before).find((frame) => frame.length > 1),
      'answer to query-awareness',
    )
    const byId = new Map((answer ?? []).map((e) => [e.clientId, JSON.parse(e.stateJson) as unknown]))
    expect([...byId.keys()].sort((x, y) => x - y)).toEqual([idOf(a), idOf(b), RAW_ID].sort((x, y) => x - y))
    expect(byId.get(idOf(a))).toEqual({ user: { name: 'A' } })
    expect(byId.get(idOf(b))).toEqual({ user: { name: 'B' } })
    expect(byId.get(RAW_ID)).toEqual({ user: { name: 'raw' } })
  })
})
