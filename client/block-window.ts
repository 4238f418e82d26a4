/**
 * Long documents lay out only the blocks near the screen and the selection
 * (why: block-window-plan.ts). ProseMirror keeps rendering every block, so
 * its DOM, positions and selection work as always; a style sheet of this
 * plugin's own takes the far blocks out of layout by their index among the
 * editor's children and leaves their height as margins. Nothing here
 * touches the document or the editor's DOM, so nothing can be lost: at
 * worst a hidden block shows late.
 *
 * The window follows scrolling, resizing and the selection. What the browser
 * would do across hidden blocks is done for it or handed back to it:
 * Ctrl+Home/End (Cmd+↑/↓) move the selection in the model; Ctrl+F lays
 * everything out again until the next key or click in the editor, so the
 * browser's find sees all the text; printing lays out everything (the sheet
 * is for screens only).
 */
import { Plugin, Selection, TextSelection, type EditorState } from 'prosemirror-state'
import type { EditorView } from 'prosemirror-view'
import type { Node } from 'prosemirror-model'
import { blockAt, isShown, mergeRanges, planWindow, topOf, windowCss, type BlockSize, type Ranges } from './block-window-plan.ts'

export interface BlockWindowOptions {
  /** From how many top-level blocks the window is used. Default 1,000. */
  fromBlocks?: number
}

const DEFAULT_FROM_BLOCKS = 1000
/** Shown around the screen and the selection: at least this, or the screen's height. */
const MIN_MARGIN_PX = 600
let nextId = 0

export function blockWindowPlugin(options: BlockWindowOptions = {}): Plugin {
  const fromBlocks = Math.max(2, options.fromBlocks ?? DEFAULT_FROM_BLOCKS)
  const id = String(++nextId)
  let window: BlockWindow | null = null
  return new Plugin({
    view(view) {
      window = new BlockWindow(view, id, fromBlocks)
      return window
    },
    props: {
      attributes: { 'data-block-window': id },
      handleKeyDown(view, event) {
        return window?.keyDown(view, event) ?? false
      },
      handleDOMEvents: {
        mousedown() {
          window?.resume()
          return false
        },
      },
    },
  })
}

/** The index of top-level block `node` in `doc`, searched outwards from `near`; -1 when it is not there. */
function indexNear(doc: Node, node: object, near: number): number {
  const count = doc.childCount
  for (let distance = 0; distance < count; distance++) {
    const below = near + distance
    const above = near - distance
    if (below < count && doc.child(below) === node) return below
    if (above >= 0 && above < count && doc.child(above) === node) return above
    if (below >= count && above < 0) break
  }
  return -1
}

/** Scrolls what scrolls the editor (its nearest scrolling ancestor, else the page) by `dy` pixels. */
function scrollPage(dom: HTMLElement, dy: number): void {
  if (dy === 0) return
  for (let node = dom.parentElement; node && node !== document.body && node !== document.documentElement; node = node.parentElement) {
    const overflow = getComputedStyle(node).overflowY
    if ((overflow === 'auto' || overflow === 'scroll') && node.scrollHeight > node.clientHeight) {
      node.scrollTop += dy
      return
    }
  }
  const page = document.scrollingElement ?? document.documentElement
  page.scrollTop += dy
}

const MODIFIERS = new Set(['Control', 'Meta', 'Shift', 'Alt'])
const isMac = typeof navigator !== 'undefined' && /Mac|iPhone|iPad/.test(navigator.platform)

class BlockWindow {
  private readonly scope: string
  private readonly sizes = new WeakMap<object, BlockSize>()
  /** Averages of what was measured: the size of a block never seen. */
  private average: BlockSize = { step: 40, box: 28 }
  private lead = 0
  private sheet: HTMLStyleElement | null = null
  private css = ''
  /** What the sheet shows; null while everything is laid out. */
  private shown: Ranges | null = null
  /** The first and last block of each shown range: where the ranges are once blocks are added or removed. */
  private ends: Array<readonly [object, object]> = []
  /** A block on screen when the window was last placed, its range, and how far down the editor that range starts. */
  private screen: { node: object; range: number; above: number } | null = null
  private suspended = false
  private frame = 0
  private idle = 0
  private width = 0
  private readonly resizes: ResizeObserver | null

