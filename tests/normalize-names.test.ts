/**
 * Stored names written before the name rules: `normalizeStoredNames` renames
 * each to its canonical form, never merging two documents or losing one, and
 * a second run changes nothing. Against the memory backend, then once
 * against SQLite (through close and reopen).
 */
import { afterEach, describe, expect, it } from 'vitest'
import { createMemoryStorage } from '../server/storage/memory.ts'
import { canonicalRoomName, normalizeStoredNames } from '../server/storage/normalize-names.ts'
import type { DocumentStorage } from '../server/storage/types.ts'
import { MAX_ROOM_NAME_BYTES, validateRoomName } from '../shared/room-name.ts'
import { createSqliteBackend } from './support/storage-backends.ts'

const CAFE_NFC = 'caf\u00e9'
const CAFE_NFD = 'cafe\u0301'
const utf8 = new TextEncoder()
const text = (bytes: Uint8Array): string => new TextDecoder().decode(bytes)

/** A logger that keeps what it was told. */
function recordingLogger(): { warnings: string[]; info(message: string): void; warn(message: string): void; error(message: string): void } {
  const warnings: string[] = []
  return {
    warnings,
    info() {},
    warn: (message) => warnings.push(message),
    error: (message) => warnings.push(`error: ${message}`),
  }
}

/** Store one update per name whose bytes are the name itself: where a document ends up says where it came from. */
async function storeEach(storage: DocumentStorage, names: readonly string[]): Promise<void> {
  for (const name of names) await storage.append(name, [utf8.encode(`content of ${name}`)])
}

/** Each stored name with the text of its (single) update. */
async function contents(storage: DocumentStorage): Promise<Record<string, string>> {
  const result: Record<string, string> = {}
  for (const name of await storage.list()) result[name] = (await storage.load(name)).updates.map(text).join('|')
  return result
}

describe('canonicalRoomName', () => {
  it('normalizes to NFC, drops empty and "." segments, resolves "..", and names nothing "untitled"', () => {
    expect(canonicalRoomName(CAFE_NFD)).toBe(CAFE_NFC)
    expect(canonicalRoomName('doc/')).toBe('doc')
    expect(canonicalRoomName('/doc')).toBe('doc')
    expect(canonicalRoomName('a//b')).toBe('a/b')
    expect(canonicalRoomName('a/./b')).toBe('a/b')
    expect(canonicalRoomName('x/../y')).toBe('y')
    expect(canonicalRoomName('a/b/../../c')).toBe('c')
    expect(canonicalRoomName('../a')).toBe('a')
    expect(canonicalRoomName('..')).toBe('untitled')
    expect(canonicalRoomName('/')).toBe('untitled')
    expect(canonicalRoomName('')).toBe('untitled')
    expect(canonicalRoomName(`team/${CAFE_NFD}/`)).toBe(`team/${CAFE_NFC}`)
    for (const name of ['plain', 'team/q4 plan', CAFE_NFC, '100% done? #1/next']) expect(canonicalRoomName(name)).toBe(name)
  })
})

