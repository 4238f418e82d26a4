/**
 * A long document lays out only the blocks near the screen and the
 * selection (client/block-window.ts). What a person sees and does must not
 * tell: the page keeps its height, every place scrolled to shows its text,
 * the keys that jump to the ends work, typing goes to the caret wherever the
 * page is scrolled, blocks others add above do not move the screen, and the
 * browser's find and printing see the whole document.
 */
import type { Page } from 'playwright-core'
import { prosemirrorJSONToYXmlFragment } from 'y-prosemirror'
import { WebsocketProvider } from 'y-websocket'
import WebSocket from 'ws'
import * as Y from 'yjs'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { documentPath } from '../../client/app/routes.ts'
import { FRAGMENT_NAME, schema } from '../../shared/schema.ts'
import { useBrowserTests, type BrowserSession, type DemoRelay } from './support/browser.ts'

const scope = useBrowserTests()
let session: BrowserSession
let relay: DemoRelay
beforeEach(() => {
  ;({ session, relay } = scope)
})

const PARAGRAPHS = 3000
const TEXT = 'Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor incididunt.'
const poll = <T>(read: () => Promise<T>, timeout = 10_000) => expect.poll(read, { timeout, interval: 25 })

/** A stock y-websocket client that writes paragraphs "0 Lorem…", "1 Lorem…", … and stays connected. */
class Writer {
  readonly doc = new Y.Doc()
  readonly fragment = this.doc.getXmlFragment(FRAGMENT_NAME)
  private readonly provider: WebsocketProvider
  get awareness() {
    return this.provider.awareness
  }

  constructor(relayUrl: string, name: string) {
    this.provider = new WebsocketProvider(relayUrl.replace(/^http/, 'ws'), name, this.doc, { WebSocketPolyfill: WebSocket as never, disableBc: true })
  }

  async write(count: number): Promise<void> {
    await new Promise<void>((resolve) => this.provider.once('sync', () => resolve()))
    prosemirrorJSONToYXmlFragment(schema, { type: 'doc', content: paragraphs(0, count, '') }, this.fragment)
  }

  /** The text of block `index`. */
  text(index: number): string {
    return (this.fragment.get(index) as Y.XmlElement).toArray().map(String).join('')
  }

  destroy(): void {
    this.provider.destroy()
    this.provider.awareness.destroy()
  }
}

const paragraphs = (from: number, count: number, prefix: string) =>
  Array.from({ length: count }, (_, i) => ({ type: 'paragraph', content: [{ type: 'text', text: `${prefix}${from + i} ${TEXT}` }] }))

let writers: Writer[] = []
afterEach(() => {
  for (const writer of writers.splice(0)) writer.destroy()
})

/** A document of `count` paragraphs written by a stock client, opened by Ada once she holds all of it. */
async function openLong(name: string, count = PARAGRAPHS): Promise<{ page: Page; writer: Writer }> {
  const writer = new Writer(relay.url, name)
  writers.push(writer)
  await writer.write(count)
  const page = await session.openDocument('Ada', documentPath(name), 'Ada')
  await page.waitForFunction((n) => window.collabEditor.view.state.doc.childCount === n, count, { timeout: 20_000 })
  return { page, writer }
}

/** How many of the editor's blocks are laid out. */
const laidOut = (page: Page): Promise<number> =>
  page.evaluate(() => [...document.querySelector('.collab-editor__prosemirror')!.children].filter((child) => child.getClientRects().length > 0).length)

/**
 * What the screen shows: the index of the paragraph at its middle (from the
 * number each paragraph starts with), and whether laid-out blocks cover it
 * from top to bottom with no gap taller than a paragraph's margin.
 */
