import * as encoding from 'lib0/encoding'
import { describe, expect, it } from 'vitest'
import * as Y from 'yjs'
import { createRandom, testSeed } from '../../tests/support/harness.ts'
import { DEFAULT_LIMITS } from './limits.ts'
import { LogReplay, replayUnchecked, unsoundness } from './log-replay.ts'

/** Updates of `edit`, one per transaction, as a stock client sends them. */
function updatesOf(edit: (doc: Y.Doc) => void, clientID = 1): Uint8Array[] {
  const doc = new Y.Doc()
  doc.clientID = clientID
  const updates: Uint8Array[] = []
  doc.on('update', (update: Uint8Array) => updates.push(update))
  edit(doc)
  return updates
}

/**
 * One hand-encoded item of client 2 holding the string "X", whose origin is
 * `origin` and right origin `rightOrigin` (items of client 1).
 */
function itemBetween(origin: number, rightOrigin: number): Uint8Array {
  const e = encoding.createEncoder()
  encoding.writeVarUint(e, 1) // one client
  encoding.writeVarUint(e, 1) // one struct
  encoding.writeVarUint(e, 2) // client
  encoding.writeVarUint(e, 0) // clock
  encoding.writeUint8(e, 0x80 | 0x40 | 4) // origin, right origin, string content
  encoding.writeVarUint(e, 1)
  encoding.writeVarUint(e, origin)
  encoding.writeVarUint(e, 1)
  encoding.writeVarUint(e, rightOrigin)
  encoding.writeVarString(e, 'X')
  encoding.writeVarUint(e, 0) // no deletions
  return encoding.toUint8Array(e)
}

const typed = (text: string) => updatesOf((doc) => {
  for (const char of text) doc.getText('t').insert(doc.getText('t').length, char)
})

