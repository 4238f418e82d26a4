/**
 * Slow-loris clients: a connection that sends its request headers a byte at
 * a time (or nothing) is cut within `handshakeTimeoutMs`, for plain requests
 * and upgrades alike, over TLS too; a client that finished its headers is
 * not. Raw `net`/`tls` sockets, since no HTTP client sends this slowly.
 */
import net from 'node:net'
import tls from 'node:tls'
import { createServer } from 'node:http'
import { describe, expect, it } from 'vitest'
import { Hono } from 'hono'
import { createAdaptorServer } from '@hono/node-server'
import { useRelayScope } from './support/harness.ts'
import { selfSignedCertificate } from './support/tls-cert.ts'
import { expectOpened } from './support/upgrade-attempt.ts'

const { start, onCleanup } = useRelayScope()

/** Short, so the suite stays fast; the default is 10 s. */
const TIMEOUT_MS = 1_000
/** Our own deadline fires on time; Node's header check (also armed) runs every quarter of the timeout. */
const MARGIN_MS = 750
const BYTE_EVERY_MS = 200
/** How long a trickle is watched before the test gives up on the server cutting it. */
const WATCH_MS = 5_000

const PAD = `X-Pad: ${'a'.repeat(200)}\r\n`
const PLAIN_GET = `GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n${PAD}\r\n`
const UPGRADE = `GET /doc HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n${PAD}\r\n`

interface Trickled {
  /** ms from connecting until the server closed the socket, or null if it was still open after `watchMs`. */
  closedAfterMs: number | null
  /** What the server sent before closing. */
  received: string
  bytesSent: number
}

/**
 * Connect and send `request` one byte every `BYTE_EVERY_MS` (after
 * `firstByteAfterMs`), reading everything, until the server closes the
 * socket or `watchMs` passes.
 */
function trickle(
  connect: () => net.Socket,
  request: string,
  options: { firstByteAfterMs?: number; watchMs?: number } = {},
): Promise<Trickled> {
  return new Promise((resolve) => {
    const startedAt = performance.now()
    const socket = connect()
    let sent = 0
    let received = ''
    let ticker: ReturnType<typeof setInterval> | undefined
    const sendByte = (): void => {
      if (sent < request.length && socket.writable) socket.write(request[sent++])
    }
    const begin = setTimeout(() => {
      sendByte()
      ticker = setInterval(sendByte, BYTE_EVERY_MS)
    }, options.firstByteAfterMs ?? 0)
    const finish = (closedAfterMs: number | null): void => {
      clearTimeout(begin)
      clearInterval(ticker)
      clearTimeout(watch)
      socket.destroy()
      resolve({ closedAfterMs, received, bytesSent: sent })
    }
    const watch = setTimeout(() => finish(null), options.watchMs ?? WATCH_MS)
    // Reading keeps the socket flowing, so the server's close is seen at once.
    socket.on('data', (chunk) => (received += chunk.toString('latin1')))
    socket.on('error', () => {})
    socket.on('close', () => finish(Math.round(performance.now() - startedAt)))
  })
}

const tcp = (port: number) => () => net.connect(port, '127.0.0.1')

function expectCutInTime(result: Trickled, what: string): void {
  console.log(`[slow handshake] ${what}: cut after ${result.closedAfterMs} ms (${result.bytesSent} bytes sent), handshakeTimeoutMs ${TIMEOUT_MS}`)
  expect(result.closedAfterMs, `${what} was still open after ${WATCH_MS} ms`).not.toBeNull()
  expect(result.closedAfterMs!, what).toBeGreaterThanOrEqual(TIMEOUT_MS - 100)
  expect(result.closedAfterMs!, what).toBeLessThan(TIMEOUT_MS + MARGIN_MS)
  // Nowhere near a whole request went through.
  expect(result.bytesSent, what).toBeLessThan(20)
}

