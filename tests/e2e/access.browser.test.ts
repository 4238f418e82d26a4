/**
 * Access control as people meet it in the browser: a reader's editor, a
 * token that expires and is renewed without anyone noticing, refusals that
 * say why, and the demo page's `#token=` that reaches the relay only where it
 * must. Real Chromium, a real relay with a test authenticator (not the JWT
 * verifier: these tests are about the editor, not about token formats).
 */
import type { Page, Request } from 'playwright-core'
import { beforeEach, describe, expect, it } from 'vitest'
import { documentPath } from '../../client/app/routes.ts'
import type { CollabEditorElement } from '../../client/element.ts'
import type { EditorStatus } from '../../client/sync-status.ts'
import type { Authenticate } from '../../server/http/authenticate.ts'
import { CloseCode } from '../../shared/close-codes.ts'
import {
  type BrowserSession,
  caretLabels,
  docText,
  openBlankPage,
  peopleShown,
  shownStatus,
  storedText,
  useBrowserTests,
  waitForEditor,
  waitSaved,
  type DemoRelay,
} from './support/browser.ts'

declare global {
  interface Window {
    /** Every status a test page's editor reported, in order (set by `openWithTokenFunction`). */
    statusLog: { connection: EditorStatus['connection']; problem: string | null; label: string }[]
  }
}

/**
 * Test tokens: `access:document:expiresAtMs:user:nonce`, each part
 * URI-encoded. The nonce makes every token unique and easy to find in a URL
 * or header, however it was encoded on the way.
 */
function issueToken(access: 'read' | 'write', documentName: string, user: string, ttlMs = 3_600_000): string {
  const nonce = Math.random().toString(36).slice(2, 12) + Math.random().toString(36).slice(2, 12)
  return [access, documentName, String(Date.now() + ttlMs), user, nonce].map(encodeURIComponent).join(':')
}
const nonceOf = (token: string): string => token.split(':')[4]

/** Read the token as the relay does (a bearer header, else `?token=`) and map it to a grant. */
const authenticate: Authenticate = (request, documentName) => {
  const header = request.headers.get('authorization')
  const token = header ? /^Bearer (\S+)$/.exec(header)?.[1] : new URL(request.url).searchParams.get('token')
  if (!token) return { ok: false, status: 401, reason: 'no token' }
  const [access, forDocument, expiresAt, user] = token.split(':').map((part) => decodeURIComponent(part))
  if ((access !== 'read' && access !== 'write') || !(Number(expiresAt) > 0) || !user) return { ok: false, status: 401, reason: 'invalid token' }
  if (Number(expiresAt) <= Date.now()) return { ok: false, status: 401, reason: 'token expired' }
  if (forDocument !== documentName) return { ok: false, status: 403, reason: 'token is for another document' }
  return { ok: true, grant: { access, user: { name: user }, expiresAt: Number(expiresAt) } }
}

/** Tokens the test relay's `/e2e/token` endpoint handed out (the "backend" a token function asks). */
const issued: string[] = []

const scope = useBrowserTests({
  authenticate,
  routes(app) {
    app.get('/e2e/token', (c) => {
      const access = c.req.query('access') === 'read' ? 'read' : 'write'
      const token = issueToken(access, c.req.query('document') ?? '', c.req.query('user') ?? 'Someone', Number(c.req.query('ttl')))
      issued.push(token)
      return c.text(token)
    })
  },
})
let relay: DemoRelay
let session: BrowserSession
beforeEach(() => {
  ;({ relay, session } = scope)
  issued.length = 0
})

const poll = <T>(read: () => Promise<T> | T, timeout = 10_000) => expect.poll(read, { timeout, interval: 25 })

/** The demo page for `documentName` with `#token=…`, as a person opening a shared link; not waited for. */
async function gotoWithToken(label: string, documentName: string, token: string | null, user: string): Promise<Page> {
  const page = await session.newPage(label)
  const fragment = token === null ? '' : `#token=${encodeURIComponent(token)}`
  await page.goto(`${relay.url}${documentPath(documentName)}?user=${encodeURIComponent(user)}${fragment}`)
  return page
}

