/**
 * The editor's own interface in a real Chromium (issue 13): the link popover,
 * the shortcut help generated from the keymap, the keyboard-operable
 * toolbar, a phone-width layout, and an axe-core audit of the document page.
 */
import type { Page } from 'playwright-core'
import { describe, expect, it } from 'vitest'
import { documentPath } from '../../client/app/routes.ts'
import { keyBindings } from '../../client/keymap.ts'
import { shortcutRows } from '../../client/shortcut-help.ts'
import { docText, focusedControl, moveCaret, openBlankPage, selectBackward, useBrowserTests } from './support/browser.ts'
import { audit } from './support/axe.ts'

const scope = useBrowserTests()

const poll = <T>(read: () => Promise<T>, timeout = 10_000) => expect.poll(read, { timeout, interval: 25 })

/** The links in the editor's document: each one's text and href, from the editor's state. */
function docLinks(page: Page): Promise<{ text: string; href: string }[]> {
  return page.evaluate(() => {
    const links: { text: string; href: string }[] = []
    window.collabEditor.view.state.doc.descendants((node) => {
      const link = node.marks.find((mark) => mark.type.name === 'link')
      if (!node.isText || !link) return
      const last = links[links.length - 1]
      if (last && last.href === link.attrs.href) last.text += node.text
      else links.push({ text: node.text!, href: String(link.attrs.href) })
    })
    return links
  })
}

/** The editor's selection as text, once ProseMirror has taken the browser's (selectionchange is asynchronous). */
const selectedText = (page: Page): Promise<string> =>
  page.evaluate(() => {
    const { state } = window.collabEditor.view
    return state.doc.textBetween(state.selection.from, state.selection.to)
  })

const editorHasFocus = (page: Page): Promise<boolean> => page.evaluate(() => window.collabEditor.view.hasFocus())

describe('the link popover', () => {
  it('creates, edits and removes a link, refuses javascript:, and the other person sees each change', async () => {
    const { session } = scope
    const path = documentPath('links')
    const ada = await session.openDocument('Ada', path, 'Ada')
    const grace = await session.openDocument('Grace', path, 'Grace')
    const popover = ada.locator('.collab-editor__link-popover')
    const input = popover.getByRole('textbox', { name: 'Link address' })

    await ada.locator('.ProseMirror').click()
    await ada.keyboard.type('Read the docs')
    await selectBackward(ada, 4)
    await poll(() => selectedText(ada)).toBe('docs')

    // Mod-K: the form, focused. A script address is refused where one can see why.
    await ada.keyboard.press('Control+k')
    await poll(() => input.evaluate((el) => el === document.activeElement)).toBe(true)
    await input.fill('javascript:alert(document.cookie)')
    await input.press('Enter')
    await poll(() => popover.locator('.collab-editor__link-error').textContent()).toMatch(/Only web \(http, https\), mailto: and relative addresses/)
    expect(await input.getAttribute('aria-invalid')).toBe('true')
    expect(await docLinks(ada)).toEqual([])

    await input.fill('https://example.com/docs')
    await input.press('Enter')
    await poll(() => popover.isVisible()).toBe(false)
    expect(await docLinks(ada)).toEqual([{ text: 'docs', href: 'https://example.com/docs' }])
    expect(await editorHasFocus(ada)).toBe(true)
    await poll(() => docLinks(grace)).toEqual([{ text: 'docs', href: 'https://example.com/docs' }])

    // The caret inside the link: its address, Open (a new tab, no opener or referrer), Edit, Remove.
    await ada.keyboard.press('ArrowLeft') // to the link's start, which is outside it (links do not extend)
    await ada.keyboard.press('ArrowRight')
    await poll(() => popover.getAttribute('data-mode')).toBe('view')
    expect(await popover.locator('.collab-editor__link-address').textContent()).toBe('https://example.com/docs')
    const open = popover.getByRole('link', { name: 'Open link in a new tab' })
    expect(await open.evaluate((a) => [a.getAttribute('href'), a.getAttribute('target'), a.getAttribute('rel')])).toEqual([
      'https://example.com/docs',
      '_blank',
      'noopener noreferrer',
    ])

    // Edit changes the whole link, though the caret is only in it.
    await popover.getByRole('button', { name: 'Edit link' }).click()
    await poll(() => input.inputValue()).toBe('https://example.com/docs')
    await input.fill('example.org/guide')
    await input.press('Enter')
    await poll(() => docLinks(ada)).toEqual([{ text: 'docs', href: 'https://example.org/guide' }])
    await poll(() => docLinks(grace)).toEqual([{ text: 'docs', href: 'https://example.org/guide' }])
    // What Grace's page renders: the schema's link, with the new address.
    expect(await grace.locator('.ProseMirror a').getAttribute('href')).toBe('https://example.org/guide')

    // Focus came back to the text, still in the link: the address view again, with the new address.
    await poll(() => popover.locator('.collab-editor__link-address').textContent()).toBe('https://example.org/guide')
    await popover.getByRole('button', { name: 'Remove link' }).click()
    await poll(() => docLinks(ada)).toEqual([])
    await poll(() => docLinks(grace)).toEqual([])
    expect(await grace.locator('.ProseMirror a').count()).toBe(0)
    expect(await docText(grace)).toBe('Read the docs')
    await poll(() => popover.isVisible()).toBe(false)

    // Escape cancels: nothing changes and the caret is back in the text.
    await ada.keyboard.press('Control+k')
    await poll(() => input.evaluate((el) => el === document.activeElement)).toBe(true)
    await input.fill('https://never.example')
    await input.press('Escape')
    await poll(() => popover.isVisible()).toBe(false)
    expect(await editorHasFocus(ada)).toBe(true)
    expect(await docLinks(ada)).toEqual([])
    expect(await docText(ada)).toBe('Read the docs')
  })

  it('the toolbar’s link button opens the same form', async () => {
    const { session } = scope
    const ada = await session.openDocument('Ada', documentPath('link-button'), 'Ada')
    await ada.locator('.ProseMirror').click()
    await ada.keyboard.type('Go ')
    await ada.locator('.collab-editor__button[data-command="link"]').click()
    const input = ada.getByRole('textbox', { name: 'Link address' })
    await poll(() => input.evaluate((el) => el === document.activeElement)).toBe(true)
    await input.fill('mailto:ada@example.com')
    await input.press('Enter')
    // No selection: the address is inserted as the link's text.
    await poll(() => docLinks(ada)).toEqual([{ text: 'mailto:ada@example.com', href: 'mailto:ada@example.com' }])
  })
})

