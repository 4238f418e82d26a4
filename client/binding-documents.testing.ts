/**
 * Random documents and edits for the tests of the binding's changes
 * (binding-positions.test.ts, binding-changed-blocks.test.ts; not part of
 * the editor): top-level blocks of the kinds whose positions and mapping
 * differ, and whole-document edits as ProseMirror would make them (unchanged
 * blocks stay the same node objects).
 */
import type { Node } from 'prosemirror-model'
import { schema } from '../shared/schema.ts'

const { nodes } = schema
export const text = (value: string) => (value ? schema.text(value) : null)
export const paragraph = (value = '') => nodes.paragraph.create(null, text(value))

/** A random top-level block: leaves, nesting, empty text blocks. */
export function block(next: () => number): Node {
  const word = (): string => ['', 'a', 'bc', 'def', 'lorem ipsum'][Math.floor(next() * 5)]
  switch (Math.floor(next() * 7)) {
    case 0:
      return nodes.heading.create({ level: 1 + Math.floor(next() * 3) }, text(word()))
    case 1:
      return nodes.blockquote.create(null, [paragraph(word()), paragraph(word())])
    case 2:
      return nodes.bulletList.create(null, [nodes.listItem.create(null, paragraph(word())), nodes.listItem.create(null, [paragraph(word()), paragraph(word())])])
    case 3:
      return nodes.horizontalRule.create()
    case 4:
      return nodes.codeBlock.create(null, text(word()))
    default:
      return paragraph(word())
  }
}

/** One edit as a new document: typing, deleting, inserting or removing blocks, splitting, an equal copy, a block repeated. */
export function edit(doc: Node, next: () => number): Node {
  const index = Math.floor(next() * doc.childCount)
  const children: Node[] = []
  doc.forEach((child) => void children.push(child))
  switch (Math.floor(next() * 7)) {
    case 0: // insert a block
      children.splice(index, 0, block(next))
      break
    case 1: // remove a block (keep one)
      if (children.length > 1) children.splice(index, 1)
      break
    case 2: {
      // type into (or replace) a block's text: a new block of the same kind
      children[index] = block(next)
      break
    }
    case 3: {
      // type at the end of a paragraph-like block, as a keystroke does
      const child = children[index]
      if (child.isTextblock) children[index] = child.type.create(child.attrs, text(child.textContent + 'x'))
      break
    }
    case 4: // the same block again, as a new node (equal content, another object)
      children[index] = children[index].copy(children[index].content)
      break
    case 5: // a block of the document again, the same node object (a block copied and pasted, or moved)
      children.splice(index, 0, children[Math.floor(next() * children.length)])
      break
    default: // several blocks at once
      children.splice(index, Math.floor(next() * 3), block(next), block(next))
  }
  return nodes.doc.create(null, children)
}
