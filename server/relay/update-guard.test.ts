import * as encoding from 'lib0/encoding'
import { describe, expect, it } from 'vitest'
import * as Y from 'yjs'
import { FRAGMENT_NAME } from '../../shared/schema.ts'
import { createRandom, testSeed } from '../../tests/support/harness.ts'
import { DEFAULT_LIMITS, type RelayLimits } from './limits.ts'
import { PendingOverlay } from './pending-overlay.ts'
import { guardUpdate, type GuardResult } from './update-guard.ts'
import { UpdateRefused } from './update-parse.ts'

const limits: RelayLimits = { ...DEFAULT_LIMITS }

/** Hand-encode a v1 update of items for one client (the layout Yjs writes). */
function encodeItems(client: number, items: { info: number; write: (e: encoding.Encoder) => void }[], firstClock = 0, deletes: [number, [number, number][]][] = []): Uint8Array {
  const e = encoding.createEncoder()
  encoding.writeVarUint(e, 1) // one client
  encoding.writeVarUint(e, items.length)
  encoding.writeVarUint(e, client)
  encoding.writeVarUint(e, firstClock)
  for (const item of items) {
    encoding.writeUint8(e, item.info)
    item.write(e)
  }
  writeDeletes(e, deletes)
  return encoding.toUint8Array(e)
}

function writeDeletes(e: encoding.Encoder, deletes: [number, [number, number][]][]): void {
  encoding.writeVarUint(e, deletes.length)
  for (const [client, ranges] of deletes) {
    encoding.writeVarUint(e, client)
    encoding.writeVarUint(e, ranges.length)
    for (const [clock, length] of ranges) {
      encoding.writeVarUint(e, clock)
      encoding.writeVarUint(e, length)
    }
  }
}

/** Only deletions. */
function deletesOnly(deletes: [number, [number, number][]][]): Uint8Array {
  const e = encoding.createEncoder()
  encoding.writeVarUint(e, 0)
  writeDeletes(e, deletes)
  return encoding.toUint8Array(e)
}

// info bits: 0b1000_0000 origin, 0b0100_0000 right origin, low 5 bits content ref (4 = string, 7 = type, 0 = GC).
const rootType = (typeRef = 2) => ({ info: 7, write: (e: encoding.Encoder) => { encoding.writeVarUint(e, 1); encoding.writeVarString(e, 'root'); encoding.writeVarUint(e, typeRef) } })
const typeUnder = (parentClient: number, parentClock: number) => ({
  info: 7,
  write: (e: encoding.Encoder) => {
    encoding.writeVarUint(e, 0)
    encoding.writeVarUint(e, parentClient)
    encoding.writeVarUint(e, parentClock)
    encoding.writeVarUint(e, 1) // a map
  },
})
const stringUnder = (parentClient: number, parentClock: number, text = 'x') => ({
  info: 4,
  write: (e: encoding.Encoder) => {
    encoding.writeVarUint(e, 0) // parent is an ID...
    encoding.writeVarUint(e, parentClient)
    encoding.writeVarUint(e, parentClock)
    encoding.writeVarString(e, text)
  },
})
const stringInRoot = (text: string) => ({ info: 4, write: (e: encoding.Encoder) => { encoding.writeVarUint(e, 1); encoding.writeVarString(e, 'root'); encoding.writeVarString(e, text) } })
const gc = (length: number) => ({ info: 0, write: (e: encoding.Encoder) => encoding.writeVarUint(e, length) })

const refusal = (doc: Y.Doc, update: Uint8Array): UpdateRefused => {
  try {
    guardUpdate(doc, null, update, limits)
  } catch (error) {
    if (error instanceof UpdateRefused) return error
    throw error
  }
  throw new Error('the update was accepted')
}

/** Apply what the guard accepted; the document must never be left with pending state. */
function applyParts(doc: Y.Doc, result: GuardResult): void {
  for (const part of result.parts) Y.applyUpdate(doc, part.update)
  expect(doc.store.pendingStructs).toBeNull()
  expect(doc.store.pendingDs).toBeNull()
}