  constructor(
    private readonly view: EditorView,
    id: string,
    private readonly fromBlocks: number,
  ) {
    this.scope = `[data-block-window="${id}"]`
    document.addEventListener('scroll', this.onScroll, { capture: true, passive: true })
    this.resizes = typeof ResizeObserver === 'undefined' ? null : new ResizeObserver(this.onResize)
    this.resizes?.observe(view.dom)
    this.schedule()
  }

  update(view: EditorView, previous: EditorState): void {
    const { doc } = view.state
    if (doc.childCount < this.fromBlocks * 0.9) {
      if (this.shown) this.clear()
      return
    }
    if (!this.shown) {
      if (doc.childCount >= this.fromBlocks) this.schedule()
      return
    }
    // Blocks added or removed move the index of every block after them, and the sheet hides by index:
    // the same blocks are shown again at their new indices now, before anything paints.
    if (doc.childCount !== previous.doc.childCount && !this.follow()) this.place()
    // The selection's blocks are shown before ProseMirror scrolls to them (it does, after the plugin views).
    if (!this.selectionShown(view.state)) this.place()
  }

  /** Shows the blocks shown before at their indices in the changed document; false when none of them is left. */
  private follow(): boolean {
    const { doc } = this.view.state
    const shown = this.shown
    if (!shown || shown.length !== this.ends.length) return false
    // Blocks added or removed inside or after every range (Enter, a paste, a delete at the caret)
    // leave each range's first block at its index: the sheet can stay as it is for now (what it
    // shows shifts by the change at the ranges' far ends, off screen), since rewriting it makes
    // the browser restyle every block. Its spaces are brought up to date once the page is idle.
    if (shown.every(([from, to], r) => to <= doc.childCount && doc.child(from) === this.ends[r][0])) {
      this.ends = shown.map(([from, to]) => [doc.child(from), doc.child(to - 1)] as const)
      this.placeWhenIdle()
      return true
    }
    const ranges: Array<[number, number]> = []
    for (let r = 0; r < shown.length; r++) {
      const [first, last] = this.ends[r]
      const from = indexNear(doc, first, shown[r][0])
      const to = indexNear(doc, last, shown[r][1] - 1)
      // A range whose end blocks are gone keeps what is left of it; one with both gone goes.
      if (from < 0 && to < 0) continue
      if (from >= 0 && to >= 0 && to < from) return false
      ranges.push([from < 0 ? to : from, (to < 0 ? from : to) + 1])
    }
    if (ranges.length === 0) return false
    const merged = mergeRanges(ranges, 1)
    // What the screen shows stays where it is: the page scrolls by as much as what is above it grew or
    // shrank (the browser's scroll anchoring would do this, but cannot see blocks added or removed while hidden).
    const screen = this.screen
    const at = screen ? indexNear(doc, screen.node, shown[screen.range][0]) : -1
    const before = screen?.above ?? 0
    this.apply(merged, this.currentSizes(), at)
    if (this.screen && at >= 0) scrollPage(this.view.dom, this.screen.above - before)
    this.schedule()
    return true
  }

  /** Ctrl+Home/End move in the model (the browser would stop at the window's edge); Ctrl+F lays everything out for find. */
  keyDown(view: EditorView, event: KeyboardEvent): boolean {
    const mod = isMac ? event.metaKey : event.ctrlKey
    if (mod && !event.altKey && (event.key === 'f' || event.key === 'F' || event.key === 'g')) {
      this.suspend()
      return false
    }
    // A modifier pressed on its way to Ctrl+F (or Ctrl+G, find again) is not the end of finding.
    if (!MODIFIERS.has(event.key)) this.resume()
    if (!this.shown || !mod || event.altKey) return false
    const toStart = isMac ? event.key === 'ArrowUp' : event.key === 'Home'
    const toEnd = isMac ? event.key === 'ArrowDown' : event.key === 'End'
    if (!toStart && !toEnd) return false
    const { doc, selection } = view.state
    const target = toStart ? Selection.atStart(doc) : Selection.atEnd(doc)
    const next = event.shiftKey ? TextSelection.between(selection.$anchor, toStart ? target.$from : target.$to) : target
    view.dispatch(view.state.tr.setSelection(next).scrollIntoView())
    return true
  }