/** As `gotoWithToken`, and wait until the editor has synced. */
async function openWithToken(label: string, documentName: string, token: string, user: string): Promise<Page> {
  const page = await gotoWithToken(label, documentName, token, user)
  await waitForEditor(page)
  return page
}

/** What Chromium logs when the relay refuses an upgrade (the page only sees close 1006). */
const REFUSED_UPGRADE =
  /^WebSocket connection to 'ws:\/\/127\.0\.0\.1:\d+\/[^']*' failed: (HTTP Authentication failed; no valid credentials available|Error during WebSocket handshake: Unexpected response code: 403)$/
/** What Chromium logs for the `GET /auth` check's 401/403 answer. */
const REFUSED_CHECK = /^Failed to load resource: the server responded with a status of 40[13] \((Unauthorized|Forbidden)\)$/

describe('a reader', () => {
  it('sees the document live and is seen, but cannot change it: not editable, "Read only", nothing typed reaches anyone', async () => {
    const name = 'reading'
    const writer = await openWithToken('Writer', name, issueToken('write', name, 'Wendy'), 'Wendy')
    const reader = await openWithToken('Reader', name, issueToken('read', name, 'Rita'), 'Rita')

    // Learned from GET /auth before connecting: read-only from the start.
    expect(await shownStatus(reader)).toEqual({ connection: 'synced', saved: 'true', label: 'Read only' })
    expect(await reader.locator('.collab-editor').getAttribute('data-access')).toBe('read')
    expect(await reader.locator('.ProseMirror').getAttribute('contenteditable')).toBe('false')
    expect(await reader.evaluate(() => window.collabEditor.status.access)).toBe('read')
    expect(await reader.locator('.collab-editor__toolbar').isVisible()).toBe(false)
    expect(await shownStatus(writer)).toMatchObject({ connection: 'synced', label: 'Saved' })

    await writer.keyboard.type('Written by Wendy.')
    await poll(() => docText(reader)).toBe('Written by Wendy.')

    // Typing, Enter, a shortcut and undo in the reader's editor change nothing, for anyone.
    await reader.locator('.ProseMirror p').first().click()
    await reader.keyboard.type('Rita was here')
    await reader.keyboard.press('Enter')
    await reader.keyboard.press('Control+a')
    await reader.keyboard.press('Control+b')
    await reader.keyboard.press('Backspace')
    await reader.keyboard.press('Control+z')
    expect(await docText(reader)).toBe('Written by Wendy.')
    expect(await reader.evaluate(() => window.collabEditor.view.state.doc.firstChild?.firstChild?.marks.length)).toBe(0)

    // The writer's later edits still arrive live, and the relay stores only the writer's text.
    await writer.keyboard.type(' And more.')
    await poll(() => docText(reader)).toBe('Written by Wendy. And more.')
    await waitSaved(writer)
    expect(await storedText(relay, name)).toBe('Written by Wendy. And more.')
    expect(await docText(writer)).toBe('Written by Wendy. And more.')
    expect(await shownStatus(reader)).toMatchObject({ connection: 'synced', label: 'Read only' })

    // Readers keep their presence: the writer sees Rita in the people list and her selection's caret.
    await poll(() => peopleShown(writer)).toEqual(['Wendy (you)', 'Rita'])
    await reader.locator('.ProseMirror p').first().click()
    await poll(() => caretLabels(writer)).toEqual(['Rita'])
  })

  it("without an answer from GET /auth, it learns from the relay's refusal of its first change: read-only from then on", async () => {
    const name = 'denied'
    const writer = await openWithToken('Writer', name, issueToken('write', name, 'Wendy'), 'Wendy')
    await writer.keyboard.type('Only Wendy writes.')
    await waitSaved(writer)

    const reader = await session.newPage('Reader')
    // No answer to the access check (as behind a proxy that does not pass /auth on): the editor
    // connects and, not knowing better, lets Rita type.
    await reader.route('**/auth?*', (route) => route.abort())
    session.allowConsoleErrors(/^Failed to load resource: net::ERR_FAILED$/)
    await reader.goto(`${relay.url}${documentPath(name)}?user=Rita#token=${encodeURIComponent(issueToken('read', name, 'Rita'))}`)
    await waitForEditor(reader)
    await poll(() => docText(reader)).toBe('Only Wendy writes.')
    expect(await shownStatus(reader)).toMatchObject({ label: 'Saved' })
    await reader.keyboard.type('R')
    // The relay refuses the change with y-protocols' permission-denied message; the editor says so and locks.
    await reader.locator('.collab-editor[data-access="read"]').waitFor()
    expect(await shownStatus(reader)).toMatchObject({ connection: 'synced', label: 'Read only' })
    expect(await reader.locator('.ProseMirror').getAttribute('contenteditable')).toBe('false')
    await reader.keyboard.type('ita')
    // What was typed before is taken back: the reader's copy is the relay's again.
    await poll(() => docText(reader)).toBe('Only Wendy writes.')
    // Nothing of it reached the relay or the writer.
    await writer.keyboard.type(' Still.')
    await poll(() => docText(reader)).toContain('Still.')
    await waitSaved(writer)
    expect(await storedText(relay, name)).toBe('Only Wendy writes. Still.')
    expect(await docText(writer)).toBe('Only Wendy writes. Still.')
  })

  it('<collab-editor token="…"> with a read token is read-only too, and a write token edits', async () => {
    const name = 'element'
    const page = await session.newPage('Element')
    await openBlankPage(page, relay)
    await page.evaluate(
      ({ name, readToken, writeToken }) => {
        for (const [id, token] of [['reader', readToken], ['writer', writeToken]]) {
          const element = document.createElement('collab-editor')
          element.id = id
          element.setAttribute('server', location.origin.replace(/^http/, 'ws'))
          element.setAttribute('document', name)
          element.setAttribute('user-name', id)
          element.setAttribute('token', token)
          document.body.append(element)
        }
      },
      { name, readToken: issueToken('read', name, 'Rita'), writeToken: issueToken('write', name, 'Wendy') },
    )
    await page.locator('#reader .collab-editor[data-connection="synced"]').waitFor()
    await page.locator('#writer .collab-editor[data-connection="synced"]').waitFor()
    expect(await shownStatus(page, '#reader .collab-editor')).toMatchObject({ label: 'Read only' })
    expect(await page.locator('#reader .ProseMirror').getAttribute('contenteditable')).toBe('false')

    await page.locator('#writer .ProseMirror').click()
    await page.keyboard.type('Through the element.')
    const text = (id: string) => page.evaluate((id) => document.querySelector<CollabEditorElement>(`#${id}`)?.handle?.view.state.doc.textContent, id)
    await poll(() => text('reader')).toBe('Through the element.')
    await page.locator('#writer .collab-editor[data-saved="true"]').waitFor()
    expect(await storedText(relay, name)).toBe('Through the element.')
  })
})

