/**
 * `serveRelay({ tls })`: the relay serves HTTPS and WSS itself. Health, the
 * editor's pages and library, sync between stock providers over `wss://`,
 * and the refusals before the upgrade, all with a self-signed certificate
 * the clients trust as their CA (no `rejectUnauthorized: false`).
 */
import type { IncomingHttpHeaders } from 'node:http'
import { get } from 'node:https'
import * as Y from 'yjs'
import { WebsocketProvider } from 'y-websocket'
import WebSocket from 'ws'
import { describe, expect, it } from 'vitest'
import { ORIGIN_NOT_ALLOWED } from '../server/http/origin-check.ts'
import { PerIpRefusal } from '../server/http/per-ip-limits.ts'
import { useRelayScope, waitFor } from './support/harness.ts'
import { selfSignedCertificate } from './support/tls-cert.ts'
import { expectOpened, expectRefused } from './support/upgrade-attempt.ts'

const { start, onCleanup } = useRelayScope()
const { cert, key } = selfSignedCertificate()

/** GET over HTTPS, trusting the test certificate. */
function httpsGet(url: string): Promise<{ status: number; headers: IncomingHttpHeaders; body: string }> {
  return new Promise((resolve, reject) => {
    get(url, { ca: cert }, (response) => {
      let body = ''
      response.setEncoding('utf8')
      response.on('data', (chunk: string) => (body += chunk))
      response.on('end', () => resolve({ status: response.statusCode ?? 0, headers: response.headers, body }))
    }).on('error', reject)
  })
}

/** `ws` trusting the test certificate, for the stock provider (which passes only the URL and protocols). */
class TrustingWebSocket extends WebSocket {
  constructor(url: string | URL, protocols?: string | string[]) {
    super(url, protocols, { ca: cert })
  }
}

/** A stock `WebsocketProvider` over wss, destroyed after the test. */
function stockClient(wsUrl: string, room: string): { doc: Y.Doc; provider: WebsocketProvider } {
  const doc = new Y.Doc()
  const provider = new WebsocketProvider(wsUrl, room, doc, {
    WebSocketPolyfill: TrustingWebSocket as unknown as typeof globalThis.WebSocket,
    disableBc: true,
  })
  onCleanup(() => {
    provider.destroy()
    doc.destroy()
  })
  return { doc, provider }
}

describe('serving over TLS', () => {
  it('answers https and wss, with an https:// URL', async () => {
    const { server, wsUrl } = await start({ tls: { cert, key } })
    expect(server.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/)
    expect(wsUrl).toMatch(/^wss:/)
    const health = await httpsGet(`${server.url}/healthz`)
    expect(health.status).toBe(200)
    expect(JSON.parse(health.body)).toMatchObject({ status: 'ok' })
  })

  it('serves the editor: start page, document page, library with CORS', async () => {
    const { server } = await start({ tls: { cert, key }, editor: true })
    const home = await httpsGet(`${server.url}/`)
    expect(home.status).toBe(200)
    expect(home.headers['content-type']).toContain('text/html')
    const page = await httpsGet(`${server.url}/d/team%2Fnotes`)
    expect(page.status).toBe(200)
    expect(page.body).toContain('<')
    const library = await httpsGet(`${server.url}/lib/collab-editor.js`)
    expect(library.status).toBe(200)
    expect(library.headers['access-control-allow-origin']).toBe('*')
    expect(library.body.length).toBeGreaterThan(1000)
  })

  it('syncs two stock providers over wss', async () => {
    const { wsUrl, relay } = await start({ tls: { cert, key } })
    expect(wsUrl).toMatch(/^wss:/)
    const a = stockClient(wsUrl, 'secure/doc')
    const b = stockClient(wsUrl, 'secure/doc')
    await waitFor(() => a.provider.synced && b.provider.synced, 'both providers synced over wss')
    a.doc.getText('text').insert(0, 'over TLS')
    await waitFor(() => b.doc.getText('text').toString() === 'over TLS', 'B sees A over wss')
    b.doc.getText('text').insert(8, '!')
    await waitFor(() => a.doc.getText('text').toString() === 'over TLS!', 'A sees B over wss')
    expect(relay.roomNames()).toEqual(['secure/doc'])
  })

  it('refuses by origin and per address before a wss upgrade', async () => {
    const { wsUrl } = await start({ tls: { cert, key }, allowedOrigins: ['https://app.example.com'], maxConnectionsPerIp: 1 })
    const forbidden = await expectRefused(`${wsUrl}/doc`, { ca: cert, origin: 'https://evil.example' })
    expect(forbidden.status).toBe(403)
    expect(forbidden.reason).toBe(ORIGIN_NOT_ALLOWED)
    const ws = await expectOpened(`${wsUrl}/doc`, { ca: cert, origin: 'https://app.example.com' })
    onCleanup(() => ws.terminate())
    const busy = await expectRefused(`${wsUrl}/doc`, { ca: cert })
    expect(busy.status).toBe(429)
    expect(busy.reason).toBe(PerIpRefusal.CONNECTIONS)
    expect(Number(busy.retryAfter)).toBeGreaterThan(0)
  })

  it('refuses plain http on the TLS port', async () => {
    const { server } = await start({ tls: { cert, key } })
    await expect(fetch(server.url.replace(/^https/, 'http') + '/healthz')).rejects.toThrow()
  })
})
