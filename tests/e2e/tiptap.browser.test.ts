/**
 * One document, two editors (issue 13): a page running a stock Tiptap
 * editor (`@tiptap/core` with StarterKit, tables, task lists and images,
 * its Collaboration extension over a stock y-websocket provider) and this
 * project's editor page co-edit it through the relay. Each sees the other's
 * nodes as its own, and neither writes over what the other wrote: typing
 * inside the other's table, task item, linked paragraph or heading writes
 * the typed characters and nothing else (no attribute set or removed, no
 * formatting redone), and once both are idle neither writes at all.
 *
 * The Tiptap page is bundled once for this file with vite's `build()` from
 * `support/tiptap-page.ts` (`useTiptapBundle`), and served by a route of the
 * test's relay.
 */
import type { Page } from 'playwright-core'
import { describe, expect, it } from 'vitest'
import * as Y from 'yjs'
import { documentPath } from '../../client/app/routes.ts'
import { FRAGMENT_NAME } from '../../shared/schema.ts'
import { connectClient, waitSynced, type TestClient } from '../support/harness.ts'
import { clickInto, docJson, useBrowserTests } from './support/browser.ts'
import { useTiptapBundle } from './support/tiptap-bundle.ts'
// (Types only: the module itself runs in the page; its `declare global` gives `window.tiptap`.)
import type { TiptapPage as _TiptapPage } from './support/tiptap-page.ts'

const TIPTAP_PAGE = '/e2e/tiptap'
const IMAGE = `${TIPTAP_PAGE}/pixel.png`
// A 1×1 PNG: the image both editors load (a missing one would be a console error).
const PIXEL = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII=', 'base64')
const NAME = 'tiptap-interop'

const tiptapPage = useTiptapBundle({ entry: 'tiptap-page.ts', path: TIPTAP_PAGE, script: 'tiptap-page.js' })

const scope = useBrowserTests({
  routes: (app) => {
    tiptapPage.serve(app)
    app.get(IMAGE, (c) => c.body(PIXEL, 200, { 'content-type': 'image/png' }))
  },
})

const poll = <T>(read: () => Promise<T>, timeout = 10_000) => expect.poll(read, { timeout, interval: 25 })

interface JsonNode {
  type: string
  attrs?: Record<string, unknown>
  marks?: { type: string; attrs?: Record<string, unknown> }[]
  content?: JsonNode[]
  text?: string
}

/**
 * The document with each text's marks in name order: ProseMirror lists marks
 * in its schema's order, which is each editor's own (the stored document
 * keeps them as unordered formatting attributes).
 */
function normalized(node: JsonNode): JsonNode {
  return {
    ...node,
    ...(node.marks ? { marks: [...node.marks].sort((a, b) => a.type.localeCompare(b.type)) } : {}),
    ...(node.content ? { content: node.content.map(normalized) } : {}),
  }
}

const tiptapJson = (page: Page): Promise<JsonNode> => page.evaluate(() => window.tiptap.editor.getJSON() as JsonNode).then(normalized)
const ourJson = async (page: Page): Promise<JsonNode> => normalized((await docJson(page)) as JsonNode)

/** Every node type in the document, depth first. */
function typesIn(node: JsonNode): string[] {
  return [node.type, ...(node.content ?? []).flatMap(typesIn), ...(node.marks ?? []).map((mark) => `mark:${mark.type}`)]
}

async function openTiptap(label: string): Promise<Page> {
  const page = await scope.session.newPage(label)
  await page.goto(`${scope.relay.url}${TIPTAP_PAGE}?doc=${encodeURIComponent(NAME)}`)
  await page.waitForFunction(() => window.tiptap?.provider.synced === true)
  return page
}

/** Start (again) recording what each page writes itself: Tiptap's own list, and one installed on our page. */
async function recordLocalUpdates(tiptap: Page, ours: Page): Promise<void> {
  await tiptap.evaluate(() => {
    window.tiptap.localUpdates = []
    window.tiptap.recording = true
  })
  await ours.evaluate(() => {
    const target = window as unknown as { ourLocalUpdates?: string[] }
    if (!target.ourLocalUpdates) {
      window.collabEditor.doc.on('update', (update: Uint8Array, _origin: unknown, _doc: unknown, transaction: { local: boolean }) => {
        if (transaction.local) target.ourLocalUpdates!.push(btoa(String.fromCharCode(...update)))
      })
    }
    target.ourLocalUpdates = []
  })
}

