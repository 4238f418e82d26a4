/**
 * Task lists and images in a real Chromium (issue 13), and all the blocks
 * together: two people, Ada and Grace, in separate browser profiles on one
 * document, each change made through the editor's own interface (toolbar,
 * checkboxes, keys, the image dialog) and read back from both editors'
 * state and pages. Tables: tables.browser.test.ts.
 */
import { mkdirSync } from 'node:fs'
import { dirname } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { Page } from 'playwright-core'
import { describe, expect, it } from 'vitest'
import { documentPath } from '../../client/app/routes.ts'
import { MISSING_ALT_MESSAGE, UNSAFE_IMAGE_MESSAGE } from '../../client/images.ts'
import { editorHasFocus, openPair, tableButton, tableGrid } from './support/blocks.ts'
import { clickInto, docJson, moveCaret, openBlankPage, useBrowserTests, waitForEditor } from './support/browser.ts'
import { audit } from './support/axe.ts'

const SCREENSHOT = fileURLToPath(new URL('../../docs/screenshot-blocks.png', import.meta.url))
/** A small drawing the relay serves for the image tests (an http URL: the schema refuses data: images). */
const CHART_PATH = '/e2e/chart.svg'
const CHART_SVG =
  '<svg xmlns="http://www.w3.org/2000/svg" width="360" height="140" viewBox="0 0 360 140">' +
  '<rect width="360" height="140" rx="8" fill="#e7f5ff"/>' +
  '<rect x="30" y="70" width="50" height="50" fill="#1971c2"/><rect x="110" y="40" width="50" height="80" fill="#1971c2"/>' +
  '<rect x="190" y="55" width="50" height="65" fill="#1971c2"/><rect x="270" y="20" width="50" height="100" fill="#2f9e44"/>' +
  '</svg>'

const scope = useBrowserTests({
  routes: (app) => app.get(CHART_PATH, (c) => c.body(CHART_SVG, 200, { 'content-type': 'image/svg+xml' })),
})

const poll = <T>(read: () => Promise<T>, timeout = 10_000) => expect.poll(read, { timeout, interval: 25 })

/** Every task item in the document as `[x] text` or `[ ] text`. */
function tasks(page: Page): Promise<string[]> {
  return page.evaluate(() => {
    const items: string[] = []
    window.collabEditor.view.state.doc.descendants((node) => {
      if (node.type.name === 'taskItem') items.push(`[${node.attrs.checked ? 'x' : ' '}] ${node.firstChild?.textContent ?? ''}`)
    })
    return items
  })
}

/** Every image in the document: its address and description. */
function images(page: Page): Promise<{ src: string; alt: string }[]> {
  return page.evaluate(() => {
    const found: { src: string; alt: string }[] = []
    window.collabEditor.view.state.doc.descendants((node) => {
      if (node.type.name === 'image') found.push({ src: String(node.attrs.src), alt: String(node.attrs.alt ?? '') })
    })
    return found
  })
}

