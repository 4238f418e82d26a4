/**
 * Which top-level blocks of a long document are laid out, and how tall the
 * space standing in for the others is (the pure half of block-window.ts).
 *
 * Chromium spends time in proportion to the whole document on every
 * keystroke in a contenteditable element: laying out the root's children and
 * giving the input method the editable text. At 8,000 paragraphs that is most
 * of a frame, whatever the script does. Blocks taken out of layout
 * (`display: none`) cost nothing there, so a long document lays out only the
 * blocks around what is on screen and around the selection, and the space of
 * each run of hidden blocks becomes a margin on its neighbour, so the page
 * keeps its height and the scroll bar its meaning.
 *
 * Sizes are CSS pixels. A block's `step` is the distance from its top to the
 * next block's top (for the last block: to the bottom of the editor's
 * content), margins included; its `box` is its border-box height.
 */

/** What is known of one block's height. */
export interface BlockSize {
  readonly step: number
  readonly box: number
}

/** Shown blocks: half-open index ranges [from, to), sorted, apart. */
export type Ranges = ReadonlyArray<readonly [number, number]>

export interface WindowRequest {
  /** One entry per top-level block. */
  readonly sizes: readonly BlockSize[]
  /** From the editor's content top to the first block's top (its margin). */
  readonly lead: number
  /** What is on screen, from the editor's content top. */
  readonly visibleTop: number
  readonly visibleBottom: number
  /** Shown beyond what is on screen, above and below, and around each kept block. */
  readonly margin: number
  /** Blocks shown with `margin` around them wherever the page is scrolled: where the selection ends. */
  readonly keep: readonly number[]
  /** Hidden runs shorter than this many blocks are shown instead: a gap that small saves nothing. */
  readonly minGap?: number
}

/** The blocks to show for a request: those within the margin of the screen and of each kept block. */
export function planWindow(request: WindowRequest): Ranges {
  const { sizes, margin } = request
  const count = sizes.length
  if (count === 0) return []
  const tops = new Float64Array(count + 1)
  tops[0] = request.lead
  for (let i = 0; i < count; i++) tops[i + 1] = tops[i] + sizes[i].step
  const wanted: Array<[number, number]> = [blocksBetween(tops, request.visibleTop - margin, request.visibleBottom + margin)]
  for (const index of request.keep) {
    if (!(index >= 0 && index < count)) continue
    const [from, to] = blocksBetween(tops, tops[index] - margin, tops[index + 1] + margin)
    wanted.push([Math.min(from, index), Math.max(to, index + 1)])
  }
  return mergeRanges(wanted, request.minGap ?? 1)
}

/** The blocks that overlap [top, bottom] (at least one block, clamped to the document). */
function blocksBetween(tops: Float64Array, top: number, bottom: number): [number, number] {
  const count = tops.length - 1
  // From the first block whose bottom is below `top`, up to the first whose top is at or below `bottom`.
  const from = Math.min(count - 1, firstBelow(tops, top, 1, false) - 1)
  const to = Math.max(from + 1, Math.min(count, firstBelow(tops, bottom, 0, true)))
  return [Math.max(0, from), to]
}

/** The first index i >= start with tops[i] > y (or >= y when `reached`), tops.length when none: a binary search. */
function firstBelow(tops: Float64Array, y: number, start: number, reached: boolean): number {
  let low = start
  let high = tops.length
  while (low < high) {
    const middle = (low + high) >>> 1
    if (tops[middle] > y || (reached && tops[middle] === y)) high = middle
    else low = middle + 1
  }
  return low
}

/** Sorted, overlapping or close ranges joined. */
export function mergeRanges(ranges: ReadonlyArray<readonly [number, number]>, minGap: number): Ranges {
  const sorted = [...ranges].filter(([from, to]) => to > from).sort((a, b) => a[0] - b[0])
  const merged: Array<[number, number]> = []
  for (const [from, to] of sorted) {
    const last = merged[merged.length - 1]
    if (last && from - last[1] < minGap) last[1] = Math.max(last[1], to)
    else merged.push([from, to])
  }
  return merged
}

/** True when block `index` is in one of the ranges. */
export function isShown(ranges: Ranges, index: number): boolean {
  return ranges.some(([from, to]) => index >= from && index < to)
}

/**
 * The style sheet that applies a window to the editor matched by `scope`:
 * hidden runs `display: none`, and the height of each run as a margin on the
 * shown block after it (or, for the run at the end, before it). Screen media
 * only: printing lays out the whole document. Empty when everything is shown.
 *
 * The margin that stands in for run [g0, g1) after shown block p = g0 - 1 is
 * the gap that followed p (its step less its box) plus the run's steps; it
 * replaces the collapsed margin between p and the next shown block, which
 * then sits where it would with every block laid out. Before the first
 * shown block it is the lead plus the run's steps.
 */
export function windowCss(scope: string, ranges: Ranges, sizes: readonly BlockSize[], lead: number): string {
  const count = sizes.length
  const hidden: string[] = []
  const spacers: string[] = []
  for (const { from: g0, to: g1, space } of gapsOf(ranges, sizes, lead)) {
    hidden.push(g1 - g0 === 1 ? `${scope} > ${nth(g0 + 1)}` : `${scope} > ${nth(`n+${g0 + 1}`)}${nth(`-n+${g1}`)}`)
    const px = `${Math.round(space * 100) / 100}px`
    if (g1 < count) spacers.push(`${scope} > ${nth(g1 + 1)} { margin-top: ${px} !important; }`)
    else if (g0 > 0) spacers.push(`${scope} > ${nth(g0)} { margin-bottom: ${px} !important; }`)
  }
  if (hidden.length === 0) return ''
  // The page keeps its place by itself (block-window.ts): the browser's scroll anchoring would move it a second time.
  return `@media screen {\n${scope} { overflow-anchor: none; }\n${hidden.join(',\n')} { display: none !important; }\n${spacers.join('\n')}\n}\n`
}

/**
 * The blocks counted `an+b` among the editor's children that are blocks: a
 * ProseMirror widget between blocks (someone's caret beside an image, the
 * gap cursor) is an element too, and must not shift the count.
 */
const nth = (position: number | string): string => `:nth-child(${position} of :not(.ProseMirror-widget))`

/** The hidden runs between the ranges, each with the space that stands in for it. */
function gapsOf(ranges: Ranges, sizes: readonly BlockSize[], lead: number): Array<{ from: number; to: number; space: number }> {
  const count = sizes.length
  const gaps: Array<{ from: number; to: number; space: number }> = []
  let next = 0
  const add = (g0: number, g1: number): void => {
    let space = g0 > 0 ? Math.max(0, sizes[g0 - 1].step - sizes[g0 - 1].box) : lead
    for (let i = g0; i < g1; i++) space += sizes[i].step
    gaps.push({ from: g0, to: g1, space })
  }
  for (const [from, to] of ranges) {
    if (from > next) add(next, from)
    next = Math.max(next, to)
  }
  if (next < count && ranges.length > 0) add(next, count)
  return gaps
}
