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
    const base = { access: 'write', problem: null, lastClose: null } as const
    expect(statusLabel({ ...base, connection: 'synced', saved: true })).toBe('Saved')
    expect(statusLabel({ ...base, connection: 'synced', saved: false })).toBe('Saving…')
    expect(statusLabel({ ...base, connection: 'offline', saved: false })).toMatch(/^Offline/)
    expect(statusLabel({ ...base, connection: 'connecting', saved: false })).toBe('Connecting…')
    expect(statusLabel({ ...base, connection: 'synced', saved: true, access: 'read' })).toBe('Read only')
    // A problem's own sentence wins over the connection's.
    const problem = { code: 'forbidden', message: 'Access denied: not your document', reason: 'not your document' } as const
    expect(statusLabel({ ...base, connection: 'refused', saved: false, problem })).toBe('Access denied: not your document')
    expect(statusLabel({ ...base, connection: 'connecting', saved: true, problem: { code: 'renewing', message: 'Reconnecting…' } })).toBe('Reconnecting…')
  })
})
