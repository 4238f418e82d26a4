/**
 * The History panel in a real Chromium (issue 14): naming a version, a
 * read-only view of it, its comparison with now (who added what, what was
 * removed), restoring it for everyone, and a reader who may look and
 * compare but not restore. Against the relay's versions API.
 */
import type { Page } from 'playwright-core'
import { describe, expect, it } from 'vitest'
import { documentPath } from '../../client/app/routes.ts'
import { tokenOf, type Authenticate } from '../../server/http/authenticate.ts'
import { docText, moveCaret, openBlankPage, useBrowserTests, waitForEditor, waitSaved } from './support/browser.ts'
import { audit } from './support/axe.ts'

/** Everyone may edit without a token; the token `reader` may only read. */
const READER_TOKEN = 'reader'
const authenticate: Authenticate = (request) => {
  const token = tokenOf(request)
  if (token === null) return { ok: true, grant: { access: 'write' } }
  if (token === READER_TOKEN) return { ok: true, grant: { access: 'read', user: { id: 'rita', name: 'Rita' } } }
  return { ok: false, status: 401, reason: 'unknown token' }
}

const scope = useBrowserTests({ authenticate })

const poll = <T>(read: () => Promise<T>, timeout = 10_000) => expect.poll(read, { timeout, interval: 25 })

const panel = (page: Page) => page.getByRole('dialog', { name: 'History' })
const view = (page: Page) => page.locator('.collab-editor__history-view')
const message = (page: Page) => page.locator('.collab-editor__history-message')
/** Each listed version's text: title, time and people. */
const listed = (page: Page): Promise<string[]> => page.locator('.collab-editor__history-version').evaluateAll((buttons) => buttons.map((b) => b.textContent ?? ''))
const versionButton = (page: Page, title: string) => page.locator('.collab-editor__history-version', { hasText: title })

async function openHistory(page: Page): Promise<void> {
  await page.getByRole('button', { name: 'History' }).click()
  await panel(page).waitFor()
  // Focus starts on the panel's heading.
  await poll(() => focused(page)).toBe('H2 History')
}

/** The focused element: its tag and text. */
const focused = (page: Page): Promise<string> => page.evaluate(() => `${document.activeElement?.tagName} ${document.activeElement?.textContent}`)

/** Select `text` in the editor (its first occurrence) through ProseMirror's own selection. */
async function selectText(page: Page, text: string): Promise<void> {
  await page.evaluate((wanted) => {
    const { view } = window.collabEditor
    let from = -1
    view.state.doc.descendants((node, pos) => {
      if (from < 0 && node.isText && node.text!.includes(wanted)) from = pos + node.text!.indexOf(wanted)
      return from < 0
    })
    if (from < 0) throw new Error(`no "${wanted}" in the document`)
    const selection = view.state.selection.constructor as unknown as { create(doc: unknown, from: number, to: number): never }
    view.focus()
    view.dispatch(view.state.tr.setSelection(selection.create(view.state.doc, from, from + wanted.length)))
  }, text)
}

