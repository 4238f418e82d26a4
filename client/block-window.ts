/**
 * Long documents lay out only the blocks near the screen and the selection
 * (why: block-window-plan.ts). ProseMirror keeps rendering every block, so
 * its DOM, positions and selection work as always; a style sheet of this
 * plugin's own takes the far blocks out of layout by their index among the
 * editor's blocks and leaves their height as margins. Nothing here touches
 * the document or the editor's DOM, so nothing can be lost: at worst a
 * hidden block shows late.
 *
 * The window follows scrolling, resizing, the selection and changes to the
 * document, and keeps what is on screen in place when blocks above it come,
 * go or change (the browser's scroll anchoring cannot see blocks that are
 * not laid out, so it is off in the editor while the window is on). What the
 * browser would do across hidden blocks is done for it or handed back to
 * it: Ctrl+Home/End (Cmd+↑/↓) move the selection in the model; Ctrl+F lays
 * everything out until the next key or click, so the browser's find sees all
 * the text; printing lays out everything (the sheet is for screens only).
 */
import type { Node } from 'prosemirror-model'
import { Plugin, Selection, TextSelection, type EditorState } from 'prosemirror-state'
import type { EditorView } from 'prosemirror-view'
import { blockChange, mapBlock } from './block-window-changes.ts'
import { blockElements, scrollerOf, visibleArea } from './block-window-dom.ts'
import { isShown, mergeRanges, planWindow, windowCss, type BlockSize, type Ranges } from './block-window-plan.ts'

export interface BlockWindowOptions {
  /** From how many top-level blocks the window is used. Default 1,000. */
  fromBlocks?: number
}

const DEFAULT_FROM_BLOCKS = 1000
/** Shown around the screen and the selection: at least this, or the screen's height. */
const MIN_MARGIN_PX = 600
const MODIFIERS = new Set(['Control', 'Meta', 'Shift', 'Alt'])
const isMac = typeof navigator !== 'undefined' && /Mac|iPhone|iPad/.test(navigator.platform)

export function blockWindowPlugin(options: BlockWindowOptions = {}): Plugin {
  const fromBlocks = Math.max(2, options.fromBlocks ?? DEFAULT_FROM_BLOCKS)
  // Random, not counted: two copies of this module on one page must not share a scope.
  const id = Math.random().toString(36).slice(2, 10)
  let window: BlockWindow | null = null
  return new Plugin({
    view(view) {
      window = new BlockWindow(view, id, fromBlocks)
      return window
    },
    props: {
      attributes: { 'data-block-window': id },
      handleKeyDown: (view, event) => window?.jumpKey(view, event) ?? false,
    },
  })
}

