/**
 * A connection that stops reading must be closed with SLOW_CONSUMER instead
 * of making the relay buffer the room's traffic for it without bound, and
 * without costing the healthy connections a single update.
 */
import { describe, expect, it } from 'vitest'
import { CloseCode } from '../shared/close-codes.ts'
import { MessageType, SyncStep } from '../shared/protocol.ts'
import { useRelayScope, waitFor, waitSynced } from './support/harness.ts'

const HIGH_WATER_BYTES = 64 * 1024
const UPDATES = 2000
/**
 * 2,000 × 4 KiB = 8 MiB. Before the relay's own send buffer (what
 * `bufferedAmount` measures) grows at all, the kernel absorbs the paused
 * reader's traffic: Linux autotunes a loopback send buffer up to
 * `net.ipv4.tcp_wmem` max, 4 MiB by default. 1 KiB updates (2 MiB) never
 * reach the relay's buffer; 8 MiB is twice the kernel's share.
 */
const CHUNK_CHARS = 4096

const { start, client, raw } = useRelayScope()

/** Chunk `i`: its number, then filler, so a lost or reordered update shows. */
const chunk = (i: number): string => `<${i}>`.padEnd(CHUNK_CHARS, String.fromCharCode(97 + (i % 26)))

const isUpdate = (frame: Uint8Array): boolean => frame[0] === MessageType.SYNC && frame[1] === SyncStep.UPDATE

describe('slow consumer', () => {
  it('closes a connection that stops reading with SLOW_CONSUMER; the others get every update', async () => {
    const relay = await start({ sendBufferHighWaterBytes: HIGH_WATER_BYTES, slowConsumerGraceMs: 200 })
    const room = 'slow-consumer'
    const healthy = client(relay.wsUrl, room)
    const writer = client(relay.wsUrl, room)
    await Promise.all([waitSynced(healthy), waitSynced(writer)])

    const slow = await raw(relay.wsUrl, room)
    await waitFor(() => slow.received.length > 0, 'the slow socket has joined (got sync step 1)')
    const connectionsBefore = relay.relay.stats().connections
    expect(connectionsBefore).toBe(3)
    // Stop reading from the TCP socket: the relay's writes back up.
    slow.ws.pause()

    // Prepend rather than append: Yjs merges one client's consecutive
    // appends into one item and re-slices it per update (quadratic).
    for (let i = 0; i < UPDATES; i++) {
      writer.text.insert(0, chunk(i))
      if (i % 50 === 49) await new Promise((resolve) => setImmediate(resolve))
    }
    const expected = Array.from({ length: UPDATES }, (_, i) => chunk(UPDATES - 1 - i)).join('')

    await waitFor(
      () => healthy.text.length === expected.length && healthy.text.toString() === expected,
      'the healthy client has every update',
      30_000,
    )
    expect(healthy.provider.wsconnected).toBe(true)
    expect(writer.provider.wsconnected).toBe(true)

    // The relay lets go of the slow connection at once, while its socket is
    // still paused: the room does not wait for the close handshake.
    await waitFor(() => relay.relay.stats().connections === connectionsBefore - 1, 'the relay dropped the slow connection')
    // The close frame sits behind everything the relay had queued for the
    // socket, so it arrives only once the socket reads again.
    slow.ws.resume()
    expect(await slow.waitClosed(10_000)).toBe(CloseCode.SLOW_CONSUMER.code)
    expect(slow.closeReason).toBe(CloseCode.SLOW_CONSUMER.reason)

    // It was cut off mid-stream, not served to the end and then closed.
    const updatesSeen = slow.received.filter(isUpdate).length
    expect(updatesSeen).toBeGreaterThan(0)
    expect(updatesSeen).toBeLessThan(UPDATES)
    console.log(`[slow-consumer] the paused socket got ${updatesSeen} of ${UPDATES} updates before it was closed`)

    // The room carries on for the connections that remain.
    writer.text.insert(0, 'after')
    await waitFor(() => healthy.text.toString().startsWith('after'), 'a later edit reaches the healthy client')
  })
})
