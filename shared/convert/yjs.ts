/**
 * Between a Yjs document and a ProseMirror document of the editor's schema,
 * through y-prosemirror, on the XML fragment the editor binds
 * (`FRAGMENT_NAME`).
 *
 * Both directions work on a scratch copy of the Yjs document, never on the
 * one given: y-prosemirror deletes, from the Yjs document it reads, any
 * element it cannot turn into a node (unknown to the schema, or invalid
 * there), and a relay's copy must only change through its update pipeline.
 */
import * as Y from 'yjs'
import { prosemirrorToYXmlFragment, yXmlFragmentToProseMirrorRootNode } from 'y-prosemirror'
import type { Node } from 'prosemirror-model'
import { FRAGMENT_NAME, schema } from '../schema.ts'

function scratchCopy(ydoc: Y.Doc): Y.Doc {
  const copy = new Y.Doc()
  Y.applyUpdate(copy, Y.encodeStateAsUpdate(ydoc))
  return copy
}

/**
 * The document's rich text as a ProseMirror document. Elements the schema
 * does not know are left out. An empty fragment gives a `doc` without
 * children.
 *
 * @example
 * readProseMirror(ydoc).toJSON() // { type: 'doc', content: [{ type: 'paragraph', … }] }
 */
export function readProseMirror(ydoc: Y.Doc): Node {
  const copy = scratchCopy(ydoc)
  try {
    return yXmlFragmentToProseMirrorRootNode(copy.getXmlFragment(FRAGMENT_NAME), schema)
  } finally {
    copy.destroy()
  }
}

/**
 * The Yjs update (v1) that turns the document's rich text into `doc`, as
 * one change, or null when it already reads so. Only what differs is
 * replaced (y-prosemirror compares block by block from both ends), so the
 * blocks that stay keep their identity, and the carets of people editing
 * them stay where they were. The change is written under a fresh client ID.
 *
 * @example
 * const update = replaceContentUpdate(handle.doc, cleanDocument(parseMarkdown('# New')))
 * if (update) await handle.submit(update)
 */
export function replaceContentUpdate(ydoc: Y.Doc, doc: Node): Uint8Array | null {
  const copy = scratchCopy(ydoc)
  let update: Uint8Array | null = null
  copy.on('update', (change: Uint8Array) => {
    // One transaction, one event; merge all the same should that ever change.
    update = update === null ? change : Y.mergeUpdates([update, change])
  })
  try {
    copy.transact(() => prosemirrorToYXmlFragment(doc, copy.getXmlFragment(FRAGMENT_NAME)))
    return update
  } finally {
    copy.destroy()
  }
}
