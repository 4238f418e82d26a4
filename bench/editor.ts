/**
 * The editor with a long document, in Chromium (issue 13): a stock
 * y-websocket client writes N paragraphs, the demo page opens the document,
 * and keystrokes are typed at its end, one at a time, two ways:
 * - `keys`: real key presses (CDP key events: keydown, beforeinput, input),
 *   what a person's typing costs. Chromium then also reports the caret's
 *   text offset to the input method (`Editor::SyncSelection`), work that
 *   `document.execCommand` skips.
 * - `insertText`: `document.execCommand('insertText')` from script, the
 *   measurement the first figures used.
 * Per keystroke: from the input event to the end of the next rendered frame
 * (a message posted from requestAnimationFrame runs after its style, layout
 * and paint), so the browser's own work counts.
 *
 *   node --import tsx bench/editor.ts [--quick]     (npm run bench -- editor)
 *
 * Needs `npm run build` (the demo page) and Debian's chromium.
 */
import { mkdirSync, writeFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import WebSocket from 'ws'
import { WebsocketProvider } from 'y-websocket'
import { prosemirrorJSONToYXmlFragment } from 'y-prosemirror'
import * as Y from 'yjs'
import { FRAGMENT_NAME, schema } from '../shared/schema.ts'
import { launchBrowser, startDemoRelay } from '../tests/e2e/support/browser.ts'
import { machineInfo } from './machine.ts'

const quick = process.argv.includes('--quick')
const SIZES = quick ? [2000] : [2000, 8000]
const KEYSTROKES = quick ? 40 : 120
/** How long the page is left alone after opening, before the first keystroke. */
const SETTLE_MS = 1500
const RESULTS_DIR = fileURLToPath(new URL('./results/', import.meta.url))
const PARAGRAPH = 'Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor incididunt.'

/** How a keystroke is typed (see the top of this file). */
const MODES = ['keys', 'insertText'] as const
type Mode = (typeof MODES)[number]

interface Row {
  paragraphs: number
  mode: Mode
  characters: number
  openMs: number
  p50: number
  p95: number
}

/**
 * Installed in the page: stamps the start of a keystroke (its keydown, or its
 * beforeinput when there is no key), and on its input event records the time
 * to after the next frame. A string, not a function: tsx would wrap named
 * inner functions in a helper the page does not have.
 */
const TIMER = `(() => {
  const w = window
  w.benchTimes = []
  w.benchStart = null
  const stamp = () => { if (w.benchStart === null) w.benchStart = performance.now() }
  addEventListener('keydown', stamp, true)
  addEventListener('beforeinput', stamp, true)
  addEventListener('input', () => {
    const start = w.benchStart
    w.benchStart = null
    if (start === null) return
    requestAnimationFrame(() => {
      const channel = new MessageChannel()
      channel.port1.onmessage = () => { w.benchTimes.push(performance.now() - start); w.benchDone?.() }
      channel.port2.postMessage(0)
    })
  }, true)
})()`

const percentile = (sorted: number[], p: number): number => sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))]

