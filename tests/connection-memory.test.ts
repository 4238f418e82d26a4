/**
 * What an open connection keeps alive. A relay holds thousands of mostly idle
 * connections, so anything a connection keeps is paid thousands of times:
 * once the upgrade is done, nothing of the HTTP request that made it (the
 * Fetch Request, Hono's context, the Node request) may stay reachable.
 */
import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'
import { describe, expect, it } from 'vitest'
import { allowEveryone, type Authenticate } from '../server/http/authenticate.ts'
import { useRelayScope, waitFor, waitSynced } from './support/harness.ts'

setFlagsFromString('--expose-gc')
const collectGarbage = runInNewContext('gc') as () => void

/** Collect until `ref` is gone or `rounds` collections have run; whether it is gone. */
async function collected(ref: WeakRef<object>, rounds = 10): Promise<boolean> {
  for (let i = 0; i < rounds; i++) {
    // A WeakRef keeps its target until the current job ends: collect in a later one.
    await new Promise((resolve) => setImmediate(resolve))
    collectGarbage()
    if (ref.deref() === undefined) return true
  }
  return false
}

describe('an open connection', () => {
  const scope = useRelayScope()

  it('keeps nothing of the upgrade request once it is open', async () => {
    const requests: WeakRef<Request>[] = []
    const authenticate: Authenticate = (request, name) => {
      requests.push(new WeakRef(request))
      return allowEveryone(request, name)
    }
    const { wsUrl, relay } = await scope.start({ authenticate })
    const client = scope.client(wsUrl, 'kept')
    await waitSynced(client)
    client.text.insert(0, 'still here')
    await waitFor(() => relay.stats().connections === 1, 'the connection joined')
    expect(requests).toHaveLength(1)

    expect(await collected(requests[0]!)).toBe(true)

    // The connection itself is untouched: a second client still gets its edits both ways.
    const other = scope.client(wsUrl, 'kept')
    await waitSynced(other)
    expect(other.text.toString()).toBe('still here')
    other.text.insert(0, '> ')
    await waitFor(() => client.text.toString() === '> still here', 'the first client received the edit')
  })
})

// Keep the helper honest: a request still referenced is reported as kept.
describe('collected()', () => {
  it('reports an object still referenced as kept', async () => {
    const held = { request: 'held' }
    expect(await collected(new WeakRef(held), 2)).toBe(false)
    expect(held.request).toBe('held')
  })
})
