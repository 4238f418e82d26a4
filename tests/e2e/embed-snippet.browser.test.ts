/**
 * The README's `<collab-editor>` snippet, exactly as written there, pasted
 * into a page on another origin; and the element's life cycle: attributes
 * that arrive in any order, a move within the page, a new document, a new
 * name, removal. Each time: one editor, one connection, no errors.
 *
 * Connections are counted twice: by the relay (`GET /healthz`) and by the
 * page (Playwright's `websocket` event for every WebSocket it opens).
 */
import { readFileSync } from 'node:fs'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { Page } from 'playwright-core'
import { afterEach, describe, expect, it } from 'vitest'
import type { CollabEditorElement } from '../../client/element.ts'
import { roomNameToPath } from '../../shared/room-name.ts'
import { FRAGMENT_NAME } from '../../shared/schema.ts'
import { connectClient, waitSynced, type TestClient } from '../support/harness.ts'
import { useBrowserTests, xmlText, type DemoRelay } from './support/browser.ts'

const scope = useBrowserTests()

const poll = <T>(read: () => T | Promise<T>, message?: string, timeout = 10_000) => expect.poll(read, { timeout, interval: 25, message })

/** The relay address the README's snippets are written for. */
const README_RELAY = '127.0.0.1:1234'
/** The document the README's snippet edits. */
const SNIPPET_DOCUMENT = 'team/specs/q4 plan'

/** The first ```html block under "## Embed the editor" in README.md, as written. */
function readmeSnippet(): string {
  const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8')
  const start = readme.indexOf('\n## Embed the editor\n')
  if (start === -1) throw new Error('README.md has no "## Embed the editor" section')
  const end = readme.indexOf('\n## ', start + 1)
  const section = readme.slice(start, end === -1 ? undefined : end)
  const block = /^```html\n([\s\S]*?)^```$/m.exec(section)
  if (!block) throw new Error('README.md: no ```html block under "## Embed the editor"')
  return block[1]
}

/** The snippet with only the relay's address changed to the test relay's. */
function snippetFor(relay: DemoRelay): string {
  const snippet = readmeSnippet()
  for (const address of [`http://${README_RELAY}`, `ws://${README_RELAY}`]) {
    if (!snippet.includes(address)) throw new Error(`the README snippet no longer mentions ${address}:\n${snippet}`)
  }
  return snippet.replaceAll(`http://${README_RELAY}`, relay.url).replaceAll(`ws://${README_RELAY}`, wsUrl(relay))
}

const wsUrl = (relay: DemoRelay): string => relay.url.replace(/^http/, 'ws')

// Pages on another origin (same host, another port) and stock clients, torn
// down before the relay and browser of `useBrowserTests` (hooks run in reverse).
const embedders: Server[] = []
const peers: TestClient[] = []
afterEach(async () => {
  for (const peer of peers.splice(0)) peer.destroy()
  await Promise.all(
    embedders.splice(0).map((server) => {
      server.closeAllConnections()
      return new Promise((resolve) => server.close(resolve))
    }),
  )
})