describe('the shortcut help', () => {
  it('Mod-/ lists exactly the bindings the keymap binds, and Escape closes it and returns to the text', async () => {
    const { session } = scope
    const ada = await session.openDocument('Ada', documentPath('help'), 'Ada')
    await ada.locator('.ProseMirror').click()
    await ada.keyboard.press('Control+/')
    const dialog = ada.getByRole('dialog', { name: 'Keyboard shortcuts' })
    await poll(() => dialog.isVisible()).toBe(true)
    expect(await dialog.getAttribute('aria-modal')).toBe('true')
    await poll(() => dialog.evaluate((el) => el.contains(document.activeElement))).toBe(true)

    const shown = await dialog.locator('tbody tr').evaluateAll((rows) =>
      (rows as HTMLTableRowElement[]).map((row) => ({ description: row.cells[0].textContent, keys: [...row.cells[1].querySelectorAll('kbd')].map((kbd) => kbd.textContent) })),
    )
    // Chromium here runs on Linux: Mod is Ctrl.
    expect(shown).toEqual(shortcutRows(Object.values(keyBindings), false))
    expect(shown).toContainEqual({ description: keyBindings.bold.description, keys: ['Ctrl+B'] })

    await ada.keyboard.press('Escape')
    await poll(() => dialog.isVisible()).toBe(false)
    await poll(() => editorHasFocus(ada)).toBe(true)
    // And the keys it listed do what it said: Ctrl+B (bold) works once it is closed.
    await ada.keyboard.press('Control+b')
    await ada.keyboard.type('strong')
    await poll(() => ada.locator('.ProseMirror strong').allTextContents()).toEqual(['strong'])
  })
})

