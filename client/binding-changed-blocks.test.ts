import type { Node } from 'prosemirror-model'
import { updateYFragment, yXmlFragmentToProseMirrorRootNode } from 'y-prosemirror'
import { describe, expect, it } from 'vitest'
import * as Y from 'yjs'
import { schema } from '../shared/schema.ts'
import { createRandom } from '../tests/support/random.ts'
import { changedBlocksUpdate, updateOfBinding, type Update } from './binding-changed-blocks.ts'
import { block, boundEditor, edit, paragraph, taskItem } from './binding-documents.testing.ts'
import { PositionIndexedMapping } from './binding-positions.ts'

const { nodes } = schema

/** A Yjs document with the fragment the binding writes to. */
function fresh(): { ydoc: Y.Doc; fragment: Y.XmlFragment } {
  const ydoc = new Y.Doc()
  return { ydoc, fragment: ydoc.getXmlFragment('default') }
}

/** The binding's function as the build leaves it: wrapped. */
const installed = updateYFragment as unknown as Update

/** Write `doc` to `fragment` as the binding does on a local change: in a transaction of its own. */
function write(update: Update, ydoc: Y.Doc, fragment: Y.XmlFragment, doc: Node, mapping: Map<Y.AbstractType<any>, unknown>): void {
  ydoc.transact(() => update(ydoc, fragment, doc, { mapping, isOMark: new Map() } as never))
}

/** The fragment read back as a document. */
const readBack = (fragment: Y.XmlFragment): unknown => yXmlFragmentToProseMirrorRootNode(fragment, schema).toJSON()

/**
 * The binding's invariants after an update: each top-level block maps to the
 * node at its place, the index agrees with the mapping, and nothing but Yjs
 * types is mapped (the window handed to the binding is not left behind).
 */
function expectMappedInPlace(fragment: Y.XmlFragment, mapping: PositionIndexedMapping, doc: Node, context: string): void {
  expect(fragment.length, context).toBe(doc.childCount)
  fragment.toArray().forEach((type, index) => {
    if (mapping.get(type) !== doc.child(index)) expect.fail(`${context}: block ${index} is not mapped to the node at its place`)
  })
  expectIndexInStep(fragment, mapping, context)
}

function expectIndexInStep(fragment: Y.XmlFragment, mapping: PositionIndexedMapping, context: string): void {
  const index = mapping.topLevel(fragment)
  index?.blocks.forEach((type, at) => {
    if (index.nodes[at] !== mapping.get(type)) expect.fail(`${context}: the index holds another node than the mapping for block ${at}`)
  })
  for (const key of mapping.keys()) if (!(key instanceof Y.AbstractType)) expect.fail(`${context}: something other than a Yjs type is mapped`)
}

/** A mapping that counts the writes that took the changed-blocks path. */
class CountingMapping extends PositionIndexedMapping {
  narrowed = 0
  override topLevel(root: Y.XmlFragment): ReturnType<PositionIndexedMapping['topLevel']> {
    const index = super.topLevel(root)
    if (index !== null) this.narrowed++
    return index
  }
}

