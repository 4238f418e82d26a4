/**
 * A real HTTP server on 127.0.0.1 that records webhook requests, for the
 * webhook tests. How it answers is up to the test: a status per request, or
 * no answer at all (a receiver that hangs).
 */
import { createServer, type IncomingHttpHeaders } from 'node:http'
import type { AddressInfo } from 'node:net'

export interface ReceivedHook {
  headers: IncomingHttpHeaders
  /** The body exactly as received (what the signature covers). */
  body: string
  /** Parsed JSON body. */
  json: { id: string; event: string; document: string; stateVector: string | null; at: string }
  /** When it arrived (ms since the epoch). */
  at: number
}

/** What to answer a request: a status code, or 'hang' (never answer). */
export type Answer = number | 'hang'

export interface WebhookReceiver {
  url: string
  readonly received: ReceivedHook[]
  /** Requests of one event kind (and document, if given). */
  events(event: string, document?: string): ReceivedHook[]
  /** How to answer the next requests; called with each request in arrival order (0-based). Default: 200. */
  answer: (request: ReceivedHook, index: number) => Answer
  close(): Promise<void>
}

export async function startWebhookReceiver(): Promise<WebhookReceiver> {
  const received: ReceivedHook[] = []
  const receiver: WebhookReceiver = {
    url: '',
    received,
    events: (event, document) => received.filter((hook) => hook.json.event === event && (document === undefined || hook.json.document === document)),
    answer: () => 200,
    close: async () => {},
  }
  const server = createServer((request, response) => {
    const chunks: Buffer[] = []
    request.on('data', (chunk: Buffer) => chunks.push(chunk))
    request.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8')
      const hook: ReceivedHook = { headers: request.headers, body, json: JSON.parse(body) as ReceivedHook['json'], at: Date.now() }
      const index = received.length
      received.push(hook)
      const answer = receiver.answer(hook, index)
      if (answer === 'hang') return
      response.writeHead(answer, { 'content-type': 'text/plain' }).end('ok')
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  receiver.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks/collab`
  receiver.close = () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections()
      server.close(() => resolve())
    })
  return receiver
}
