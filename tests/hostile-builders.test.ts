/**
 * The hostile-input builders (tests/support/hostile.ts) make what they say:
 * the report's byte counts at the default sizes, bytes Yjs decodes as the
 * structure described, and the hand-written v1 encoding equal to what Yjs
 * writes where Yjs can write it. Small sizes unless a size is the point.
 */
import { describe, expect, it } from 'vitest'
import * as Y from 'yjs'
import { decodeAwarenessUpdate } from '../shared/awareness-codec.ts'
import * as hostile from './support/hostile.ts'
import { itemsUpdate, TypeRef } from './support/hostile-v1.ts'

describe('hostile-input builders', () => {
  it('build the deep nest with Yjs exactly as the v1 writer would by hand, 533,496 bytes at 50,000 levels', () => {
    const depth = 300
    const byHand = itemsUpdate(
      hostile.ATTACKER_CLIENT,
      0,
      Array.from({ length: depth }, (_, level) => ({
        parent: level === 0 ? { root: 'nest' } : { item: { client: hostile.ATTACKER_CLIENT, clock: level - 1 } },
        parentSub: 'k',
        content: { kind: 'type' as const, typeRef: TypeRef.MAP },
      })),
    )
    expect(hostile.deepMapNest({ depth })).toEqual(byHand)
    expect(hostile.deepMapNest().byteLength).toBe(533_496)
    expect(hostile.deleteNestRoot().byteLength).toBe(8)
  })

  it('delete the nest root so that applying it overflows the stack', () => {
    const doc = new Y.Doc()
    Y.applyUpdate(doc, hostile.deepMapNest({ depth: 50_000 }))
    expect(() => Y.applyUpdate(doc, hostile.deleteNestRoot())).toThrow(RangeError)
  })

  it('make deletions of unknown clients that Yjs keeps pending', () => {
    const doc = new Y.Doc()
    Y.applyUpdate(doc, hostile.unknownClientDeletes({ clients: 50 }))
    expect(doc.store.pendingDs).not.toBeNull()
    expect(Y.decodeUpdate(hostile.unknownClientDeletes({ clients: 50 })).ds.clients.size).toBe(50)
    expect(hostile.unknownClientDeletes({ clients: 1_000 }).byteLength).toBe(1 + 2 + 1_000 * 7)
  })

  it('make descending one-character deletions, from scratch or over a live document, that delete what they name', () => {
    const doc = new Y.Doc()
    Y.applyUpdate(doc, hostile.longTextInsert({ chars: 200 }))
    const state = Y.encodeStateAsUpdate(doc)
    const overText = hostile.descendingDeletesOverText(state, { ranges: 100 })
    expect(overText).toEqual(hostile.descendingOneCharDeletes({ ranges: 100 }))
    const ranges = Y.decodeUpdate(overText).ds.clients.get(hostile.ATTACKER_CLIENT)!
    expect(ranges.map((range) => range.clock)).toEqual(Array.from({ length: 100 }, (_, i) => 198 - 2 * i))
    Y.applyUpdate(doc, overText)
    expect(doc.getText('attack').length).toBe(100)
    // Only the clients asked for.
    expect(Y.decodeUpdate(hostile.descendingDeletesOverText(state, { clients: [1] })).ds.clients.size).toBe(0)
  })

  it('make updates of nothing at the report sizes: zero-length GC structs, empty clients', () => {
    expect(hostile.zeroLengthGcStructs().byteLength).toBe(4_000_009)
    const gc = Y.decodeUpdate(hostile.zeroLengthGcStructs({ structs: 100 }))
    expect(gc.structs).toHaveLength(100)
    expect(gc.structs.every((struct) => struct instanceof Y.GC && struct.length === 0)).toBe(true)
    expect(hostile.emptyClients().byteLength).toBe(5_902_852)
    const doc = new Y.Doc()
    Y.applyUpdate(doc, hostile.emptyClients({ clients: 100 }))
    expect(doc.store.clients.size).toBe(0)
  })

  it('make the variants: zero-length items, Skip structs, a forward reference', () => {
    const zero = Y.decodeUpdate(hostile.zeroLengthItems({ items: 10 }))
    expect(zero.structs.every((struct) => struct.length === 0)).toBe(true)
    const skips = Y.decodeUpdate(hostile.skipStructs({ skips: 10 }))
    expect(skips.structs.filter((struct) => struct instanceof Y.Skip)).toHaveLength(10)
    const doc = new Y.Doc()
    Y.applyUpdate(doc, hostile.forwardReference({ items: 10 }))
    expect(doc.store.pendingStructs).not.toBeNull()
    expect(doc.getText('attack').length).toBe(0)
  })

  it('make a state vector of many clients, 4,000,003 bytes at 1,000,000', () => {
    expect(hostile.hugeStateVector().byteLength).toBe(4_000_003)
    expect(Y.decodeStateVector(hostile.hugeStateVector({ clients: 1_000 })).size).toBe(1_000)
  })

  it('make a burst of keystrokes that apply in order', () => {
    const doc = new Y.Doc()
    for (const update of hostile.keystrokeBurst({ updates: 500 })) Y.applyUpdate(doc, update)
    expect(doc.getText('burst').toString()).toBe('x'.repeat(500))
    expect(doc.store.pendingStructs).toBeNull()
  })

  it('make awareness updates of the report sizes', () => {
    const large = hostile.largeAwarenessState({ bytes: 1_000 })
    expect(decodeAwarenessUpdate(large)[0].stateJson).toHaveLength(1_000)
    expect(hostile.manyAwarenessIds().byteLength).toBe(700_003)
    expect(hostile.awarenessFlood({ updates: 5 }).map((update) => decodeAwarenessUpdate(update)[0].clock)).toEqual([1, 2, 3, 4, 5])
    const churn = [...hostile.awarenessChurn({ ids: 25, perUpdate: 10 })].map(decodeAwarenessUpdate)
    expect(churn.map((entries) => entries.length)).toEqual([10, 10, 10, 10, 5, 5])
    expect(churn[1].every((entry) => entry.stateJson === 'null')).toBe(true)
  })

  it('write raw requests with the given path and Host', () => {
    const request = hostile.rawHttpRequest({ path: hostile.DOT_SEGMENT_PATH, host: hostile.MALFORMED_HOST, upgrade: true })
    expect(request.startsWith('GET /x/../y HTTP/1.1\r\nHost: example.com:99999\r\n')).toBe(true)
    expect(request.endsWith('\r\n\r\n')).toBe(true)
    expect(hostile.CONFUSABLE_NAMES[0].names[0].normalize('NFD')).toBe(hostile.CONFUSABLE_NAMES[0].names[1])
  })
})