describe('a token that expires', () => {
  it('is renewed through the token function when the relay closes with 4401: "Reconnecting…", then edits flow again', async () => {
    const name = 'expiry'
    const peer = await openWithToken('Peer', name, issueToken('write', name, 'Grace'), 'Grace')

    const page = await session.newPage('Renewing')
    const sockets: string[] = []
    page.on('websocket', (socket) => void sockets.push(socket.url()))
    await openBlankPage(page, relay)
    // The README's pattern: the token function asks the app's backend for a fresh token.
    await page.evaluate((name) => {
      const { createCollabEditor, statusLabel } = window.collabLibrary
      window.statusLog = []
      window.collabEditor = createCollabEditor(document.querySelector<HTMLElement>('#editor')!, {
        server: location.origin.replace(/^http/, 'ws'),
        document: name,
        user: { name: 'Ada' },
        token: async () => (await fetch(`/e2e/token?document=${encodeURIComponent(name)}&access=write&user=Ada&ttl=2000`)).text(),
        onStatus: (status: EditorStatus) =>
          window.statusLog.push({ connection: status.connection, problem: status.problem?.code ?? null, label: statusLabel(status) }),
      })
    }, name)
    await waitForEditor(page)
    expect(issued).toHaveLength(1)

    await page.locator('.ProseMirror').click()
    await page.keyboard.type('Before expiry.')
    await poll(() => docText(peer)).toBe('Before expiry.')

    // Two-second tokens: within a few seconds the relay has closed the connection twice and the
    // editor has come back each time with a fresh token, by itself.
    await poll(() => issued.length, 10_000).toBeGreaterThanOrEqual(3)
    await page.locator('.collab-editor[data-connection="synced"]').waitFor()
    await page.keyboard.type(' After renewal.')
    await poll(() => docText(peer)).toBe('Before expiry. After renewal.')
    await waitSaved(page)
    expect(await storedText(relay, name)).toBe('Before expiry. After renewal.')

    // One token function call per connection, each connection with its own token.
    const log = await page.evaluate(() => window.statusLog)
    const calls = issued.length
    expect(sockets.length).toBeGreaterThanOrEqual(calls - 1) // the last renewal's socket may still be opening
    expect(sockets.length).toBeLessThanOrEqual(calls)
    const tokensUsed = sockets.map((url) => new URL(url).searchParams.get('token'))
    expect(new Set(tokensUsed).size).toBe(sockets.length)
    expect(tokensUsed.every((token, i) => token === issued[i])).toBe(true)
    // The status line said "Reconnecting…" in between, and never offline or refused after the first sync.
    const afterFirstSync = log.slice(log.findIndex((entry) => entry.connection === 'synced'))
    expect(afterFirstSync.some((entry) => entry.problem === 'renewing' && entry.label === 'Reconnecting…')).toBe(true)
    expect(afterFirstSync.filter((entry) => entry.connection === 'offline' || entry.connection === 'refused')).toEqual([])
  })

  it('a plain string token that expires is final: the status says access expired', async () => {
    const name = 'expiry-final'
    const page = await gotoWithToken('Short', name, issueToken('write', name, 'Ada', 5_000), 'Ada')
    // In, for a few seconds; then the relay closes with 4401, and that is final.
    await page.locator('.collab-editor[data-connection="synced"]').waitFor({ timeout: 5_000 })
    await page.locator('.collab-editor[data-connection="refused"]').waitFor({ timeout: 10_000 })
    expect(await page.evaluate(() => window.collabEditor.status.lastClose?.code)).toBe(CloseCode.TOKEN_EXPIRED.code)
    expect(await shownStatus(page)).toMatchObject({ connection: 'refused', label: 'Access expired: open the link again or sign in again' })
    expect(await page.locator('.ProseMirror').getAttribute('contenteditable')).toBe('false')
    expect(await page.locator('#notice').textContent()).toContain('Access expired')
  })
})

