/**
 * Attack class 8 of bench/hostile.ts: document names and request lines, as
 * pass/fail observations rather than timings. "pass" is the safe behaviour:
 * a malformed request refused with a 4xx, one document per name a person
 * would take for one, no upgrade for a path with a `..` segment.
 */
import net from 'node:net'
import WebSocket from 'ws'
import { WebsocketProvider } from 'y-websocket'
import * as Y from 'yjs'
import { roomNameToPath } from '../shared/room-name.ts'
import { CONFUSABLE_NAMES, DOT_SEGMENT_PATH, MALFORMED_HOST, rawHttpRequest } from '../tests/support/hostile.ts'
import { now, sleep, within } from './hostile-harness.ts'

export interface NameCheck {
  check: string
  pass: boolean
  observed: string
}

/** Send a raw request and return the response's status line (or what happened instead). */
function statusLine(port: number, request: string): Promise<string> {
  return new Promise((resolve) => {
    let received = ''
    const socket = net.connect(port, '127.0.0.1', () => socket.write(request))
    const finish = (line: string): void => {
      socket.destroy()
      resolve(line)
    }
    socket.on('data', (chunk) => {
      received += chunk.toString('latin1')
      const end = received.indexOf('\r\n')
      if (end >= 0) finish(received.slice(0, end))
    })
    socket.on('error', (error) => finish(`error: ${error.message}`))
    socket.on('close', () => finish(received ? received.split('\r\n')[0] : 'closed without an answer'))
    setTimeout(() => finish('no answer within 5 s'), 5_000)
  })
}

/** A name as JSON with non-ASCII escaped: the two names of a pair may print alike (NFC and NFD do). */
const escaped = (name: string): string => JSON.stringify(name).replace(/[^\x20-\x7e]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`)

const statusOf = (line: string): number => Number(/^HTTP\/1\.1 (\d{3})/.exec(line)?.[1] ?? 0)

/** A stock client in `room`, synced (or null after 10 s). */
async function syncedClient(wsUrl: string, room: string): Promise<{ doc: Y.Doc; provider: WebsocketProvider } | null> {
  const doc = new Y.Doc()
  const provider = new WebsocketProvider(wsUrl, room, doc, { WebSocketPolyfill: WebSocket as unknown as typeof globalThis.WebSocket, disableBc: true })
  const deadline = now() + 10_000
  while (!provider.synced && now() < deadline) await sleep(20)
  if (provider.synced) return { doc, provider }
  provider.destroy()
  return null
}

/** Write in the first name, read through the second: one document or two? (Refusing the second name is safe too.) */
async function sameDocument(wsUrl: string, label: string, [first, second]: readonly [string, string]): Promise<NameCheck> {
  const port = Number(new URL(wsUrl).port)
  const secondStatus = await statusLine(port, rawHttpRequest({ path: `/${roomNameToPath(second)}`, host: `127.0.0.1:${port}`, upgrade: true }))
  if (statusOf(secondStatus) !== 101) {
    return { check: label, pass: statusOf(secondStatus) >= 400 && statusOf(secondStatus) < 500, observed: `${escaped(second)} refused: ${secondStatus}` }
  }
  const writer = await syncedClient(wsUrl, first)
  if (!writer) return { check: label, pass: false, observed: `${JSON.stringify(first)} did not sync` }
  const marker = `written through ${JSON.stringify(first)}`
  writer.doc.getText('text').insert(0, marker)
  await sleep(500) // committed and relayed well before this on an idle relay
  const reader = await syncedClient(wsUrl, second)
  const seen = reader?.doc.getText('text').toString() ?? null
  writer.provider.destroy()
  reader?.provider.destroy()
  if (seen === null) return { check: label, pass: false, observed: `${JSON.stringify(second)} did not sync` }
  const one = seen === marker
  return { check: label, pass: one, observed: one ? 'one document' : `two documents (${escaped(first)} has the text, ${escaped(second)} is empty)` }
}

/** Every name check against the relay at `url` (http://127.0.0.1:PORT). */
export async function checkNames(url: string): Promise<NameCheck[]> {
  const port = Number(new URL(url).port)
  const wsUrl = url.replace(/^http/, 'ws')
  const checks: NameCheck[] = []

  const upgradeBadHost = await statusLine(port, rawHttpRequest({ path: '/doc', host: MALFORMED_HOST, upgrade: true }))
  checks.push({ check: `upgrade with Host: ${MALFORMED_HOST}`, pass: statusOf(upgradeBadHost) >= 400 && statusOf(upgradeBadHost) < 500, observed: upgradeBadHost })
  const healthBadHost = await statusLine(port, rawHttpRequest({ path: '/healthz', host: MALFORMED_HOST }))
  checks.push({ check: `GET /healthz with Host: ${MALFORMED_HOST}`, pass: statusOf(healthBadHost) >= 400 && statusOf(healthBadHost) < 500, observed: healthBadHost })

  for (const { label, names } of CONFUSABLE_NAMES) {
    checks.push(await within(sameDocument(wsUrl, label, names), 30_000, () => ({ check: label, pass: false, observed: 'no result within 30 s' })))
  }

  const dotSegments = await statusLine(port, rawHttpRequest({ path: DOT_SEGMENT_PATH, host: `127.0.0.1:${port}`, upgrade: true }))
  checks.push({ check: `raw upgrade of ${DOT_SEGMENT_PATH}`, pass: statusOf(dotSegments) !== 101, observed: dotSegments })
  return checks
}
