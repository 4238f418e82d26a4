/**
 * Hocuspocus clients on two relay instances sharing PostgreSQL and Redis:
 * edits and presence travel as for y-websocket clients, and stateless
 * messages reach the document's Hocuspocus clients on the other instance
 * too (a Tiptap app behind a load balancer without sticky sessions).
 */
import { afterEach, describe, expect, it } from 'vitest'
import * as Y from 'yjs'
import WebSocket from 'ws'
import { HocuspocusProvider, HocuspocusProviderWebsocket } from '@hocuspocus/provider'
import { waitFor } from './support/harness.ts'
import { startInstancePair, type Instance } from './support/instance-pair.ts'
import { createPostgresBackend } from './support/storage-backends.ts'

const backend = createPostgresBackend()
const teardown: (() => Promise<void> | void)[] = []

afterEach(async () => {
  for (const step of teardown.splice(0).reverse()) await step()
  await backend.cleanup()
})

/** A Hocuspocus provider on `instance`, noting the stateless messages it receives. */
function hocus(instance: Instance, name: string): { provider: HocuspocusProvider; text: Y.Text; stateless: string[] } {
  const socket = new HocuspocusProviderWebsocket({ url: instance.relay.wsUrl, WebSocketPolyfill: WebSocket })
  const document = new Y.Doc()
  const stateless: string[] = []
  const provider = new HocuspocusProvider({ name, document, websocketProvider: socket, onStateless: ({ payload }) => stateless.push(payload) })
  provider.attach()
  teardown.push(() => {
    provider.destroy()
    socket.destroy()
  })
  return { provider, text: document.getText('text'), stateless }
}

describe('Hocuspocus clients on two instances', () => {
  it('co-edit, and a stateless message reaches the clients on both instances but not its sender', async () => {
    const [a, b] = await startInstancePair(backend, (close) => void teardown.push(close))
    const ada = hocus(a, 'shared')
    const grace = hocus(b, 'shared')
    const katherine = hocus(b, 'shared')
    const elsewhere = hocus(b, 'another document')
    await waitFor(() => [ada, grace, katherine, elsewhere].every((client) => client.provider.synced), 'all synced')
    ada.text.insert(0, 'from A')
    await waitFor(() => grace.text.toString() === 'from A' && katherine.text.toString() === 'from A', 'the edit reaches B')

    grace.provider.sendStateless('comment added by Grace')
    ada.provider.sendStateless('Ada is presenting')
    await waitFor(() => ada.stateless.length === 1 && katherine.stateless.length === 2 && grace.stateless.length === 1, 'stateless messages delivered')
    expect(ada.stateless).toEqual(['comment added by Grace'])
    expect(grace.stateless).toEqual(['Ada is presenting'])
    expect([...katherine.stateless].sort()).toEqual(['Ada is presenting', 'comment added by Grace'])
    expect(elsewhere.stateless).toEqual([])
  })
})
