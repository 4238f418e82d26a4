import { describe, expect, it } from 'vitest'
import * as Y from 'yjs'
import * as encoding from 'lib0/encoding'
import { isAcceptableUpdate, isEmptyUpdate } from './update-check.ts'

/** Hand-encode a v1 update of items for one client (the layout Yjs writes). */
function encodeItems(client: number, items: { info: number; write: (e: encoding.Encoder) => void }[]): Uint8Array {
  const e = encoding.createEncoder()
  encoding.writeVarUint(e, 1) // one client
  encoding.writeVarUint(e, items.length)
  encoding.writeVarUint(e, client)
  encoding.writeVarUint(e, 0) // first clock
  for (const item of items) {
    encoding.writeUint8(e, item.info)
    item.write(e)
  }
  encoding.writeVarUint(e, 0) // empty delete set
  return encoding.toUint8Array(e)
}

// info bits: 0b1000_0000 origin, 0b0100_0000 right origin, low 5 bits content ref (4 = string, 7 = type).
const rootText = { info: 7, write: (e: encoding.Encoder) => { encoding.writeVarUint(e, 1); encoding.writeVarString(e, 'root'); encoding.writeVarUint(e, 2) } }
const stringUnder = (parentClient: number, parentClock: number) => ({
  info: 4,
  write: (e: encoding.Encoder) => {
    encoding.writeVarUint(e, 0) // parent is an ID...
    encoding.writeVarUint(e, parentClient)
    encoding.writeVarUint(e, parentClock)
    encoding.writeVarString(e, 'x')
  },
})

describe('isAcceptableUpdate', () => {
  it('accepts what Yjs itself produces', () => {
    const doc = new Y.Doc()
    const updates: Uint8Array[] = []
    doc.on('update', (u: Uint8Array) => updates.push(u))
    doc.getText('t').insert(0, 'hello')
    doc.getMap('m').set('k', new Y.Text('nested'))
    doc.getText('t').delete(1, 2)
    for (const update of updates) expect(isAcceptableUpdate(update)).toBe(true)
    expect(isAcceptableUpdate(Y.encodeStateAsUpdate(doc))).toBe(true)
  })

  it('accepts a child of a nested type from the same update', () => {
    const update = encodeItems(5, [rootText, stringUnder(5, 0)])
    expect(isAcceptableUpdate(update)).toBe(true)
    expect(() => Y.applyUpdate(new Y.Doc(), update)).not.toThrow()
  })

  it('refuses an item whose parent is a later clock of its own client (Yjs throws applying it)', () => {
    const update = encodeItems(5, [rootText, stringUnder(5, 81)])
    expect(() => Y.decodeUpdate(update)).not.toThrow()
    expect(() => Y.applyUpdate(new Y.Doc(), update)).toThrow()
    expect(isAcceptableUpdate(update)).toBe(false)
  })

  it('refuses an item whose parent in the same update holds no type', () => {
    const stringRoot = { info: 4, write: (e: encoding.Encoder) => { encoding.writeVarUint(e, 1); encoding.writeVarString(e, 'root'); encoding.writeVarString(e, 'ab') } }
    const update = encodeItems(5, [stringRoot, stringUnder(5, 0)])
    expect(isAcceptableUpdate(update)).toBe(false)
  })

  it('refuses bytes that do not decode', () => {
    expect(isAcceptableUpdate(Uint8Array.of(1, 200, 3))).toBe(false)
  })
})

describe('isEmptyUpdate', () => {
  it('recognises the empty v1 update only', () => {
    expect(isEmptyUpdate(Y.encodeStateAsUpdate(new Y.Doc()))).toBe(true)
    const doc = new Y.Doc()
    doc.getText('t').insert(0, 'a')
    expect(isEmptyUpdate(Y.encodeStateAsUpdate(doc))).toBe(false)
  })
})
