/**
 * Document names in URLs: what the stock client sends, what the relay makes
 * of it, what it refuses before the upgrade, and the `healthz` route living
 * next to a document of the same name.
 */
import { describe, expect, it } from 'vitest'
import * as Y from 'yjs'
import WebSocket from 'ws'
import { decodeClientFrame } from '../shared/protocol.ts'
import { MAX_ROOM_NAME_BYTES, roomNameFromPath, roomNameToPath } from '../shared/room-name.ts'
import { useRelayScope, waitFor, waitSynced, type TestClient } from './support/harness.ts'

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
    const urls = [
      `${wsUrl}/`,
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
