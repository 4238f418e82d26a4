import { describe, expect, it } from 'vitest'
import { Awareness, encodeAwarenessUpdate as yEncodeAwarenessUpdate } from 'y-protocols/awareness'
import * as Y from 'yjs'
import { decodeAwarenessUpdate, encodeAwarenessUpdate, isRemoval, type AwarenessEntry } from './awareness-codec.ts'
import { ProtocolError } from './protocol.ts'
import { bytesOf as bytes } from '../tests/support/bytes.ts'


describe('awareness codec', () => {
  it('round-trips entries, keeping the JSON text exactly as given', () => {
    const entries: AwarenessEntry[] = [
      { clientId: 1, clock: 0, stateJson: '{"user":{"name":"Ada","color":"#f00"},"cursor":null}' },
      { clientId: 2 ** 32 - 1, clock: 2 ** 40, stateJson: '{ "spaced" : [1, 2] }' },
      { clientId: 7, clock: 3, stateJson: 'null' },
      { clientId: 8, clock: 1, stateJson: '"文書 ✓"' },
    ]
    expect(decodeAwarenessUpdate(encodeAwarenessUpdate(entries))).toEqual(entries)
  })

  it('round-trips an empty update', () => {
    const empty = encodeAwarenessUpdate([])
    expect(empty).toEqual(Uint8Array.of(0))
    expect(decodeAwarenessUpdate(empty)).toEqual([])
  })

  it("reads y-protocols' own encoding, and y-protocols reads ours", () => {
    const doc = new Y.Doc()
    const awareness = new Awareness(doc)
    try {
      awareness.setLocalState({ user: { name: 'Grace' } })
      const theirs = yEncodeAwarenessUpdate(awareness, [doc.clientID])
      const decoded = decodeAwarenessUpdate(theirs)
      expect(decoded).toHaveLength(1)
      expect(decoded[0].clientId).toBe(doc.clientID)
      expect(JSON.parse(decoded[0].stateJson)).toEqual({ user: { name: 'Grace' } })
      expect(encodeAwarenessUpdate(decoded)).toEqual(theirs)
    } finally {
      awareness.destroy()
      doc.destroy()
    }
  })

  it.each(['{not json', '', 'undefined', "{'single':1}", '{"a":1}}'])('throws ProtocolError for the state %j', (state) => {
    const update = bytes(1, 5, 1, state)
    expect(() => decodeAwarenessUpdate(update)).toThrow(ProtocolError)
  })

  it('throws ProtocolError when one bad state follows good ones', () => {
    const update = bytes(2, 5, 1, '{"ok":true}', 6, 1, '{nope')
    expect(() => decodeAwarenessUpdate(update)).toThrow(ProtocolError)
  })

  it('throws ProtocolError when the count exceeds the bytes, without allocating for it', () => {
    expect(() => decodeAwarenessUpdate(bytes(2 ** 31, 1, 1, '{}'))).toThrow(/count .* too large/)
    expect(() => decodeAwarenessUpdate(bytes(Number.MAX_SAFE_INTEGER))).toThrow(ProtocolError)
    // Small enough to pass the cheap check, still more entries than present.
    expect(() => decodeAwarenessUpdate(bytes(3, 1, 1, '{}'))).toThrow(ProtocolError)
  })

  it('throws ProtocolError for trailing bytes', () => {
    const update = bytes(encodeAwarenessUpdate([{ clientId: 1, clock: 1, stateJson: '{}' }]), 0)
    expect(() => decodeAwarenessUpdate(update)).toThrow(/trailing bytes/)
  })

  it('throws ProtocolError for every truncation of a valid update', () => {
    const whole = encodeAwarenessUpdate([
      { clientId: 300, clock: 200, stateJson: '{"user":"a"}' },
      { clientId: 301, clock: 1, stateJson: 'null' },
    ])
    for (let length = 0; length < whole.byteLength; length++) {
      expect(() => decodeAwarenessUpdate(whole.slice(0, length)), `length ${length}`).toThrow(ProtocolError)
    }
  })

  it('throws ProtocolError for a state string whose length overruns the update', () => {
    expect(() => decodeAwarenessUpdate(bytes(1, 1, 1, 2 ** 31, Uint8Array.of(0x7b, 0x7d)))).toThrow(ProtocolError)
  })

  it('isRemoval is true only for the JSON text "null"', () => {
    const entry = (stateJson: string): AwarenessEntry => ({ clientId: 1, clock: 1, stateJson })
    expect(isRemoval(entry('null'))).toBe(true)
    expect(isRemoval(entry('{}'))).toBe(false)
    expect(isRemoval(entry('"null"'))).toBe(false)
    expect(isRemoval(entry('{"state":null}'))).toBe(false)
  })
})
