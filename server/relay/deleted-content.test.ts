import { describe, expect, it } from 'vitest'
import * as Y from 'yjs'
import { deletedStateVector, offersDeletedContent, updateBringsBackDeleted } from './deleted-content.ts'
import { DEFAULT_LIMITS } from './limits.ts'

const updateBringsBackDeletedIn = (update: Uint8Array, deleted: Map<number, number>, doc: Y.Doc): boolean => updateBringsBackDeleted(update, deleted, doc, DEFAULT_LIMITS)

/** A document of one client (`client`) that typed `text`, and each keystroke's update. */
function typed(client: number, text: string): { doc: Y.Doc; updates: Uint8Array[] } {
  const doc = new Y.Doc()
  doc.clientID = client
  const updates: Uint8Array[] = []
  doc.on('update', (update: Uint8Array) => updates.push(update))
  for (const char of text) doc.getText('t').insert(doc.getText('t').length, char)
  return { doc, updates }
}

describe('deletedStateVector', () => {
  it('covers every update of the log, over what was kept before; bytes Yjs cannot read are left out', () => {
    const first = typed(1, 'abc')
    const second = typed(2, 'hello')
    const kept = deletedStateVector(first.updates)
    expect(Y.decodeStateVector(kept)).toEqual(new Map([[1, 3]]))
    const merged = deletedStateVector([...second.updates, new Uint8Array([255, 255, 255])], kept)
    expect(Y.decodeStateVector(merged)).toEqual(new Map([[1, 3], [2, 5]]))
    // A compacted state counts as its updates do.
    expect(Y.decodeStateVector(deletedStateVector([Y.encodeStateAsUpdate(second.doc)]))).toEqual(new Map([[2, 5]]))
    expect(Y.decodeStateVector(deletedStateVector([]))).toEqual(new Map())
  })
})

describe('offersDeletedContent', () => {
  const deleted = new Map([[1, 10], [2, 4]])

  it('is true for a client holding deleted content the document lacks', () => {
    expect(offersDeletedContent(new Map([[1, 1]]), deleted, new Y.Doc())).toBe(true)
    expect(offersDeletedContent(new Map([[7, 3], [2, 4]]), deleted, new Y.Doc())).toBe(true)
  })

  it('is false for clients and clocks the deleted document never had', () => {
    expect(offersDeletedContent(new Map(), deleted, new Y.Doc())).toBe(false)
    expect(offersDeletedContent(new Map([[7, 30]]), deleted, new Y.Doc())).toBe(false)
    expect(offersDeletedContent(new Map([[1, 0]]), deleted, new Y.Doc())).toBe(false)
  })

  it('is false once the document holds that content again, and true for what it still lacks', () => {
    const { doc } = typed(2, 'abcdef')
    // The document has client 2 up to clock 6, past the deleted 4: a copy of client 2's content brings nothing back.
    expect(offersDeletedContent(new Map([[2, 9]]), deleted, doc)).toBe(false)
    const { doc: partial } = typed(1, 'abc')
    // Client 1 up to 3 in the document, up to 10 deleted: a copy holding 5 of them brings back two.
    expect(offersDeletedContent(new Map([[1, 5]]), deleted, partial)).toBe(true)
    expect(offersDeletedContent(new Map([[1, 3]]), deleted, partial)).toBe(false)
  })
})

describe('updateBringsBackDeleted', () => {
  it('is true for an update with deleted clocks the document lacks, and false for the rest', () => {
    const old = typed(1, 'abcdef')
    const deleted = new Map([[1, 4]])
    const empty = new Y.Doc()
    expect(updateBringsBackDeletedIn(old.updates[0], deleted, empty)).toBe(true)
    expect(updateBringsBackDeletedIn(Y.encodeStateAsUpdate(old.doc), deleted, empty)).toBe(true)
    // Clocks 4 and 5 came after the delete's record: not deleted content.
    expect(updateBringsBackDeletedIn(old.updates[4], deleted, empty)).toBe(false)
    expect(updateBringsBackDeletedIn(typed(2, 'xy').updates[0], deleted, empty)).toBe(false)
    // A document that holds clocks 0-3 of client 1 again lacks nothing the update brings back.
    const restored = new Y.Doc()
    for (const update of old.updates.slice(0, 4)) Y.applyUpdate(restored, update)
    expect(updateBringsBackDeletedIn(Y.encodeStateAsUpdate(old.doc), deleted, restored)).toBe(false)
    expect(updateBringsBackDeletedIn(new Uint8Array([255, 1, 2]), deleted, empty)).toBe(false)
  })
})