describe('refusals', () => {
  /** Open the page, and wait for the refusal it should show, within a few seconds. */
  async function expectRefusal(token: string | null, label: string, name = 'refusals'): Promise<Page> {
    const page = await gotoWithToken('Refused', name, token, 'Ada')
    const sockets: string[] = []
    page.on('websocket', (socket) => void sockets.push(socket.url()))
    await page.waitForFunction(() => window.collabEditor !== undefined)
    await page.locator('.collab-editor[data-connection="refused"]').waitFor({ timeout: 5_000 })
    expect(await shownStatus(page)).toEqual({ connection: 'refused', saved: expect.any(String), label })
    expect(await page.locator('#notice').isVisible()).toBe(true)
    expect(await page.locator('#notice').textContent()).toContain(label)
    expect(await page.locator('.ProseMirror').getAttribute('contenteditable')).toBe('false')
    // And it has stopped trying: no more connection attempts.
    const attempts = sockets.length
    await page.waitForTimeout(1_500)
    expect(sockets.length).toBe(attempts)
    return page
  }

  it('no token on a relay with access control: "Sign-in needed", not "Connecting…" forever', async () => {
    session.allowConsoleErrors(REFUSED_UPGRADE)
    session.allowConsoleErrors(REFUSED_CHECK)
    await expectRefusal(null, 'Sign-in needed / link expired: no token')
  })

  it('a garbage token and an expired one: "Sign-in needed / link expired" with the reason', async () => {
    session.allowConsoleErrors(REFUSED_CHECK)
    await expectRefusal('garbage', 'Sign-in needed / link expired: invalid token')
    await expectRefusal(issueToken('write', 'refusals', 'Ada', -1_000), 'Sign-in needed / link expired: token expired')
  })

  it('a token for another document: "Access denied" with the reason', async () => {
    session.allowConsoleErrors(REFUSED_CHECK)
    await expectRefusal(issueToken('write', 'some other document', 'Ada'), 'Access denied: token is for another document')
  })
})

