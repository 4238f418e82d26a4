/**
 * Browser-test support: the relay with the demo app served in-process on a
 * free port, system Chromium through playwright-core, and helpers that read
 * the editor's own state (not the DOM, whose text includes caret labels).
 *
 * The relay keeps its documents in SQLite in a temporary directory, so a test
 * can stop it (a real outage: sockets closed, port unbound) and start it
 * again on the same port with the same data.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import type { Server } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Duplex } from 'node:stream'
import { createAdaptorServer } from '@hono/node-server'
import { Hono } from 'hono'
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core'
import type { Selection } from 'prosemirror-state'
import { afterEach, beforeEach, expect } from 'vitest'
import * as Y from 'yjs'
import type { CollabEditor } from '../../../client/editor.ts'
import type { Authenticate } from '../../../server/http/authenticate.ts'
import { mountEditorApp } from '../../../server/http/editor-app.ts'
import { createRelayApp } from '../../../server/http/relay-app.ts'
import { serveRelay, type RelayServer } from '../../../server/http/serve.ts'
import { createRelay, type Relay } from '../../../server/relay/relay.ts'
import { createSqliteStorage } from '../../../server/storage/sqlite.ts'
import { FRAGMENT_NAME } from '../../../shared/schema.ts'

declare global {
  interface Window {
    /** Set by the demo page (client/app/doc.ts). */
    collabEditor: CollabEditor
    /** Set by examples/embed.html. */
    embedded: CollabEditor
    /** The built library, on `BLANK_PAGE`. */
    collabLibrary: typeof import('../../../client/index.ts')
  }
}

export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
]