  destroy(): void {
    cancelAnimationFrame(this.frame)
    if (this.idle && typeof cancelIdleCallback === 'function') cancelIdleCallback(this.idle)
    else clearTimeout(this.idle)
    document.removeEventListener('scroll', this.onScroll, { capture: true })
    this.resizes?.disconnect()
    this.sheet?.remove()
  }

  /** Lays everything out until the next key or click in the editor: the browser's find looks through laid-out text only. */
  private suspend(): void {
    this.suspended = true
    this.clear()
  }

  resume(): void {
    if (!this.suspended) return
    this.suspended = false
    this.schedule()
  }

  private readonly onScroll = (): void => {
    if (this.shown && !this.frame) this.frame = requestAnimationFrame(this.onFrame)
  }

  private readonly onResize = (): void => {
    const width = this.view.dom.clientWidth
    if (width === this.width) return
    this.width = width
    // Every hidden block's height depends on the width: lay them all out and measure again.
    if (this.shown) this.clear()
    this.schedule()
  }

  private placeWhenIdle(): void {
    if (this.idle) return
    const run = (): void => {
      this.idle = 0
      if (this.shown && !this.suspended && !this.view.isDestroyed) this.place()
    }
    this.idle = typeof requestIdleCallback === 'function' ? requestIdleCallback(run, { timeout: 2000 }) : window.setTimeout(run, 500)
  }

  private schedule(): void {
    if (!this.frame) this.frame = requestAnimationFrame(this.onFrame)
  }

  private readonly onFrame = (): void => {
    this.frame = 0
    if (this.suspended || this.view.isDestroyed || this.view.state.doc.childCount < this.fromBlocks * (this.shown ? 0.9 : 1)) return
    if (!this.shown || this.screenNearEdge()) this.place()
  }

  /** True when the screen has come within half a margin of what is laid out around it. */
  private screenNearEdge(): boolean {
    const shown = this.shown
    const children = this.view.dom.children
    if (!shown) return true
    const screen = this.visibleArea()
    if (!screen) return false
    const margin = this.margin(screen)
    for (const [from, to] of shown) {
      const top = children[from]?.getBoundingClientRect()
      const bottom = children[to - 1]?.getBoundingClientRect()
      if (!top || !bottom || top.top > screen.bottom || bottom.bottom < screen.top) continue
      const count = this.view.state.doc.childCount
      return (from > 0 && top.top > screen.top - margin / 2) || (to < count && bottom.bottom < screen.bottom + margin / 2)
    }
    return true
  }

  private selectionShown(state: EditorState): boolean {
    const shown = this.shown
    if (!shown) return true
    const last = state.doc.childCount - 1
    return isShown(shown, Math.min(last, state.selection.$anchor.index(0))) && isShown(shown, Math.min(last, state.selection.$head.index(0)))
  }

  /** Measures what is laid out, then shows the blocks around the screen and the selection. */
  private place(): void {
    const { view } = this
    const { doc, selection } = view.state
    const children = view.dom.children
    // A widget between blocks (the gap cursor) shifts the children's indices: wait until it is gone.
    if (children.length !== doc.childCount || view.dom.getClientRects().length === 0) return
    const screen = this.visibleArea()
    const reference = screen && this.measure(screen.top)
    if (!reference || !screen) return
    const sizes = this.currentSizes()
    let referenceTop = this.lead
    for (let i = 0; i < reference.index; i++) referenceTop += sizes[i].step
    // The screen in the coordinates of a fully laid-out editor, placed by a block that is laid out now.
    const offset = referenceTop - reference.top
    const last = doc.childCount - 1
    const ranges = planWindow({
      sizes,
      lead: this.lead,
      visibleTop: screen.top + offset,
      visibleBottom: screen.bottom + offset,
      margin: this.margin(screen),
      keep: [Math.min(last, selection.$anchor.index(0)), Math.min(last, selection.$head.index(0))],
      minGap: 8,
    })
    // The reference is on screen unless the page was scrolled past everything laid out (then the screen shows only space).
    const onScreen = reference.top >= screen.top - this.margin(screen) && reference.top <= screen.bottom && isShown(ranges, reference.index)
    this.apply(ranges, sizes, onScreen ? reference.index : blockAt(sizes, this.lead, screen.top + offset))
    if (!onScreen) return
    // Blocks laid out again above the screen take their real height, not the estimate their space had: keep the screen's block in place.
    const moved = children[reference.index].getBoundingClientRect().top - reference.top
    if (Math.abs(moved) >= 1) scrollPage(view.dom, moved)
  }