describe('task lists', () => {
  it('Ada makes a task list and checks an item with the mouse; Grace unchecks it with the keyboard; Ada undoes her own toggle', async () => {
    const [ada, grace] = await openPair(scope.session, 'tasks')
    await ada.locator('.ProseMirror').click()
    await ada.keyboard.type('[ ] Buy milk')
    await ada.keyboard.press('Enter')
    await ada.keyboard.type('Call Bob')
    await poll(() => tasks(ada)).toEqual(['[ ] Buy milk', '[ ] Call Bob'])
    await poll(() => tasks(grace)).toEqual(['[ ] Buy milk', '[ ] Call Bob'])

    // A real checkbox, named after its task.
    const milk = ada.getByRole('checkbox', { name: 'Buy milk' })
    expect(await milk.isChecked()).toBe(false)
    await milk.click()
    await poll(() => tasks(ada)).toEqual(['[x] Buy milk', '[ ] Call Bob'])
    // The click left the caret where it was (typing goes on in "Call Bob").
    expect(await editorHasFocus(ada)).toBe(true)
    await ada.keyboard.type('!')
    await poll(() => tasks(grace)).toEqual(['[x] Buy milk', '[ ] Call Bob!'])
    const graceMilk = grace.getByRole('checkbox', { name: 'Buy milk' })
    await poll(() => graceMilk.isChecked()).toBe(true)
    expect(await grace.locator('li[data-type="taskItem"][data-checked="true"]').textContent()).toBe('Buy milk')
    // Done items are struck through.
    expect(await grace.locator('li[data-checked="true"] > div > p').evaluate((p) => getComputedStyle(p).textDecorationLine)).toBe('line-through')

    // Grace, from the keyboard: the caret in the task, Ctrl+Enter.
    await clickInto(grace, 'Buy milk')
    await grace.keyboard.press('Control+Enter')
    await poll(() => tasks(grace)).toEqual(['[ ] Buy milk', '[ ] Call Bob!'])
    await poll(() => tasks(ada)).toEqual(['[ ] Buy milk', '[ ] Call Bob!'])
    await poll(() => milk.isChecked()).toBe(false)

    // Ada types, checks "Call Bob" at once, then undoes: only the check goes back (its own undo
    // step, not merged with the typing just before it), and Grace's uncheck stays.
    await ada.keyboard.type(' today')
    await ada.getByRole('checkbox', { name: 'Call Bob! today' }).click()
    await poll(() => tasks(ada)).toEqual(['[ ] Buy milk', '[x] Call Bob! today'])
    await poll(() => tasks(grace)).toEqual(['[ ] Buy milk', '[x] Call Bob! today'])
    await ada.keyboard.press('Control+z')
    await poll(() => tasks(ada)).toEqual(['[ ] Buy milk', '[ ] Call Bob! today'])
    await poll(() => tasks(grace)).toEqual(['[ ] Buy milk', '[ ] Call Bob! today'])
    await poll(() => ada.getByRole('checkbox', { name: 'Call Bob! today' }).isChecked()).toBe(false)
    await poll(() => docJson(ada)).toEqual(await docJson(grace))
  })

  it('Enter makes a new open task, Tab nests it, Backspace at its start makes it text again; the toolbar button too', async () => {
    const [ada, grace] = await openPair(scope.session, 'task keys')
    await ada.locator('.ProseMirror').click()
    await ada.keyboard.type('[x] Done already')
    await ada.keyboard.press('Enter')
    await ada.keyboard.type('Sub-task')
    await ada.keyboard.press('Tab')
    await poll(() => tasks(ada)).toEqual(['[x] Done already', '[ ] Sub-task'])
    await poll(() =>
      grace.evaluate(() => {
        const outer = window.collabEditor.view.state.doc.firstChild!
        return outer.firstChild!.lastChild!.type.name // the nested task list inside the first task
      }),
    ).toBe('taskList')
    await ada.keyboard.press('Enter')
    await ada.keyboard.press('Enter') // an empty task: leave the nested list
    await ada.keyboard.press('Enter') // and the outer one
    await ada.keyboard.type('After')
    await poll(() => tasks(ada)).toEqual(['[x] Done already', '[ ] Sub-task'])

    await clickInto(ada, 'Sub-task')
    await ada.keyboard.press('Home')
    await poll(() => ada.evaluate(() => window.collabEditor.view.state.selection.$head.parentOffset)).toBe(0)
    await ada.keyboard.press('Backspace') // out of the nested list, into the outer one
    await ada.keyboard.press('Backspace') // out of the list: a paragraph
    await poll(() => tasks(ada)).toEqual(['[x] Done already'])
    await poll(() => tasks(grace)).toEqual(['[x] Done already'])

    // The toolbar's task list button makes the paragraph a task again, pressed while in one.
    const button = ada.locator('.collab-editor__toolbar [data-command="taskList"]')
    await poll(() => button.getAttribute('aria-pressed')).toBe('false')
    await button.click()
    await poll(() => tasks(grace)).toEqual(['[x] Done already', '[ ] Sub-task'])
    await poll(() => button.getAttribute('aria-pressed')).toBe('true')
  })
})