describe('replaying a stored log unchecked', () => {
  it('gives the document applying the log gives, with edits, deletions and formatting', async () => {
    const updates = updatesOf((doc) => {
      const text = doc.getText('t')
      text.insert(0, 'hello world')
      text.delete(0, 6)
      text.format(0, 5, { bold: true })
      doc.getMap('m').set('nested', { a: [1, { b: 2 }] })
      doc.getXmlFragment('f').insert(0, [new Y.XmlElement('paragraph')])
    })
    const doc = await replayUnchecked(updates, DEFAULT_LIMITS)
    const expected = new Y.Doc()
    for (const update of updates) Y.applyUpdate(expected, update)
    expect(doc).not.toBeNull()
    expect(doc!.getText('t').toDelta()).toEqual([{ insert: 'world', attributes: { bold: true } }])
    expect(Y.encodeStateAsUpdate(doc!)).toEqual(Y.encodeStateAsUpdate(expected))
  })

  it('takes items typed before, between and after others, in any order of the log', async () => {
    // Ada types "ac", Grace inserts "b" between; the log holds Grace's first.
    const ada = typed('ac')
    const aliceDoc = new Y.Doc()
    for (const update of ada) Y.applyUpdate(aliceDoc, update)
    const grace = updatesOf((doc) => {
      Y.applyUpdate(doc, Y.encodeStateAsUpdate(aliceDoc))
      doc.getText('t').insert(1, 'b')
    }, 2)
    const doc = await replayUnchecked([...grace, ...ada], DEFAULT_LIMITS)
    expect(doc?.getText('t').toString()).toBe('abc')
  })

  it('refuses what depends on content the log does not hold (Yjs would keep it pending)', async () => {
    const all = typed('abc')
    expect(await replayUnchecked([all[0], all[2]], DEFAULT_LIMITS)).toBeNull()
  })

  it('refuses what makes Yjs throw', async () => {
    expect(await replayUnchecked([...typed('ab'), Uint8Array.of(1, 1, 9, 0, 0xff)], DEFAULT_LIMITS)).toBeNull()
  })

  it('refuses an item placed outside its neighbours, and takes the same item between them', async () => {
    const ab = typed('ab') // client 1: "a" at clock 0, "b" at clock 1
    expect(await replayUnchecked([...ab, itemBetween(1, 0)], DEFAULT_LIMITS)).toBeNull()
    const doc = await replayUnchecked([...typed('abc'), itemBetween(0, 1)], DEFAULT_LIMITS)
    expect(doc?.getText('t').toString()).toBe('aXbc')
  })

  it('finds an origin far to the left, and one out of order far away', async () => {
    // Ada's "b" has "a" as its origin; Grace then puts 3,000 characters between
    // them, each in front of the last (3,000 items, none merged).
    const a = updatesOf((doc) => doc.getText('t').insert(0, 'ab'))
    const base = new Y.Doc()
    Y.applyUpdate(base, a[0])
    const grace = updatesOf((doc) => {
      Y.applyUpdate(doc, Y.encodeStateAsUpdate(base))
      for (let i = 0; i < 3_000; i++) doc.getText('t').insert(1, 'x')
    }, 3)
    const honest = await replayUnchecked([...a, ...grace], DEFAULT_LIMITS)
    expect(honest?.getText('t').length).toBe(3_002)
    expect(honest!.getText('t')._start!.right!.right!.right!.origin).toMatchObject({ client: 1 })

    // Client 1 types 3,002 characters, each in front of the last: clock 3,001
    // comes first, clock 0 last. An item between the first and the last sits
    // right after the first, its right origin 3,001 items on; one "between"
    // the last and the first lands at the end, its right origin far behind.
    const long = updatesOf((doc) => {
      for (let i = 0; i < 3_002; i++) doc.getText('t').insert(0, 'y')
    })
    const between = await replayUnchecked([...long, itemBetween(3_001, 0)], DEFAULT_LIMITS)
    expect(between?.getText('t').toString().slice(0, 3)).toBe('yXy')
    expect(await replayUnchecked([...long, itemBetween(0, 3_001)], DEFAULT_LIMITS)).toBeNull()
  })

  it('judges a document many people edited, compacted, sound; and an item put outside its neighbours in it not', async () => {
    // Three writers (clients 1, 3 and 4; 2 is itemBetween's) type runs of
    // different lengths at random places and delete, syncing now and then:
    // compacted, their structs are runs of every length, with most origins
    // far from their items, so the check looks up many clocks in each client.
    const seed = testSeed('log replay, many writers')
    const random = createRandom(seed)
    const writers = [1, 3, 4].map((clientID) => {
      const doc = new Y.Doc()
      doc.clientID = clientID
      return doc
    })
    for (let round = 0; round < 400; round++) {
      const doc = writers[Math.floor(random() * writers.length)]
      const text = doc.getText('t')
      if (text.length > 20 && random() < 0.2) text.delete(Math.floor(random() * (text.length - 5)), 1 + Math.floor(random() * 4))
      else text.insert(Math.floor(random() * (text.length + 1)), 'abcdefghijklmnop'.slice(0, 1 + Math.floor(random() * 16)))
      if (random() < 0.3) {
        const [from, to] = [writers[Math.floor(random() * 3)], writers[Math.floor(random() * 3)]]
        Y.applyUpdate(to, Y.encodeStateAsUpdate(from, Y.encodeStateVector(to)))
      }
    }
    for (const from of writers) for (const to of writers) Y.applyUpdate(to, Y.encodeStateAsUpdate(from, Y.encodeStateVector(to)))
    const compacted = Y.encodeStateAsUpdate(writers[0])
    const opened = await replayUnchecked([compacted], DEFAULT_LIMITS)
    expect(opened?.getText('t').toString(), `seed ${seed}`).toBe(writers[0].getText('t').toString())

    // Two characters of client 1 far apart, the first on the left: an item between them is
    // placed between them; one whose origin is the right one and right origin the left one is not.
    const ones: number[] = []
    for (let item = writers[0].getText('t')._start; item !== null; item = item.right) {
      if (item.id.client === 1 && !item.deleted) for (let i = 0; i < item.length; i++) ones.push(item.id.clock + i)
    }
    const [left, right] = [ones[Math.floor(ones.length * 0.1)], ones[Math.floor(ones.length * 0.9)]]
    const between = await replayUnchecked([compacted, itemBetween(left, right)], DEFAULT_LIMITS)
    expect(between?.getText('t').toString(), `seed ${seed}`).toContain('X')
    expect(await replayUnchecked([compacted, itemBetween(right, left)], DEFAULT_LIMITS), `seed ${seed}`).toBeNull()
  })

  it('refuses types nested deeper, values nested deeper and more root types than the limits', async () => {
    const nest = updatesOf((doc) => {
      let map = doc.getMap('root')
      for (let i = 0; i < 5; i++) {
        const inner = new Y.Map()
        map.set('child', inner)
        map = inner
      }
    })
    expect(await replayUnchecked(nest, { ...DEFAULT_LIMITS, maxTypeDepth: 5 })).not.toBeNull()
    expect(await replayUnchecked(nest, { ...DEFAULT_LIMITS, maxTypeDepth: 4 })).toBeNull()

    const value = updatesOf((doc) => doc.getMap('m').set('v', { a: { b: { c: 1 } } }))
    expect(await replayUnchecked(value, { ...DEFAULT_LIMITS, maxValueDepth: 3 })).not.toBeNull()
    expect(await replayUnchecked(value, { ...DEFAULT_LIMITS, maxValueDepth: 2 })).toBeNull()
    const format = updatesOf((doc) => {
      doc.getText('t').insert(0, 'x')
      doc.getText('t').format(0, 1, { link: { href: { deep: {} } } })
    })
    expect(await replayUnchecked(format, { ...DEFAULT_LIMITS, maxValueDepth: 3 })).not.toBeNull()
    expect(await replayUnchecked(format, { ...DEFAULT_LIMITS, maxValueDepth: 2 })).toBeNull()

    const roots = updatesOf((doc) => {
      for (let i = 0; i < 4; i++) doc.getText(`t${i}`).insert(0, 'x')
    })
    expect(await replayUnchecked(roots, { ...DEFAULT_LIMITS, maxRootTypes: 4 })).not.toBeNull()
    expect(await replayUnchecked(roots, { ...DEFAULT_LIMITS, maxRootTypes: 3 })).toBeNull()
  })

  it('gives up once it takes longer than an honest log of its size could', async () => {
    expect(await replayUnchecked(typed('abc'), DEFAULT_LIMITS, -1)).toBeNull()
  })
})

