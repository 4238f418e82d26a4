/**
 * The editor with a long document, in Chromium (issue 13): a stock
 * y-websocket client writes N paragraphs; three pages open them: ours (the
 * demo page), a stock Tiptap page with its Collaboration extension (the peer),
 * and the same paragraphs in a bare contenteditable element with no script
 * (the browser's own editing). Keystrokes are typed at the end, one at a
 * time, two ways (the second in ours only):
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
 *   node --import tsx bench/editor.ts [--quick] [--paragraphs=8000] [--editors=ours,tiptap,bare]
 *   (npm run bench -- editor)
 *
 * `--quick`: 2,000 paragraphs and 40 keystrokes. `--paragraphs` and
 * `--editors` pick sizes and pages (comma-separated).
 *
 * Needs `npm run build` (the demo page) and Debian's chromium.
 */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import WebSocket from 'ws'
import { WebsocketProvider } from 'y-websocket'
import { prosemirrorJSONToYXmlFragment } from 'y-prosemirror'
import * as Y from 'yjs'
import { FRAGMENT_NAME, schema } from '../shared/schema.ts'
import { launchBrowser, startDemoRelay } from '../tests/e2e/support/browser.ts'
import { buildTiptapPage, serveTiptapPage } from '../tests/e2e/support/tiptap-build.ts'
import { machineInfo } from './machine.ts'

const quick = process.argv.includes('--quick')
const option = (name: string): string | undefined => process.argv.find((arg) => arg.startsWith(`--${name}=`))?.slice(name.length + 3)
const SIZES = option('paragraphs')?.split(',').map(Number) ?? (quick ? [2000] : [2000, 8000])
/** A bad option: say which, and stop before anything starts. */
function usage(message: string): never {
  console.error(`bench/editor.ts: ${message}`)
  process.exit(2)
}
// One paragraph would not do: an editor holds one empty paragraph before the document arrives.
if (SIZES.some((size) => !Number.isInteger(size) || size < 2)) usage(`--paragraphs: whole numbers from 2, comma-separated (got ${option('paragraphs')})`)
const KEYSTROKES = quick ? 40 : 120
/** How long the page is left alone after opening, before the first keystroke. */
const SETTLE_MS = 1500
const RESULTS_DIR = fileURLToPath(new URL('./results/', import.meta.url))
const PARAGRAPH = 'Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor incididunt.'

/** How a keystroke is typed (see the top of this file). */
const MODES = ['keys', 'insertText'] as const
type Mode = (typeof MODES)[number]

type EditorName = 'ours' | 'tiptap' | 'bare'