async function localUpdates(tiptap: Page, ours: Page): Promise<{ tiptap: Uint8Array[]; ours: Uint8Array[] }> {
  const decode = (list: string[]) => list.map((base64) => new Uint8Array(Buffer.from(base64, 'base64')))
  return {
    tiptap: decode(await tiptap.evaluate(() => window.tiptap.localUpdates)),
    ours: decode(await ours.evaluate(() => (window as unknown as { ourLocalUpdates: string[] }).ourLocalUpdates)),
  }
}

/**
 * What a batch of updates wrote besides inserted text: attributes set on
 * elements (`attr`), formatting (`format`), new elements, deletions. Typing
 * characters into existing blocks writes text and nothing else.
 */
function beyondTyping(updates: Uint8Array[]): string[] {
  const found: string[] = []
  for (const update of updates) {
    const { structs, ds } = Y.decodeUpdate(update)
    if (ds.clients.size > 0) found.push('deletion')
    for (const struct of structs) {
      if (!(struct instanceof Y.Item)) continue
      if (struct.parentSub !== null) found.push(`attr:${struct.parentSub}=${JSON.stringify(struct.content.getContent()[0])}`)
      else if (struct.content instanceof Y.ContentFormat) found.push(`format:${struct.content.key}`)
      else if (!(struct.content instanceof Y.ContentString)) found.push(`content:${struct.content.constructor.name}`)
    }
  }
  return found
}

/** Put Tiptap's caret at the end of the text block holding `text` and type `typed` with the keyboard. */
async function typeInTiptapAfter(page: Page, text: string, typed: string): Promise<void> {
  const found = await page.evaluate((wanted) => {
    const { editor } = window.tiptap
    let end = -1
    editor.state.doc.descendants((node, pos) => {
      if (end < 0 && node.isTextblock && node.textContent.includes(wanted)) end = pos + node.nodeSize - 1
      return end < 0
    })
    if (end >= 0) editor.chain().focus().setTextSelection(end).run()
    return end >= 0
  }, text)
  expect(found, `a block of Tiptap's holding "${text}"`).toBe(true)
  await page.keyboard.type(typed)
}

/** Click into our editor's text block holding `text`, go to its end and type. */
async function typeInOursAfter(page: Page, text: string, typed: string): Promise<void> {
  await clickInto(page, text)
  await page.keyboard.press('End')
  await page.waitForFunction(() => {
    const { selection } = window.collabEditor.view.state
    return selection.empty && selection.$head.parentOffset === selection.$head.parent.content.size
  })
  await page.keyboard.type(typed)
}

