/**
 * Honest clients of bench/hostile.ts, in a process of their own (one per
 * room): stock `WebsocketProvider`s (`WebSocketPolyfill: ws`,
 * `disableBc: true`) that type while the relay is attacked. They apply
 * whatever the relay relays, attacks included, exactly as a browser would;
 * keeping them out of the benchmark process keeps that work out of the stall
 * probe's and the attacker's way.
 *
 *   fork('bench/hostile-honest.ts', [JSON.stringify({ wsUrl, room, clients, typists, intervalMs })])
 *
 * Messages: the child says `ready` once every client has synced; `start`
 * starts typing (each typist appends one character every `intervalMs`);
 * `stop` stops typing, waits (bounded) until every client holds the same
 * text with every character typed, and answers with a `HonestResult`.
 *
 * Latency: a typist's character has the clock its client had before typing;
 * another client has received it once its state for that client passes that
 * clock. Send and arrival are both timed here, on one clock.
 *
 * Samples also go to the parent every 250 ms as `progress` messages (a
 * `HonestProgress`): an attack can keep this process so busy applying what
 * the relay relays that it cannot answer `stop` in time, and the parent then
 * reports from what it already has.
 */
import WebSocket from 'ws'
import { WebsocketProvider } from 'y-websocket'
import * as Y from 'yjs'

export interface HonestConfig {
  wsUrl: string
  room: string
  /** Clients in the room... */
  clients: number
  /** ...of which the first `typists` type. */
  typists: number
  intervalMs: number
}

/** `[sentAt, latencyMs]` for one character and one receiving client; sentAt in ms since the epoch. */
export type LatencySample = [number, number]

/** Samples taken since the previous progress message, and the counts as they are now. */
export interface HonestProgress {
  type: 'progress'
  samples: LatencySample[]
  typed: number
  undelivered: number
}

export interface HonestResult {
  type: 'result'
  room: string
  /** Samples not yet sent in a progress message. */
  samples: LatencySample[]
  /** (character, receiver) pairs still not delivered when the result was taken. */
  undelivered: number
  /** Characters typed in all. */
  typed: number
  /** Every client holds the same text, of `typed` characters. */
  converged: boolean
  /** The first client's text at the end (the reopen check compares with it). */
  text: string
  /** Close codes the clients saw, in order. */
  closeCodes: number[]
  /** Exceptions thrown into this process (by Yjs applying what the relay sent). */
  errors: string[]
}

const now = (): number => performance.timeOrigin + performance.now()

function main(config: HonestConfig): void {
  const errors: string[] = []
  // A stock client throws from its socket's message handler when Yjs cannot
  // apply an update; count it instead of dying, as a browser tab would.
  process.on('uncaughtException', (error) => {
    if (errors.length < 20) errors.push(String(error).slice(0, 200))
  })
  // y-protocols catches what Yjs throws while applying a sync message and logs it instead.
  console.error = (...parts: unknown[]) => {
    if (errors.length < 20) errors.push(`logged: ${parts.map(String).join(' ').split('\n')[0].slice(0, 200)}`)
  }
  const closeCodes: number[] = []
  const clients = Array.from({ length: config.clients }, () => {
    const doc = new Y.Doc()
    const provider = new WebsocketProvider(config.wsUrl, config.room, doc, {
      WebSocketPolyfill: WebSocket as unknown as typeof globalThis.WebSocket,
      disableBc: true,
    })
    provider.on('connection-close', (event: CloseEvent | null) => {
      if (event) closeCodes.push(event.code)
    })
    return { doc, provider, text: doc.getText('text') }
  })
  const samples: LatencySample[] = []
  // Per typist: characters in flight, as [clock, sentAt], and per receiver the index of the next undelivered one.
  const inFlight = new Map<number, [number, number][]>()
  const cursors = new Map<Y.Doc, Map<number, number>>()
  let typed = 0

  for (const receiver of clients) {
    const cursor = new Map<number, number>()
    cursors.set(receiver.doc, cursor)
    receiver.doc.on('update', () => {
      const at = now()
      for (const [author, sent] of inFlight) {
        if (author === receiver.doc.clientID) continue
        const state = Y.getState(receiver.doc.store, author)
        let next = cursor.get(author) ?? 0
        while (next < sent.length && sent[next][0] < state) {
          samples.push([sent[next][1], at - sent[next][1]])
          next++
        }
        cursor.set(author, next)
      }
    })
  }

  let timer: ReturnType<typeof setInterval> | null = null
  const type = (): void => {
    for (const [index, client] of clients.slice(0, config.typists).entries()) {
      const clock = Y.getState(client.doc.store, client.doc.clientID)
      inFlight.get(client.doc.clientID)!.push([clock, now()])
      client.text.insert(client.text.length, String.fromCharCode(97 + index))
      typed++
    }
  }

  const converged = (): boolean => {
    const first = clients[0].text.toString()
    return first.length === typed && clients.every((client) => client.text.toString() === first)
  }

  const undelivered = (): number => {
    let count = 0
    for (const receiver of clients) {
      for (const [author, sent] of inFlight) {
        if (author !== receiver.doc.clientID) count += sent.length - (cursors.get(receiver.doc)!.get(author) ?? 0)
      }
    }
    return count
  }

  const readyCheck = setInterval(() => {
    if (!clients.every((client) => client.provider.synced)) return
    clearInterval(readyCheck)
    for (const client of clients.slice(0, config.typists)) inFlight.set(client.doc.clientID, [])
    process.send!({ type: 'ready' })
  }, 20)
  const progress = setInterval(() => {
    const update: HonestProgress = { type: 'progress', samples: samples.splice(0), typed, undelivered: undelivered() }
    process.send!(update)
  }, 250)

  process.on('message', (message: { type: string; convergeTimeoutMs?: number }) => {
    if (message.type === 'start') {
      timer = setInterval(type, config.intervalMs)
    } else if (message.type === 'stop') {
      if (timer) clearInterval(timer)
      const deadline = now() + (message.convergeTimeoutMs ?? 10_000)
      const check = setInterval(() => {
        const done = converged()
        if (!done && now() < deadline) return
        clearInterval(check)
        clearInterval(progress)
        const result: HonestResult = {
          type: 'result',
          room: config.room,
          samples,
          undelivered: undelivered(),
          typed,
          converged: done,
          text: clients[0].text.toString(),
          closeCodes,
          errors,
        }
        process.send!(result)
      }, 50)
    } else if (message.type === 'exit') {
      for (const client of clients) client.provider.destroy()
      process.exit(0)
    }
  })
  process.on('disconnect', () => process.exit(0))
}

if (process.send) main(JSON.parse(process.argv[2]) as HonestConfig)