describe('images', () => {
  it('an image by URL: unsafe addresses are refused, a description is asked for, Grace sees it; a broken one shows its description', async () => {
    const { relay, session } = scope
    const [ada, grace] = await openPair(scope.session, 'images')
    await ada.locator('.ProseMirror').click()
    await ada.keyboard.type('A chart:')
    await ada.locator('.collab-editor__toolbar [data-command="image"]').click()
    const dialog = ada.getByRole('dialog', { name: 'Insert image' })
    const address = dialog.getByRole('textbox', { name: 'Image address' })
    const description = dialog.getByRole('textbox', { name: 'Description (alt text)' })
    await poll(() => address.evaluate((el) => el === document.activeElement)).toBe(true)

    await address.fill('javascript:alert(document.cookie)')
    await description.fill('Nothing')
    await address.press('Enter')
    await poll(() => dialog.locator('.collab-editor__image-error').textContent()).toBe(UNSAFE_IMAGE_MESSAGE)
    expect(await address.getAttribute('aria-invalid')).toBe('true')
    expect(await images(ada)).toEqual([])

    const src = relay.url + CHART_PATH
    await address.fill(src)
    await description.fill('')
    await dialog.getByRole('button', { name: 'Insert' }).click()
    await poll(() => dialog.locator('.collab-editor__image-error').textContent()).toBe(MISSING_ALT_MESSAGE)
    expect(await description.getAttribute('aria-invalid')).toBe('true')
    expect(await audit(ada)).toEqual([]) // the dialog with its error showing

    await description.fill('Bar chart of four weeks, the last the highest')
    await description.press('Enter')
    await poll(() => dialog.isVisible()).toBe(false)
    expect(await editorHasFocus(ada)).toBe(true)
    await poll(() => images(grace)).toEqual([{ src, alt: 'Bar chart of four weeks, the last the highest' }])
    // Grace's page has the image loaded, with its alt text, and no wider than the text.
    const img = grace.getByRole('img', { name: 'Bar chart of four weeks, the last the highest' })
    await poll(() => img.evaluate((el: HTMLImageElement) => el.complete && el.naturalWidth)).toBe(360)
    expect(await img.evaluate((el) => getComputedStyle(el).maxWidth)).toBe('100%')

    // Double-click to change it: marked decorative, it keeps an empty description.
    await ada.locator('.ProseMirror img').dblclick()
    const edit = ada.getByRole('dialog', { name: 'Edit image' })
    await poll(() => edit.getByRole('textbox', { name: 'Image address' }).inputValue()).toBe(src)
    await edit.getByRole('checkbox', { name: /Decorative/ }).check()
    expect(await edit.getByRole('textbox', { name: 'Description (alt text)' }).isDisabled()).toBe(true)
    await edit.getByRole('button', { name: 'Save' }).click()
    await poll(() => images(grace)).toEqual([{ src, alt: '' }])

    // An address that does not answer: its description shows in its place.
    session.allowConsoleErrors(/^Failed to load resource: the server responded with a status of 404 \(Not Found\)$/) // the missing image itself
    await moveCaret(ada, 'Control+End')
    await ada.locator('.collab-editor__toolbar [data-command="image"]').click()
    await dialog.getByRole('textbox', { name: 'Image address' }).fill(`${relay.url}/e2e/missing.png`)
    await dialog.getByRole('textbox', { name: 'Description (alt text)' }).fill('Sales by region')
    await dialog.getByRole('button', { name: 'Insert' }).click()
    await poll(() => images(grace).then((all) => all.length)).toBe(2)
    const fallback = grace.locator('.collab-editor__image.is-broken .collab-editor__image-fallback')
    await poll(() => fallback.isVisible()).toBe(true)
    expect(await fallback.textContent()).toBe('Image not loaded: Sales by region')
    await poll(() => docJson(ada)).toEqual(await docJson(grace))
  })
})