describe('guardUpdate: what Yjs produces passes whole', () => {
  it('accepts every update of an editing session and the full state, unchanged', () => {
    const source = new Y.Doc()
    const updates: Uint8Array[] = []
    source.on('update', (u: Uint8Array) => updates.push(u))
    source.getText('t').insert(0, 'hello')
    source.getMap('m').set('k', new Y.Text('nested'))
    source.getText('t').delete(1, 2)
    source.getXmlFragment(FRAGMENT_NAME).insert(0, [new Y.XmlElement('paragraph')])
    const relay = new Y.Doc()
    for (const update of updates) {
      const result = guardUpdate(relay, null, update, limits)
      expect(result.cut).toBe(false)
      expect(result.parts.map((part) => part.whole)).toEqual([true])
      expect(result.parts[0].update).toBe(update)
      applyParts(relay, result)
    }
    expect(relay.getText('t').toString()).toBe('hlo')
    // The full state again adds nothing: only ranges already deleted, which are left out.
    expect(guardUpdate(relay, null, Y.encodeStateAsUpdate(source), limits).parts).toEqual([])
  })

  it('accepts a child of a nested type from the same update', () => {
    const update = encodeItems(5, [rootType(), stringUnder(5, 0)])
    const doc = new Y.Doc()
    applyParts(doc, guardUpdate(doc, null, update, limits))
  })
})