  /** Every block's size as last measured, or the average for one never laid out. */
  private currentSizes(): BlockSize[] {
    const { doc } = this.view.state
    const sizes: BlockSize[] = new Array(doc.childCount)
    for (let i = 0; i < doc.childCount; i++) sizes[i] = this.sizes.get(doc.child(i)) ?? this.average
    return sizes
  }

  /** Shows `ranges`; `onScreen` is a block on screen (-1: unknown), by which the page keeps its place when blocks come or go. */
  private apply(ranges: Ranges, sizes: readonly BlockSize[], onScreen: number): void {
    const { doc } = this.view.state
    this.shown = ranges
    this.ends = ranges.map(([from, to]) => [doc.child(from), doc.child(to - 1)] as const)
    const range = ranges.findIndex(([from, to]) => onScreen >= from && onScreen < to)
    this.screen = range < 0 ? null : { node: doc.child(onScreen), range, above: topOf(sizes, this.lead, ranges[range][0]) }
    const css = windowCss(this.scope, ranges, sizes, this.lead)
    if (css === this.css) return
    this.css = css
    if (!this.sheet) {
      this.sheet = document.createElement('style')
      const root = this.view.dom.getRootNode()
      ;(root instanceof ShadowRoot ? root : document.head).append(this.sheet)
    }
    this.sheet.textContent = css
  }

  private clear(): void {
    this.shown = null
    this.ends = []
    this.screen = null
    this.css = ''
    if (this.sheet) this.sheet.textContent = ''
  }

  /**
   * Reads the size of every laid-out block (all of them the first time) and
   * returns the one whose top is nearest `screenTop`, to place the window by.
   */
  private measure(screenTop: number): { index: number; top: number } | null {
    const { doc } = this.view.state
    const children = this.view.dom.children
    const count = doc.childCount
    const ranges = this.shown ?? [[0, count] as const]
    const dom = this.view.dom
    const style = getComputedStyle(dom)
    const box = dom.getBoundingClientRect()
    const contentTop = box.top + parseFloat(style.borderTopWidth) + parseFloat(style.paddingTop)
    const contentBottom = box.bottom - parseFloat(style.borderBottomWidth) - parseFloat(style.paddingBottom)
    let reference: { index: number; top: number } | null = null
    let steps = 0
    let boxes = 0
    let measured = 0
    for (const [from, to] of ranges) {
      let previous: { index: number; top: number; box: number } | null = null
      for (let i = from; i < Math.min(to, count); i++) {
        const rects = children[i].getClientRects()
        if (rects.length === 0) {
          previous = null
          continue
        }
        const rect = rects[0]
        if (!reference || Math.abs(rect.top - screenTop) < Math.abs(reference.top - screenTop)) reference = { index: i, top: rect.top }
        if (i === 0) this.lead = rect.top - contentTop
        if (previous && previous.index === i - 1) {
          const size = { step: rect.top - previous.top, box: previous.box }
          this.sizes.set(doc.child(i - 1), size)
          steps += size.step
          boxes += size.box
          measured++
        }
        if (i === count - 1) this.sizes.set(doc.child(i), { step: contentBottom - rect.top, box: rect.height })
        previous = { index: i, top: rect.top, box: rect.height }
      }
    }
    if (measured > 0) this.average = { step: steps / measured, box: boxes / measured }
    return reference
  }

  /** What of the editor is on screen: the viewport, clipped by every scrolling ancestor. Null when none of it is. */
  private visibleArea(): { top: number; bottom: number } | null {
    let top = 0
    let bottom = document.documentElement.clientHeight || innerHeight
    for (let node = this.view.dom.parentElement; node && node !== document.body && node !== document.documentElement; node = node.parentElement) {
      const overflow = getComputedStyle(node).overflowY
      if (overflow !== 'auto' && overflow !== 'scroll' && overflow !== 'hidden') continue
      const rect = node.getBoundingClientRect()
      top = Math.max(top, rect.top)
      bottom = Math.min(bottom, rect.bottom)
    }
    return bottom > top ? { top, bottom } : { top, bottom: top + 1 }
  }

  private margin(screen: { top: number; bottom: number }): number {
    return Math.max(MIN_MARGIN_PX, screen.bottom - screen.top)
  }
}
