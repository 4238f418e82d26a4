import { describe, expect, it } from 'vitest'
import { isShown, mergeRanges, planWindow, windowCss, type BlockSize } from './block-window-plan.ts'

const even = (count: number, step = 50, box = 38): BlockSize[] => Array.from({ length: count }, () => ({ step, box }))

describe('planWindow', () => {
  it('shows the blocks on screen and a margin around them', () => {
    // Blocks 50 px apart from 10 px: block i spans [10 + 50i, 60 + 50i).
    const ranges = planWindow({ sizes: even(1000), lead: 10, visibleTop: 5010, visibleBottom: 5510, margin: 500, keep: [] })
    // From 4510 to 6010: blocks 90 (4510–4560) to 119 (5960–6010).
    expect(ranges).toEqual([[90, 120]])
  })

  it('keeps the selection\'s blocks, with their own margin, apart from the screen', () => {
    const ranges = planWindow({ sizes: even(1000), lead: 0, visibleTop: 25_000, visibleBottom: 25_500, margin: 100, keep: [3, 998] })
    expect(ranges).toEqual([
      [1, 6],
      [498, 512],
      [996, 1000],
    ])
  })

  it('joins ranges closer than the smallest gap, and clamps to the document', () => {
    expect(planWindow({ sizes: even(100), lead: 0, visibleTop: 600, visibleBottom: 700, margin: 0, keep: [16], minGap: 8 })).toEqual([[12, 17]])
    expect(planWindow({ sizes: even(100), lead: 0, visibleTop: 600, visibleBottom: 700, margin: 0, keep: [40], minGap: 8 })).toEqual([
      [12, 14],
      [40, 41],
    ])
    // Scrolled past the end (a stale estimate): the last block still shows.
    expect(planWindow({ sizes: even(10), lead: 0, visibleTop: 9000, visibleBottom: 9500, margin: 0, keep: [] })).toEqual([[9, 10]])
    expect(planWindow({ sizes: even(10), lead: 0, visibleTop: -900, visibleBottom: -800, margin: 0, keep: [-1, 10] })).toEqual([[0, 1]])
  })

  it('reads uneven heights', () => {
    const sizes = [...even(10, 20, 10), { step: 1000, box: 990 }, ...even(10, 20, 10)]
    // Block 10 spans 200–1200 and fills the screen on its own.
    expect(planWindow({ sizes, lead: 0, visibleTop: 500, visibleBottom: 900, margin: 0, keep: [] })).toEqual([[10, 11]])
    expect(planWindow({ sizes, lead: 0, visibleTop: 1190, visibleBottom: 1230, margin: 0, keep: [] })).toEqual([[10, 13]])
  })
})

describe('mergeRanges and isShown', () => {
  it('sorts, joins overlapping and touching ranges, and drops empty ones', () => {
    expect(mergeRanges([[5, 8], [0, 2], [2, 3], [7, 9], [4, 4]], 1)).toEqual([[0, 3], [5, 9]])
    expect(isShown([[0, 3], [5, 9]], 4)).toBe(false)
    expect(isShown([[0, 3], [5, 9]], 8)).toBe(true)
    expect(isShown([[0, 3], [5, 9]], 9)).toBe(false)
  })
})

describe('windowCss', () => {
  const scope = '[data-block-window="1"]'

  it('is empty when every block is shown', () => {
    expect(windowCss(scope, [[0, 10]], even(10), 0)).toBe('')
  })

  it('hides each run and leaves its height as a margin on the next shown block, or on the last one at the end', () => {
    const sizes = even(100, 50, 38)
    const css = windowCss(scope, [[20, 30], [60, 61]], sizes, 7)
    // nth-child counts from 1.
    const nth = (position: string | number) => `:nth-child(${position} of :not(.ProseMirror-widget))`
    expect(css).toContain(`${scope} > ${nth('n+1')}${nth('-n+20')},\n${scope} > ${nth('n+31')}${nth('-n+60')},\n${scope} > ${nth('n+62')}${nth('-n+100')} { display: none !important; }`)
    // Before the first shown block: the lead and 20 steps.
    expect(css).toContain(`${scope} > ${nth(21)} { margin-top: 1007px !important; }`)
    // After block 29: its gap below (50 - 38) and 30 steps.
    expect(css).toContain(`${scope} > ${nth(61)} { margin-top: 1512px !important; }`)
    // The run to the end sits below block 60, the 61st block.
    expect(css).toContain(`${scope} > ${nth(61)} { margin-bottom: 1962px !important; }`)
    expect(css.startsWith('@media screen {')).toBe(true)
  })

  it('names a single hidden block by itself', () => {
    expect(windowCss(scope, [[1, 10]], even(10), 0)).toContain(`${scope} > :nth-child(1 of :not(.ProseMirror-widget)) { display: none !important; }`)
  })
})
