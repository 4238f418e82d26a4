/**
 * One document, two editors, two dialects (issue 15): a stock Tiptap editor
 * whose Collaboration extension runs over `@hocuspocus/provider` on the
 * relay's root URL, and this project's editor page over y-websocket. Each
 * sees the other's typing; the Hocuspocus provider's unsynced changes reach
 * 0 once the relay has stored them; both end with the stored document.
 *
 * The Tiptap page is bundled once for this file with vite's `build()` from
 * `support/tiptap-hocuspocus-page.ts` (`useTiptapBundle`), and served by a
 * route of the test's relay.
 */
import type { Page } from 'playwright-core'
import { describe, expect, it } from 'vitest'
import * as Y from 'yjs'
import { documentPath } from '../../client/app/routes.ts'
import { FRAGMENT_NAME } from '../../shared/schema.ts'
import { docText, useBrowserTests } from './support/browser.ts'
import { useTiptapBundle } from './support/tiptap-bundle.ts'
// (Types only: the module runs in the page; its `declare global` gives `window.tiptapHocuspocus`.)
import type { TiptapHocuspocusPage as _Page } from './support/tiptap-hocuspocus-page.ts'

const PAGE = '/e2e/tiptap-hocuspocus'
const NAME = 'tiptap-hocuspocus'

const tiptapPage = useTiptapBundle({ entry: 'tiptap-hocuspocus-page.ts', path: PAGE, script: 'page.js' })

const scope = useBrowserTests({ routes: (app) => tiptapPage.serve(app) })

const poll = <T>(read: () => Promise<T>, timeout = 10_000) => expect.poll(read, { timeout, interval: 25 })
const tiptapText = (page: Page): Promise<string> => page.evaluate(() => window.tiptapHocuspocus.editor.state.doc.textContent)

describe('a Tiptap editor over @hocuspocus/provider and ours over y-websocket', () => {
  it('co-edit one document, and the provider counts its changes saved only once stored', async () => {
    const { session, relay } = scope
    const tiptap = await session.newPage('Tiptap')
    await tiptap.goto(`${relay.url}${PAGE}?doc=${encodeURIComponent(NAME)}`)
    await tiptap.waitForFunction(() => window.tiptapHocuspocus?.provider.synced === true)
    expect(await tiptap.evaluate(() => window.tiptapHocuspocus.scope)).toBe('read-write')
    const ours = await session.openDocument('Ours', documentPath(NAME), 'Ada')

    await tiptap.locator('.ProseMirror').click()
    await tiptap.keyboard.type('# From Tiptap')
    await tiptap.keyboard.press('Enter')
    await tiptap.keyboard.type('typed over Hocuspocus')
    await poll(() => docText(ours)).toContain('typed over Hocuspocus')
    expect(await ours.evaluate(() => window.collabEditor.view.state.doc.firstChild?.type.name)).toBe('heading')

    await ours.locator('.ProseMirror').click()
    await ours.keyboard.press('Control+End')
    await ours.keyboard.press('Enter')
    await ours.keyboard.type('and ours over y-websocket')
    await poll(() => tiptapText(tiptap)).toContain('and ours over y-websocket')

    await poll(() => tiptap.evaluate(() => window.tiptapHocuspocus.provider.unsyncedChanges)).toBe(0)
    await relay.relay.flushRoom(NAME)
    const stored = await relay.relay.storage.load(NAME)
    const replayed = new Y.Doc()
    for (const update of stored.updates) Y.applyUpdate(replayed, update)
    const storedText = replayed.getXmlFragment(FRAGMENT_NAME).toString()
    expect(storedText).toContain('From Tiptap')
    expect(storedText).toContain('typed over Hocuspocus')
    expect(storedText).toContain('and ours over y-websocket')
    expect(await tiptapText(tiptap)).toBe(await docText(ours))
  })
})
