import type { Node } from 'prosemirror-model'
import { describe, expect, it } from 'vitest'
import { schema } from '../shared/schema.ts'
import { blockChange, mapBlock } from './block-window-changes.ts'

const paragraph = (text: string): Node => schema.node('paragraph', null, text ? [schema.text(text)] : [])
const doc = (blocks: Node[]): Node => schema.node('doc', null, blocks)
const numbered = (count: number): Node[] => Array.from({ length: count }, (_, i) => paragraph(`p${i}`))

describe('blockChange and mapBlock', () => {
  const blocks = numbered(10)
  const before = doc(blocks)

  it('is null for the same document', () => {
    expect(blockChange(before, before)).toBe(null)
    expect(blockChange(before, doc(blocks))).toBe(null)
  })

  it('shifts the blocks after an insertion, and keeps those before', () => {
    const after = doc([...blocks.slice(0, 3), paragraph('new'), paragraph('new 2'), ...blocks.slice(3)])
    const change = blockChange(before, after)!
    expect(change).toEqual({ start: 3, end: 3, shift: 2 })
    expect([0, 2, 3, 9].map((i) => mapBlock(change, i))).toEqual([0, 2, 5, 11])
  })

  it('marks an edited block as replaced, and clamps it when asked', () => {
    const after = doc([...blocks.slice(0, 4), paragraph('p4 edited'), ...blocks.slice(5)])
    const change = blockChange(before, after)!
    expect(change).toEqual({ start: 4, end: 5, shift: 0 })
    expect([mapBlock(change, 4), mapBlock(change, 4, 'start'), mapBlock(change, 4, 'end'), mapBlock(change, 5)]).toEqual([-1, 4, 4, 5])
  })

  it('maps a deletion, with nothing left where the deleted blocks were', () => {
    const after = doc([...blocks.slice(0, 2), ...blocks.slice(6)])
    const change = blockChange(before, after)!
    expect(change).toEqual({ start: 2, end: 6, shift: -4 })
    expect([mapBlock(change, 1), mapBlock(change, 3), mapBlock(change, 3, 'start'), mapBlock(change, 3, 'end'), mapBlock(change, 6)]).toEqual([1, -1, 2, 1, 2])
    // A range that straddles the deletion keeps what is left of it; one inside it becomes empty.
    const range = (from: number, to: number) => [mapBlock(change, from, 'start'), mapBlock(change, to - 1, 'end') + 1]
    expect([range(0, 4), range(3, 5), range(4, 9)]).toEqual([[0, 2], [2, 2], [2, 5]])
    const fromStart = blockChange(before, doc(blocks.slice(3)))!
    expect([mapBlock(fromStart, 0, 'start'), mapBlock(fromStart, 2, 'end')]).toEqual([0, -1])
  })

  it('sees a block moved down as a replaced run, and an Enter splitting a block', () => {
    const moved = doc([blocks[0], blocks[2], blocks[3], blocks[1], ...blocks.slice(4)])
    expect(blockChange(before, moved)).toEqual({ start: 1, end: 4, shift: 0 })
    const split = doc([...blocks.slice(0, 7), paragraph('p'), paragraph('7'), ...blocks.slice(8)])
    const change = blockChange(before, split)!
    expect(change).toEqual({ start: 7, end: 8, shift: 1 })
    expect([mapBlock(change, 7, 'start'), mapBlock(change, 7, 'end'), mapBlock(change, 9)]).toEqual([7, 8, 10])
  })

  it('keeps the shared end after the start when a block is added next to one just like it', () => {
    const twins = doc([paragraph('same'), paragraph('same'), paragraph('x')])
    const three = doc([paragraph('same'), paragraph('same'), paragraph('same'), paragraph('x')])
    const change = blockChange(twins, three)!
    expect(change).toEqual({ start: 2, end: 2, shift: 1 })
    expect([mapBlock(change, 0), mapBlock(change, 2)]).toEqual([0, 3])
  })
})
