import { describe, expect, it } from 'vitest'
import * as Y from 'yjs'
import { covers, statusLabel } from './sync-status.ts'
import { cleanName, colorForName, safeColor } from './user.ts'

describe('user identity', () => {
  it('gives a person the same colour every time, and different people mostly different ones', () => {
    expect(colorForName('Ada')).toBe(colorForName('Ada'))
    expect(colorForName('Ada')).toMatch(/^#[0-9a-f]{6}$/)
    const colours = new Set(['Ada', 'Grace', 'Alan', 'Edsger', 'Barbara', 'Donald'].map(colorForName))
    expect(colours.size).toBeGreaterThanOrEqual(4)
  })

  it('cleans names and bounds their length', () => {
    expect(cleanName('  Ada   Lovelace ')).toBe('Ada Lovelace')
    expect(cleanName('x'.repeat(100))).toHaveLength(40)
  })

  it('lets only #rrggbb colours through', () => {
    expect(safeColor('#12abEF')).toBe('#12abEF')
    expect(safeColor('red; background:url(x)')).toBe('#868e96')
    expect(safeColor(42)).toBe('#868e96')
  })
})

describe('saved state', () => {
  it('is saved only when the relay state vector covers every local clock', () => {
    const doc = new Y.Doc()
    doc.getText('t').insert(0, 'abc')
    const sv = Y.decodeStateVector(Y.encodeStateVector(doc))
    expect(covers(sv, doc)).toBe(true)
    expect(covers(new Map(), doc)).toBe(false)
    doc.getText('t').insert(0, 'd')
    expect(covers(sv, doc)).toBe(false)
    expect(covers(new Map([[doc.clientID, 99]]), doc)).toBe(true)
  })

  it('labels each state', () => {
    expect(statusLabel({ connection: 'synced', saved: true, lastClose: null })).toBe('Saved')
    expect(statusLabel({ connection: 'synced', saved: false, lastClose: null })).toBe('Saving…')
    expect(statusLabel({ connection: 'offline', saved: false, lastClose: null })).toMatch(/^Offline/)
    expect(statusLabel({ connection: 'connecting', saved: false, lastClose: null })).toBe('Connecting…')
  })
})