describe('a selected block deleted by the other person', () => {
  /** Ada and Grace on a new document where Ada has typed "Before the chart" and inserted an image after it. */
  async function chartAfterText(name: string): Promise<[Page, Page]> {
    const [ada, grace] = await openPair(scope.session, name)
    await ada.locator('.ProseMirror').click()
    await ada.keyboard.type('Before the chart')
    await ada.locator('.collab-editor__toolbar [data-command="image"]').click()
    const dialog = ada.getByRole('dialog', { name: 'Insert image' })
    await dialog.getByRole('textbox', { name: 'Image address' }).fill(scope.relay.url + CHART_PATH)
    await dialog.getByRole('textbox', { name: 'Description (alt text)' }).fill('A chart')
    await dialog.getByRole('button', { name: 'Insert' }).click()
    await poll(() => dialog.isVisible()).toBe(false)
    return [ada, grace]
  }

  it('Ada has the image selected when Grace deletes it: Ada’s editor shows Grace’s document, with a caret beside where the image was', async () => {
    const [ada, grace] = await chartAfterText('selected-image')
    await ada.keyboard.type('After the chart')
    await poll(() => grace.evaluate(() => window.collabEditor.view.state.doc.textContent)).toBe('Before the chartAfter the chart')
    const selected = (page: Page) =>
      page.evaluate(() => {
        const { selection, doc } = window.collabEditor.view.state
        return { type: selection.toJSON().type, node: doc.nodeAt(selection.from)?.type.name, from: selection.from, to: selection.to }
      })
    // Ada clicks the image: a node selection.
    await ada.locator('.ProseMirror img').click()
    await poll(() => selected(ada)).toMatchObject({ type: 'node', node: 'image' })
    // Grace deletes the image (by her view: her own selection is elsewhere).
    await grace.evaluate(() => {
      const { view } = window.collabEditor
      const at = view.state.doc.child(0).nodeSize
      view.dispatch(view.state.tr.delete(at, at + view.state.doc.child(1).nodeSize))
    })
    await poll(() => images(ada)).toEqual([])
    await poll(() => docJson(ada)).toEqual(await docJson(grace))
    // y-prosemirror 1.3.7 would select the paragraph now in the image's place, and Ada's next key
    // would replace it: a caret at the end of the text before the image instead.
    expect(await selected(ada)).toEqual({ type: 'text', node: undefined, from: 17, to: 17 })
    await ada.keyboard.type('!')
    await poll(() => grace.evaluate(() => window.collabEditor.view.state.doc.textContent)).toBe('Before the chart!After the chart')
  })

  it('and when the image was the document’s last block, Ada’s editor still shows Grace’s change (y-prosemirror 1.3.7 threw and kept the image)', async () => {
    const [ada, grace] = await chartAfterText('selected-last-image')
    await poll(() => images(grace).then((all) => all.length)).toBe(1)
    await ada.locator('.ProseMirror img').click()
    await poll(() => ada.evaluate(() => window.collabEditor.view.state.selection.toJSON().type)).toBe('node')
    // Grace removes everything after the first paragraph: where the image was is now the document's end.
    await grace.evaluate(() => {
      const { view } = window.collabEditor
      view.dispatch(view.state.tr.delete(view.state.doc.child(0).nodeSize, view.state.doc.content.size))
    })
    await poll(() => images(ada)).toEqual([])
    await poll(() => docJson(ada)).toEqual(await docJson(grace))
    expect(await ada.evaluate(() => window.collabEditor.view.state.selection.toJSON())).toEqual({ type: 'text', anchor: 17, head: 17 })
  })
})

describe('the embeddable editor', () => {
  it('<collab-editor> has them too: a table from its toolbar, a task list typed, the table toolbar; read-only, nothing to change', async () => {
    const { relay, session } = scope
    const page = await session.newPage('Embed')
    await openBlankPage(page, relay)
    await page.evaluate((server) => {
      const element = document.createElement('collab-editor')
      element.setAttribute('server', server)
      element.setAttribute('document', 'embedded blocks')
      document.body.append(element)
    }, relay.url.replace(/^http/, 'ws'))
    await page.locator('collab-editor .collab-editor[data-connection="synced"]').waitFor()
    await page.locator('collab-editor .ProseMirror').click()
    await page.keyboard.type('[ ] Embedded task')
    await page.keyboard.press('Enter')
    await page.keyboard.press('Enter')
    await page.locator('collab-editor [data-command="table"]').click()
    await page.keyboard.type('Cell')
    await poll(() => page.getByRole('toolbar', { name: 'Table' }).isVisible()).toBe(true)
    await page.getByRole('checkbox', { name: 'Embedded task' }).click()
    // The element's editor, through its `handle`.
    const shape = () =>
      page.evaluate(() => {
        const element = document.querySelector('collab-editor') as unknown as { handle: { view: { state: { doc: { toJSON(): unknown } } } } }
        return JSON.stringify(element.handle.view.state.doc.toJSON())
      })
    await poll(shape).toContain('"type":"taskItem","attrs":{"checked":true}')
    expect(await shape()).toContain('"type":"tableHeader"')

    // A read-only editor of the same document: the box shows the tick but cannot be changed,
    // and no table toolbar offers changes.
    const reader = await session.newPage('Reader')
    await openBlankPage(reader, relay)
    await reader.evaluate((server) => {
      const element = document.createElement('collab-editor')
      element.setAttribute('server', server)
      element.setAttribute('document', 'embedded blocks')
      element.setAttribute('read-only', '')
      document.body.append(element)
    }, relay.url.replace(/^http/, 'ws'))
    const box = reader.getByRole('checkbox', { name: 'Embedded task' })
    await poll(() => box.isChecked()).toBe(true)
    expect(await box.isDisabled()).toBe(true)
    await reader.locator('collab-editor td').first().click()
    await poll(() => reader.evaluate(() => document.activeElement?.classList.contains('ProseMirror'))).toBe(true)
    expect(await reader.getByRole('toolbar', { name: 'Table' }).isVisible()).toBe(false)
  })
})