describe('the History panel', () => {
  it('names a version, shows it read-only, compares it with now (who added what, what was removed) and restores it for everyone', async () => {
    const { session } = scope
    const path = documentPath('history')
    const ada = await session.openDocument('Ada', path, 'Ada')
    await ada.locator('.ProseMirror').click()
    await ada.keyboard.type('Ship the editor quickly today.')
    await waitSaved(ada)

    // Ada names the document as it is: the version is listed with her name.
    await openHistory(ada)
    await panel(ada).getByRole('textbox', { name: 'Name this version' }).fill('Draft for review')
    await panel(ada).getByRole('button', { name: 'Save' }).click()
    await poll(() => message(ada).textContent()).toBe('Saved this version as “Draft for review”.')
    await poll(() => listed(ada)).toEqual([expect.stringMatching(/^Draft for review.*Ada$/)])
    // Escape closes the panel, and focus is back on its button.
    await ada.keyboard.press('Escape')
    await poll(() => panel(ada).isVisible()).toBe(false)
    expect(await focused(ada)).toBe('BUTTON History')

    // Ada writes on; Grace removes a word and adds a paragraph.
    await ada.locator('.ProseMirror').click()
    await moveCaret(ada, 'Control+End')
    await ada.keyboard.press('Enter')
    await ada.keyboard.type('Ada wrote more.')
    await waitSaved(ada)
    const grace = await session.openDocument('Grace', path, 'Grace')
    await poll(() => docText(grace)).toBe('Ship the editor quickly today.Ada wrote more.')
    await selectText(grace, 'quickly ')
    await grace.keyboard.press('Backspace')
    await moveCaret(grace, 'Control+End')
    await grace.keyboard.press('Enter')
    await grace.keyboard.type('Grace checked it.')
    await waitSaved(grace)
    const now = 'Ship the editor today.Ada wrote more.Grace checked it.'
    await poll(() => docText(ada)).toBe(now)

    // The version as it was, read-only.
    await openHistory(ada)
    await poll(() => listed(ada)).toEqual([expect.stringMatching(/^Draft for review.*Ada$/)])
    await versionButton(ada, 'Draft for review').click()
    await poll(() => view(ada).textContent()).toBe('Ship the editor quickly today.')
    expect(await versionButton(ada, 'Draft for review').getAttribute('aria-current')).toBe('true')
    expect(await view(ada).locator('[contenteditable="true"], input:not([disabled]), textarea').count()).toBe(0)
    await poll(() => message(ada).textContent()).toBe('Showing “Draft for review”, read only.')

    // Compared with now: Grace's removal struck through, each addition with its author.
    await panel(ada).getByRole('button', { name: 'Compare with now' }).click()
    await poll(() => view(ada).locator('del').allTextContents()).toEqual(['quickly '])
    expect(await view(ada).locator('ins[data-author="Grace"]').allTextContents()).toEqual(['Grace checked it.'])
    expect(await view(ada).locator('ins[data-author="Grace"]').first().getAttribute('title')).toBe('Added by Grace')
    expect(await view(ada).locator('ins[data-author="Ada"]').allTextContents()).toEqual(['Ada wrote more.'])
    expect(await view(ada).locator('del').first().getAttribute('data-author')).toBeNull()
    await poll(() => message(ada).textContent()).toBe('Since this version: 32 characters added by Ada, Grace, 8 characters removed.')
    expect(await audit(ada)).toEqual([])

    // Restore, after a confirmation: both pages read as the draft did, and the text before is a version.
    await panel(ada).getByRole('button', { name: 'Restore this version' }).click()
    const confirm = ada.getByRole('alertdialog', { name: 'Restore this version?' })
    await confirm.waitFor()
    await confirm.getByRole('button', { name: 'Restore' }).click()
    await poll(() => docText(ada)).toBe('Ship the editor quickly today.')
    await poll(() => docText(grace)).toBe('Ship the editor quickly today.')
    await poll(() => message(ada).textContent()).toBe('Restored “Draft for review”. The text before it is kept as a version.')
    const versions = await listed(ada)
    expect(versions[0]).toMatch(/^Before restoring/)
    expect(versions).toContainEqual(expect.stringMatching(/^Draft for review/))
    // The version saved before the restore holds the text as it was.
    await versionButton(ada, 'Before restoring').first().click()
    await poll(() => view(ada).textContent()).toBe(now)

    // Two versions compared: what the later one has that the earlier lacked.
    const against = panel(ada).getByRole('combobox', { name: 'Compare with' })
    expect(await against.locator('option').allTextContents()).toEqual(['Now', expect.stringMatching(/^“Draft for review” \(/)])
    await against.selectOption({ index: 1 })
    await panel(ada).getByRole('button', { name: 'Compare with “Draft for review”' }).click()
    await poll(() => view(ada).locator('del').allTextContents()).toEqual(['quickly '])
    expect(await view(ada).locator('ins[data-author="Grace"]').allTextContents()).toEqual(['Grace checked it.'])
    await poll(() => message(ada).textContent()).toBe('Between this version and “Draft for review”: 32 characters added by Ada, Grace, 8 characters removed.')
  })

  it('lets a reader look and compare but not name or restore, full width on a phone, and shows nothing of an answer it did not expect', async () => {
    const { session, relay } = scope
    const path = documentPath('history-reader')
    const ada = await session.openDocument('Ada', path, 'Ada')
    await ada.locator('.ProseMirror').click()
    await ada.keyboard.type('Read me.')
    await waitSaved(ada)
    await openHistory(ada)
    await panel(ada).getByRole('textbox', { name: 'Name this version' }).fill('First')
    await panel(ada).getByRole('button', { name: 'Save' }).click()
    await poll(() => listed(ada)).toHaveLength(1)
    await ada.keyboard.press('Escape')
    await ada.locator('.ProseMirror').click()
    await moveCaret(ada, 'Control+End')
    await ada.keyboard.type(' And more.')
    await waitSaved(ada)

    const reader = await session.newPage('Rita', { width: 390, height: 844 })
    await reader.goto(`${relay.url}${path}?user=Rita#token=${READER_TOKEN}`)
    await waitForEditor(reader)
    await reader.locator('.collab-editor[data-access="read"]').waitFor()
    await reader.evaluate(() => (document.documentElement.dataset.theme = 'dark'))
    await openHistory(reader)
    expect(await panel(reader).boundingBox()).toMatchObject({ x: 0, width: 390 })
    await poll(() => listed(reader)).toEqual([expect.stringMatching(/^First.*Ada$/)])
    expect(await panel(reader).getByRole('textbox', { name: 'Name this version' }).count()).toBe(0)
    await versionButton(reader, 'First').click()
    await poll(() => view(reader).textContent()).toBe('Read me.')
    expect(await panel(reader).getByRole('button', { name: 'Restore this version' }).count()).toBe(0)
    await panel(reader).getByRole('button', { name: 'Compare with now' }).click()
    await poll(() => view(reader).locator('ins[data-author="Ada"]').allTextContents()).toEqual([' And more.'])
    // The theme's dark colours for additions.
    expect(await view(reader).locator('ins').first().evaluate((ins) => getComputedStyle(ins).backgroundColor)).toBe('rgb(23, 61, 34)')
    expect(await audit(reader)).toEqual([])

    // An answer that is not the relay's comparison (here, markup with a handler) is not shown at all.
    await reader.route('**/compare?*', (route) => route.fulfill({ status: 200, contentType: 'text/html', body: '<p>Hi<img src="x" onerror="window.pwned = 1"></p>' }))
    await panel(reader).getByRole('button', { name: 'Preview' }).click()
    await poll(() => view(reader).textContent()).toBe('Read me.')
    await panel(reader).getByRole('button', { name: 'Compare with now' }).click()
    await poll(() => message(reader).textContent()).toBe('The comparison could not be shown.')
    expect(await view(reader).innerHTML()).toBe('')
    expect(await reader.evaluate(() => (window as unknown as { pwned?: number }).pwned)).toBeUndefined()
  })

  it('is there in <collab-editor history> (with its token as a bearer token), and not without the attribute', async () => {
    const { session, relay } = scope
    const ada = await session.openDocument('Ada', documentPath('embedded'), 'Ada')
    await ada.locator('.ProseMirror').click()
    await ada.keyboard.type('Embedded text.')
    await waitSaved(ada)
    await openHistory(ada)
    await panel(ada).getByRole('textbox', { name: 'Name this version' }).fill('Embedded')
    await panel(ada).getByRole('button', { name: 'Save' }).click()
    await poll(() => listed(ada)).toHaveLength(1)

    const page = await session.newPage('Embedder')
    await openBlankPage(page, relay)
    const bearer: (string | null)[] = []
    page.on('request', (request) => {
      if (request.url().includes('/versions')) bearer.push(request.headers().authorization ?? null)
    })
    await page.evaluate(
      ({ server, token }) => {
        for (const history of [false, true]) {
          const element = document.createElement('collab-editor')
          element.setAttribute('server', server)
          element.setAttribute('document', 'embedded')
          element.setAttribute('token', token)
          if (history) element.setAttribute('history', '')
          document.body.append(element)
        }
      },
      { server: relay.url.replace(/^http/, 'ws'), token: READER_TOKEN },
    )
    await poll(() => page.locator('.collab-editor[data-connection="synced"][data-access="read"]').count()).toBe(2)
    expect(await page.getByRole('button', { name: 'History' }).count()).toBe(1)
    await openHistory(page)
    await poll(() => listed(page)).toEqual([expect.stringMatching(/^Embedded.*Ada$/)])
    expect(bearer).toEqual([`Bearer ${READER_TOKEN}`])
  })
})
