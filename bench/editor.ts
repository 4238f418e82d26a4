/**
 * The editor with a long document, in Chromium (issue 13): a stock
 * y-websocket client writes N paragraphs, the demo page opens the document,
 * and keystrokes are typed at its end (`insertText`, one at a time). Per
 * keystroke: from the input to the next frame, so layout and paint count.
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
const RESULTS_DIR = fileURLToPath(new URL('./results/', import.meta.url))
const PARAGRAPH = 'Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor incididunt.'

interface Row {
  paragraphs: number
  characters: number
  openMs: number
  p50: number
  p95: number
}

const percentile = (sorted: number[], p: number): number => sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))]

async function measure(paragraphs: number): Promise<Row> {
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
    const page = await (await browser.newContext({ viewport: { width: 1000, height: 760 } })).newPage()
    const started = performance.now()
    await page.goto(`${relay.url}/d/long-${paragraphs}?user=Bench`)
    await page.waitForFunction((n) => (window as unknown as { collabEditor?: { view: { state: { doc: { childCount: number } } } } }).collabEditor?.view.state.doc.childCount === n, paragraphs, { timeout: 60_000 })
    await page.evaluate(() => new Promise((resolve) => requestAnimationFrame(resolve)))
    const openMs = performance.now() - started
    await page.locator('.ProseMirror').click()
    await page.keyboard.press('Control+End')
    const times: number[] = []
    for (let i = 0; i < KEYSTROKES; i++) {
      times.push(
        await page.evaluate(
          () =>
            new Promise<number>((resolve) => {
              const start = performance.now()
              document.execCommand('insertText', false, 'x')
              requestAnimationFrame(() => resolve(performance.now() - start))
            }),
        ),
      )
    }
    times.sort((a, b) => a - b)
    const tenth = (x: number): number => Math.round(x * 10) / 10
    return { paragraphs, characters: doc.getXmlFragment(FRAGMENT_NAME).toString().length, openMs: Math.round(openMs), p50: tenth(percentile(times, 0.5)), p95: tenth(percentile(times, 0.95)) }
  } finally {
    provider.destroy()
    await browser.close()
    await relay.close()
  }
}

const rows: Row[] = []
for (const size of SIZES) rows.push(await measure(size))
console.log('| paragraphs | open ms | keystroke p50 ms | p95 ms |\n|---|---|---|---|')
for (const row of rows) console.log(`| ${row.paragraphs.toLocaleString('en')} | ${row.openMs} | ${row.p50} | ${row.p95} |`)
mkdirSync(RESULTS_DIR, { recursive: true })
const file = `${RESULTS_DIR}editor-${new Date().toISOString().replace(/[:.]/g, '-')}.json`
writeFileSync(file, JSON.stringify({ machine: machineInfo(), keystrokes: KEYSTROKES, rows }, null, 2))
console.log(`results: ${file}`)