describe('the binding writing only the changed blocks', () => {
  it('is installed in place of the binding’s update', () => {
    expect(updateOfBinding()).toBeTypeOf('function')
    expect(installed).not.toBe(updateOfBinding())
  })

  it('writes what the binding’s own update writes, through random edits', () => {
    const whole = updateOfBinding()!
    for (let round = 0; round < 6; round++) {
      const seed = (Date.now() + round * 7919) >>> 0
      const next = createRandom(seed)
      const ours = fresh()
      const theirs = fresh()
      const mapping = new PositionIndexedMapping()
      const plain = new Map()
      let doc = nodes.doc.create(null, Array.from({ length: 40 + Math.floor(next() * 80) }, () => block(next)))
      for (let step = 0; step < 60; step++) {
        const context = `seed ${seed}, step ${step}`
        write(installed, ours.ydoc, ours.fragment, doc, mapping)
        write(whole, theirs.ydoc, theirs.fragment, doc, plain)
        const expected = doc.toJSON()
        expect(readBack(ours.fragment), context).toEqual(expected)
        expect(readBack(theirs.fragment), context).toEqual(expected)
        expectMappedInPlace(ours.fragment, mapping, doc, context)
        doc = edit(doc, next)
      }
      console.log(`binding changed blocks: seed ${seed}, 60 edits compared`)
    }
  })

  it('keeps two people’s documents equal through local and remote edits, one with the changed blocks and one with the binding’s own update', () => {
    for (let round = 0; round < 4; round++) {
      const seed = (Date.now() + round * 104729) >>> 0
      const next = createRandom(seed)
      const mapping = new CountingMapping()
      const ours = boundEditor(mapping)
      const theirs = boundEditor(new Map())
      ours.change(nodes.doc.create(null, Array.from({ length: 30 }, () => block(next))))
      Y.applyUpdate(theirs.ydoc, Y.encodeStateAsUpdate(ours.ydoc))
      const before = mapping.narrowed
      for (let step = 0; step < 60; step++) {
        const context = `seed ${seed}, step ${step}`
        const oursHad = Y.encodeStateVector(ours.ydoc)
        const theirsHad = Y.encodeStateVector(theirs.ydoc)
        const who = next()
        if (who < 0.7) ours.change(edit(ours.doc, next))
        if (who >= 0.4) theirs.change(edit(theirs.doc, next))
        expect(readBack(ours.fragment), `${context}, ours`).toEqual(ours.doc.toJSON())
        expect(readBack(theirs.fragment), `${context}, theirs`).toEqual(theirs.doc.toJSON())
        expectIndexInStep(ours.fragment, mapping, context)
        // Each gets the other's edits: the binding renders them and maps the new blocks.
        const toTheirs = Y.encodeStateAsUpdate(ours.ydoc, theirsHad)
        Y.applyUpdate(ours.ydoc, Y.encodeStateAsUpdate(theirs.ydoc, oursHad))
        Y.applyUpdate(theirs.ydoc, toTheirs)
        expect(ours.doc.toJSON(), `${context}, after the exchange`).toEqual(theirs.doc.toJSON())
        expect(readBack(ours.fragment), `${context}, after the exchange`).toEqual(ours.doc.toJSON())
        expectIndexInStep(ours.fragment, mapping, `${context}, after the exchange`)
      }
      // The changed-blocks path did the writing, not the fallback.
      expect(mapping.narrowed - before, `seed ${seed}`).toBeGreaterThan(30)
      console.log(`binding changed blocks, two people: seed ${seed}, 60 rounds of edits exchanged`)
    }
  })

  it('writes attributes changed inside an unchanged-looking block, several blocks removed at once, and a repeated block', () => {
    const { ydoc, fragment } = fresh()
    const mapping = new PositionIndexedMapping()
    const first = paragraph('first')
    const last = paragraph('last')
    const item = paragraph('buy milk')
    const steps: Node[][] = [
      [first, nodes.taskList.create(null, nodes.taskItem.create({ checked: false }, item)), last],
      // A task ticked: only a nested element's attribute differs.
      [first, nodes.taskList.create(null, nodes.taskItem.create({ checked: true }, item)), last],
      [first, ...Array.from({ length: 8 }, (_, i) => paragraph(`p${i}`)), last],
    ]
    // Five of the eight paragraphs removed in one change.
    steps.push([steps[2][0], steps[2][1], steps[2][7], steps[2][8], steps[2][9]])
    // The same node object twice at the end: a block copied and pasted.
    steps.push([...steps[3], steps[3][4]])
    // Everything replaced by one block.
    steps.push([nodes.taskList.create(null, taskItem(true, 'only'))])
    for (const [at, children] of steps.entries()) {
      const doc = nodes.doc.create(null, children)
      write(installed, ydoc, fragment, doc, mapping)
      expect(readBack(fragment), `step ${at}`).toEqual(doc.toJSON())
      expectMappedInPlace(fragment, mapping, doc, `step ${at}`)
    }
  })

  it('hands the binding only the blocks between the unchanged ends', () => {
    const seen: number[] = []
    const whole = updateOfBinding()!
    const update = changedBlocksUpdate((y, fragment, node, meta) => {
      seen.push(fragment.toArray().length, node.content.content.length)
      whole(y, fragment, node, meta)
    })
    const { ydoc, fragment } = fresh()
    const mapping = new PositionIndexedMapping()
    const children = Array.from({ length: 500 }, (_, i) => paragraph(`paragraph ${i}`))
    let doc = nodes.doc.create(null, children)
    write(update, ydoc, fragment, doc, mapping)
    // The first write has nothing mapped: everything is compared.
    expect(seen.splice(0)).toEqual([0, 500])
    // A keystroke in the middle: one block on each side.
    children[250] = paragraph('paragraph 250x')
    doc = nodes.doc.create(null, children)
    write(update, ydoc, fragment, doc, mapping)
    expect(seen.splice(0)).toEqual([1, 1])
    // Enter at the end of a block: one block becomes two.
    children.splice(100, 1, paragraph('paragraph'), paragraph(' 100'))
    doc = nodes.doc.create(null, children)
    write(update, ydoc, fragment, doc, mapping)
    expect(seen.splice(0)).toEqual([1, 2])
    // Nothing changed at the top level: the binding is not called.
    write(update, ydoc, fragment, doc, mapping)
    expect(seen).toEqual([])
    expect(readBack(fragment)).toEqual(doc.toJSON())
    expectMappedInPlace(fragment, mapping, doc, 'after the edits')
  })

  it('leaves the whole comparison to the binding where the index cannot read the fragment', () => {
    const seen: number[] = []
    const whole = updateOfBinding()!
    const update = changedBlocksUpdate((y, fragment, node, meta) => {
      seen.push(fragment.toArray().length)
      whole(y, fragment, node, meta)
    })
    const { ydoc, fragment } = fresh()
    const mapping = new PositionIndexedMapping()
    const children = ['one', 'two', 'three'].map((value) => paragraph(value))
    write(update, ydoc, fragment, nodes.doc.create(null, children), mapping)
    seen.length = 0
    // A plain Map (no index): the binding's comparison over every block.
    write(update, ydoc, fragment, nodes.doc.create(null, children), new Map())
    expect(seen).toEqual([3])
    // Inside a transaction that has already changed the list of blocks: the same.
    seen.length = 0
    const fresher = new PositionIndexedMapping()
    write(update, ydoc, fragment, nodes.doc.create(null, children), fresher)
    seen.length = 0
    const added = paragraph('four')
    ydoc.transact(() => {
      fragment.insert(3, [new Y.XmlElement('paragraph')])
      update(ydoc, fragment, nodes.doc.create(null, [...children, added]), { mapping: fresher })
    })
    expect(seen).toEqual([4])
    expect(readBack(fragment)).toEqual(nodes.doc.create(null, [...children, added]).toJSON())
  })
})
