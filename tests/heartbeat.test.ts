/**
 * Liveness: the relay pings every connection; one that does not answer is
 * dropped and its presence removed, while a live one is left alone.
 */
import { describe, expect, it } from 'vitest'
import WebSocket from 'ws'
import { encodeAwarenessUpdate } from '../shared/awareness-codec.ts'
import { encodeAwareness } from '../shared/protocol.ts'
import { RawSocket, useRelayScope, waitFor } from './support/harness.ts'

const HEARTBEAT_MS = 100

/** A raw socket whose `ws` client does not answer pings: a peer that has gone silent. */
async function openSilentSocket(wsUrl: string, room: string): Promise<RawSocket> {
  const ws = new WebSocket(`${wsUrl}/${room}`, { autoPong: false })
  const raw = new RawSocket(ws)
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve())
    ws.once('error', reject)
  })
  return raw
}

describe('heartbeat', () => {
  const scope = useRelayScope()

  it('drops a peer that stops answering pings and removes its presence; a live peer stays', async () => {
    const relay = await scope.start({ heartbeatMs: HEARTBEAT_MS })
    const watcher = scope.client(relay.wsUrl, 'room')
    const silent = await openSilentSocket(relay.wsUrl, 'room')
    scope.onCleanup(() => silent.ws.terminate())
    let pings = 0
    silent.ws.on('ping', () => pings++)
    // Heard through an event, not polled: the peer may be gone again by the next poll.
    const added: number[] = []
    watcher.provider.awareness.on('change', (change: { added: number[] }) => added.push(...change.added))
    silent.send(encodeAwareness(encodeAwarenessUpdate([{ clientId: 4242, clock: 1, stateJson: '{"user":{"name":"ghost"}}' }])))
    await waitFor(() => added.includes(4242), 'the watcher sees the silent peer')

    // Terminated without a close frame: the peer is presumed gone.
    expect(await silent.waitClosed(5000)).toBe(1006)
    expect(pings).toBeGreaterThanOrEqual(1)
    await waitFor(() => relay.relay.stats().connections === 1, 'the relay released the dead connection')
    await waitFor(() => !watcher.provider.awareness.getStates().has(4242), 'its presence is removed for the others')

    // The stock client answers pings (its ws does, like every browser) and survives many rounds.
    const live = scope.client(relay.wsUrl, 'room')
    await waitFor(() => live.provider.wsconnected, 'a live client connects')
    let livePings = 0
    ;(live.provider.ws as unknown as WebSocket).on('ping', () => livePings++)
    await waitFor(() => livePings >= 4, 'the live client is pinged four times', 5000)
    expect(live.provider.wsconnected).toBe(true)
    expect(watcher.provider.wsconnected).toBe(true)
    expect(relay.relay.stats().connections).toBe(2)
  })
})