describe('the toolbar', () => {
  it('is one Tab stop, arrows/Home/End move between named buttons, Enter runs one (in <collab-editor>)', async () => {
    const { relay, session } = scope
    const page = await session.newPage('Keyboard')
    await openBlankPage(page, relay)
    await page.evaluate((server) => {
      const before = document.createElement('button')
      before.id = 'before'
      before.textContent = 'Before'
      const element = document.createElement('collab-editor')
      element.setAttribute('server', server)
      element.setAttribute('document', 'toolbar')
      document.body.append(before, element)
    }, relay.url.replace(/^http/, 'ws'))
    await page.locator('collab-editor .collab-editor[data-connection="synced"]').waitFor()
    const toolbar = page.getByRole('toolbar', { name: 'Formatting' })
    const buttons = toolbar.getByRole('button')
    const ids = await buttons.evaluateAll((all) => all.map((b) => (b as HTMLElement).dataset.command!))
    expect(ids.length).toBeGreaterThan(10)
    // Every button has a name; toggles say whether they are on.
    const described = await buttons.evaluateAll((all) => all.map((b) => [b.getAttribute('aria-label'), b.getAttribute('aria-pressed')]))
    for (const [label] of described) expect(label).toMatch(/\w/)
    expect(described[ids.indexOf('bold')]).toEqual(['Bold', 'false'])
    expect(described[ids.indexOf('undo')]).toEqual(['Undo', null])
    expect(await buttons.evaluateAll((all) => all.filter((b) => (b as HTMLElement).tabIndex === 0).length)).toBe(1)

    await page.locator('#before').focus()
    await page.keyboard.press('Tab')
    await poll(() => focusedControl(page)).toBe(ids[0])
    // A visible focus ring for the keyboard.
    expect(await buttons.first().evaluate((b) => [getComputedStyle(b).outlineStyle, getComputedStyle(b).outlineWidth])).toEqual(['solid', '2px'])
    await page.keyboard.press('Tab') // past the whole toolbar in one press
    await poll(() => focusedControl(page)).toBe('editor')
    await page.keyboard.press('Shift+Tab')
    await poll(() => focusedControl(page)).toBe(ids[0])

    await page.keyboard.press('ArrowRight')
    await poll(() => focusedControl(page)).toBe(ids[1])
    await page.keyboard.press('End')
    await poll(() => focusedControl(page)).toBe(ids[ids.length - 1])
    await page.keyboard.press('ArrowRight') // wraps
    await poll(() => focusedControl(page)).toBe(ids[0])
    await page.keyboard.press('ArrowLeft')
    await poll(() => focusedControl(page)).toBe(ids[ids.length - 1])
    await page.keyboard.press('Home')
    await poll(() => focusedControl(page)).toBe(ids[0])
    while ((await focusedControl(page)) !== 'bold') await page.keyboard.press('ArrowRight')

    // Enter runs it and puts the caret back in the text, which then types bold.
    await page.keyboard.press('Enter')
    await poll(() => focusedControl(page)).toBe('editor')
    await page.keyboard.type('bold words')
    await poll(() => page.locator('collab-editor .ProseMirror strong').allTextContents()).toEqual(['bold words'])
    // The buttons' states follow once the page is idle (client/toolbar.ts).
    await poll(() => toolbar.locator('[data-command="bold"]').getAttribute('aria-pressed')).toBe('true')
    // Back into the toolbar: it remembers the button last used.
    await page.keyboard.press('Shift+Tab')
    await poll(() => focusedControl(page)).toBe('bold')
  })

  it('announces the sync status politely', async () => {
    const { session } = scope
    const ada = await session.openDocument('Ada', documentPath('status'), 'Ada')
    const status = ada.getByRole('status')
    expect(await status.evaluate((el) => [el.getAttribute('aria-live'), el.className])).toEqual(['polite', 'collab-editor__status'])
  })
})

describe('on a phone', () => {
  it('at 390 px the toolbar is one scrolling row and nothing widens the page, the link form included', async () => {
    const { relay, session } = scope
    const page = await session.newPage('Phone', { width: 390, height: 844 })
    await openBlankPage(page, relay)
    await page.evaluate((server) => {
      window.collabEditor = window.collabLibrary.createCollabEditor(document.querySelector('#editor')!, { server, document: 'phone' })
    }, relay.url.replace(/^http/, 'ws'))
    await page.locator('.collab-editor[data-connection="synced"]').waitFor()
    const toolbar = page.locator('.collab-editor__toolbar')
    const layout = () =>
      toolbar.evaluate((bar) => {
        const tops = [...bar.querySelectorAll('button')].map((b) => Math.round(b.getBoundingClientRect().top))
        return { rows: new Set(tops).size, scrolls: bar.scrollWidth > bar.clientWidth, overflowX: getComputedStyle(bar).overflowX, pageWidth: document.documentElement.scrollWidth }
      })
    expect(await layout()).toEqual({ rows: 1, scrolls: true, overflowX: 'auto', pageWidth: 390 })

    await page.locator('.ProseMirror').click()
    await page.keyboard.type('A long line of text with a verylongwordthatcannotbreakanywhereatallonaphonescreen in it')
    await page.keyboard.press('Control+k')
    await page.getByRole('textbox', { name: 'Link address' }).fill('javascript:void(0)')
    await page.keyboard.press('Enter')
    await page.locator('.collab-editor__link-error:not(:empty)').waitFor()
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390)
    const box = await page.locator('.collab-editor__link-popover').boundingBox()
    expect(box!.x).toBeGreaterThanOrEqual(0)
    expect(box!.x + box!.width).toBeLessThanOrEqual(390)
  })

  it('the demo document page does not scroll sideways at 390 px', async () => {
    const { relay, session } = scope
    const page = await session.newPage('Phone', { width: 390, height: 844 })
    await page.goto(relay.url + documentPath('phone page'))
    await page.locator('.collab-editor[data-connection="synced"]').waitFor()
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390)
    expect(await page.locator('.collab-editor__toolbar button').evaluateAll((all) => new Set(all.map((b) => Math.round(b.getBoundingClientRect().top))).size)).toBe(1)
  })
})