/** One browser per test file; every test makes its own contexts (fresh profiles). */
export function launchBrowser(): Promise<Browser> {
  return chromium.launch({ executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium', args: CHROMIUM_ARGS })
}

/** The relay plus demo app, as `collab-relay` serves them, that a test can stop and restart. */
export interface DemoRelay {
  /** `http://127.0.0.1:PORT` (the port stays the same across restarts). */
  readonly url: string
  readonly port: number
  /** The running relay instance (throws while stopped). */
  readonly relay: Relay
  /** What the relay logged as errors or warnings; tests assert it stays empty. */
  readonly logged: string[]
  /** Close every connection and the storage, and unbind the port. */
  stop(): Promise<void>
  /** Start again on the same port, reopening the same SQLite file. */
  restart(): Promise<void>
  /** Stop (if running) and delete the data. */
  close(): Promise<void>
}

/** How a test's relay differs from the CLI's. */
export interface DemoRelayOptions {
  /** Access control for upgrades and `GET /auth` (default: everyone may edit everything). */
  authenticate?: Authenticate
  /** Extra routes for the test (a token endpoint, say), mounted before the demo app. */
  routes?: (app: Hono) => void
}

/**
 * An empty page on the relay's origin with the built library loaded (as
 * `window.collabLibrary`, once `waitForLibrary` returns), for tests that
 * create editors themselves.
 */
/** `#rrggbb` as getComputedStyle reports it. */
export const rgb = (hex: string): string => `rgb(${[1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16)).join(', ')})`

export const BLANK_PAGE = '/e2e/blank'

export async function startDemoRelay(options: DemoRelayOptions = {}): Promise<DemoRelay> {
  const dir = mkdtempSync(join(tmpdir(), 'collab-e2e-'))
  const file = join(dir, 'relay.sqlite')
  const logged: string[] = []
  const logger = {
    info() {},
    warn: (message: string) => void logged.push(`warn: ${message}`),
    error: (message: string, error?: unknown) => void logged.push(`error: ${message}${error ? `: ${String(error)}` : ''}`),
  }
  let port = 0
  let running: { relay: Relay; server: RelayServer } | null = null

  const start = async (): Promise<void> => {
    const relay = createRelay({ storage: createSqliteStorage({ file }), logger })
    // The same composition as server/main.ts: relay routes first, then the app.
    const app = new Hono()
    app.route('/', createRelayApp(relay, { authenticate: options.authenticate }))
    app.get(BLANK_PAGE, (c) =>
      c.html(
        '<!doctype html><meta charset="utf-8"><link rel="icon" href="data:,"><link rel="stylesheet" href="/lib/collab-editor.css">' +
          '<script type="module">import * as library from "/lib/collab-editor.js"; window.collabLibrary = library</script><div id="editor"></div>\n',
      ),
    )
    options.routes?.(app)
    mountEditorApp(app)
    try {
      const server = await serveRelay(relay, { app, port })
      port = server.port
      running = { relay, server }
    } catch (error) {
      await relay.close()
      throw error
    }
  }
  const stop = async (): Promise<void> => {
    const current = running
    running = null
    await current?.server.close()
  }
  await start()

  return {
    get url() {
      return `http://127.0.0.1:${port}`
    },
    get port() {
      return port
    },
    get relay() {
      if (!running) throw new Error('the relay is stopped')
      return running.relay
    },
    logged,
    stop,
    async restart() {
      if (running) throw new Error('the relay is already running')
      await start()
    },
    async close() {
      try {
        await stop()
      } finally {
        rmSync(dir, { recursive: true, force: true })
      }
    },
  }
}

/**
 * While the relay is stopped Chromium reports each of the provider's
 * reconnection attempts as a console error. Tests that stop the relay allow
 * exactly this message and nothing else.
 */
export const RELAY_DOWN_CONSOLE_ERROR =
  /^WebSocket connection to 'ws:\/\/127\.0\.0\.1:\d+\/[^']*' failed: Error in connection establishment: net::ERR_CONNECTION_REFUSED$/

/** One test's browser contexts, with every console error and page error they produce. */
export class BrowserSession {
  private readonly contexts: BrowserContext[] = []
  /** `label: message` for every console error and uncaught exception not allowed. */
  readonly errors: string[] = []
  private readonly allowed: RegExp[] = []

  constructor(
    private readonly browser: Browser,
    private readonly relay: DemoRelay,
  ) {}

  /** Allow console errors matching `pattern` from now on (say why where it is called). */
  allowConsoleErrors(pattern: RegExp): void {
    this.allowed.push(pattern)
  }

  /** A page in a fresh browser context (its own profile: storage, IndexedDB). */
  async newPage(label: string, viewport = { width: 1000, height: 640 }): Promise<Page> {
    const context = await this.browser.newContext({ viewport })
    this.contexts.push(context)
    const page = await context.newPage()
    this.watch(page, label)
    return page
  }

  /** Collect the page's console errors and uncaught exceptions. */
  watch(page: Page, label: string): void {
    page.on('console', (message) => {
      if (message.type() !== 'error') return
      const text = message.text()
      if (!this.allowed.some((pattern) => pattern.test(text))) this.errors.push(`${label} console: ${text}`)
    })
    page.on('pageerror', (error) => this.errors.push(`${label} pageerror: ${error.stack ?? error.message}`))
  }

  /** Open the demo page for `path` (from `documentPath`) as a new person and wait until it is synced. */
  async openDocument(label: string, path: string, user?: string): Promise<Page> {
    const page = await this.newPage(label)
    await page.goto(this.relay.url + path + (user === undefined ? '' : `?user=${encodeURIComponent(user)}`))
    await waitForEditor(page)
    return page
  }

  async close(): Promise<void> {
    await Promise.all(this.contexts.splice(0).map((context) => context.close()))
  }
}

/** What each browser test gets: a fresh Chromium, relay and session. */
export interface BrowserTestScope {
  readonly browser: Browser
  readonly relay: DemoRelay
  readonly session: BrowserSession
}

/**
 * Call at module level in a browser test file: for each test a fresh Chromium
 * (about half a second: windows of an earlier test, still closing, once took
 * the focus from this test's pages), relay (own port, own SQLite file) and
 * session (own contexts). After each test it fails the test if any page logged a console
 * error or threw, beyond what the test allowed, or the relay logged a
 * warning or error.
 */
export function useBrowserTests(options: DemoRelayOptions = {}): BrowserTestScope {
  let browser: Browser | undefined
  let current: { relay: DemoRelay; session: BrowserSession } | undefined
  beforeEach(async () => {
    browser = await launchBrowser()
    const relay = await startDemoRelay(options)
    current = { relay, session: new BrowserSession(browser!, relay) }
  })
  afterEach(async () => {
    if (!current) return
    const { relay, session } = current
    current = undefined
    // Read before teardown: what closing pages and the relay causes is not the test's.
    const errors = [...session.errors]
    const logged = [...relay.logged]
    try {
      await session.close()
    } finally {
      await relay.close()
      await browser?.close()
    }
    expect(errors, 'console errors and page errors').toEqual([])
    expect(logged, 'relay warnings and errors').toEqual([])
  })
  const now = () => {
    if (!current) throw new Error('useBrowserTests: only inside a test')
    return current
  }
  return {
    get browser() {
      if (!browser) throw new Error('useBrowserTests: the browser is not launched yet')
      return browser
    },
    get relay() {
      return now().relay
    },
    get session() {
      return now().session
    },
  }
}

/** Open `BLANK_PAGE` and wait until the library has loaded. */
export async function openBlankPage(page: Page, relay: DemoRelay): Promise<void> {
  await page.goto(relay.url + BLANK_PAGE)
  await page.waitForFunction(() => window.collabLibrary !== undefined)
}

/** Wait for the demo page's editor handle and its first sync with the relay. */
export async function waitForEditor(page: Page): Promise<void> {
  await page.waitForFunction(() => window.collabEditor !== undefined)
  await page.locator('.collab-editor[data-connection="synced"]').waitFor()
}

/**
 * Press a caret key that the browser itself handles and wait until
 * ProseMirror has taken the new selection. It learns of native caret moves
 * from the asynchronous `selectionchange` event, so a key pressed right after
 * (Enter, a letter) could otherwise still act at the old position.
 */
export async function moveCaret(page: Page, key: 'Control+End' | 'Control+Home' | 'End'): Promise<void> {
  // A key press can be lost while another page of the test takes the
  // browser's focus: press again (the target is recomputed each time; for
  // these keys pressing twice lands where pressing once does).
  let last = ''
  for (let attempt = 1; attempt <= 3; attempt++) {
    const target = await page.evaluate((pressed) => {
      const { state } = window.collabEditor.view
      const selection = state.selection.constructor as typeof Selection
      if (pressed === 'Control+End') return selection.atEnd(state.doc).head
      if (pressed === 'Control+Home') return selection.atStart(state.doc).head
      return state.selection.$head.end()
    }, key)
    await page.keyboard.press(key)
    try {
      await page.waitForFunction((head) => window.collabEditor.view.state.selection.head === head, target, { timeout: 3_000 })
      return
    } catch {
      last = `after ${key} the caret is at ${await page.evaluate(() => window.collabEditor.view.state.selection.head)}, not ${target}`
    }
  }
  throw new Error(`${last} (3 presses)`)
}

/**
 * Extend the selection `count` characters to the left with Shift+ArrowLeft,
 * one press at a time, each waited for until ProseMirror holds it (native
 * selection changes reach it through the asynchronous `selectionchange`). A
 * press lost while another page of the test takes the focus is pressed again.
 */
export async function selectBackward(page: Page, count: number): Promise<void> {
  const size = (): Promise<number> => page.evaluate(() => window.collabEditor.view.state.selection.to - window.collabEditor.view.state.selection.from)
  for (let step = 1; step <= count; step++) {
    let pressed = 0
    while ((await size()) < step) {
      if (++pressed > 3) throw new Error(`Shift+ArrowLeft pressed three times, but the selection holds ${await size()} characters, not ${step}`)
      await page.keyboard.press('Shift+ArrowLeft')
      await page.waitForFunction((wanted) => window.collabEditor.view.state.selection.to - window.collabEditor.view.state.selection.from >= wanted, step, { timeout: 3_000 }).catch(() => undefined)
    }
  }
}

/**
 * Click into the paragraph holding `text`, on its first letter, and wait
 * until the editor's selection is there: a click reaches ProseMirror's state
 * through the DOM selection, a moment after the click itself returns, and a
 * click can be lost while another page of the test takes the focus: then
 * click again.
 */
export async function clickInto(page: Page, text: string): Promise<void> {
  let last = ''
  for (let attempt = 1; attempt <= 3; attempt++) {
    const point = await page.evaluate((wanted) => {
      const { view } = window.collabEditor
      let at = -1
      view.state.doc.descendants((node, pos) => {
        if (at < 0 && node.isTextblock && node.textContent.includes(wanted)) at = pos + 1
        return at < 0
      })
      if (at < 0) return null
      const { left, right, top, bottom } = view.coordsAtPos(at + 1)
      return { x: (left + right) / 2, y: (top + bottom) / 2 }
    }, text)
    if (!point) throw new Error(`no paragraph holds "${text}"`)
    await page.mouse.click(point.x, point.y)
    try {
      await page.waitForFunction((wanted) => window.collabEditor.view.state.selection.$head.parent.textContent.includes(wanted), text, { timeout: 3_000 })
      return
    } catch {
      last = await page.evaluate(() => window.collabEditor.view.state.selection.$head.parent.textContent)
    }
  }
  throw new Error(`clicked into "${text}" three times, but the caret is in "${last}"`)
}

/**
 * Double-clicks the word `word` in the editor until the editor's selection is
 * exactly that word (a double click can be lost while another page of the
 * test holds the browser's focus, like the key presses above).
 */
export async function selectWord(page: Page, word: string): Promise<void> {
  const selected = (): Promise<string> => page.evaluate(() => {
    const { state } = window.collabEditor.view
    return state.doc.textBetween(state.selection.from, state.selection.to)
  })
  for (let attempt = 1; attempt <= 3; attempt++) {
    const point = await page.evaluate((wanted) => {
      const { view } = window.collabEditor
      let at = -1
      view.state.doc.descendants((node, pos) => {
        if (at < 0 && node.isText && node.text!.includes(wanted)) at = pos + node.text!.indexOf(wanted) + Math.floor(wanted.length / 2)
        return at < 0
      })
      if (at < 0) return null
      const { left, top, bottom } = view.coordsAtPos(at)
      return { x: left, y: (top + bottom) / 2 }
    }, word)
    if (!point) throw new Error(`no text holds "${word}"`)
    await page.mouse.dblclick(point.x, point.y)
    try {
      await page.waitForFunction((wanted) => {
        const { state } = window.collabEditor.view
        return state.doc.textBetween(state.selection.from, state.selection.to) === wanted
      }, word, { timeout: 3_000 })
      return
    } catch {
      // pressed into a lost focus: try again
    }
  }
  throw new Error(`double-clicked "${word}" three times, but the selection holds "${await selected()}"`)
}

/** Which toolbar button has focus (its data-command), 'editor' for the editor itself, or the focused element's tag. */
export const focusedControl = (page: Page): Promise<string> =>
  page.evaluate(() => {
    const active = document.activeElement as HTMLElement | null
    return active?.dataset.command ?? (active?.classList.contains('ProseMirror') ? 'editor' : (active?.tagName ?? 'none'))
  })

/** The document's text as the editor holds it (block texts run together). */
export function docText(page: Page, handle: 'collabEditor' | 'embedded' = 'collabEditor'): Promise<string> {
  return page.evaluate((key) => window[key].view.state.doc.textContent, handle)
}

/** Each top-level block: its node type and text. */
export function docBlocks(page: Page): Promise<{ type: string; text: string }[]> {
  return page.evaluate(() => {
    const blocks: { type: string; text: string }[] = []
    window.collabEditor.view.state.doc.forEach((node) => void blocks.push({ type: node.type.name, text: node.textContent }))
    return blocks
  })
}

/** The whole document as ProseMirror JSON, to compare two people's copies. */
export function docJson(page: Page): Promise<unknown> {
  return page.evaluate(() => window.collabEditor.view.state.doc.toJSON())
}

/** The connection and saved state the editor shows. */
export function shownStatus(page: Page, root = '.collab-editor'): Promise<{ connection?: string; saved?: string; label: string }> {
  return page.locator(root).first().evaluate((element: HTMLElement) => ({
    connection: element.dataset.connection,
    saved: element.dataset.saved,
    label: element.querySelector('.collab-editor__status')?.textContent ?? '',
  }))
}

/** Wait until the editor says every change is in the relay's storage. */
export async function waitSaved(page: Page, timeout = 10_000): Promise<void> {
  await page.locator('.collab-editor[data-connection="synced"][data-saved="true"]').first().waitFor({ timeout })
}

/** The names on other people's carets. */
export function caretLabels(page: Page): Promise<string[]> {
  return page.locator('.collab-editor__caret-label').allTextContents()
}

/** The people list as shown, e.g. `['Ada (you)', 'Grace']`; `within` picks one editor on a page with several. */
export function peopleShown(page: Page, within = 'body'): Promise<string[]> {
  return page.locator(`${within} .collab-editor__people .collab-editor__person`).allTextContents()
}

/**
 * The document text this browser has kept in IndexedDB (y-indexeddb's
 * `updates` store for the editor's database), decoded with Yjs here. Lets a
 * test wait until an offline edit is on disk before reloading the page.
 */
export async function offlineCopyText(page: Page, relay: DemoRelay, documentName: string): Promise<string> {
  const dbName = `collab-editor:ws://127.0.0.1:${relay.port}/${documentName}`
  const updates = await page.evaluate(
    (name) =>
      new Promise<number[][]>((resolve, reject) => {
        const open = indexedDB.open(name)
        open.onerror = () => reject(open.error)
        open.onsuccess = () => {
          const db = open.result
          if (!db.objectStoreNames.contains('updates')) {
            db.close()
            resolve([])
            return
          }
          const all = db.transaction('updates', 'readonly').objectStore('updates').getAll()
          all.onerror = () => reject(all.error)
          all.onsuccess = () => {
            db.close()
            resolve((all.result as Uint8Array[]).map((update) => Array.from(update)))
          }
        }
      }),
    dbName,
  )
  return textOfUpdates(updates.map((update) => Uint8Array.from(update)))
}

/** The document text the relay has in its storage: what "Saved" promises. */
export async function storedText(relay: DemoRelay, documentName: string): Promise<string> {
  return textOfUpdates((await relay.relay.storage.load(documentName)).updates)
}

function textOfUpdates(updates: readonly Uint8Array[]): string {
  const doc = new Y.Doc()
  for (const update of updates) Y.applyUpdate(doc, update)
  const text = xmlText(doc.getXmlFragment(FRAGMENT_NAME))
  doc.destroy()
  return text
}

/** The text of a y-prosemirror fragment (or part of one), block texts run together, as `docText` reads it. */
export function xmlText(node: Y.XmlFragment | Y.XmlElement | Y.XmlText): string {
  if (node instanceof Y.XmlText) return node.toDelta().map((op: { insert?: unknown }) => (typeof op.insert === 'string' ? op.insert : '')).join('')
  return node.toArray().map((child) => (child instanceof Y.XmlHook ? '' : xmlText(child))).join('')
}

/**
 * While the relay is stopped, serve the demo pages from its port without a
 * relay behind them, as a CDN or reverse proxy in front of a relay that is
 * down would: the page routes are the relay's own (`mountEditorApp`), and
 * WebSocket upgrades get 503. Returns a function that frees the port again.
 *
 * (Fulfilling the pages with Playwright's `page.route` instead makes Chromium
 * treat the page as public and block its WebSocket to 127.0.0.1 under Local
 * Network Access checks, even after the route is gone.)
 */
export async function servePagesWithoutRelay(relay: DemoRelay): Promise<() => Promise<void>> {
  const app = new Hono()
  mountEditorApp(app)
  const server = createAdaptorServer({ fetch: app.fetch }) as Server
  server.on('upgrade', (_request, socket: Duplex) => {
    socket.end('HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\nContent-Length: 0\r\n\r\n')
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(relay.port, '127.0.0.1', () => resolve())
  })
  return async () => {
    const closed = new Promise<void>((resolve) => server.close(() => resolve()))
    server.closeAllConnections()
    await closed
  }
}

/**
 * What Chromium logs for each reconnection attempt that `servePagesWithoutRelay`
 * answers with 503, or that is cut off when the function it returns closes
 * every connection (an attempt caught mid-handshake: ERR_SOCKET_NOT_CONNECTED).
 */
export const PAGES_ONLY_CONSOLE_ERROR =
  /^WebSocket connection to 'ws:\/\/127\.0\.0\.1:\d+\/[^']*' failed: (Error during WebSocket handshake: Unexpected response code: 503|Error in connection establishment: net::ERR_SOCKET_NOT_CONNECTED)$/

/**
 * What Chromium logs when an editor that has never reached the relay asks
 * `GET /auth` why (client/connection.ts): `servePagesWithoutRelay` has no
 * such route and answers 404. (Chromium's message does not name the URL.)
 */
export const PAGES_ONLY_AUTH_CHECK_CONSOLE_ERROR = /^Failed to load resource: the server responded with a status of 404 \(Not Found\)$/
