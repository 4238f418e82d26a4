import type { Node } from 'prosemirror-model'
import { absolutePositionToRelativePosition, updateYFragment } from 'y-prosemirror'
import { describe, expect, it } from 'vitest'
import * as Y from 'yjs'
import { schema } from '../shared/schema.ts'
import { createRandom } from '../tests/support/random.ts'
import { block, boundEditor, edit, paragraph, text } from './binding-documents.testing.ts'
import { indexedWalk, PositionIndexedMapping, walkOfBinding } from './binding-positions.ts'

const { nodes } = schema

const show = (position: Y.RelativePosition): string => JSON.stringify(position)

/** A fragment written from `doc` by the binding's own update, with the indexed mapping. */
function bound(doc: Node): { ydoc: Y.Doc; fragment: Y.XmlFragment; mapping: PositionIndexedMapping } {
  const ydoc = new Y.Doc()
  const fragment = ydoc.getXmlFragment('default')
  const mapping = new PositionIndexedMapping()
  ydoc.transact(() => updateYFragment(ydoc, fragment, doc, { mapping, isOMark: new Map() } as never))
  return { ydoc, fragment, mapping }
}

/** The binding's function answers as its own walk does, for every position up to `last`. */
function expectTheWalksAnswers(fragment: Y.XmlFragment, mapping: PositionIndexedMapping, last: number): void {
  const walk = walkOfBinding()!
  for (let pos = 0; pos <= last; pos++) {
    expect(show(absolutePositionToRelativePosition(pos, fragment, mapping as never)), `position ${pos}`).toBe(show(walk(pos, fragment, mapping)))
  }
}