describe('normalizeStoredNames on memory storage', () => {
  it('renames NFD names to NFC and drops empty and dot segments, keeping the content and logging why', async () => {
    const storage = createMemoryStorage()
    await storeEach(storage, [CAFE_NFD, 'doc/', 'a//b', 'x/./y', 'p/../q', '..', 'fine', 'team/q4 plan'])
    const logger = recordingLogger()

    const { renamed } = await normalizeStoredNames(storage, logger)
    expect(new Map(renamed)).toEqual(
      new Map([
        [CAFE_NFD, CAFE_NFC],
        ['doc/', 'doc'],
        ['a//b', 'a/b'],
        ['x/./y', 'x/y'],
        ['p/../q', 'q'],
        ['..', 'untitled'],
      ]),
    )
    expect(await contents(storage)).toEqual({
      [CAFE_NFC]: `content of ${CAFE_NFD}`,
      doc: 'content of doc/',
      'a/b': 'content of a//b',
      'x/y': 'content of x/./y',
      q: 'content of p/../q',
      untitled: 'content of ..',
      fine: 'content of fine',
      'team/q4 plan': 'content of team/q4 plan',
    })
    // Every new name is one a client can open.
    for (const name of await storage.list()) expect(validateRoomName(name), name).toEqual({ ok: true, name })

    expect(logger.warnings).toHaveLength(renamed.length)
    const nfdLine = logger.warnings.find((line) => line.includes(JSON.stringify(CAFE_NFD)))
    expect(nfdLine).toContain(`→ ${JSON.stringify(CAFE_NFC)}`)
    expect(nfdLine).toMatch(/NFC/)
    expect(logger.warnings.find((line) => line.includes('"doc/"'))).toMatch(/"doc\/" → "doc": .*empty path segment/)
    expect(logger.warnings.find((line) => line.includes('"x/./y"'))).toMatch(/"\." or "\.\." path segment/)
  })

  it('never merges: a name taken by another document gets " (2)", " (3)", … whichever is free', async () => {
    const storage = createMemoryStorage()
    // `doc (2)` already exists, so the two non-canonical spellings of `doc` get (3) and (4).
    await storeEach(storage, [CAFE_NFC, CAFE_NFD, 'doc', 'doc (2)', 'doc/', '/doc'])
    const logger = recordingLogger()

    const { renamed } = await normalizeStoredNames(storage, logger)
    expect(renamed).toEqual([
      ['/doc', 'doc (3)'],
      ['cafe\u0301', `${CAFE_NFC} (2)`],
      ['doc/', 'doc (4)'],
    ])
    expect(await contents(storage)).toEqual({
      [CAFE_NFC]: `content of ${CAFE_NFC}`,
      [`${CAFE_NFC} (2)`]: `content of ${CAFE_NFD}`,
      doc: 'content of doc',
      'doc (2)': 'content of doc (2)',
      'doc (3)': 'content of /doc',
      'doc (4)': 'content of doc/',
    })
    expect(logger.warnings.find((line) => line.includes(`${CAFE_NFC} (2)`))).toMatch(
      new RegExp(`${JSON.stringify(CAFE_NFC)} is another document`),
    )
  })

  it('moves the quarantine with the log', async () => {
    const storage = createMemoryStorage()
    const head = await storage.append('doc/', [utf8.encode('one'), utf8.encode('two')])
    await storage.compact('doc/', utf8.encode('merged'), head, [{ update: utf8.encode('aside'), reason: 'why' }])

    await normalizeStoredNames(storage, recordingLogger())
    expect((await storage.load('doc')).updates.map(text)).toEqual(['merged'])
    expect((await storage.quarantined('doc')).map((entry) => [text(entry.update), entry.reason])).toEqual([['aside', 'why']])
    expect(await storage.quarantined('doc/')).toEqual([])
  })

  it('is idempotent: a second run renames nothing and logs nothing', async () => {
    const storage = createMemoryStorage()
    await storeEach(storage, [CAFE_NFC, CAFE_NFD, 'doc/', 'doc', 'a//b'])
    expect((await normalizeStoredNames(storage, recordingLogger())).renamed).toHaveLength(3)
    const after = await contents(storage)

    const logger = recordingLogger()
    expect(await normalizeStoredNames(storage, logger)).toEqual({ renamed: [] })
    expect(logger.warnings).toEqual([])
    expect(await contents(storage)).toEqual(after)
  })

  it('leaves canonical names alone and does nothing on empty storage', async () => {
    const empty = recordingLogger()
    expect(await normalizeStoredNames(createMemoryStorage(), empty)).toEqual({ renamed: [] })
    expect(empty.warnings).toEqual([])

    const storage = createMemoryStorage()
    const names = ['plain', 'team/specs/q4 plan', '文書', CAFE_NFC, '100% done? #1/next', 'x'.repeat(MAX_ROOM_NAME_BYTES)]
    await storeEach(storage, names)
    const logger = recordingLogger()
    expect(await normalizeStoredNames(storage, logger)).toEqual({ renamed: [] })
    expect(logger.warnings).toEqual([])
    expect([...(await storage.list())].sort()).toEqual([...names].sort())
  })

  it('keeps a name it cannot make valid (too long once in NFC), and says so', async () => {
    // U+0958 is 3 UTF-8 bytes; its NFC form is two characters of 3 bytes each.
    const grows = '\u0958'.repeat(170)
    expect(utf8.encode(grows).length).toBeLessThanOrEqual(MAX_ROOM_NAME_BYTES)
    expect(utf8.encode(grows.normalize('NFC')).length).toBeGreaterThan(MAX_ROOM_NAME_BYTES)
    const storage = createMemoryStorage()
    await storeEach(storage, [grows])
    const logger = recordingLogger()

    expect(await normalizeStoredNames(storage, logger)).toEqual({ renamed: [] })
    expect(await storage.list()).toEqual([grows])
    expect(logger.warnings).toHaveLength(1)
    expect(logger.warnings[0]).toMatch(/too-long.*left as it is/)
  })
})

describe('normalizeStoredNames on SQLite storage', () => {
  const backend = createSqliteBackend()
  afterEach(() => backend.cleanup())

  it('renames for good: collisions get a suffix, the result survives reopening, and a second run renames nothing', async () => {
    const storage = await backend.open()
    await storeEach(storage, [CAFE_NFC, CAFE_NFD, 'doc/', 'team//q4 plan', 'kept'])

    const { renamed } = await normalizeStoredNames(storage, recordingLogger())
    expect(new Map(renamed)).toEqual(
      new Map([
        [CAFE_NFD, `${CAFE_NFC} (2)`],
        ['doc/', 'doc'],
        ['team//q4 plan', 'team/q4 plan'],
      ]),
    )
    await storage.close()

    const reopened = await backend.reopen()
    expect(await contents(reopened)).toEqual({
      [CAFE_NFC]: `content of ${CAFE_NFC}`,
      [`${CAFE_NFC} (2)`]: `content of ${CAFE_NFD}`,
      doc: 'content of doc/',
      'team/q4 plan': 'content of team//q4 plan',
      kept: 'content of kept',
    })
    const logger = recordingLogger()
    expect(await normalizeStoredNames(reopened, logger)).toEqual({ renamed: [] })
    expect(logger.warnings).toEqual([])
    // Appends continue under the new name.
    await reopened.append('doc', [utf8.encode('after')])
    expect((await reopened.load('doc')).updates.map(text)).toEqual(['content of doc/', 'after'])
  })
})