describe('guardUpdate: refuses what would break Yjs or the relay', () => {
  it('an item whose parent is a later clock of its own client (Yjs throws applying it)', () => {
    const update = encodeItems(5, [rootType(), stringUnder(5, 81)])
    expect(() => Y.applyUpdate(new Y.Doc(), update)).toThrow()
    expect(refusal(new Y.Doc(), update).kind).toBe('malformed')
  })

  it('an item whose parent holds no type', () => {
    expect(refusal(new Y.Doc(), encodeItems(5, [stringInRoot('ab'), stringUnder(5, 0)])).kind).toBe('malformed')
  })

  it('bytes that do not decode, trailing bytes, a string that is not UTF-8', () => {
    expect(refusal(new Y.Doc(), Uint8Array.of(1, 200, 3)).kind).toBe('malformed')
    const good = encodeItems(5, [stringInRoot('ab')])
    expect(refusal(new Y.Doc(), Uint8Array.from([...good, 0])).message).toMatch(/trailing/)
    const bad = encodeItems(5, [stringInRoot('é')])
    bad[bad.length - 2] = 0xff // the second byte of é
    expect(refusal(new Y.Doc(), bad).message).toMatch(/UTF-8/)
  })

  it('zero-length structs, clients with no structs, zero-length or unsorted delete ranges', () => {
    expect(refusal(new Y.Doc(), encodeItems(5, [gc(0)])).message).toMatch(/zero-length struct/)
    expect(refusal(new Y.Doc(), encodeItems(5, [stringInRoot('')])).message).toMatch(/zero-length struct/)
    expect(refusal(new Y.Doc(), Uint8Array.of(1, 0, 5, 0, 0)).message).toMatch(/no structs/)
    expect(refusal(new Y.Doc(), deletesOnly([[5, [[3, 0]]]])).message).toMatch(/zero-length deleted range/)
    expect(refusal(new Y.Doc(), deletesOnly([[5, [[3, 1], [1, 1]]]])).message).toMatch(/out of order/)
    expect(refusal(new Y.Doc(), deletesOnly([[5, [[1, 3], [2, 1]]]])).message).toMatch(/out of order/)
  })

  it(`types nested deeper than ${limits.maxTypeDepth}`, () => {
    const items = [rootType(1)]
    for (let level = 1; level <= limits.maxTypeDepth; level++) items.push(typeUnder(5, level - 1))
    // maxTypeDepth levels: fine; one more is refused.
    const doc = new Y.Doc()
    applyParts(doc, guardUpdate(doc, null, encodeItems(5, items.slice(0, limits.maxTypeDepth)), limits))
    const deeper = refusal(new Y.Doc(), encodeItems(5, items))
    expect(deeper.kind).toBe('limit')
    expect(deeper.message).toMatch(/nested deeper/)
    // Also when the nest grows across updates.
    expect(refusal(doc, encodeItems(5, [typeUnder(5, limits.maxTypeDepth - 1)], limits.maxTypeDepth)).kind).toBe('limit')
  })

  it('values nested deeper than the value limit, in JSON and in Any', () => {
    const deepJson = '['.repeat(limits.maxValueDepth + 1) + ']'.repeat(limits.maxValueDepth + 1)
    const json = { info: 2, write: (e: encoding.Encoder) => { encoding.writeVarUint(e, 1); encoding.writeVarString(e, 'root'); encoding.writeVarUint(e, 1); encoding.writeVarString(e, deepJson) } }
    expect(refusal(new Y.Doc(), encodeItems(5, [json])).kind).toBe('limit')
    const any = {
      info: 8,
      write: (e: encoding.Encoder) => {
        encoding.writeVarUint(e, 1)
        encoding.writeVarString(e, 'root')
        encoding.writeVarUint(e, 1)
        for (let i = 0; i <= limits.maxValueDepth; i++) {
          encoding.writeUint8(e, 117) // an array of one
          encoding.writeVarUint(e, 1)
        }
        encoding.writeUint8(e, 126) // null
      },
    }
    expect(refusal(new Y.Doc(), encodeItems(5, [any])).kind).toBe('limit')
  })

  it('more root types than a document may have', () => {
    const doc = new Y.Doc()
    for (let i = 0; i < limits.maxRootTypes; i++) doc.getMap(`m${i}`)
    const update = encodeItems(5, [{ info: 4, write: (e) => { encoding.writeVarUint(e, 1); encoding.writeVarString(e, 'one-more'); encoding.writeVarString(e, 'x') } }])
    expect(refusal(doc, update).message).toMatch(/root types/)
  })

  it('more structs, clients or ranges than the limits', () => {
    const many = encodeItems(5, Array.from({ length: 50 }, () => gc(1)))
    expect(() => guardUpdate(new Y.Doc(), null, many, { ...limits, maxUpdateStructs: 49 })).toThrow(/more than 49 structs/)
    const ranges = deletesOnly([[5, Array.from({ length: 10 }, (_, i): [number, number] => [i * 2, 1])]])
    expect(() => guardUpdate(new Y.Doc(), null, ranges, { ...limits, maxUpdateDeleteRanges: 9 })).toThrow(/deleted ranges/)
  })
})

