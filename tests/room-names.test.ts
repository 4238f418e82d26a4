/**
 * Document names in URLs: what the stock client sends, what the relay makes
 * of it, what it refuses before the upgrade, and the `healthz` route living
 * next to a document of the same name.
 */
import net from 'node:net'
import { describe, expect, it } from 'vitest'
import { Hono } from 'hono'
import * as Y from 'yjs'
import WebSocket from 'ws'
import { createRelayApp } from '../server/http/relay-app.ts'
import { serveRelay } from '../server/http/serve.ts'
import { createRelay } from '../server/relay/relay.ts'
import { decodeClientFrame } from '../shared/protocol.ts'
import { MAX_ROOM_NAME_BYTES, roomNameFromPath, roomNameToPath } from '../shared/room-name.ts'
import { connectClient, useRelayScope, waitFor, waitSynced, type TestClient } from './support/harness.ts'

const { start, client, raw } = useRelayScope()

/** Two stock clients on `room` edit it and see each other's edits. */
async function editTogether(wsUrl: string, room: string): Promise<[TestClient, TestClient]> {
  const a = client(wsUrl, room)
  const b = client(wsUrl, room)
  await Promise.all([waitSynced(a), waitSynced(b)])
  a.text.insert(0, `in ${room}`)
  await waitFor(() => b.text.toString() === `in ${room}`, `B sees A's edit in "${room}"`)
  b.text.insert(b.text.length, '!')
  await waitFor(() => a.text.toString() === `in ${room}!`, `A sees B's edit in "${room}"`)
  return [a, b]
}

/**
 * Try a WebSocket upgrade that should be refused; resolve with the HTTP
 * status and the reason header. Rejects if the upgrade is accepted.
 * (@hono/node-server sends upgrade refusals with an empty body, so the
 * relay puts the reason in `x-collab-error`.)
 */
function refusedUpgrade(url: string): Promise<{ status: number; reason: string }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url)
    ws.on('unexpected-response', (_request, response) => {
      response.socket.destroy()
      resolve({ status: response.statusCode ?? 0, reason: String(response.headers['x-collab-error'] ?? '') })
    })
    ws.on('open', () => {
      ws.terminate()
      reject(new Error(`upgrade to ${url} was accepted`))
    })
    ws.on('error', reject)
  })
}

/** What a raw HTTP/1.1 request got back: the status and the headers (lower-case names). */
interface RawResponse {
  status: number
  headers: Record<string, string>
}

/**
 * Send one request over a plain TCP socket, exactly as written: `ws` and
 * `fetch` resolve `.`/`..` segments (`%2E%2E` too) and refuse a bad Host
 * before anything is sent, so only a raw socket can show what the relay does
 * with them. With `upgrade`, it is a WebSocket handshake (RFC 6455's sample key).
 */
function rawRequest(port: number, options: { path: string; host?: string; upgrade?: boolean }): Promise<RawResponse> {
  const lines = [`GET ${options.path} HTTP/1.1`, `Host: ${options.host ?? `127.0.0.1:${port}`}`]
  if (options.upgrade) {
    lines.push('Upgrade: websocket', 'Connection: Upgrade', 'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==', 'Sec-WebSocket-Version: 13')
  } else {
    lines.push('Connection: close')
  }
  return new Promise((resolve, reject) => {
    let received = ''
    const socket = net.connect(port, '127.0.0.1', () => socket.write(`${lines.join('\r\n')}\r\n\r\n`))
    const timer = setTimeout(() => finish(new Error(`no response head within 5 s for ${options.path}`)), 5_000)
    function finish(error: Error | null): void {
      clearTimeout(timer)
      socket.destroy()
      const head = received.split('\r\n\r\n')[0].split('\r\n')
      const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(head[0] ?? '')?.[1] ?? 0)
      if (error || status === 0) {
        reject(error ?? new Error(`no HTTP response for ${options.path}: ${JSON.stringify(received)}`))
        return
      }
      const headers: Record<string, string> = {}
      for (const line of head.slice(1)) {
        const colon = line.indexOf(':')
        if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim()
      }
      resolve({ status, headers })
    }
    socket.on('data', (chunk) => {
      received += chunk.toString('latin1')
      if (received.includes('\r\n\r\n')) finish(null)
    })
    socket.on('error', (error) => finish(error))
    socket.on('close', () => finish(null))
  })
}

/** A `Host` no URL parser accepts (a port out of range). */
const MALFORMED_HOST = 'example.com:99999'
const CAFE_NFC = 'caf\u00e9'
const CAFE_NFD = 'cafe\u0301'

