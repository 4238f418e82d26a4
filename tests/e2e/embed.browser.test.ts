/**
 * examples/embed.html in a real Chromium: the library as other sites load it
 * from the relay (/lib/collab-editor.js), used both as <collab-editor> and
 * through createCollabEditor, on the same document as the demo app.
 */
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { Page } from 'playwright-core'
import { describe, expect, it } from 'vitest'
import type { CollabEditorElement } from '../../client/element.ts'
import { docText, moveCaret, openBlankPage, peopleShown, useBrowserTests } from './support/browser.ts'

const scope = useBrowserTests()

const poll = <T>(read: () => Promise<T>, timeout = 10_000) => expect.poll(read, { timeout, interval: 25 })

/** The <collab-editor> element's document text, read from its editor handle. */
const elementText = (page: Page): Promise<string | undefined> =>
  page.evaluate(() => document.querySelector<CollabEditorElement>('collab-editor')?.handle?.view.state.doc.textContent)

describe('the embedding example', () => {
  it('the function editor edits the same document as the demo app, and its status output reaches Saved', async () => {
    const { relay, session } = scope
    const page = await session.newPage('Embed')
    await page.goto(`${relay.url}/examples/embed.html`)
    await page.waitForFunction(() => window.embedded !== undefined)
    // The same document in the demo app, the name's '/' percent-encoded in the page path.
    const reader = await session.openDocument('Reader', '/d/examples%2Fembed', 'Reader')

    await page.locator('#function-editor .ProseMirror').click()
    await page.keyboard.type('Typed in the function editor.')
    await poll(() => docText(reader)).toBe('Typed in the function editor.')
    await poll(() => page.locator('#function-status').textContent()).toBe('Saved')

    // And back: the reader's edit reaches the embedded editor.
    await moveCaret(reader, 'Control+End')
    await reader.keyboard.type(' And a reply.')
    await poll(() => docText(page, 'embedded')).toBe('Typed in the function editor. And a reply.')
    await poll(() => peopleShown(reader)).toEqual(expect.arrayContaining(['Reader (you)', 'Function user']))
  })

  it('the custom element renders too and shows what the function editor types', async () => {
    const { relay, session } = scope
    const page = await session.newPage('Embed')
    await page.goto(`${relay.url}/examples/embed.html`)
    await page.waitForFunction(() => window.embedded !== undefined)
    // The page sets the element's server attribute after the element is on the page (as any
    // script that configures it would); the element starts then, once.
    await poll(() => page.locator('.ProseMirror').count(), 2000).toBe(2)

    await page.locator('#function-editor .ProseMirror').click()
    await page.keyboard.type('Typed in the function editor.')
    await poll(() => elementText(page)).toBe('Typed in the function editor.')
    await page.locator('collab-editor .collab-editor[data-connection="synced"][data-saved="true"]').waitFor()
    await poll(() => peopleShown(page, 'collab-editor')).toEqual(['Element user (you)', 'Function user'])
  })

  it('serves the library with CORS, so a page on another origin can load it and edit', async () => {
    const { relay, session } = scope
    for (const [file, type] of [
      ['collab-editor.js', /javascript/],
      ['collab-editor.css', /css/],
    ] as const) {
      const response = await fetch(`${relay.url}/lib/${file}`, { headers: { origin: 'http://127.0.0.1:1' } })
      expect(response.status, file).toBe(200)
      expect(response.headers.get('access-control-allow-origin'), file).toBe('*')
      expect(response.headers.get('content-type'), file).toMatch(type)
      await response.arrayBuffer()
    }

    // Another origin (same host, another port): a module script from the relay needs the CORS header.
    const embedder = createServer((_request, response) => {
      response.writeHead(200, { 'content-type': 'text/html; charset=utf-8' })
      response.end(`<!doctype html>
<meta charset="utf-8" /><link rel="icon" href="data:," />
<link rel="stylesheet" href="${relay.url}/lib/collab-editor.css" />
<div id="editor"></div>
<script type="module">
  import { createCollabEditor } from '${relay.url}/lib/collab-editor.js'
  window.embedded = createCollabEditor(document.querySelector('#editor'), {
    server: '${relay.url.replace(/^http/, 'ws')}',
    document: 'examples/embed',
    user: { name: 'Elsewhere' },
  })
</script>`)
    })
    await new Promise<void>((resolve) => embedder.listen(0, '127.0.0.1', resolve))
    try {
      const page = await session.newPage('Other origin')
      await page.goto(`http://127.0.0.1:${(embedder.address() as AddressInfo).port}/`)
      await page.waitForFunction(() => window.embedded !== undefined)
      await page.locator('#editor .ProseMirror').click()
      await page.keyboard.type('From another origin.')
      await page.locator('.collab-editor[data-connection="synced"][data-saved="true"]').waitFor()
      const reader = await session.openDocument('Reader', '/d/examples%2Fembed', 'Reader')
      await poll(() => docText(reader)).toBe('From another origin.')
    } finally {
      embedder.closeAllConnections()
      await new Promise((resolve) => embedder.close(resolve))
    }
  })
})

describe('the theme an embedding page sets', () => {
  it('comes from the nearest data-theme: on the editor or the element around it, then a themed section, then the page', async () => {
    const { relay, session } = scope
    const page = await session.newPage('Host')
    await openBlankPage(page, relay)
    // Only the stylesheet is needed: each case is a bare .collab-editor element in its own nesting.
    const background = (html: string | null, markup: string): Promise<string> =>
      page.evaluate(
        ([theme, inner]) => {
          if (theme === null) delete document.documentElement.dataset.theme
          else document.documentElement.dataset.theme = theme
          const host = document.createElement('div')
          host.innerHTML = inner
          document.body.append(host)
          const color = getComputedStyle(host.querySelector('.collab-editor')!).backgroundColor
          host.remove()
          return color
        },
        [html, markup] as const,
      )
    const DARK = 'rgb(26, 27, 30)'
    const LIGHT = 'rgb(255, 255, 255)'
    expect(await background(null, '<div class="collab-editor"></div>')).toBe(LIGHT)
    expect(await background('dark', '<div class="collab-editor"></div>')).toBe(DARK)
    // A light page with a dark editor: on the editor, on its element, on a section further out.
    expect(await background('light', '<div class="collab-editor" data-theme="dark"></div>')).toBe(DARK)
    expect(await background('light', '<collab-host data-theme="dark"><div class="collab-editor"></div></collab-host>')).toBe(DARK)
    expect(await background('light', '<section data-theme="dark"><div><div class="collab-editor"></div></div></section>')).toBe(DARK)
    expect(await background('auto', '<section data-theme="dark"><div><div class="collab-editor"></div></div></section>')).toBe(DARK)
    // And the other way round.
    expect(await background('dark', '<div class="collab-editor" data-theme="light"></div>')).toBe(LIGHT)
    expect(await background('dark', '<section data-theme="light"><div><div class="collab-editor"></div></div></section>')).toBe(LIGHT)
    await page.emulateMedia({ colorScheme: 'dark' })
    expect(await background('auto', '<div class="collab-editor"></div>')).toBe(DARK)
    expect(await background('dark', '<div data-theme="auto"><div class="collab-editor"></div></div>')).toBe(DARK)
    await page.emulateMedia({ colorScheme: 'light' })
    expect(await background('dark', '<div data-theme="auto"><div class="collab-editor"></div></div>')).toBe(LIGHT)
  })
})