const onScreen = (page: Page): Promise<{ middle: number; covered: boolean }> =>
  page.evaluate(() => {
    const height = document.documentElement.clientHeight
    const blocks = [...document.querySelector('.collab-editor__prosemirror')!.children]
      .map((child) => ({ child, rect: child.getBoundingClientRect() }))
      .filter(({ rect }) => rect.height > 0 && rect.bottom > 0 && rect.top < height)
      .sort((a, b) => a.rect.top - b.rect.top)
    let reached = blocks.length > 0 ? blocks[0].rect.top : height
    let covered = reached <= 30
    for (const { rect } of blocks) {
      if (rect.top - reached > 30) covered = false
      reached = Math.max(reached, rect.bottom)
    }
    covered &&= reached >= height - 30
    // The block the screen's middle falls on (or in the margin above).
    const middle = blocks.find(({ rect }) => rect.bottom >= height / 2)
    return { middle: Number.parseInt(middle?.child.textContent ?? '', 10), covered }
  })

/** The page's scroll height with every block laid out (print media ignores the window's sheet), then back to the screen. */
async function fullHeight(page: Page): Promise<number> {
  await page.emulateMedia({ media: 'print' })
  const printed = await page.evaluate(() => ({ height: document.documentElement.scrollHeight, laidOut: [...document.querySelector('.collab-editor__prosemirror')!.children].every((child) => child.getClientRects().length > 0) }))
  await page.emulateMedia({ media: 'screen' })
  expect(printed.laidOut, 'printing lays out every block').toBe(true)
  return printed.height
}

/**
 * The page's height minus its height with the window's style sheet switched
 * off for a moment (every block laid out, same width): 0 when the space
 * standing in for hidden blocks is right.
 */
const heightError = (page: Page): Promise<number> =>
  page.evaluate(() => {
    const sheet = [...document.querySelectorAll('style')].find((style) => style.textContent?.includes('[data-block-window='))!
    const windowed = document.documentElement.scrollHeight
    sheet.disabled = true
    const whole = document.documentElement.scrollHeight
    sheet.disabled = false
    return windowed - whole
  })