describe('the binding position index', () => {
  it('is installed in place of the binding’s walk', () => {
    expect(walkOfBinding()).toBeTypeOf('function')
    expect(absolutePositionToRelativePosition).not.toBe(walkOfBinding())
  })

  it('gives the binding’s own answer for every position, through random edits', () => {
    const walk = walkOfBinding()!
    for (let round = 0; round < 6; round++) {
      const seed = (Date.now() + round * 7919) >>> 0
      const next = createRandom(seed)
      const ydoc = new Y.Doc()
      const fragment = ydoc.getXmlFragment('default')
      const mapping = new PositionIndexedMapping()
      const meta = { mapping, isOMark: new Map() }
      let doc = nodes.doc.create(null, Array.from({ length: 80 + Math.floor(next() * 80) }, () => block(next)))
      let checked = 0
      let fast = 0
      for (let step = 0; step < 30; step++) {
        ydoc.transact(() => updateYFragment(ydoc, fragment, doc, meta as never))
        // Past the end too: a state a keystroke ahead of the mapping asks for those.
        for (let pos = 0; pos <= doc.content.size + 3; pos++) {
          let expected: string
          try {
            expected = show(walk(pos, fragment, mapping))
          } catch (error) {
            expected = `throws ${(error as Error).message}`
          }
          let actual: string
          try {
            actual = show(absolutePositionToRelativePosition(pos, fragment, mapping as never))
          } catch (error) {
            actual = `throws ${(error as Error).message}`
          }
          if (actual !== expected) expect(actual, `seed ${seed}, step ${step}, position ${pos} of ${doc.toString().slice(0, 200)}`).toBe(expected)
          checked++
          if (mapping.locate(fragment, pos) !== null) fast++
        }
        doc = edit(doc, next)
      }
      // Most positions were answered by the index, not by the full walk.
      expect(fast / checked, `seed ${seed}`).toBeGreaterThan(0.5)
      console.log(`binding positions: seed ${seed}, ${checked} positions checked`)
    }
  })

  it('answers every position but the document’s start without walking the document', () => {
    const walk = walkOfBinding()!
    const blocks = [paragraph('first'), paragraph(), nodes.heading.create({ level: 2 }, text('title')), paragraph('last')]
    const doc = nodes.doc.create(null, Array.from({ length: 50 }, (_, i) => blocks[i % blocks.length]))
    const { fragment, mapping } = bound(doc)
    let fullWalks = 0
    const indexed = indexedWalk((pos, type, map) => {
      if (type === fragment) fullWalks++
      return walk(pos, type, map)
    })
    for (let pos = 1; pos <= doc.content.size + 2; pos++) {
      expect(show(indexed(pos, fragment, mapping)), `position ${pos}`).toBe(show(walk(pos, fragment, mapping)))
    }
    expect(fullWalks).toBe(0)
  })

  it('leaves to the full walk a block whose nested entries are out of step with its size', () => {
    const list = nodes.bulletList.create(null, nodes.listItem.create(null, paragraph('abcdef')))
    const doc = nodes.doc.create(null, [list, paragraph('x'), list, paragraph('y')])
    const { fragment, mapping } = bound(doc)
    // The inner paragraph's entry smaller than the text it holds: the walk inside the list runs out of it.
    const inner = ((fragment.get(0) as Y.XmlElement).get(0) as Y.XmlElement).get(0) as Y.XmlElement
    mapping.set(inner, paragraph('a'))
    expectTheWalksAnswers(fragment, mapping, doc.content.size)
  })

  it('gives the walk’s answers around blocks that Yjs holds and the mapping does not have yet', () => {
    const doc = nodes.doc.create(null, ['one', 'two', 'three'].map((value) => paragraph(value)))
    const { fragment, mapping } = bound(doc)
    // Remote blocks Yjs has integrated and the binding has not rendered: between two blocks and last.
    const unmapped = (): Y.XmlElement => {
      const element = new Y.XmlElement('paragraph')
      element.insert(0, [new Y.XmlText('new')])
      return element
    }
    fragment.insert(2, [unmapped()])
    fragment.insert(fragment.length, [unmapped()])
    expectTheWalksAnswers(fragment, mapping, doc.content.size + 3)
  })

  it('re-reads the blocks when one arrives as another goes, before the binding forgets the gone one', () => {
    const doc = nodes.doc.create(null, ['one', 'two', 'three', 'four'].map((value) => paragraph(value)))
    const { ydoc, fragment, mapping } = bound(doc)
    expect(mapping.locate(fragment, 12)?.start).toBe(10)
    // One transaction: a block removed, another (longer) added, the count unchanged. The
    // binding maps the new one; the old entry is still there.
    const added = new Y.XmlElement('paragraph')
    added.insert(0, [new Y.XmlText('a longer one')])
    ydoc.transact(() => {
      fragment.delete(1, 1)
      fragment.insert(2, [added])
    })
    mapping.set(added, paragraph('a longer one'))
    expectTheWalksAnswers(fragment, mapping, 40)
  })

  it('reads the blocks again after one is swapped for another the mapping has not seen, and stays out of that transaction', () => {
    const doc = nodes.doc.create(null, ['one', 'two', 'three', 'four'].map((value) => paragraph(value)))
    const { ydoc, fragment, mapping } = bound(doc)
    expect(mapping.locate(fragment, 12)?.start).toBe(10)
    // A remote paragraph turned into a heading arrives as a delete and an insert: same count,
    // nothing said to the mapping yet. Mapped before it is inserted, as the binding maps its own.
    const heading = new Y.XmlElement('heading')
    heading.insert(0, [new Y.XmlText('a longer one')])
    mapping.set(heading, nodes.heading.create({ level: 1 }, text('a longer one')))
    ydoc.transact(() => {
      fragment.delete(1, 1)
      fragment.insert(1, [heading])
      // The transaction has changed the list: the walk answers.
      expect(mapping.locate(fragment, 12)).toBeNull()
      expectTheWalksAnswers(fragment, mapping, 40)
    })
    expectTheWalksAnswers(fragment, mapping, 40)
    expect(mapping.locate(fragment, 12)?.block).toBe(heading)
  })

  it('follows a block removed on the Yjs side before and after the binding forgets it', () => {
    const doc = nodes.doc.create(null, ['one', 'two', 'three', 'four'].map((value) => paragraph(value)))
    const { fragment, mapping } = bound(doc)
    expect(mapping.locate(fragment, 7)?.start).toBe(5)
    // A remote delete: Yjs drops the block first, and the binding forgets its entry after.
    // In between, the index follows the Yjs list, as the walk does.
    const removed = fragment.get(1)
    fragment.delete(1, 1)
    expectTheWalksAnswers(fragment, mapping, 18)
    expect(mapping.locate(fragment, 7)?.start).toBe(5)
    mapping.delete(removed)
    expectTheWalksAnswers(fragment, mapping, 18)
    expect(mapping.locate(fragment, 7)?.block).toBe(fragment.get(1))
  })

  it('keeps its list of blocks through a remote change inside a block, which the binding drops from the mapping and maps again', () => {
    const mapping = new PositionIndexedMapping()
    const reader = boundEditor(mapping)
    const writer = boundEditor(new PositionIndexedMapping())
    reader.ydoc.on('update', (update: Uint8Array, origin: unknown) => origin !== 'remote' && Y.applyUpdate(writer.ydoc, update, 'remote'))
    writer.ydoc.on('update', (update: Uint8Array, origin: unknown) => origin !== 'remote' && Y.applyUpdate(reader.ydoc, update, 'remote'))
    writer.change(nodes.doc.create(null, ['one', 'two', 'three', 'four'].map((value) => paragraph(value))))
    const blocks = mapping.topLevel(reader.fragment)!.blocks
    // The writer types into the second paragraph.
    const children = [0, 1, 2, 3].map((i) => writer.doc.child(i))
    children[1] = paragraph('two and more')
    writer.change(nodes.doc.create(null, children))
    expect(reader.doc.child(1).textContent).toBe('two and more')
    // Not read again: the same list, the block's new size from its new entry.
    expect(mapping.topLevel(reader.fragment)!.blocks).toBe(blocks)
    expect(mapping.locate(reader.fragment, 21)?.block).toBe(blocks[2])
    expectTheWalksAnswers(reader.fragment, mapping, reader.doc.content.size + 2)
    // In between, the dropped block counts as unmapped (size 0) for the blocks after it, as in the walk.
    const node = mapping.get(blocks[1])!
    mapping.delete(blocks[1])
    expect(mapping.locate(reader.fragment, 7)?.block).toBe(blocks[2])
    expectTheWalksAnswers(reader.fragment, mapping, reader.doc.content.size + 2)
    mapping.set(blocks[1], node)
    expectTheWalksAnswers(reader.fragment, mapping, reader.doc.content.size + 2)
    expect(mapping.topLevel(reader.fragment)!.blocks).toBe(blocks)
  })
})
