/**
 * Hocuspocus sockets as an operator sees them. Limits: the dialect held to
 * the y-websocket path's where one socket could otherwise do for free what
 * costs a y-websocket client an upgrade (opening and closing documents over
 * and over, each open checking a token and maybe loading a room; tokens for
 * documents refused at once). Metrics: its sockets and the frames only the
 * socket sees. Real relay on port 0, raw sockets speaking the dialect.
 */
import { describe, expect, it } from 'vitest'
import { CloseCode } from '../shared/close-codes.ts'
import { HocuspocusMessage, readEnvelope } from '../shared/hocuspocus-protocol.ts'
import { authFrame, closeFrame, rawRoot } from './support/hocuspocus-raw.ts'
import { scrape, scrapeUntil } from './support/prometheus.ts'
import { attemptUpgrade } from './support/upgrade-attempt.ts'
import { useRelayScope, waitFor, type RawSocket } from './support/harness.ts'

const scope = useRelayScope()

/** Auth answers the socket has received for `key`. */
const authAnswers = (raw: RawSocket, key: string): number =>
  raw.received.filter((frame) => {
    try {
      const envelope = readEnvelope(frame)
      return envelope.key === key && envelope.messageType === HocuspocusMessage.AUTH
    } catch {
      return false
    }
  }).length

describe('Hocuspocus sockets and the per-address limits', () => {
  it('counts each document opened on a socket after its first as an upgrade: reopening one in a loop ends in 4429', async () => {
    const relay = await scope.start({ maxUpgradesPerIpPerMinute: 5 })
    const raw = await rawRoot(relay.wsUrl, scope.onCleanup)
    // The upgrade took one of the address's five; the first document is the upgrade's.
    let opened = 0
    for (; opened < 20 && raw.closeCode === null; opened++) {
      raw.send(authFrame('doc'))
      await waitFor(() => authAnswers(raw, 'doc') > opened || raw.closeCode !== null, `answer to token ${opened + 1}`)
      raw.send(closeFrame('doc'))
    }
    expect(await raw.waitClosed()).toBe(CloseCode.RATE_LIMITED.code)
    // 1 (the upgrade's) + 4 (the rest of the minute's five) answered; the sixth token closed the socket.
    expect(authAnswers(raw, 'doc')).toBe(5)
    expect(opened).toBe(6)
    // Another upgrade from the address is refused too: the minute's upgrades are spent.
    expect(await attemptUpgrade(relay.wsUrl)).toMatchObject({ opened: false, status: 429 })
  })

  it('charges tokens for documents refused at once (a bad name) to the socket, which ends in 4429 with no per-address limit', async () => {
    const relay = await scope.start({ maxUpgradesPerIpPerMinute: 0 })
    const raw = await rawRoot(relay.wsUrl, scope.onCleanup)
    // Refused without a token check or a room: before, they cost nothing and never ran out.
    for (let i = 0; i < 2_100 && raw.closeCode === null; i++) raw.send(authFrame('bad\u0001name'))
    expect(await raw.waitClosed()).toBe(CloseCode.RATE_LIMITED.code)
  })
})

describe('Hocuspocus sockets in /metrics', () => {
  it('counts the sockets, and the frames only a socket sees (tokens, pings), in and out', async () => {
    const relay = await scope.start()
    const raw = await rawRoot(relay.wsUrl, scope.onCleanup)
    raw.send(authFrame('doc-a'))
    raw.send(authFrame('doc-b'))
    await waitFor(() => authAnswers(raw, 'doc-a') === 1 && authAnswers(raw, 'doc-b') === 1, 'both tokens answered')
    raw.send(Uint8Array.of(HocuspocusMessage.PING))
    await waitFor(() => raw.received.some((frame) => frame.length === 1 && frame[0] === HocuspocusMessage.PONG), 'pong')
    const during = await scrape(relay.server.url)
    expect(during.value('collab_relay_hocuspocus_sockets')).toBe(1)
    // One socket, two documents: a connection each.
    expect(during.value('collab_relay_connections')).toBe(2)
    // Two tokens and a ping in; their answers, the pong and each document's sync step 1 out, at least.
    expect(during.count('collab_relay_hocuspocus_frames_total', { direction: 'in' })).toBe(3)
    expect(during.count('collab_relay_hocuspocus_frames_total', { direction: 'out' })).toBeGreaterThanOrEqual(5)
    expect(during.count('collab_relay_hocuspocus_bytes_total', { direction: 'in' })).toBeGreaterThan(3)
    raw.ws.close()
    await scrapeUntil(relay.server.url, (now) => now.value('collab_relay_hocuspocus_sockets') === 0 && now.value('collab_relay_connections') === 0, 'the socket gone')
  })
})