describe('a long document', () => {
  it('lays out only what is near the screen, keeps the page\'s height, and shows the right text wherever it is scrolled', async () => {
    const { page } = await openLong('long-scroll')
    await poll(() => laidOut(page)).toBeLessThan(200)
    expect(Math.abs(await heightError(page))).toBeLessThan(20)
    await fullHeight(page)
    await poll(() => laidOut(page)).toBeLessThan(200)

    const top = await page.evaluate(() => document.querySelector('.collab-editor__prosemirror')!.getBoundingClientRect().top + scrollY)
    for (const fraction of [0.5, 0.9, 0.2, 0.999, 0.65]) {
      const expected = await page.evaluate(
        ([fraction, top, count]) => {
          scrollTo(0, fraction * (document.documentElement.scrollHeight - innerHeight))
          const editor = document.querySelector('.collab-editor__prosemirror')!
          // Paragraphs are all alike: where the screen's middle falls in the editor says which one is there.
          return Math.floor(((scrollY + innerHeight / 2 - top) / editor.getBoundingClientRect().height) * count)
        },
        [fraction, top, PARAGRAPHS] as const,
      )
      await poll(() => onScreen(page)).toEqual({ middle: expect.closeTo(expected, -1.5) as unknown as number, covered: true })
      expect(await laidOut(page)).toBeLessThan(200)
    }
  })

  it('goes to its ends with Ctrl+End and Ctrl+Home, and what is typed there reaches the others', async () => {
    const { page, writer } = await openLong('long-ends')
    await poll(() => laidOut(page)).toBeLessThan(200)
    await page.locator('.collab-editor__prosemirror').click({ position: { x: 300, y: 40 } })
    await page.keyboard.press('Control+End')
    await page.keyboard.type(' END')
    await poll(async () => writer.text(PARAGRAPHS - 1)).toBe(`${PARAGRAPHS - 1} ${TEXT} END`)
    expect((await onScreen(page)).covered).toBe(true)
    await page.keyboard.press('Control+Home')
    await page.keyboard.type('START ')
    await poll(async () => writer.text(0)).toBe(`START 0 ${TEXT}`)
    await poll(() => onScreen(page)).toEqual({ middle: expect.any(Number) as unknown as number, covered: true })
    expect((await onScreen(page)).middle).toBeLessThan(30)
    // Shift+Ctrl+End selects to the end; typing replaces all of it.
    await page.keyboard.press('Shift+Control+End')
    await page.keyboard.type('only this')
    await poll(async () => writer.fragment.length).toBe(1)
    await poll(async () => writer.text(0)).toBe('START only this')
  })

  it('moves a page at a time with PageDown, and Ctrl+A then a key replaces the whole document', async () => {
    const { page, writer } = await openLong('long-pages')
    await poll(() => laidOut(page)).toBeLessThan(200)
    await page.locator('.collab-editor__prosemirror').click({ position: { x: 300, y: 40 } })
    for (let i = 0; i < 8; i++) await page.keyboard.press('PageDown')
    await page.keyboard.type('P ')
    // Eight screens of 640 px at about 38 px a paragraph: well past the first window's blocks.
    const typedAt = () => Promise.resolve(writer.fragment.toArray().findIndex((_, index) => writer.text(index).includes('P ')))
    await poll(typedAt).toBeGreaterThan(60)
    expect(await typedAt()).toBeLessThan(300)
    await poll(() => onScreen(page)).toEqual({ middle: expect.any(Number) as unknown as number, covered: true })
    await page.keyboard.press('Control+a')
    await page.keyboard.type('x')
    await poll(async () => writer.fragment.length).toBe(1)
    await poll(async () => writer.text(0)).toBe('x')
  })

  it('keeps the caret\'s block laid out when the page is scrolled away from it, so typing lands at the caret', async () => {
    const { page, writer } = await openLong('long-caret')
    await poll(() => laidOut(page)).toBeLessThan(200)
    await page.locator('.collab-editor__prosemirror p').nth(3).click()
    await page.keyboard.press('Home')
    await page.mouse.move(500, 300)
    for (let i = 0; i < 20; i++) await page.mouse.wheel(0, 4000)
    await poll(() => page.evaluate(() => scrollY)).toBeGreaterThan(60_000)
    await poll(() => onScreen(page)).toEqual({ middle: expect.any(Number) as unknown as number, covered: true })
    expect((await onScreen(page)).middle).toBeGreaterThan(500)
    await page.keyboard.type('here ')
    await poll(async () => writer.text(3)).toBe(`here 3 ${TEXT}`)
  })

  it('keeps what is on screen in place when someone adds, removes or changes blocks above it', async () => {
    const { page, writer } = await openLong('long-above')
    await poll(() => laidOut(page)).toBeLessThan(200)
    await page.evaluate(() => scrollTo(0, document.documentElement.scrollHeight / 2))
    await poll(() => onScreen(page)).toEqual({ middle: expect.any(Number) as unknown as number, covered: true })
    const before = await onScreen(page)
    expect(Number.isInteger(before.middle)).toBe(true)
    const position = (index: number) =>
      page.evaluate((index) => {
        const element = [...document.querySelectorAll('.collab-editor__prosemirror > p')].find((p) => p.textContent?.startsWith(`${index} `))
        return element ? Math.round(element.getBoundingClientRect().top) : null
      }, index)
    const was = await position(before.middle)
    expect(was).not.toBe(null)
    // In place: within 2 px (scroll offsets are rounded) of where it was at the start.
    const inPlace = async () => Math.abs((await position(before.middle))! - was!)
    const stays = async (count: number): Promise<void> => {
      await page.waitForFunction((n) => window.collabEditor.view.state.doc.childCount === n, count)
      await poll(() => onScreen(page)).toEqual({ middle: before.middle, covered: true })
      await poll(inPlace).toBeLessThanOrEqual(2)
    }
    const insert = (index: number, count: number, prefix: string) =>
      writer.doc.transact(() => {
        const fragment = new Y.Doc().getXmlFragment(FRAGMENT_NAME)
        prosemirrorJSONToYXmlFragment(schema, { type: 'doc', content: paragraphs(0, count, prefix) }, fragment)
        writer.fragment.insert(index, fragment.toArray().map((element) => (element as Y.XmlElement).clone()))
      })
    // Two paragraphs laid out above the screen edited (each wraps onto a second line, and the window's
    // bookkeeping can no longer find them by identity), then 200 paragraphs in at the top of the document.
    for (const edited of [before.middle - 12, before.middle - 25]) {
      ;(((writer.fragment.get(edited) as Y.XmlElement).get(0)) as Y.XmlText).insert(0, 'edited, and long enough now to wrap: ')
      await poll(() => page.evaluate((edited) => window.collabEditor.view.state.doc.child(edited).textContent.startsWith('edited'), edited)).toBe(true)
      await poll(inPlace).toBeLessThanOrEqual(2)
    }
    insert(0, 200, 'new ')
    await stays(PARAGRAPHS + 200)
    // Three paragraphs in just above the screen, among the blocks laid out around it.
    insert(before.middle + 200 - 12, 3, 'near ')
    await stays(PARAGRAPHS + 203)
    // 300 out at the top, the 200 new ones among them.
    writer.fragment.delete(0, 300)
    await stays(PARAGRAPHS - 97)
  })

  it('keeps the screen right when many blocks come or go right next to it', async () => {
    const { page, writer } = await openLong('long-next-to')
    await poll(() => laidOut(page)).toBeLessThan(200)
    await page.evaluate(() => scrollTo(0, document.documentElement.scrollHeight / 2))
    await poll(() => onScreen(page)).toEqual({ middle: expect.any(Number) as unknown as number, covered: true })
    const { middle } = await onScreen(page)
    expect(Number.isInteger(middle)).toBe(true)
    const top = (index: number) =>
      page.evaluate((index) => {
        const element = [...document.querySelectorAll('.collab-editor__prosemirror > p')].find((p) => p.textContent?.startsWith(`${index} `))
        return element && element.getClientRects().length > 0 ? Math.round(element.getBoundingClientRect().top) : null
      }, index)
    const was = await top(middle)
    expect(was).not.toBe(null)
    // 100 paragraphs pasted a few blocks above the screen, among those laid out around it.
    writer.doc.transact(() => {
      const fragment = new Y.Doc().getXmlFragment(FRAGMENT_NAME)
      prosemirrorJSONToYXmlFragment(schema, { type: 'doc', content: paragraphs(0, 100, 'pasted ') }, fragment)
      writer.fragment.insert(middle - 12, fragment.toArray().map((element) => (element as Y.XmlElement).clone()))
    })
    await page.waitForFunction((n) => window.collabEditor.view.state.doc.childCount === n, PARAGRAPHS + 100)
    await poll(() => onScreen(page)).toEqual({ middle, covered: true })
    await poll(async () => Math.abs((await top(middle))! - was!)).toBeLessThanOrEqual(2)
    // 300 paragraphs out from just below the screen's middle: those after them move up onto the screen, laid out.
    writer.fragment.delete(middle + 100 + 3, 300)
    await page.waitForFunction((n) => window.collabEditor.view.state.doc.childCount === n, PARAGRAPHS - 200)
    await poll(() => onScreen(page)).toEqual({ middle, covered: true })
    expect(await top(middle + 303)).not.toBe(null)
  })

  it('takes blocks added and removed at the caret, and once idle keeps the page\'s height', async () => {
    const { page, writer } = await openLong('long-enter')
    await poll(() => laidOut(page)).toBeLessThan(200)
    await page.evaluate(() => scrollTo(0, document.documentElement.scrollHeight / 2))
    await poll(() => onScreen(page)).toEqual({ middle: expect.any(Number) as unknown as number, covered: true })
    const difference = (): Promise<number> => heightError(page)
    const before = await difference()
    expect(Math.abs(before)).toBeLessThan(20)
    await page.mouse.click(500, 100)
    for (let i = 0; i < 10; i++) await page.keyboard.press('Enter')
    await poll(async () => writer.fragment.length).toBe(PARAGRAPHS + 10)
    await page.keyboard.type('after')
    await poll(async () => writer.fragment.toArray().some((_, index) => writer.text(index).startsWith('after'))).toBe(true)
    // Twelve paragraphs of text taken out below the caret: blocks that were hidden come into the
    // shown ones, and the space that stood in for them must shrink (by about 450 px) once idle.
    await page.evaluate(() => {
      const { view } = window.collabEditor
      const { doc, selection } = view.state
      const $caret = selection.$head
      // From the start of the block after the caret's to the start of the 13th after it.
      const from = $caret.after(1) + 1
      let to = from
      for (let i = 0; i < 12; i++) to += doc.child($caret.index(0) + 1 + i).nodeSize
      const TextSelection = selection.constructor as unknown as { create(doc: unknown, anchor: number, head: number): never }
      view.dispatch(view.state.tr.setSelection(TextSelection.create(doc, from, to)))
    })
    await page.keyboard.press('Delete')
    await poll(async () => writer.fragment.length).toBe(PARAGRAPHS - 2)
    expect((await onScreen(page)).covered).toBe(true)
    await poll(async () => Math.abs((await difference()) - before)).toBeLessThan(20)
  })

  it('counts only blocks when someone\'s caret sits between two of them', async () => {
    const { page, writer } = await openLong('long-widget')
    await poll(() => laidOut(page)).toBeLessThan(200)
    // The writer's caret between the first two blocks (where a selected image puts it): a widget among the editor's children.
    const between = Y.relativePositionToJSON(Y.createRelativePositionFromTypeIndex(writer.fragment, 1))
    writer.awareness.setLocalStateField('user', { name: 'Bob', color: '#1e6fd9' })
    writer.awareness.setLocalStateField('cursor', { anchor: between, head: between })
    await page.locator('.collab-editor__prosemirror > .ProseMirror-widget').waitFor()
    expect(await page.evaluate(() => document.querySelector('.collab-editor__prosemirror > .ProseMirror-widget')!.nextElementSibling!.textContent!.startsWith('1 '))).toBe(true)
    for (const fraction of [0.5, 0.8]) {
      await page.evaluate((fraction) => scrollTo(0, fraction * document.documentElement.scrollHeight), fraction)
      await poll(() => onScreen(page)).toEqual({ middle: expect.closeTo(PARAGRAPHS * fraction, -1.5) as unknown as number, covered: true })
      expect(await laidOut(page)).toBeLessThan(200)
    }
    expect(Math.abs(await heightError(page))).toBeLessThan(20)
  })

  it('lays out everything for the browser\'s find (Ctrl+F) until the next click, and keeps a short document whole', async () => {
    const { page } = await openLong('long-find')
    await poll(() => laidOut(page)).toBeLessThan(200)
    // With the focus outside the editor, as with a read-only one: the key is the page's.
    await page.evaluate(() => (document.activeElement as HTMLElement | null)?.blur())
    await page.keyboard.press('Control+f')
    await poll(() => laidOut(page)).toBe(PARAGRAPHS)
    await page.locator('.collab-editor__prosemirror').click({ position: { x: 300, y: 40 } })
    await poll(() => laidOut(page)).toBeLessThan(200)

    const short = await openLong('short', 900)
    // Given time to window it, a document under 1,000 blocks stays whole.
    await short.page.evaluate(() => new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(resolve))))
    expect(await laidOut(short.page)).toBe(900)
  })

  it('measures again when its width changes', async () => {
    const { page } = await openLong('long-width')
    await poll(() => laidOut(page)).toBeLessThan(200)
    const wide = await page.evaluate(() => document.documentElement.scrollHeight)
    await page.setViewportSize({ width: 480, height: 640 })
    // Narrower, each paragraph wraps onto more lines: the page grows, and its height stays that of every block laid out.
    await poll(() => page.evaluate(() => document.documentElement.scrollHeight)).toBeGreaterThan(wide * 1.3)
    await poll(async () => [Math.abs(await heightError(page)) < 20, (await laidOut(page)) < 200]).toEqual([true, true])
    await page.evaluate(() => scrollTo(0, document.documentElement.scrollHeight * 0.7))
    await poll(() => onScreen(page)).toEqual({ middle: expect.any(Number) as unknown as number, covered: true })
    expect(await laidOut(page)).toBeLessThan(200)
  })
})