describe('slow handshakes', () => {
  it('cuts a plain GET and an upgrade sending a byte every 200 ms, and a silent connection, with 408', async () => {
    const { server } = await start({ handshakeTimeoutMs: TIMEOUT_MS })
    const [plain, upgrade, silent] = await Promise.all([
      trickle(tcp(server.port), PLAIN_GET),
      trickle(tcp(server.port), UPGRADE),
      trickle(tcp(server.port), ''),
    ])
    expectCutInTime(plain, 'plain GET')
    expectCutInTime(upgrade, 'upgrade')
    expectCutInTime(silent, 'silent connection')
    for (const result of [plain, upgrade, silent]) expect(result.received).toMatch(/^HTTP\/1\.1 408 /)
  })

  it('counts from the connection, not from the first byte', async () => {
    // Node's headersTimeout alone restarts at the first byte: this client would get twice the time.
    const { server } = await start({ handshakeTimeoutMs: TIMEOUT_MS })
    const late = await trickle(tcp(server.port), PLAIN_GET, { firstByteAfterMs: TIMEOUT_MS - 100 })
    expect(late.bytesSent).toBeGreaterThan(0)
    expectCutInTime(late, 'first byte late, then a byte every 200 ms')
  })

  it('leaves alone a client that finished its headers in time', async () => {
    const { wsUrl, relay } = await start({ handshakeTimeoutMs: TIMEOUT_MS })
    const ws = await expectOpened(`${wsUrl}/doc`)
    onCleanup(() => ws.terminate())
    await new Promise((resolve) => setTimeout(resolve, TIMEOUT_MS + MARGIN_MS))
    expect(ws.readyState).toBe(ws.OPEN)
    expect(relay.stats().connections).toBe(1)
    const pong = new Promise((resolve) => ws.once('pong', resolve))
    ws.ping()
    await pong
  })

  it('cuts a client that is slow over TLS, in the TLS handshake or in its headers', async () => {
    const { cert, key } = selfSignedCertificate()
    const { server } = await start({ handshakeTimeoutMs: TIMEOUT_MS, tls: { cert, key } })
    const overTls = () => tls.connect({ port: server.port, host: '127.0.0.1', ca: cert, servername: 'localhost' })
    const [noHello, headers] = await Promise.all([
      // A TCP connection that never starts the TLS handshake.
      trickle(tcp(server.port), ''),
      trickle(overTls, UPGRADE),
    ])
    expect(noHello.closedAfterMs, 'no ClientHello: still open').not.toBeNull()
    expect(noHello.closedAfterMs!).toBeLessThan(TIMEOUT_MS + MARGIN_MS)
    console.log(`[slow handshake] TLS, no ClientHello: cut after ${noHello.closedAfterMs} ms`)
    expectCutInTime(headers, 'upgrade over TLS')
  })

  it('(before) shows how long Node, left at its defaults, holds the same client', async () => {
    // What serveRelay did before handshakeTimeoutMs: createAdaptorServer with Node's defaults.
    const defaults = createServer()
    const headersTimeout = defaults.headersTimeout
    const requestTimeout = defaults.requestTimeout
    defaults.close()
    const app = new Hono().get('/healthz', (c) => c.text('ok'))
    const server = createAdaptorServer({ fetch: app.fetch }) as ReturnType<typeof createServer>
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    try {
      const port = (server.address() as net.AddressInfo).port
      const watchMs = 3 * TIMEOUT_MS
      const result = await trickle(tcp(port), PLAIN_GET, { watchMs })
      // Node checks these timeouts every connectionsCheckingInterval (30 000 ms by default, not readable from the server).
      // Not asserted: this measures Node, not the relay. A full run took 90.0 s (the check at 60 s finds the
      // request just short of 60 s old, the one at 90 s cuts it), for a plain GET, an upgrade and a silent socket alike.
      console.log(
        `[slow handshake] before: Node defaults headersTimeout ${headersTimeout} ms, requestTimeout ${requestTimeout} ms, checked every 30000 ms; ` +
          `the same trickling client was ${result.closedAfterMs === null ? `still connected after ${watchMs} ms` : `cut after ${result.closedAfterMs} ms`}`,
      )
    } finally {
      server.closeAllConnections()
      await new Promise((resolve) => server.close(resolve))
    }
  })
})
