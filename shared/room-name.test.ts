import { describe, expect, it } from 'vitest'
import { MAX_ROOM_NAME_BYTES, roomNameFromPath, roomNameToPath, validateRoomName } from './room-name.ts'

const CAFE_NFC = 'caf\u00e9'
const CAFE_NFD = 'cafe\u0301'

describe('validateRoomName', () => {
  it('returns the NFC form: one name for every spelling of it', () => {
    expect(validateRoomName(CAFE_NFC)).toEqual({ ok: true, name: CAFE_NFC })
    expect(validateRoomName(CAFE_NFD)).toEqual({ ok: true, name: CAFE_NFC })
    // Hangul typed as jamo composes to syllables.
    expect(validateRoomName('\u1112\u1161\u11ab/x')).toEqual({ ok: true, name: '\ud55c/x' })
    // NFC only: compatibility characters stay as they are.
    expect(validateRoomName('ﬁle')).toEqual({ ok: true, name: 'ﬁle' })
  })

  it('refuses empty segments: leading, trailing or doubled "/"', () => {
    for (const name of ['doc/', '/doc', 'a//b', '/', '//', 'a/b/']) {
      expect(validateRoomName(name), name).toEqual({ ok: false, problem: 'empty-segment' })
    }
  })

  it('refuses "." and ".." segments, but not dots inside a segment', () => {
    for (const name of ['.', '..', 'a/./b', 'x/../y', '../x', 'x/..', 'a/.']) {
      expect(validateRoomName(name), name).toEqual({ ok: false, problem: 'dot-segment' })
    }
    for (const name of ['...', '.hidden', 'v1.2', 'a/.../b', '..x', 'x..']) {
      expect(validateRoomName(name), name).toEqual({ ok: true, name })
    }
  })

  it('keeps the older rules', () => {
    expect(validateRoomName('')).toEqual({ ok: false, problem: 'empty' })
    expect(validateRoomName('a\u0000b')).toEqual({ ok: false, problem: 'control-character' })
    expect(validateRoomName('a\u0085b')).toEqual({ ok: false, problem: 'control-character' })
    expect(validateRoomName('x'.repeat(MAX_ROOM_NAME_BYTES))).toEqual({ ok: true, name: 'x'.repeat(MAX_ROOM_NAME_BYTES) })
    expect(validateRoomName('x'.repeat(MAX_ROOM_NAME_BYTES + 1))).toEqual({ ok: false, problem: 'too-long' })
    // A lone surrogate has no UTF-8 form.
    expect(validateRoomName('a\ud800b')).toEqual({ ok: false, problem: 'bad-encoding' })
  })

  it('measures the length of the NFC form', () => {
    // 256 NFD "é" are 768 bytes; their NFC form is 512.
    expect(validateRoomName('e\u0301'.repeat(256))).toEqual({ ok: true, name: '\u00e9'.repeat(256) })
    // U+0958 is 3 bytes, but 6 in NFC (it decomposes): 100 of them are too long.
    expect(validateRoomName('\u0958'.repeat(100))).toEqual({ ok: false, problem: 'too-long' })
  })
})

describe('roomNameFromPath', () => {
  it('decodes, then applies the segment rules, so encoded dots and slashes are caught', () => {
    expect(roomNameFromPath('/x/%2E%2E/y')).toEqual({ ok: false, problem: 'dot-segment' })
    expect(roomNameFromPath('/x/%2e/y')).toEqual({ ok: false, problem: 'dot-segment' })
    expect(roomNameFromPath('/x/.%2E')).toEqual({ ok: false, problem: 'dot-segment' })
    expect(roomNameFromPath('/a%2F%2Fb')).toEqual({ ok: false, problem: 'empty-segment' })
    expect(roomNameFromPath('/doc/')).toEqual({ ok: false, problem: 'empty-segment' })
    expect(roomNameFromPath('//doc')).toEqual({ ok: false, problem: 'empty-segment' })
    expect(roomNameFromPath('/')).toEqual({ ok: false, problem: 'empty' })
  })

  it('returns the NFC form whichever form was encoded', () => {
    expect(roomNameFromPath(`/${encodeURIComponent(CAFE_NFD)}`)).toEqual({ ok: true, name: CAFE_NFC })
    expect(roomNameFromPath(`/${encodeURIComponent(CAFE_NFC)}`)).toEqual({ ok: true, name: CAFE_NFC })
  })
})

describe('roomNameToPath', () => {
  it('encodes the NFC form', () => {
    expect(roomNameToPath(CAFE_NFD)).toBe(roomNameToPath(CAFE_NFC))
    expect(roomNameToPath(CAFE_NFD)).toBe('caf%C3%A9')
    expect(roomNameFromPath(roomNameToPath(`team/${CAFE_NFD}`))).toEqual({ ok: true, name: `team/${CAFE_NFC}` })
  })
})
