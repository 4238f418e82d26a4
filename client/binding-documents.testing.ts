/**
 * Random documents and edits for the tests of the binding's changes
 * (binding-positions.test.ts, binding-changed-blocks.test.ts; not part of
 * the editor): top-level blocks of the kinds whose positions and mapping
 * differ, whole-document edits as ProseMirror would make them (unchanged
 * blocks stay the same node objects), and an editor state bound to Yjs by
 * the binding's plugin.
 */
import { Fragment, Slice, type Node } from 'prosemirror-model'
import { EditorState, type Selection, type Transaction } from 'prosemirror-state'
import type { EditorView } from 'prosemirror-view'
import { ySyncPlugin } from 'y-prosemirror'
import * as Y from 'yjs'
import { schema } from '../shared/schema.ts'
import { PositionIndexedMapping } from './binding-positions.ts'

const { nodes } = schema
export const text = (value: string) => (value ? schema.text(value) : null)
export const paragraph = (value = '') => nodes.paragraph.create(null, text(value))

export const taskItem = (checked: boolean, value = '') => nodes.taskItem.create({ checked }, paragraph(value))

/** A random top-level block: leaves, nesting, empty text blocks, attributes on nested elements. */
export function block(next: () => number): Node {
  const word = (): string => ['', 'a', 'bc', 'def', 'lorem ipsum'][Math.floor(next() * 5)]
  switch (Math.floor(next() * 9)) {
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
    case 5:
      return nodes.taskList.create(null, [taskItem(next() < 0.5, word()), taskItem(next() < 0.5, word())])
    case 6:
      return nodes.orderedList.create({ start: 1 + Math.floor(next() * 3) }, nodes.listItem.create(null, paragraph(word())))
    default:
      return paragraph(word())
  }
}

/**
 * One edit as a new document: typing, deleting, inserting or removing blocks
 * (one or several), splitting, an equal copy, a block repeated, attributes
 * changed inside a block.
 */
export function edit(doc: Node, next: () => number): Node {
  const index = Math.floor(next() * doc.childCount)
  const children: Node[] = []
  doc.forEach((child) => void children.push(child))
  switch (Math.floor(next() * 9)) {
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
    case 6: // several blocks removed at once (keep one)
      children.splice(index, Math.min(children.length - 1, 2 + Math.floor(next() * 4)))
      break
    case 7: {
      // a block's attributes changed, its content kept: a task ticked, a list renumbered
      const child = children[index]
      if (child.type === nodes.orderedList) children[index] = child.type.create({ ...child.attrs, start: child.attrs.start + 1 }, child.content)
      else if (child.type === nodes.taskList) {
        const first = child.child(0)
        children[index] = child.copy(child.content.replaceChild(0, first.type.create({ checked: !first.attrs.checked }, first.content)))
      }
      break
    }
    default: // several blocks at once
      children.splice(index, Math.floor(next() * 3), block(next), block(next))
  }
  return nodes.doc.create(null, children)
}

/**
 * An editor state bound to a Yjs document of its own by the binding's
 * plugin. Its view is a stand-in that applies each transaction and then
 * runs the plugin view's update, as ProseMirror's view does; there is no
 * DOM here (the browser tests run the whole editor).
 */
export function boundEditor(mapping: Map<Y.AbstractType<any>, unknown>) {
  const ydoc = new Y.Doc()
  const fragment = ydoc.getXmlFragment('default')
  const plugin = ySyncPlugin(fragment, { mapping: mapping as never })
  let state = EditorState.create({ schema, plugins: [plugin] })
  let pluginView: { update?(): void } | undefined
  const view = {
    get state() {
      return state
    },
    hasFocus: () => false,
    dispatch(tr: Transaction) {
      state = state.apply(tr)
      pluginView?.update?.()
    },
  }
  pluginView = plugin.spec.view!(view as unknown as EditorView) as { update?(): void }
  return {
    ydoc,
    fragment,
    get doc(): Node {
      return state.doc
    },
    get selection(): Selection {
      return state.selection
    },
    /** A local change to `doc`: its unchanged blocks stay the same nodes, as an editing step leaves them. */
    change(doc: Node): void {
      view.dispatch(state.tr.replace(0, state.doc.content.size, new Slice(Fragment.from(doc.content), 0, 0)))
    },
    select(selection: (doc: Node) => Selection): void {
      view.dispatch(state.tr.setSelection(selection(state.doc)))
    },
  }
}

/** Two people on one document: each editor's Yjs document sends its changes to the other's. */
export function twoBoundEditors() {
  const first = boundEditor(new PositionIndexedMapping())
  const second = boundEditor(new PositionIndexedMapping())
  first.ydoc.on('update', (update: Uint8Array, origin: unknown) => origin !== 'remote' && Y.applyUpdate(second.ydoc, update, 'remote'))
  second.ydoc.on('update', (update: Uint8Array, origin: unknown) => origin !== 'remote' && Y.applyUpdate(first.ydoc, update, 'remote'))
  return { first, second }
}