class BlockWindow {
  private readonly scope: string
  private readonly sizes = new WeakMap<Node, BlockSize>()
  /** Averages of what was measured: the size of a block never seen. */
  private average: BlockSize = { step: 40, box: 28 }
  private lead = 0
  private sheet: HTMLStyleElement | null = null
  private css = ''
  /** What the sheet shows, by block index; null while everything is laid out. */
  private shown: Ranges | null = null
  /** The first block on screen, and where its top was in the scrolled content: kept there when what is above it changes. */
  private anchor: { index: number; y: number } | null = null
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
    // On the document, not the editor: find must work in a read-only editor and with the focus elsewhere.
    document.addEventListener('keydown', this.onKey, true)
    document.addEventListener('pointerdown', this.resume, true)
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
    if (doc !== previous.doc) this.follow(previous.doc)
    // The selection's blocks are shown before ProseMirror scrolls to them (it does, after the plugin views).
    if (!this.selectionShown(view.state)) this.place()
  }

  /**
   * After a change, shows the same blocks at their new indices (the sheet
   * hides by index) and keeps the block at the top of the screen where it was.
   */
  private follow(before: Node): void {
    const change = blockChange(before, this.view.state.doc)
    const shown = this.shown
    if (!change || !shown) return
    const count = this.view.state.doc.childCount
    const anchor = this.anchor
    const moved = shown.map(([from, to]) => [mapBlock(change, from, 'start'), mapBlock(change, to - 1, 'end') + 1] as [number, number])
    const below = !anchor || change.start >= anchor.index
    if (below && moved.every(([from], r) => from === shown[r][0]) && shown[shown.length - 1][1] <= count) {
      // A change at or below the top of the screen (Enter, a paste, a delete at the caret) that leaves
      // every range starting where it did: the sheet can stay as it is for now, since rewriting it
      // restyles every block. What it shows shifts by the change below it, as any page's content
      // does; the window is placed again once the page is idle.
      this.placeWhenIdle()
    } else {
      const ranges = mergeRanges(
        moved.filter(([from, to]) => from >= 0 && from < count && to > from),
        1,
      )
      if (ranges.length === 0) return this.place()
      this.apply(ranges, this.currentSizes())
    }
    // Blocks that moved onto the screen may be hidden: the next frame checks.
    this.schedule()
    if (!anchor) return
    const index = mapBlock(change, anchor.index)
    this.anchor = index < 0 ? null : { index, y: anchor.y }
    // The block itself changed: note another one once this change is laid out.
    if (index < 0) this.schedule()
    // Only a change above the block at the top of the screen moves it.
    if (index >= 0 && change.start < anchor.index) this.keepAnchor()
  }

  /** Scrolls so that the anchor block is where it was in the scrolled content. */
  private keepAnchor(): void {
    const anchor = this.anchor
    const element = anchor && blockElements(this.view.dom, this.view.state.doc.childCount)[anchor.index]
    // Without scroll anchoring (Safari), ProseMirror keeps the scroll position around an update itself;
    // with nothing hidden, the browser's own anchoring is on again.
    if (!anchor || !element || !this.css || element.getClientRects().length === 0 || this.view.dom.style.overflowAnchor == null) return
    const scroller = scrollerOf(this.view.dom)
    const moved = element.getBoundingClientRect().top + scroller.scrollTop - anchor.y
    if (Math.abs(moved) >= 0.5) scroller.scrollTop += moved
  }

  /** Notes the first laid-out block on screen and where its top is in the scrolled content. */
  private noteAnchor(): void {
    const shown = this.shown
    if (!shown) return
    const screen = visibleArea(this.view.dom)
    const blocks = blockElements(this.view.dom, this.view.state.doc.childCount)
    const scrollTop = scrollerOf(this.view.dom).scrollTop
    for (const [from, to] of shown) {
      for (let i = from; i < to && i < blocks.length; i++) {
        const rect = blocks[i].getBoundingClientRect()
        if (rect.height === 0 || rect.bottom <= screen.top) continue
        this.anchor = rect.top < screen.bottom ? { index: i, y: rect.top + scrollTop } : null
        return
      }
    }
    this.anchor = null
  }

  /** Ctrl+Home/End (Cmd+↑/↓) go to the ends in the model: the browser would stop at the window's edge. */
  jumpKey(view: EditorView, event: KeyboardEvent): boolean {
    const mod = isMac ? event.metaKey : event.ctrlKey
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

  /** Ctrl+F (and Ctrl+G, Ctrl+Shift+G, F3: find again) lay everything out: the browser's find looks through laid-out text only. */
  private readonly onKey = (event: KeyboardEvent): void => {
    const mod = isMac ? event.metaKey : event.ctrlKey
    if ((mod && !event.altKey && /^[fFgG]$/.test(event.key)) || event.key === 'F3') {
      this.suspended = true
      this.clear()
    } else if (!MODIFIERS.has(event.key)) this.resume()
  }

  private readonly resume = (): void => {
    if (!this.suspended) return
    this.suspended = false
    this.schedule()
  }

  destroy(): void {
    cancelAnimationFrame(this.frame)
    if (this.idle && typeof cancelIdleCallback === 'function') cancelIdleCallback(this.idle)
    else clearTimeout(this.idle)
    document.removeEventListener('scroll', this.onScroll, { capture: true })
    document.removeEventListener('keydown', this.onKey, true)
    document.removeEventListener('pointerdown', this.resume, true)
    this.resizes?.disconnect()
    this.sheet?.remove()
  }

  private readonly onScroll = (): void => {
    if (this.shown) this.schedule()
  }

  private readonly onResize = (): void => {
    const width = this.view.dom.clientWidth
    if (width === this.width) {
      // Only the height changed: an image above the screen that loaded, a line that wrapped.
      // The browser's anchoring is off in the editor, so the first block on screen is kept in place here.
      this.keepAnchor()
      this.noteAnchor()
      return
    }
    this.width = width
    // Every hidden block's height depends on the width: lay them all out and measure again.
    if (this.shown) this.clear()
    this.schedule()
  }

  private schedule(): void {
    if (!this.frame) this.frame = requestAnimationFrame(this.onFrame)
  }

  private placeWhenIdle(): void {
    if (this.idle) return
    const run = (): void => {
      this.idle = 0
      if (this.shown && !this.suspended && !this.view.isDestroyed) this.place()
    }
    this.idle = typeof requestIdleCallback === 'function' ? requestIdleCallback(run, { timeout: 2000 }) : window.setTimeout(run, 500)
  }

  private readonly onFrame = (): void => {
    this.frame = 0
    if (this.suspended || this.view.isDestroyed || this.view.state.doc.childCount < this.fromBlocks * (this.shown ? 0.9 : 1)) return
    if (!this.shown || this.screenNearEdge()) this.place()
    else this.noteAnchor()
  }

  /** True when the screen has come within half a margin of what is laid out around it. */
  private screenNearEdge(): boolean {
    const shown = this.shown
    if (!shown) return true
    const count = this.view.state.doc.childCount
    const blocks = blockElements(this.view.dom, count)
    const screen = visibleArea(this.view.dom)
    const margin = this.margin(screen)
    for (const [from, to] of shown) {
      const top = blocks[from]?.getBoundingClientRect()
      const bottom = blocks[to - 1]?.getBoundingClientRect()
      if (!top || !bottom || top.top > screen.bottom || bottom.bottom < screen.top) continue
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
    const blocks = blockElements(view.dom, doc.childCount)
    if (blocks.length !== doc.childCount || view.dom.getClientRects().length === 0) return
    const screen = visibleArea(view.dom)
    const reference = this.measure(blocks, screen.top)
    if (!reference) return
    const sizes = this.currentSizes()
    let referenceTop = this.lead
    for (let i = 0; i < reference.index; i++) referenceTop += sizes[i].step
    // The screen in the coordinates of a fully laid-out editor, placed by a block that is laid out now.
    const offset = referenceTop - reference.top
    const last = doc.childCount - 1
    const margin = this.margin(screen)
    const ranges = planWindow({
      sizes,
      lead: this.lead,
      visibleTop: screen.top + offset,
      visibleBottom: screen.bottom + offset,
      margin,
      keep: [Math.min(last, selection.$anchor.index(0)), Math.min(last, selection.$head.index(0))],
      minGap: 8,
    })
    this.apply(ranges, sizes)
    // The reference is on screen unless the page was scrolled past everything laid out (then the screen shows only space).
    const onScreen = reference.top >= screen.top - margin && reference.top <= screen.bottom && isShown(ranges, reference.index)
    if (onScreen) {
      // Blocks laid out again above the screen take their real height, not the estimate their space had: keep the screen's block in place.
      const moved = blocks[reference.index].getBoundingClientRect().top - reference.top
      if (Math.abs(moved) >= 0.5) scrollerOf(view.dom).scrollTop += moved
    }
    this.noteAnchor()
  }

  /** Every block's size as last measured, or the average for one never laid out. */
  private currentSizes(): BlockSize[] {
    const { doc } = this.view.state
    const sizes: BlockSize[] = new Array(doc.childCount)
    for (let i = 0; i < doc.childCount; i++) sizes[i] = this.sizes.get(doc.child(i)) ?? this.average
    return sizes
  }

  private apply(ranges: Ranges, sizes: readonly BlockSize[]): void {
    this.shown = ranges
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
    this.anchor = null
    this.css = ''
    if (this.sheet) this.sheet.textContent = ''
  }

  /**
   * Reads the size of every laid-out block (all of them the first time) and
   * returns the one whose top is nearest `screenTop`, to place the window by.
   */
  private measure(blocks: ArrayLike<Element>, screenTop: number): { index: number; top: number } | null {
    const { doc } = this.view.state
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
        const rects = blocks[i].getClientRects()
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

  private margin(screen: { top: number; bottom: number }): number {
    return Math.max(MIN_MARGIN_PX, screen.bottom - screen.top)
  }
}