describe('room names end to end', () => {
  const names = ['team/specs/q4 plan', '文書', 'a b/c d/é']

  it('accepts "/", spaces and non-ASCII in names from the stock provider', async () => {
    const { wsUrl, relay } = await start()
    const docs = new Map<string, TestClient>()
    for (const name of names) docs.set(name, (await editTogether(wsUrl, name))[0])
    expect([...relay.roomNames()].sort()).toEqual([...names].sort())

    // A raw socket using our own encoding reaches the same rooms (its first
    // frame is the room's state vector, which includes the edits above).
    for (const name of names) {
      const socket = await raw(wsUrl, name)
      await waitFor(() => socket.received.length > 0, `first frame for "${name}"`)
      const first = decodeClientFrame(socket.received[0])
      expect(first.kind).toBe('sync-step1')
      if (first.kind === 'sync-step1') {
        expect(Y.decodeStateVector(first.stateVector)).toEqual(Y.decodeStateVector(Y.encodeStateVector(docs.get(name)!.doc)))
      }
    }
    expect(relay.roomNames()).toHaveLength(names.length)
  })

  it('reaches names holding "%", "?" and "#" when the caller encodes them', async () => {
    const { wsUrl, relay } = await start()
    const name = '100% done? #1/next'
    await raw(wsUrl, name)
    await waitFor(() => relay.roomNames().includes(name), 'room loaded under its decoded name')
    expect(relay.roomNames()).toEqual([name])
  })

  it('leaves the query string out of the name', async () => {
    const { wsUrl, relay } = await start()
    const room = 'with-params'
    const a = client(wsUrl, room, { params: { token: 'x' } })
    expect(a.provider.url).toBe(`${wsUrl}/${room}?token=x`)
    // One client without the query: it must land in the same room.
    const b = client(wsUrl, room)
    await Promise.all([waitSynced(a), waitSynced(b)])
    a.text.insert(0, 'same room')
    await waitFor(() => b.text.toString() === 'same room', 'client without params sees the edit')
    expect(relay.roomNames()).toEqual([room])
  })

  it('refuses invalid names with HTTP 400 before the upgrade', async () => {
    const { wsUrl, relay } = await start()
    // (`${wsUrl}/` names no document: it is the Hocuspocus endpoint, tests/hocuspocus-provider.test.ts.)
    const urls = [
      `${wsUrl}/a%01b`,
      `${wsUrl}/x%7Fy`,
      `${wsUrl}/${'x'.repeat(MAX_ROOM_NAME_BYTES + 1)}`,
      // Fewer characters than the cap, but more UTF-8 bytes.
      `${wsUrl}/${encodeURIComponent('é'.repeat(MAX_ROOM_NAME_BYTES / 2 + 1))}`,
      `${wsUrl}/bad%zz`,
      // A truncated UTF-8 sequence.
      `${wsUrl}/half%E6%96`,
    ]
    for (const url of urls) {
      const refused = await refusedUpgrade(url)
      expect(refused.status, url).toBe(400)
      expect(refused.reason, url).toMatch(/^invalid document name \((empty|too-long|control-character|bad-encoding)\)$/)
    }
    expect(relay.roomNames()).toEqual([])
    expect(relay.stats().connections).toBe(0)

    // The cap itself is allowed.
    const longest = 'x'.repeat(MAX_ROOM_NAME_BYTES)
    await raw(wsUrl, longest)
    await waitFor(() => relay.roomNames().includes(longest), 'a name of exactly the cap opens')
  })

  it('opens one document for "café" in NFC and in NFD', async () => {
    const { wsUrl, relay } = await start()
    // The stock client sends the name as given: the two spellings arrive as different bytes.
    const composed = client(wsUrl, CAFE_NFC)
    const decomposed = client(wsUrl, CAFE_NFD)
    await Promise.all([waitSynced(composed), waitSynced(decomposed)])
    composed.text.insert(0, 'composed ')
    await waitFor(() => decomposed.text.toString() === 'composed ', 'the NFD client sees the NFC edit')
    decomposed.text.insert(decomposed.text.length, 'decomposed')
    await waitFor(() => composed.text.toString() === 'composed decomposed', 'the NFC client sees the NFD edit')
    expect(relay.roomNames()).toEqual([CAFE_NFC])
  })

  it('refuses empty and dot segments with HTTP 400 before the upgrade, also when sent raw or encoded', async () => {
    const { wsUrl, server, relay } = await start()
    for (const name of ['doc/', 'a//b', '/lead']) {
      const refused = await refusedUpgrade(`${wsUrl}/${name}`)
      expect(refused.status, name).toBe(400)
      expect(refused.reason, name).toBe('invalid document name (empty-segment)')
    }
    // Clients resolve these before sending (`%2E%2E` included), so they go over a raw socket.
    for (const path of ['/x/../y', '/x/./y', '/x/%2E%2E/y', '/%2e%2E', '/x/.%2E', '/..', '/y/..']) {
      const response = await rawRequest(server.port, { path, upgrade: true })
      expect(response.status, path).toBe(400)
      expect(response.headers['x-collab-error'], path).toBe('invalid document name (dot-segment)')
    }
    // The query string is not part of the path checked.
    const withQuery = await rawRequest(server.port, { path: '/x/../y?token=a/../b', upgrade: true })
    expect(withQuery.status).toBe(400)
    expect(relay.roomNames()).toEqual([])
    expect(relay.stats().connections).toBe(0)

    // Dots inside a segment are fine, and the raw socket itself upgrades when the path is good.
    expect((await rawRequest(server.port, { path: '/v1.2/...', upgrade: true })).status).toBe(101)
    await waitFor(() => relay.roomNames().includes('v1.2/...'), 'a name with dots inside segments opens')
  })

  it('reads the name below a mount point from the raw path', async () => {
    const relay = createRelay({ logger: { info() {}, warn() {}, error() {} } })
    const app = new Hono()
    app.route('/collab', createRelayApp(relay))
    const server = await serveRelay(relay, { port: 0, app })
    try {
      // Each of these reaches `/collab/*` only once `..` is resolved.
      for (const path of ['/x/../collab/doc', '/collab/../collab/doc', '/./collab/doc', '/collab/./doc']) {
        const response = await rawRequest(server.port, { path, upgrade: true })
        expect(response.status, path).toBe(400)
        expect(response.headers['x-collab-error'], path).toBe('invalid document name (dot-segment)')
      }
      expect(relay.roomNames()).toEqual([])
      const stock = connectClient(`${server.url.replace(/^http/, 'ws')}/collab`, `team/${CAFE_NFD}`)
      try {
        await waitSynced(stock)
        expect(relay.roomNames()).toEqual([`team/${CAFE_NFC}`])
      } finally {
        stock.destroy()
      }
    } finally {
      await server.close()
    }
  })

  it('answers a malformed Host with 400, for a plain request and for an upgrade, and keeps serving', async () => {
    const { wsUrl, server, relay } = await start()
    for (const host of [MALFORMED_HOST, '[bad', 'a b']) {
      const plain = await rawRequest(server.port, { path: '/healthz', host })
      expect(plain.status, `GET /healthz, Host: ${host}`).toBe(400)
      const upgrade = await rawRequest(server.port, { path: '/doc', host, upgrade: true })
      expect(upgrade.status, `upgrade, Host: ${host}`).toBe(400)
      expect(upgrade.headers['x-collab-error'], `upgrade, Host: ${host}`).toBe('invalid Host header')
    }
    // An absolute-form target that does not parse, or carries credentials, is refused the same way.
    for (const path of ['http://[bad/doc', 'http://user:secret@127.0.0.1/doc']) {
      expect((await rawRequest(server.port, { path, upgrade: true })).status, path).toBe(400)
    }
    expect(relay.roomNames()).toEqual([])

    // Still serving: health, a raw upgrade with a good Host, and stock clients.
    const health = await fetch(`${server.url}/healthz`)
    expect(health.status).toBe(200)
    expect((await rawRequest(server.port, { path: '/doc', upgrade: true })).status).toBe(101)
    await editTogether(wsUrl, 'after bad hosts')
  })

  it('lets a document called "healthz" be edited while GET /healthz still answers', async () => {
    const { wsUrl, server, relay } = await start()
    await editTogether(wsUrl, 'healthz')
    expect(relay.roomNames()).toEqual(['healthz'])

    const response = await fetch(`${server.url}/healthz`)
    expect(response.status).toBe(200)
    expect(response.headers.get('content-type')).toContain('application/json')
    const health = (await response.json()) as Record<string, unknown>
    expect(health.status).toBe('ok')
    expect(health.rooms).toBe(1)
    expect(health.connections).toBe(2)
    expect(health.uptimeSeconds).toBeTypeOf('number')
    expect(health.version).toBeTypeOf('string')
    expect((health.version as string).length).toBeGreaterThan(0)
  })
})

