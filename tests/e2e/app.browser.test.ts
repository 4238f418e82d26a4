/**
 * The demo app around the editor, in a real Chromium against the real relay:
 * titles that live in the document, the documents home (recent, all, search,
 * new, delete), export and import, dark mode and the 390 px layout.
 */
import { readFileSync, writeFileSync, mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { Page } from 'playwright-core'
import { beforeEach, describe, expect, it } from 'vitest'
import { readTitle } from '../../shared/document-title.ts'
import { documentPath } from '../../client/app/routes.ts'
import { colorForName, PEOPLE_COLORS } from '../../client/user.ts'
import { docText, moveCaret, offlineCopyText, RELAY_DOWN_CONSOLE_ERROR, rgb, shownStatus, storedText, useBrowserTests, type BrowserSession, type DemoRelay } from './support/browser.ts'

const DOCS = fileURLToPath(new URL('../../docs/', import.meta.url))

const scope = useBrowserTests()
let relay: DemoRelay
let session: BrowserSession
beforeEach(() => {
  ;({ relay, session } = scope)
})

const poll = <T>(read: () => Promise<T>, timeout = 10_000) => expect.poll(read, { timeout, interval: 25 })
const titleShown = (page: Page): Promise<string> => page.locator('#document-title').inputValue()

/** The title the relay's copy of the document holds. */
async function storedTitle(name: string): Promise<string> {
  const handle = await relay.relay.openDocument(name)
  try {
    return readTitle(handle.doc)
  } finally {
    handle.release()
  }
}

async function openHome(label: string, viewport?: { width: number; height: number }): Promise<Page> {
  const page = await session.newPage(label, viewport)
  await page.goto(`${relay.url}/`)
  return page
}

describe('the title', () => {
  it('is edited in the header, seen live by the other person and in the tab, stored, and undone only by its author', async () => {
    const path = documentPath('titled')
    const [ada, grace] = await Promise.all([session.openDocument('Ada', path, 'Ada'), session.openDocument('Grace', path, 'Grace')])
    expect(await titleShown(ada)).toBe('')
    expect(await ada.title()).toBe('titled · Collab editor')
    await ada.keyboard.type('Body')
    await poll(() => docText(grace)).toBe('Body')

    await ada.locator('#document-title').click()
    await ada.keyboard.type('Q4 plan')
    await poll(() => titleShown(grace)).toBe('Q4 plan')
    await poll(() => grace.title()).toBe('Q4 plan · Collab editor')
    await poll(() => storedTitle('titled')).toBe('Q4 plan')

    // Grace edits the end while Ada's caret sits in the middle: Ada's caret stays put.
    await ada.locator('#document-title').evaluate((input: HTMLInputElement) => input.setSelectionRange(2, 2))
    await grace.locator('#document-title').click()
    await grace.keyboard.press('End')
    await grace.keyboard.type(' (draft)')
    await poll(() => titleShown(ada)).toBe('Q4 plan (draft)')
    expect(await ada.locator('#document-title').evaluate((input: HTMLInputElement) => input.selectionStart)).toBe(2)

    // Enter goes back to the document, where Ada's undo takes back her last
    // change, the title she typed, and leaves Grace's words.
    await ada.keyboard.press('Enter')
    expect(await ada.evaluate(() => window.collabEditor.view.hasFocus())).toBe(true)
    await ada.keyboard.press('Control+z')
    await poll(() => titleShown(grace)).toBe(' (draft)')
    expect(await docText(grace)).toBe('Body')
    await poll(() => storedTitle('titled')).toBe('(draft)')
  })
})

describe('people\'s colours', () => {
  it('lets a person pick their colour, which the other person sees and a reload keeps', async () => {
    const path = documentPath('colours')
    const [ada, grace] = await Promise.all([session.openDocument('Ada', path, 'Ada'), session.openDocument('Grace', path, 'Grace')])
    const adaDotAtGrace = () =>
      grace.locator('.collab-editor__person', { hasText: 'Ada' }).locator('.collab-editor__person-dot').evaluate((dot) => getComputedStyle(dot).backgroundColor)
    await poll(adaDotAtGrace).toBe(rgb(colorForName('Ada')))
    await ada.locator('#color-menu summary').click()
    await ada.getByRole('radio', { name: 'Violet' }).click()
    await poll(adaDotAtGrace).toBe(rgb(PEOPLE_COLORS.find((entry) => entry.name === 'Violet')!.color))
    await ada.locator('#color-menu summary').click()
    expect(await ada.getByRole('radio', { name: 'Violet' }).getAttribute('aria-checked')).toBe('true')
    expect(await ada.getByRole('radio', { name: 'Blue', exact: true }).getAttribute('aria-checked')).toBe('false')
    await ada.reload()
    await ada.locator('.collab-editor[data-connection="synced"]').waitFor()
    await poll(adaDotAtGrace).toBe(rgb(PEOPLE_COLORS.find((entry) => entry.name === 'Violet')!.color))
  })
})

describe('the documents home', () => {
  it('lists recent and all documents with titles and who is in them, searches by title, and creates a titled document', async () => {
    const ada = await session.openDocument('Ada', documentPath('alpha'), 'Ada')
    await ada.locator('#document-title').fill('Roadmap 2027')
    await poll(() => storedTitle('alpha')).toBe('Roadmap 2027')
    await ada.keyboard.press('Enter')
    await ada.keyboard.type('Alpha body')
    const again = await session.openDocument('Ada again', documentPath('beta'), 'Ada')
    await again.keyboard.type('Beta body')
    await poll(async () => (await relay.relay.storage.list()).includes('beta')).toBe(true)
    await again.close()

    const home = await openHome('Grace')
    const all = home.locator('#all-list li')
    await poll(() => all.allTextContents()).toEqual([expect.stringMatching(/^Roadmap 2027alpha · changed .* · Ada editing nowDelete$/), expect.stringMatching(/^betabeta · changed (now|.* ago)Delete$/)])
    await home.locator('#search').fill('roadmap')
    await poll(() => all.locator('a').allTextContents()).toEqual(['Roadmap 2027'])
    await home.locator('#search').fill('')

    await home.locator('#new-document').click()
    await home.locator('#new-title').fill('Meeting notes')
    await home.keyboard.press('Enter')
    await home.waitForURL(/\/d\/[a-z2-9]{6}$/)
    await poll(() => titleShown(home)).toBe('Meeting notes')
    await poll(() => home.title()).toBe('Meeting notes · Collab editor')
    const created = decodeURIComponent(new URL(home.url()).pathname.slice(3))
    await poll(() => storedTitle(created)).toBe('Meeting notes')

    await home.goto(`${relay.url}/`)
    await poll(() => home.locator('#recent-list a').allTextContents()).toEqual(['Meeting notes'])
    await poll(() => home.locator('#all-list a').allTextContents()).toEqual(expect.arrayContaining(['Meeting notes', 'Roadmap 2027', 'beta']))
  })

  it('deletes a document after asking, for everyone', async () => {
    const ada = await session.openDocument('Ada', documentPath('doomed'), 'Ada')
    await ada.keyboard.type('soon gone')
    await poll(async () => (await relay.relay.storage.list()).includes('doomed')).toBe(true)
    await ada.close()
    const home = await openHome('Grace')
    const row = home.locator('#all-list li', { hasText: 'doomed' })
    await row.getByRole('button', { name: 'Delete doomed' }).click()
    await home.getByRole('button', { name: 'Cancel' }).click()
    expect(await relay.relay.storage.list()).toContain('doomed')
    await row.getByRole('button', { name: 'Delete doomed' }).click()
    await home.locator('#delete-confirm').click()
    await poll(() => home.locator('#home-message').textContent()).toBe('Deleted “doomed”.')
    expect(await relay.relay.storage.list()).not.toContain('doomed')
    expect(await home.locator('#all-list li').count()).toBe(0)
  })

  it('stays deleted for a browser that kept a copy: opening the link again says so and drops the copy, and a reload starts afresh', async () => {
    const path = documentPath('kept-copy')
    const ada = await session.openDocument('Ada', path, 'Ada')
    await ada.keyboard.type('Salary numbers')
    await poll(async () => (await relay.relay.storage.list()).includes('kept-copy')).toBe(true)
    await poll(() => offlineCopyText(ada, relay, 'kept-copy')).toContain('Salary numbers')
    const browserOfAda = ada.context()
    await ada.close()
    expect(await relay.relay.deleteDocument('kept-copy')).toBe(true)

    // Ada opens the link again from her history, in the same browser (the same offline copy).
    const again = await browserOfAda.newPage()
    session.watch(again, 'Ada again')
    await again.goto(relay.url + path + '?user=Ada')
    await poll(async () => (await shownStatus(again)).label).toBe('Closed by the relay: document deleted')
    const copyName = `collab-editor:ws://127.0.0.1:${relay.port}/kept-copy`
    await poll(() => again.evaluate(async () => (await indexedDB.databases()).map((db) => db.name))).not.toContain(copyName)
    expect(await relay.relay.storage.list()).not.toContain('kept-copy')

    // A reload is a new, empty document of the same name.
    await again.reload()
    await poll(async () => (await shownStatus(again)).connection).toBe('synced')
    expect(await docText(again)).toBe('')
    await again.locator('.ProseMirror').click()
    await again.keyboard.type('Fresh start')
    await poll(async () => (await relay.relay.storage.list()).includes('kept-copy')).toBe(true)
    await poll(() => storedText(relay, 'kept-copy')).toBe('Fresh start')
  })
})

describe('export and import', () => {
  it('exports Markdown and HTML named after the title', async () => {
    const ada = await session.openDocument('Ada', documentPath('exported'), 'Ada')
    await ada.locator('#document-title').fill('Release notes')
    await ada.keyboard.press('Enter')
    await ada.keyboard.type('# Version 2')
    await ada.keyboard.press('Enter')
    await ada.keyboard.type('Faster ')
    await ada.keyboard.press('Control+b')
    await ada.keyboard.type('sync')
    const exported = async (button: string): Promise<{ name: string; text: string }> => {
      await ada.locator('#export-menu summary').click()
      const [download] = await Promise.all([ada.waitForEvent('download'), ada.locator(button).click()])
      return { name: download.suggestedFilename(), text: readFileSync((await download.path())!, 'utf8') }
    }
    expect(await exported('#export-markdown')).toEqual({ name: 'Release notes.md', text: '# Version 2\n\nFaster **sync**' })
    const html = await exported('#export-html')
    expect(html.name).toBe('Release notes.html')
    expect(html.text).toContain('<title>Release notes</title>')
    expect(html.text).toContain('<h1>Version 2</h1><p>Faster <strong>sync</strong></p>')
  })

  it('imports a Markdown file into a new document titled after the file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'collab-import-'))
    const file = join(dir, 'Trip plan.md')
    writeFileSync(file, '# Day one\n\n- museum\n- *dinner*\n')
    const home = await openHome('Ada')
    await home.locator('#import-file').setInputFiles(file)
    await home.waitForURL(/\/d\/[a-z2-9]{6}$/)
    await home.waitForFunction(() => window.collabEditor !== undefined)
    await poll(() => titleShown(home)).toBe('Trip plan')
    await poll(() => docText(home)).toBe('Day onemuseumdinner')
    const blocks = await home.evaluate(() => window.collabEditor.view.state.doc.toJSON().content.map((node: { type: string }) => node.type))
    expect(blocks).toEqual(['heading', 'bulletList'])
  })
})