describe('a Tiptap editor and ours on one document', () => {
  it('see each other’s headings, marks, lists, task items, tables and images, and neither rewrites the other', async () => {
    const { session } = scope
    const tiptap = await openTiptap('Tiptap')
    const ours = await session.openDocument('Ours', documentPath(NAME), 'Ada')

    // Tiptap: typed with its own input rules and shortcuts, then its table and image commands.
    await tiptap.locator('.ProseMirror').click()
    await tiptap.keyboard.type('# Plan')
    await tiptap.keyboard.press('Enter')
    await tiptap.keyboard.type('Some ')
    await tiptap.keyboard.press('Control+b')
    await tiptap.keyboard.type('bold')
    await tiptap.keyboard.press('Control+b')
    await tiptap.keyboard.type(' text')
    await tiptap.keyboard.press('Enter')
    await tiptap.keyboard.type('- one')
    await tiptap.keyboard.press('Enter')
    await tiptap.keyboard.type('two')
    await tiptap.keyboard.press('Enter')
    await tiptap.keyboard.press('Enter')
    await tiptap.keyboard.type('[x] shipped')
    await tiptap.keyboard.press('Enter')
    await tiptap.keyboard.press('Enter')
    await tiptap.evaluate(() => window.tiptap.editor.chain().focus().insertTable({ rows: 2, cols: 2, withHeaderRow: true }).run())
    for (const [index, cell] of ['h1', 'h2', 'c1', 'c2'].entries()) {
      if (index > 0) await tiptap.keyboard.press('Tab')
      await tiptap.keyboard.type(cell)
    }
    await tiptap.evaluate(([src]) => window.tiptap.editor.chain().focus('end').setImage({ src, alt: 'A pixel' }).run(), [IMAGE])
    await tiptap.evaluate(() =>
        window.tiptap.editor
          .chain()
          .focus('end')
          .insertContent({
            type: 'paragraph',
            content: [{ type: 'text', text: 'see ' }, { type: 'text', text: 'docs', marks: [{ type: 'link', attrs: { href: 'https://example.com/docs' } }] }, { type: 'text', text: ' here' }],
          })
          .run(),
    )

    const written = await tiptapJson(tiptap)
    expect(new Set(typesIn(written))).toEqual(
      new Set(['doc', 'heading', 'paragraph', 'text', 'mark:bold', 'bulletList', 'listItem', 'taskList', 'taskItem', 'table', 'tableRow', 'tableHeader', 'tableCell', 'image', 'mark:link']),
    )
    // Ours holds the same nodes, attributes and marks.
    await poll(() => ourJson(ours)).toEqual(written)
    const shipped = await ours.evaluate(() => {
      let checked: unknown = null
      window.collabEditor.view.state.doc.descendants((node) => {
        if (node.type.name === 'taskItem' && node.textContent === 'shipped') checked = node.attrs.checked
      })
      return checked
    })
    expect(shipped).toBe(true)

    // Ours types inside Tiptap's heading, paragraph, list, task item, table cell and linked paragraph: only the characters are written.
    await recordLocalUpdates(tiptap, ours)
    for (const [text, typed] of [
      ['Plan', 's'],
      ['Some bold text', '!'],
      ['two', '2'],
      ['shipped', '.'],
      ['c1', 'x'],
      ['see docs here', '.'],
    ] as const) {
      await typeInOursAfter(ours, text, typed)
    }
    await poll(async () => (await tiptapJson(tiptap)).content!.map((block) => block.type)).toEqual((await ourJson(ours)).content!.map((block) => block.type))
    await poll(() => tiptapJson(tiptap)).toEqual(await ourJson(ours))
    let updates = await localUpdates(tiptap, ours)
    expect(updates.ours.length).toBeGreaterThan(0)
    expect(beyondTyping(updates.ours), 'what our editor wrote besides the characters').toEqual([])
    expect(updates.tiptap, 'what Tiptap wrote on receiving them').toEqual([])

    // Ours makes blocks of its own (its input rules: heading, numbered list, bold) in the middle of the document.
    await typeInOursAfter(ours, 'Some bold text!', '')
    await ours.keyboard.press('Enter')
    await ours.keyboard.type('## Ours')
    await ours.keyboard.press('Enter')
    await ours.keyboard.type('3. first')
    await ours.keyboard.press('Enter')
    await ours.keyboard.type('second')
    await ours.keyboard.press('Enter')
    await ours.keyboard.press('Enter')
    await ours.keyboard.press('Control+b')
    await ours.keyboard.type('strong')
    await ours.keyboard.press('Control+b')
    await ours.keyboard.type(' words')
    const ourBlocks = await ourJson(ours)
    expect(typesIn(ourBlocks)).toEqual(expect.arrayContaining(['orderedList', 'mark:bold']))
    expect(ourBlocks.content!.find((block) => block.type === 'orderedList')!.attrs).toEqual({ start: 3, type: null })
    await poll(() => tiptapJson(tiptap)).toEqual(ourBlocks)

    // Tiptap types inside ours' heading, list item and paragraph: only the characters.
    await recordLocalUpdates(tiptap, ours)
    await typeInTiptapAfter(tiptap, 'Ours', '!')
    await typeInTiptapAfter(tiptap, 'first', '1')
    await typeInTiptapAfter(tiptap, 'strong words', '.')
    await poll(() => ourJson(ours)).toEqual(await tiptapJson(tiptap))
    updates = await localUpdates(tiptap, ours)
    expect(updates.tiptap.length).toBeGreaterThan(0)
    expect(beyondTyping(updates.tiptap), 'what Tiptap wrote besides the characters').toEqual([])
    expect(updates.ours, 'what our editor wrote on receiving them').toEqual([])

    // Idle: once both have everything (a marker sent after the last edit has reached both), neither writes.
    await recordLocalUpdates(tiptap, ours)
    const marker: TestClient = connectClient(scope.relay.url.replace(/^http/, 'ws'), NAME)
    try {
      await waitSynced(marker)
      marker.doc.getMap('marker').set('idle', true)
      await poll(() => tiptap.evaluate(() => window.tiptap.doc.getMap('marker').get('idle'))).toBe(true)
      await poll(() => ours.evaluate(() => window.collabEditor.doc.getMap('marker').get('idle'))).toBe(true)
      // The stored document reads the same for a third client.
      expect(marker.doc.getXmlFragment(FRAGMENT_NAME).length).toBe((await ourJson(ours)).content!.length)
    } finally {
      marker.destroy()
    }
    updates = await localUpdates(tiptap, ours)
    expect(updates).toEqual({ tiptap: [], ours: [] })
    expect(await tiptapJson(tiptap)).toEqual(await ourJson(ours))
  })
})