describe('roomNameFromPath / roomNameToPath', () => {
  it('round-trips names, including "%", "?", "#", "/" and non-ASCII', () => {
    for (const name of ['plain', 'a%b', '100%', 'what?', 'c#d', '?#%/x y', 'team/specs/q4 plan', '文書', 'a b/c d/é']) {
      const path = roomNameToPath(name)
      expect(path, name).not.toMatch(/[?# ]/)
      expect(roomNameFromPath(`/${path}`), name).toEqual({ ok: true, name })
      expect(roomNameFromPath(path), name).toEqual({ ok: true, name })
    }
  })

  it('keeps "/" as the segment separator', () => {
    expect(roomNameToPath('a/b c')).toBe('a/b%20c')
    expect(roomNameFromPath('/team/q4%20plan')).toEqual({ ok: true, name: 'team/q4 plan' })
  })

  it('names the problem with an invalid path', () => {
    expect(roomNameFromPath('/')).toEqual({ ok: false, problem: 'empty' })
    expect(roomNameFromPath('/a%00')).toEqual({ ok: false, problem: 'control-character' })
    expect(roomNameFromPath('/%zz')).toEqual({ ok: false, problem: 'bad-encoding' })
    expect(roomNameFromPath(`/${'x'.repeat(MAX_ROOM_NAME_BYTES + 1)}`)).toEqual({ ok: false, problem: 'too-long' })
  })
})