describe('offline start', () => {
  it('opens the app and a document with the server down, from the browser\'s copy, saying offline', async () => {
    const path = documentPath('away')
    const ada = await session.openDocument('Ada', path, 'Ada')
    await ada.keyboard.type('Written before the outage.')
    await poll(() => offlineCopyText(ada, relay, 'away')).toBe('Written before the outage.')
    await ada.evaluate(() => navigator.serviceWorker.ready.then(() => undefined))
    const home = await ada.context().newPage()
    session.watch(home, 'Ada home')
    await home.goto(`${relay.url}/`)
    await poll(() => home.locator('#recent-list a').allTextContents()).toEqual(['away'])
    await poll(() => home.locator('#all-list a').allTextContents()).toEqual(['away'])

    // Nothing answers on the port now: no relay, no pages.
    await relay.stop()
    session.allowConsoleErrors(RELAY_DOWN_CONSOLE_ERROR)
    // The editor's GET /auth (why can't I connect?) and the home page's listing find nobody either.
    session.allowConsoleErrors(/^Failed to load resource: net::ERR_CONNECTION_REFUSED$/)
    await ada.reload()
    await ada.waitForFunction(() => window.collabEditor !== undefined)
    await poll(() => docText(ada)).toBe('Written before the outage.')
    await poll(() => shownStatus(ada)).toMatchObject({ connection: 'offline', saved: 'false' })
    await moveCaret(ada, 'Control+End')
    await ada.keyboard.type(' And during it.')

    await home.reload()
    await poll(() => home.locator('#recent-list a').allTextContents()).toEqual(['away'])
    expect(await home.locator('#all-section').isHidden()).toBe(true)

    await relay.restart()
    await poll(() => shownStatus(ada), 20_000).toMatchObject({ connection: 'synced', saved: 'true' })
    const grace = await session.openDocument('Grace', path, 'Grace')
    await poll(() => docText(grace)).toBe('Written before the outage. And during it.')
  })
})