describe('replaying a log pushed in parts as storage reads it', () => {
  const stateOf = (doc: Y.Doc | null): Uint8Array => Y.encodeStateAsUpdate(doc!)
  const next = (): Promise<void> => new Promise((resolve) => setImmediate(resolve))

  it('gives the document the whole log gives, whether parts come at once, between turns or while it is applying', async () => {
    // Long enough that applying one part spans several 10 ms slices, so later parts arrive while it yields.
    const updates = typed('x'.repeat(40_000))
    const whole = await replayUnchecked(updates, DEFAULT_LIMITS)
    const atOnce = new LogReplay(DEFAULT_LIMITS)
    for (let i = 0; i < updates.length; i += 7_000) atOnce.push(updates.slice(i, i + 7_000))
    const betweenTurns = new LogReplay(DEFAULT_LIMITS)
    for (let i = 0; i < updates.length; i += 7_000) {
      betweenTurns.push(updates.slice(i, i + 7_000))
      await next()
    }
    expect(atOnce.pushed).toBe(updates.length)
    const [a, b] = await Promise.all([atOnce.finish(), betweenTurns.finish()])
    expect(whole!.getText('t').length).toBe(40_000)
    expect(stateOf(a)).toEqual(stateOf(whole))
    expect(stateOf(b)).toEqual(stateOf(whole))
  })

  it('applies a part pushed after everything before it was applied (a storage slower than the replay)', async () => {
    const updates = typed('abcdef')
    const replay = new LogReplay(DEFAULT_LIMITS)
    replay.push(updates.slice(0, 3))
    await next()
    replay.push(updates.slice(3))
    expect((await replay.finish())!.getText('t').toString()).toBe('abcdef')
  })

  it('gives null when any part fails, and applies nothing pushed after', async () => {
    const replay = new LogReplay(DEFAULT_LIMITS)
    replay.push(typed('ab'))
    replay.push([Uint8Array.of(1, 1, 9, 0, 0xff)])
    await next()
    replay.push(typed('cd'))
    expect(replay.pushed).toBe(5)
    expect(await replay.finish()).toBeNull()
  })
})