describe('the demo page’s #token=', () => {
  it('opens the document, and the token reaches the relay only on the WebSocket and the /auth check: never in another URL or a Referer', async () => {
    const name = 'fragment'
    const token = issueToken('write', name, 'Ada')
    const nonce = nonceOf(token)
    const page = await session.newPage('Ada')
    await page.context().grantPermissions(['clipboard-read', 'clipboard-write'], { origin: relay.url })
    const requests: Request[] = []
    const sockets: string[] = []
    page.on('request', (request) => void requests.push(request))
    page.on('websocket', (socket) => void sockets.push(socket.url()))

    await page.goto(`${relay.url}${documentPath(name)}?user=Ada#token=${encodeURIComponent(token)}`)
    await waitForEditor(page)
    await page.keyboard.type('Opened with a token in the fragment.')
    await waitSaved(page)
    expect(await storedText(relay, name)).toBe('Opened with a token in the fragment.')
    // Kept in the fragment: a reload works the same way.
    await page.reload()
    await waitForEditor(page)
    expect(new URL(page.url()).hash).toBe(`#token=${encodeURIComponent(token)}`)
    await poll(() => docText(page)).toBe('Opened with a token in the fragment.')

    // "Copy link" leaves the token out; "with my access token" puts it in, on request.
    await page.locator('#share').click()
    await poll(() => page.evaluate(() => navigator.clipboard.readText())).toBe(`${relay.url}${documentPath(name)}`)
    await page.locator('#share-with-token').check()
    await page.locator('#share').click()
    await poll(() => page.evaluate(() => navigator.clipboard.readText())).toBe(`${relay.url}${documentPath(name)}#token=${encodeURIComponent(token)}`)

    // Every request the page made, and every header it sent.
    expect(sockets).toHaveLength(2)
    for (const url of sockets) {
      const parsed = new URL(url)
      expect(parsed.pathname).toBe(`/${name}`)
      expect(parsed.searchParams.get('token')).toBe(token)
    }
    const seen: string[] = []
    for (const request of requests) {
      const url = new URL(request.url())
      const headers = await request.allHeaders()
      const withToken = Object.entries(headers).filter(([, value]) => value.includes(nonce)).map(([header]) => header)
      if (url.pathname === '/auth') {
        // The check carries the token as a bearer token, not in its URL.
        expect(withToken).toEqual(['authorization'])
        expect(headers.authorization).toBe(`Bearer ${token}`)
      } else {
        expect(withToken, `${request.method()} ${url.pathname}`).toEqual([])
      }
      expect(url.pathname + url.search, 'a request URL').not.toContain(nonce)
      if (url.pathname === documentPath(name)) expect(url.hash).toBe('') // the page itself: the fragment is never sent
      seen.push(url.pathname)
    }
    expect(seen.filter((path) => path === '/auth')).toHaveLength(2) // one check per page load
    expect(seen.some((path) => path.startsWith('/assets/'))).toBe(true) // requests that would carry a Referer did
  })
})