describe('the blocks together', () => {
  it('pass the axe audit (light and dark), fit a 390 px phone, and make the screenshot', async () => {
    const { relay, session } = scope
    const path = documentPath('blocks')
    const ada = await session.openDocument('Ada', path, 'Ada')
    await ada.locator('#document-title').fill('Launch checklist')
    await ada.keyboard.press('Enter')
    await ada.keyboard.type('Everything for Friday’s launch:')
    await ada.keyboard.press('Enter')
    await ada.keyboard.type('[x] Write the announcement')
    await ada.keyboard.press('Enter')
    await ada.keyboard.type('Book the room')
    await ada.keyboard.press('Enter')
    await ada.keyboard.type('Send invitations')
    await ada.keyboard.press('Enter')
    await ada.keyboard.press('Enter')
    await ada.locator('.collab-editor__toolbar [data-command="image"]').click()
    await ada.getByRole('textbox', { name: 'Image address' }).fill(relay.url + CHART_PATH)
    await ada.getByRole('textbox', { name: 'Description (alt text)' }).fill('Sign-ups per week')
    await ada.keyboard.press('Enter')
    await ada.locator('.collab-editor__toolbar [data-command="table"]').click()
    for (const [index, text] of ['Task', 'Owner', 'Due', 'Slides', 'Ada', 'Mon', 'Demo', 'Grace', 'Wed'].entries()) {
      if (index > 0) await ada.keyboard.press('Tab')
      await ada.keyboard.type(text)
    }
    await poll(() => tableGrid(ada).then((rows) => rows[2])).toEqual(['c:Demo', 'c:Grace', 'c:Wed'])
    await poll(() => ada.getByRole('toolbar', { name: 'Table' }).isVisible()).toBe(true)
    expect(await audit(ada)).toEqual([])
    await ada.emulateMedia({ colorScheme: 'dark' })
    await poll(() => ada.locator('.collab-editor').evaluate((el) => getComputedStyle(el).backgroundColor)).toBe('rgb(26, 27, 30)')
    // Table borders and header cells follow the theme.
    expect(await ada.locator('.ProseMirror th').first().evaluate((th) => getComputedStyle(th).backgroundColor)).toBe('rgb(37, 38, 43)')
    expect(await audit(ada)).toEqual([])

    // A phone: a table grown wide and its toolbar stay within the screen's width (the table scrolls inside).
    const phone = await session.newPage('Phone', { width: 390, height: 844 })
    await phone.goto(`${relay.url}${documentPath('blocks on a phone')}?user=Phone`)
    await waitForEditor(phone)
    await phone.locator('.ProseMirror').click()
    await phone.locator('.collab-editor__toolbar [data-command="table"]').click()
    await poll(() => phone.getByRole('toolbar', { name: 'Table' }).isVisible()).toBe(true)
    for (let i = 0; i < 5; i++) await tableButton(phone, 'Insert column right')
    await poll(() => tableGrid(phone).then((rows) => rows[0].length)).toBe(8)
    expect(await phone.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390)
    const bar = (await phone.getByRole('toolbar', { name: 'Table' }).boundingBox())!
    expect(bar.x).toBeGreaterThanOrEqual(0)
    expect(bar.x + bar.width).toBeLessThanOrEqual(390)
    await phone.close()

    // The screenshot: light theme, 1200 px wide, as Grace opens it.
    const shot = await session.newPage('Screenshot', { width: 1200, height: 900 })
    await shot.goto(`${relay.url}${path}?user=Grace`)
    await waitForEditor(shot)
    await poll(() => tableGrid(shot).then((rows) => rows[0].length)).toBe(3)
    await poll(() => shot.locator('.collab-editor__image img').evaluate((el: HTMLImageElement) => el.complete && el.naturalWidth > 0)).toBe(true)
    // Grace in the table: its toolbar shows.
    await clickInto(shot, 'Slides')
    await poll(() => shot.getByRole('toolbar', { name: 'Table' }).isVisible()).toBe(true)
    mkdirSync(dirname(SCREENSHOT), { recursive: true })
    await shot.screenshot({ path: SCREENSHOT })
  })
})