describe('dark mode and small screens', () => {
  const background = (page: Page, selector: string): Promise<string> => page.locator(selector).evaluate((element) => getComputedStyle(element).backgroundColor)

  it('follows the system, switches with the toggle (remembered), and darkens the editor too', async () => {
    const page = await session.openDocument('Ada', documentPath('dark'), 'Ada')
    expect(await background(page, '.collab-editor')).toBe('rgb(255, 255, 255)')
    await page.emulateMedia({ colorScheme: 'dark' })
    await poll(() => background(page, '.collab-editor')).toBe('rgb(26, 27, 30)')
    expect(await page.locator('#theme-toggle').getAttribute('aria-pressed')).toBe('true')
    // Switching against the system is remembered across a reload.
    await page.locator('#theme-toggle').click()
    expect(await background(page, '.collab-editor')).toBe('rgb(255, 255, 255)')
    await page.reload()
    await page.locator('.collab-editor[data-connection="synced"]').waitFor()
    expect(await page.evaluate(() => document.documentElement.dataset.theme)).toBe('light')
    expect(await background(page, 'body')).toBe('rgb(248, 249, 250)')
  })

  it('at 390 px keeps the title and the status in view with nothing wider than the screen (light and dark screenshots)', async () => {
    const page = await session.newPage('Ada', { width: 390, height: 760 })
    await page.goto(`${relay.url}${documentPath('phone')}?user=Ada`)
    await page.locator('.collab-editor[data-connection="synced"]').waitFor()
    await page.locator('#document-title').fill('On the go')
    await page.keyboard.press('Enter')
    await page.keyboard.type('Typed on a phone-sized screen.')
    await poll(async () => (await shownStatus(page)).label).toBe('Saved')
    const inView = (selector: string) =>
      page.locator(selector).evaluate((element) => {
        const box = element.getBoundingClientRect()
        return box.width > 0 && box.left >= 0 && box.right <= window.innerWidth && box.top >= 0
      })
    expect(await inView('#document-title')).toBe(true)
    expect(await inView('.collab-editor__status')).toBe(true)
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390)
    await moveCaret(page, 'Control+Home')
    await page.screenshot({ path: join(DOCS, 'screenshot-mobile.png') })
    await page.emulateMedia({ colorScheme: 'dark' })
    await poll(() => background(page, '.collab-editor')).toBe('rgb(26, 27, 30)')
    await page.screenshot({ path: join(DOCS, 'screenshot-mobile-dark.png') })
  })
})