describe('accessibility audit (axe-core)', () => {
  it('the document page has no serious or critical violations: as opened, with the link popover, with the help open, with a task list and a table', async () => {
    const { session } = scope
    const ada = await session.openDocument('Ada', documentPath('audit'), 'Ada')
    await ada.locator('.ProseMirror').click()
    await ada.keyboard.type('# Audit')
    await ada.keyboard.press('Enter')
    await ada.keyboard.type('A paragraph with a link')
    expect(await audit(ada)).toEqual([])

    await selectBackward(ada, 4)
    await poll(() => selectedText(ada)).toBe('link')
    await ada.keyboard.press('Control+k')
    const input = ada.getByRole('textbox', { name: 'Link address' })
    await input.fill('data:text/html,hi')
    await input.press('Enter') // the form with its error showing
    await ada.locator('.collab-editor__link-error:not(:empty)').waitFor()
    expect(await audit(ada)).toEqual([])
    await input.fill('https://example.com')
    await input.press('Enter')
    await ada.keyboard.press('ArrowLeft')
    await ada.keyboard.press('ArrowRight')
    await poll(() => ada.locator('.collab-editor__link-popover').getAttribute('data-mode')).toBe('view')
    expect(await audit(ada)).toEqual([])

    await ada.keyboard.press('Control+/')
    await poll(() => ada.getByRole('dialog', { name: 'Keyboard shortcuts' }).isVisible()).toBe(true)
    expect(await audit(ada)).toEqual([])
    await ada.keyboard.press('Escape')

    // A task list and a table, the caret in the table so that its toolbar shows (audited in dark mode too).
    await poll(() => editorHasFocus(ada)).toBe(true)
    await moveCaret(ada, 'Control+End')
    await ada.keyboard.press('Enter')
    await ada.keyboard.type('[x] A done task')
    await ada.keyboard.press('Enter')
    await ada.keyboard.type('An open task')
    await ada.keyboard.press('Enter')
    await ada.keyboard.press('Enter')
    await ada.locator('.collab-editor__toolbar [data-command="table"]').click()
    await ada.keyboard.type('Header')
    await poll(() => ada.getByRole('toolbar', { name: 'Table' }).isVisible()).toBe(true)
    expect(await ada.locator('.ProseMirror').getByRole('checkbox').count()).toBe(2)
    expect(await audit(ada)).toEqual([])

    // The same page in dark mode.
    await ada.emulateMedia({ colorScheme: 'dark' })
    await poll(() => ada.locator('.collab-editor').evaluate((el) => getComputedStyle(el).backgroundColor)).toBe('rgb(26, 27, 30)')
    expect(await audit(ada)).toEqual([])
  })

  it('the documents home has no serious or critical violations, light and dark, with its dialogs', async () => {
    const { session, relay } = scope
    const ada = await session.openDocument('Ada', documentPath('listed'), 'Ada')
    await ada.locator('#document-title').fill('A listed document')
    await ada.keyboard.press('Enter')
    await ada.keyboard.type('Some text')
    const home = await session.newPage('Home')
    await home.goto(`${relay.url}/`)
    await home.locator('#all-list li').first().waitFor()
    expect(await audit(home)).toEqual([])
    await home.locator('#new-document').click()
    expect(await audit(home)).toEqual([])
    await home.keyboard.press('Escape')
    await home.emulateMedia({ colorScheme: 'dark' })
    await poll(() => home.evaluate(() => getComputedStyle(document.body).backgroundColor)).toBe('rgb(20, 21, 23)')
    expect(await audit(home)).toEqual([])
  })
})