async function measure(paragraphs: number): Promise<Row[]> {
  const relay = await startDemoRelay()
  const browser = await launchBrowser()
  const doc = new Y.Doc()
  const provider = new WebsocketProvider(relay.url.replace(/^http/, 'ws'), `long-${paragraphs}`, doc, { WebSocketPolyfill: WebSocket as never, disableBc: true })
  try {
    await new Promise<void>((resolve) => provider.once('sync', () => resolve()))
    const content = Array.from({ length: paragraphs }, (_, i) => ({ type: 'paragraph', content: [{ type: 'text', text: `${i} ${PARAGRAPH}` }] }))
    prosemirrorJSONToYXmlFragment(schema, { type: 'doc', content }, doc.getXmlFragment(FRAGMENT_NAME))
    // Opened once the relay has stored it all (what a later reader gets).
    for (let i = 0; i < 600 && (await relay.relay.storage.load(`long-${paragraphs}`)).bytes < paragraphs * PARAGRAPH.length; i++) await new Promise((r) => setTimeout(r, 50))
    const rows: Row[] = []
    // A fresh page (and so a fresh open) for each way of typing.
    for (const mode of MODES) {
      const context = await browser.newContext({ viewport: { width: 1000, height: 760 } })
      const page = await context.newPage()
      const started = performance.now()
      await page.goto(`${relay.url}/d/long-${paragraphs}?user=Bench`)
      await page.waitForFunction((n) => (window as unknown as { collabEditor?: { view: { state: { doc: { childCount: number } } } } }).collabEditor?.view.state.doc.childCount === n, paragraphs, { timeout: 60_000 })
      await page.evaluate(() => new Promise((resolve) => requestAnimationFrame(resolve)))
      const openMs = performance.now() - started
      // Editable once the relay has answered the access check, which can come after the content.
      await page.waitForFunction(() => (window as unknown as { collabEditor: { view: { editable: boolean } } }).collabEditor.view.editable)
      await page.locator('.ProseMirror').click()
      await page.keyboard.press('Control+End')
      // Typing starts once the page is done opening: the offline copy (y-indexeddb)
      // is written in the background after the first sync, and keystrokes
      // timed during it measure that write, not typing.
      await page.waitForTimeout(SETTLE_MS)
      await page.evaluate(TIMER)
      const typeOne = async (): Promise<void> => {
        await page.evaluate(() => {
          const w = window as unknown as { benchDone?: () => void; benchWait?: Promise<void> }
          w.benchWait = new Promise<void>((resolve) => (w.benchDone = resolve))
        })
        if (mode === 'keys') await page.keyboard.press('x')
        // execCommand fires neither keydown nor beforeinput: the start is stamped here.
        else
          await page.evaluate(() => {
            ;(window as unknown as { benchStart: number }).benchStart = performance.now()
            document.execCommand('insertText', false, 'x')
          })
        // Bounded: a keystroke that makes no input event fails the run instead of hanging it.
        await page.evaluate(() => Promise.race([(window as unknown as { benchWait: Promise<void> }).benchWait, new Promise((_, reject) => setTimeout(() => reject(new Error('no input event within 10 s')), 10_000))]))
      }
      // A few unmeasured keystrokes first: the first ones pay for warming up.
      for (let i = 0; i < 5; i++) await typeOne()
      await page.evaluate(() => ((window as unknown as { benchTimes: number[] }).benchTimes = []))
      for (let i = 0; i < KEYSTROKES; i++) await typeOne()
      const times = (await page.evaluate(() => (window as unknown as { benchTimes: number[] }).benchTimes)).sort((a, b) => a - b)
      const tenth = (x: number): number => Math.round(x * 10) / 10
      rows.push({ paragraphs, mode, characters: doc.getXmlFragment(FRAGMENT_NAME).toString().length, openMs: Math.round(openMs), p50: tenth(percentile(times, 0.5)), p95: tenth(percentile(times, 0.95)) })
      await context.close()
    }
    return rows
  } finally {
    provider.destroy()
    // The provider leaves its awareness's check interval running, which would keep this process alive.
    provider.awareness.destroy()
    await browser.close()
    await relay.close()
  }
}

const rows: Row[] = []
for (const size of SIZES) rows.push(...(await measure(size)))
console.log('| paragraphs | typing | open ms | keystroke p50 ms | p95 ms |\n|---|---|---|---|---|')
for (const row of rows) console.log(`| ${row.paragraphs.toLocaleString('en')} | ${row.mode} | ${row.openMs} | ${row.p50} | ${row.p95} |`)
mkdirSync(RESULTS_DIR, { recursive: true })
const file = `${RESULTS_DIR}editor-${new Date().toISOString().replace(/[:.]/g, '-')}.json`
writeFileSync(file, JSON.stringify({ machine: machineInfo(), keystrokes: KEYSTROKES, rows }, null, 2))
console.log(`results: ${file}`)