interface Row {
  editor: EditorName
  paragraphs: number
  mode: Mode
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

/** A page whose typing is measured: ours, a stock Tiptap page, or a bare contenteditable element. */
interface Editor {
  name: EditorName
  /** The page's path for a document's name. */
  path(name: string, paragraphs: number): string
  /** Holds every paragraph (evaluated in the page): the end of opening. */
  ready: string
  /** Takes typing (evaluated in the page), when that can come after the content. */
  typable?: string
  /** What is clicked to put the caret in. */
  editable: string
  modes: readonly Mode[]
}

const EDITORS: readonly Editor[] = [
  {
    name: 'ours',
    path: (name) => `/d/${name}?user=Bench`,
    ready: 'window.collabEditor?.view.state.doc.childCount === N',
    // Editable once the relay has answered the access check, which can come after the content.
    typable: 'window.collabEditor.view.editable',
    editable: '.ProseMirror',
    modes: MODES,
  },
  {
    // Tiptap's StarterKit, tables, task lists and images over its Collaboration extension
    // (@tiptap/y-tiptap, its fork of y-prosemirror) and a stock y-websocket provider: the page
    // the Tiptap browser tests co-edit with (tests/e2e/support/tiptap-page.ts).
    name: 'tiptap',
    path: (name) => `${TIPTAP.path}?doc=${name}`,
    ready: 'window.tiptap?.editor.state.doc.childCount === N',
    editable: '.ProseMirror',
    modes: ['keys'],
  },
  {
    // The browser's own editing: the same paragraphs in a bare contenteditable element, no script.
    name: 'bare',
    path: (_name, paragraphs) => `${BARE_PAGE}?n=${paragraphs}`,
    ready: "document.querySelectorAll('#bare > p').length === N",
    editable: '#bare',
    modes: ['keys'],
  },
]

const chosen = option('editors')?.split(',')
const unknown = chosen?.filter((name) => !EDITORS.some((editor) => editor.name === name))
if (unknown?.length) usage(`--editors: unknown ${unknown.join(', ')} (known: ${EDITORS.map((editor) => editor.name).join(', ')})`)
const MEASURED = chosen ? EDITORS.filter((editor) => chosen.includes(editor.name)) : EDITORS

const TIPTAP = { entry: 'tiptap-page.ts', path: '/bench/tiptap', script: 'tiptap-page.js' }
const BARE_PAGE = '/bench/bare'

/**
 * The bare page: N paragraphs of the benchmark's text in one contenteditable
 * element, laid out as the demo page lays out the editor (its width, padding,
 * line height, paragraph margins and ProseMirror's white-space styles), so
 * that the two lay out the same text the same way.
 */
function barePage(paragraphs: number): string {
  const body = Array.from({ length: paragraphs }, (_, i) => `<p>${i} ${PARAGRAPH}</p>`).join('')
  const style =
    'body{margin:0;font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif}' +
    '#bare{max-width:52rem;margin:1.5rem auto;padding:1rem 1.25rem;outline:none;line-height:1.6;' +
    'white-space:pre-wrap;word-wrap:break-word;font-variant-ligatures:none}#bare p{margin:0 0 .75rem}'
  return `<!doctype html><meta charset="utf-8"><link rel="icon" href="data:,"><style>${style}</style><div id="bare" contenteditable="true">${body}</div>\n`
}

async function measure(paragraphs: number, tiptapDir: string): Promise<Row[]> {
  const relay = await startDemoRelay({
    routes: (app) => {
      serveTiptapPage(app, TIPTAP, tiptapDir)
      app.get(BARE_PAGE, (c) => c.html(barePage(Number(c.req.query('n')))))
    },
  })
  const browser = await launchBrowser()
  const doc = new Y.Doc()
  const name = `long-${paragraphs}`
  const provider = new WebsocketProvider(relay.url.replace(/^http/, 'ws'), name, doc, { WebSocketPolyfill: WebSocket as never, disableBc: true })
  try {
    await new Promise<void>((resolve) => provider.once('sync', () => resolve()))
    const content = Array.from({ length: paragraphs }, (_, i) => ({ type: 'paragraph', content: [{ type: 'text', text: `${i} ${PARAGRAPH}` }] }))
    prosemirrorJSONToYXmlFragment(schema, { type: 'doc', content }, doc.getXmlFragment(FRAGMENT_NAME))
    // Opened once the relay has stored it all (what a later reader gets).
    for (let i = 0; i < 600 && (await relay.relay.storage.load(name)).bytes < paragraphs * PARAGRAPH.length; i++) await new Promise((r) => setTimeout(r, 50))
    const rows: Row[] = []
    // A fresh page (and so a fresh open) for each editor and way of typing.
    for (const editor of MEASURED) {
      for (const mode of editor.modes) {
        const context = await browser.newContext({ viewport: { width: 1000, height: 760 } })
        const page = await context.newPage()
        const started = performance.now()
        await page.goto(`${relay.url}${editor.path(name, paragraphs)}`)
        await page.waitForFunction(editor.ready.replace(/\bN\b/, String(paragraphs)), undefined, { timeout: 60_000 })
        await page.evaluate(() => new Promise((resolve) => requestAnimationFrame(resolve)))
        const openMs = performance.now() - started
        if (editor.typable) await page.waitForFunction(editor.typable)
        await page.locator(editor.editable).click()
        await page.keyboard.press('Control+End')
        // Typing starts once the page is done opening: our offline copy (y-indexeddb)
        // is written in the background after the first sync, and keystrokes
        // timed during it measure that write, not typing.
        await page.waitForTimeout(SETTLE_MS)
        const lastParagraph = `document.querySelector(${JSON.stringify(editor.editable)}).lastElementChild.textContent`
        const before = String(await page.evaluate(lastParagraph))
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
        // Every keystroke landed where it should: at the end of the last paragraph.
        const typed = 'x'.repeat(KEYSTROKES + 5)
        const after = String(await page.evaluate(lastParagraph))
        if (after !== before + typed) throw new Error(`${editor.name}, ${mode}: the keystrokes did not land at the end: …${after.slice(-40)}`)
        if (editor.name !== 'bare') await takeBack(doc, before, typed, `${editor.name}, ${mode}`)
        const tenth = (x: number): number => Math.round(x * 10) / 10
        rows.push({ editor: editor.name, paragraphs, mode, openMs: Math.round(openMs), p50: tenth(percentile(times, 0.5)), p95: tenth(percentile(times, 0.95)) })
        await context.close()
      }
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

/**
 * Once a page's typing has reached the writer (bounded wait), the writer
 * deletes it again, so that every page opens the same document and types
 * into the same paragraph.
 */
async function takeBack(doc: Y.Doc, before: string, typed: string, what: string): Promise<void> {
  const fragment = doc.getXmlFragment(FRAGMENT_NAME)
  const last = (): Y.XmlText => (fragment.get(fragment.length - 1) as Y.XmlElement).get(0) as Y.XmlText
  for (let i = 0; i < 200 && last().toString() !== before + typed; i++) await new Promise((resolve) => setTimeout(resolve, 50))
  if (last().toString() !== before + typed) throw new Error(`${what}: the writer did not receive the typing: …${last().toString().slice(-40)}`)
  last().delete(before.length, typed.length)
}

// The Tiptap page is bundled only when it is measured: a build takes seconds.
const tiptapDir = MEASURED.some((editor) => editor.name === 'tiptap') ? await buildTiptapPage(TIPTAP) : ''
const rows: Row[] = []
try {
  for (const size of SIZES) rows.push(...(await measure(size, tiptapDir)))
} finally {
  if (tiptapDir) rmSync(tiptapDir, { recursive: true, force: true })
}
console.log(editorTable(rows))
mkdirSync(RESULTS_DIR, { recursive: true })
const file = `${RESULTS_DIR}editor-${new Date().toISOString().replace(/[:.]/g, '-')}.json`
writeFileSync(file, JSON.stringify({ machine: machineInfo(), keystrokes: KEYSTROKES, rows }, null, 2))
console.log(`results: ${file}`)

/**
 * The rows as a Markdown table, with ours over each of the others at the same
 * size, typed the same way (real key presses): above 1x, ours is slower.
 */
function editorTable(rows: readonly Row[]): string {
  const label: Record<EditorName, string> = { ours: 'ours', tiptap: 'Tiptap 3 + Collaboration', bare: 'bare contenteditable (no script)' }
  const lines = ['| paragraphs | editor | typing | open ms | keystroke p50 ms | p95 ms | ours / this, p50 | ours / this, p95 |', '|---|---|---|---|---|---|---|---|']
  for (const row of rows) {
    const ours = rows.find((r) => r.editor === 'ours' && r.paragraphs === row.paragraphs && r.mode === row.mode)
    const ratio = (a: number | undefined, b: number): string => (a === undefined || row.editor === 'ours' ? '' : `${(a / b).toFixed(2)}x`)
    lines.push(`| ${row.paragraphs.toLocaleString('en')} | ${label[row.editor]} | ${row.mode} | ${row.openMs} | ${row.p50} | ${row.p95} | ${ratio(ours?.p50, row.p50)} | ${ratio(ours?.p95, row.p95)} |`)
  }
  return lines.join('\n')
}