/** Serve `body` as an HTML page on another origin; returns its address. */
async function serveOnAnotherOrigin(body: string): Promise<string> {
  const server = createServer((request, response) => {
    if (request.url !== '/') {
      response.writeHead(404).end()
      return
    }
    response.writeHead(200, { 'content-type': 'text/html; charset=utf-8' })
    response.end(`<!doctype html>\n<meta charset="utf-8" /><link rel="icon" href="data:," />\n${body}\n`)
  })
  embedders.push(server)
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}/`
}

/** The WebSockets a page opened and those that have closed, by URL, in order. */
interface SocketLog {
  opened: string[]
  closed: string[]
}

/** A page on another origin with the built library loaded from the relay, and no element yet. */
async function libraryPage(relay: DemoRelay, label: string): Promise<{ page: Page; sockets: SocketLog }> {
  const { page, sockets } = await trackedPage(label)
  await page.goto(
    await serveOnAnotherOrigin(
      `<link rel="stylesheet" href="${relay.url}/lib/collab-editor.css" />\n` +
        `<script type="module" src="${relay.url}/lib/collab-editor.js"></script>\n<div id="a"></div><div id="b"></div>`,
    ),
  )
  await page.waitForFunction(() => customElements.get('collab-editor') !== undefined)
  return { page, sockets }
}

async function trackedPage(label: string): Promise<{ page: Page; sockets: SocketLog }> {
  const page = await scope.session.newPage(label)
  const sockets: SocketLog = { opened: [], closed: [] }
  page.on('websocket', (socket) => {
    sockets.opened.push(socket.url())
    socket.on('close', () => sockets.closed.push(socket.url()))
  })
  return { page, sockets }
}

/** Connections the relay holds now, as `/healthz` reports them. */
async function relayConnections(relay: DemoRelay): Promise<number> {
  const response = await fetch(`${relay.url}/healthz`)
  return ((await response.json()) as { connections: number }).connections
}

/** A stock y-websocket client in Node on `documentName`, synced. */
async function peer(relay: DemoRelay, documentName: string): Promise<TestClient> {
  const client = connectClient(wsUrl(relay), roomNameToPath(documentName))
  peers.push(client)
  await waitSynced(client, 10_000)
  return client
}

const peerText = (client: TestClient): string => xmlText(client.doc.getXmlFragment(FRAGMENT_NAME))

/** Everyone's `user` as this client's awareness has it (itself included, if it set one). */
const usersSeenBy = (client: TestClient): { name?: string; color?: string }[] =>
  [...client.provider.awareness.getStates().values()].flatMap((state) => (state.user ? [state.user as { name?: string; color?: string }] : []))

const editorsIn = (page: Page, element = 'collab-editor'): Promise<number> => page.locator(`${element} .ProseMirror`).count()

async function waitElementSynced(page: Page, element = 'collab-editor'): Promise<void> {
  await page.locator(`${element} .collab-editor[data-connection="synced"]`).first().waitFor({ timeout: 10_000 })
}

/**
 * Let the page run the timers already queued, so that an error a late
 * callback throws (y-prosemirror defers dispatches with setTimeout(0)) has
 * been reported before the test looks at the errors.
 */
async function settle(page: Page): Promise<void> {
  for (let i = 0; i < 2; i++) await page.evaluate(() => new Promise((resolve) => setTimeout(resolve, 0)))
}

describe('the README snippet', () => {
  it('pasted as-is into a page on another origin: one editor, one connection, edits reach a stock client, removal closes it', async () => {
    const { relay, session } = scope
    const { page, sockets } = await trackedPage('Snippet')
    await page.goto(await serveOnAnotherOrigin(snippetFor(relay)))

    await poll(() => editorsIn(page), 'editors in the element').toBe(1)
    await waitElementSynced(page)
    expect(await editorsIn(page), 'editors in the element once synced').toBe(1)
    await poll(() => relayConnections(relay), 'relay connections').toBe(1)
    expect(sockets.opened, 'WebSockets the page opened').toHaveLength(1)

    const grace = await peer(relay, SNIPPET_DOCUMENT)
    await page.locator('collab-editor .ProseMirror').click()
    await page.keyboard.type('Typed into the README snippet.')
    await poll(() => peerText(grace), 'the stock client sees the edit').toBe('Typed into the README snippet.')
    await poll(() => usersSeenBy(grace).map((user) => user.name), 'names the stock client sees').toEqual(['Ada'])
    peers.splice(peers.indexOf(grace), 1)[0].destroy()
    await poll(() => relayConnections(relay), 'relay connections without the stock client').toBe(1)

    await page.evaluate(() => document.querySelector('collab-editor')!.remove())
    await poll(() => relayConnections(relay), 'relay connections after removing the element').toBe(0)
    await poll(() => sockets.closed, 'WebSockets the page closed').toEqual(sockets.opened)
    await settle(page)
    expect(session.errors, 'console errors and page errors').toEqual([])
  })
})

describe('<collab-editor> life cycle', () => {
  it('appended bare and given server and document later, one attribute per task: one editor, one connection', async () => {
    const { relay } = scope
    const { page, sockets } = await libraryPage(relay, 'Late attributes')
    await page.evaluate(() => document.body.append(Object.assign(document.createElement('collab-editor'), { id: 'late' })))
    await page.evaluate((server) => document.querySelector('#late')!.setAttribute('server', server), wsUrl(relay))
    // Still waiting for `document`: nothing runs yet.
    expect(await page.evaluate(() => document.querySelector<CollabEditorElement>('#late')!.handle)).toBeNull()
    await page.evaluate(() => document.querySelector('#late')!.setAttribute('document', 'late/doc'))

    await waitElementSynced(page)
    expect(await editorsIn(page)).toBe(1)
    await poll(() => relayConnections(relay)).toBe(1)
    expect(sockets.opened).toHaveLength(1)
  })

  it('created, configured and then appended: one editor with status events; moved within the page: the same editor and connection', async () => {
    const { relay } = scope
    const { page, sockets } = await libraryPage(relay, 'Created')
    await page.evaluate((server) => {
      const element = document.createElement('collab-editor')
      element.setAttribute('server', server)
      element.setAttribute('document', 'created/doc')
      element.setAttribute('user-name', 'Created')
      const seen: string[] = []
      element.addEventListener('status', (event) => seen.push((event as CustomEvent<{ connection: string }>).detail.connection))
      Object.assign(window, { statusesSeen: seen })
      document.querySelector('#a')!.append(element)
    }, wsUrl(relay))
    await poll(() => page.evaluate(() => (window as unknown as { statusesSeen: string[] }).statusesSeen), 'status events').toContain('synced')
    expect(await editorsIn(page)).toBe(1)
    await poll(() => relayConnections(relay)).toBe(1)

    // A move is a disconnect and a connect in one task: the editor stays.
    const moved = await page.evaluate(() => {
      const element = document.querySelector<CollabEditorElement>('collab-editor')!
      const before = element.handle
      document.querySelector('#b')!.append(element)
      return new Promise<boolean>((resolve) => setTimeout(() => resolve(element.handle === before && before !== null)))
    })
    expect(moved, 'the same editor after the move').toBe(true)
    expect(await editorsIn(page, '#b collab-editor')).toBe(1)
    expect(await relayConnections(relay)).toBe(1)
    expect(sockets.opened).toHaveLength(1)
    expect(sockets.closed).toEqual([])

    await page.evaluate(() => document.querySelector('collab-editor')!.remove())
    await poll(() => relayConnections(relay)).toBe(0)
    await poll(() => sockets.closed).toEqual(sockets.opened)
  })

  it('a new document restarts it: the old connection closes, one editor edits the new document; read-only restarts it the same way', async () => {
    const { relay } = scope
    const first = await peer(relay, 'first doc')
    const second = await peer(relay, 'second doc')
    const { page, sockets } = await trackedPage('Document change')
    await page.goto(await serveOnAnotherOrigin(snippetFor(relay).replace(SNIPPET_DOCUMENT, 'first doc')))
    await waitElementSynced(page)
    await poll(() => relayConnections(relay)).toBe(3) // the page and two stock clients

    await page.evaluate(() => document.querySelector('collab-editor')!.setAttribute('document', 'second doc'))
    await page.locator('collab-editor .ProseMirror[aria-label="Document second doc"]').waitFor()
    await waitElementSynced(page)
    expect(await editorsIn(page)).toBe(1)
    await poll(() => sockets.closed, 'the first document’s socket closed').toEqual(sockets.opened.slice(0, 1))
    expect(sockets.opened).toHaveLength(2)
    await poll(() => relayConnections(relay)).toBe(3)

    await page.locator('collab-editor .ProseMirror').click()
    await page.keyboard.type('For the second document.')
    await poll(() => peerText(second)).toBe('For the second document.')
    expect(peerText(first)).toBe('')

    await page.evaluate(() => document.querySelector('collab-editor')!.setAttribute('read-only', ''))
    await page.locator('collab-editor .ProseMirror[contenteditable="false"]').waitFor()
    await waitElementSynced(page)
    expect(await editorsIn(page)).toBe(1)
    await poll(() => sockets.closed).toEqual(sockets.opened.slice(0, 2))
    expect(sockets.opened).toHaveLength(3)
    await poll(() => relayConnections(relay)).toBe(3)
    expect(await page.evaluate(() => document.querySelector<CollabEditorElement>('collab-editor')!.handle!.view.state.doc.textContent)).toBe(
      'For the second document.',
    )
  })

  it('a new user-name or user-color reaches the others live, without a new connection', async () => {
    const { relay } = scope
    const grace = await peer(relay, SNIPPET_DOCUMENT)
    const { page, sockets } = await trackedPage('Rename')
    await page.goto(await serveOnAnotherOrigin(snippetFor(relay)))
    await waitElementSynced(page)
    await poll(() => usersSeenBy(grace).map((user) => user.name)).toEqual(['Ada'])
    await page.evaluate(() => Object.assign(window, { editorBefore: document.querySelector<CollabEditorElement>('collab-editor')!.handle }))

    await page.evaluate(() => document.querySelector('collab-editor')!.setAttribute('user-name', 'Katherine'))
    await poll(() => usersSeenBy(grace).map((user) => user.name)).toEqual(['Katherine'])
    await page.evaluate(() => document.querySelector('collab-editor')!.setAttribute('user-color', '#336699'))
    await poll(() => usersSeenBy(grace)).toEqual([{ name: 'Katherine', color: '#336699' }])

    expect(sockets.opened, 'WebSockets the page opened').toHaveLength(1)
    expect(sockets.closed).toEqual([])
    expect(await relayConnections(relay)).toBe(2)
    const same = await page.evaluate(
      () => document.querySelector<CollabEditorElement>('collab-editor')!.handle === (window as unknown as { editorBefore: unknown }).editorBefore,
    )
    expect(same, 'the same editor').toBe(true)
  })

  it('renamed and removed in the same task: no error from a callback still queued for the destroyed view', async () => {
    const { relay, session } = scope
    const { page } = await trackedPage('Rename and leave')
    await page.goto(await serveOnAnotherOrigin(snippetFor(relay)))
    await waitElementSynced(page)
    // The rename changes awareness, which makes y-prosemirror's caret plugin
    // queue a dispatch (setTimeout 0) for the view that the removal destroys.
    await page.evaluate(() => {
      const element = document.querySelector<CollabEditorElement>('collab-editor')!
      element.handle!.setUser({ name: 'Leaving' })
      element.remove()
    })
    await poll(() => relayConnections(relay)).toBe(0)
    await settle(page)
    expect(session.errors, 'console errors and page errors').toEqual([])
  })
})