describe('guardUpdate: cuts off what Yjs would keep pending', () => {
  it('deletions for clients the document has never seen: nothing to apply', () => {
    const doc = new Y.Doc()
    doc.getText('t').insert(0, 'abc')
    const result = guardUpdate(doc, null, deletesOnly([[123, [[0, 5]]], [doc.clientID, [[1, 1]]]]), limits)
    expect(result.cut).toBe(true)
    applyParts(doc, result)
    expect(doc.getText('t').toString()).toBe('ac')
  })

  it('structs after a gap in their client’s clock', () => {
    const result = guardUpdate(new Y.Doc(), null, encodeItems(5, [stringInRoot('late')], 10), limits)
    expect(result).toEqual({ parts: [], cut: true })
  })

  it('an item whose origin is another client’s struct the document lacks, and what builds on it', () => {
    const a = new Y.Doc()
    a.clientID = 1
    a.getText('t').insert(0, 'a')
    const b = new Y.Doc()
    b.clientID = 2
    Y.applyUpdate(b, Y.encodeStateAsUpdate(a))
    const updates: Uint8Array[] = []
    b.on('update', (u: Uint8Array) => updates.push(u))
    b.getText('t').insert(1, 'b')
    b.getText('t').insert(2, 'c')
    const relay = new Y.Doc()
    for (const update of updates) expect(guardUpdate(relay, null, update, limits)).toEqual({ parts: [], cut: true })
    // Once a's content arrives, b's whole state goes in.
    applyParts(relay, guardUpdate(relay, null, Y.encodeStateAsUpdate(a), limits))
    applyParts(relay, guardUpdate(relay, null, Y.encodeStateAsUpdate(b), limits))
    expect(relay.getText('t').toString()).toBe('abc')
  })

  it('parts of an accepted update not yet applied count: the next update may build on them', () => {
    const source = new Y.Doc()
    const updates: Uint8Array[] = []
    source.on('update', (u: Uint8Array) => updates.push(u))
    source.getText('t').insert(0, 'one ')
    source.getText('t').insert(4, 'two')
    const relay = new Y.Doc()
    const overlay = new PendingOverlay()
    const first = guardUpdate(relay, overlay, updates[0], limits)
    const footprint = overlay.add(first.parts[0].structs, first.parts[0].rootNames)
    const second = guardUpdate(relay, overlay, updates[1], limits)
    expect(second.cut).toBe(false)
    applyParts(relay, first)
    overlay.release(footprint)
    applyParts(relay, second)
    expect(relay.getText('t').toString()).toBe('one two')
  })
})

describe('guardUpdate: large updates are cut into parts within the budget', () => {
  it('a big state in parts builds the same document', () => {
    const source = new Y.Doc()
    const text = source.getText('t')
    for (let i = 0; i < 3000; i++) text.insert(0, String.fromCharCode(97 + (i % 26)))
    text.delete(100, 2000)
    const result = guardUpdate(new Y.Doc(), null, Y.encodeStateAsUpdate(source), { ...limits, partBudget: 250 })
    expect(result.parts.length).toBeGreaterThan(4)
    const relay = new Y.Doc()
    applyParts(relay, result)
    expect(relay.getText('t').toString()).toBe(text.toString())
  })
})

describe('guardUpdate: random editing, random delivery', () => {
  it('documents converge with the guard in the way, and nothing is ever left pending', () => {
    const seed = testSeed('update-guard')
    const random = createRandom(seed)
    for (let round = 0; round < 20; round++) {
      const peers = Array.from({ length: 3 }, (_, i) => {
        const doc = new Y.Doc()
        doc.clientID = 100 + i
        return doc
      })
      const log: { from: number; update: Uint8Array }[] = []
      peers.forEach((doc, i) => doc.on('update', (u: Uint8Array) => log.push({ from: i, update: u })))
      for (let step = 0; step < 60; step++) {
        const peer = peers[Math.floor(random() * peers.length)]
        const text = peer.getText('t')
        if (text.length > 0 && random() < 0.3) text.delete(Math.floor(random() * text.length), 1 + Math.floor(random() * 3))
        else text.insert(Math.floor(random() * (text.length + 1)), String.fromCharCode(97 + Math.floor(random() * 26)))
        if (random() < 0.3) {
          // Sync two peers, as the relay would let them.
          const [x, y] = [peers[Math.floor(random() * 3)], peers[Math.floor(random() * 3)]]
          Y.applyUpdate(y, Y.encodeStateAsUpdate(x, Y.encodeStateVector(y)))
        }
      }
      // The relay sees the updates shuffled, then each peer's full state (its next sync).
      const shuffled = log.map((entry) => entry.update).sort(() => random() - 0.5)
      const relay = new Y.Doc()
      for (const update of [...shuffled, ...peers.map((peer) => Y.encodeStateAsUpdate(peer))]) applyParts(relay, guardUpdate(relay, null, update, limits))
      for (const peer of peers) Y.applyUpdate(peer, Y.encodeStateAsUpdate(relay))
      const expected = peers[0].getText('t').toString()
      expect(relay.getText('t').toString(), `seed ${seed}, round ${round}`).toBe(expected)
    }
  })
})
