import { describe, expect, it } from 'vitest'
import * as Y from 'yjs'
import { covers, statusLabel } from './sync-status.ts'
import { cleanName, colorForName, PEOPLE_COLORS, safeColor } from './user.ts'

describe('user identity', () => {
  it('gives a person the same colour every time, and different people mostly different ones', () => {
    expect(colorForName('Ada')).toBe(colorForName('Ada'))
    expect(colorForName('Ada')).toMatch(/^#[0-9a-f]{6}$/)
    const colours = new Set(['Ada', 'Grace', 'Alan', 'Edsger', 'Barbara', 'Donald'].map(colorForName))
    expect(colours.size).toBeGreaterThanOrEqual(4)
  })

  it('has people colours that are evenly far apart to the eye and carry white labels', () => {
    // OKLab (Björn Ottosson's matrices), where distance follows perceived difference.
    const oklab = (hex: string): [number, number, number] => {
      const [r, g, b] = [1, 3, 5].map((i) => {
        const c = parseInt(hex.slice(i, i + 2), 16) / 255
        return c <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4
      })
      const l = Math.cbrt(0.4122214708 * r + 0.5363325363 * g + 0.0514459929 * b)
      const m = Math.cbrt(0.2119034982 * r + 0.6806995451 * g + 0.1073969566 * b)
      const s = Math.cbrt(0.0883024619 * r + 0.2817188376 * g + 0.6299787005 * b)
      return [0.2104542553 * l + 0.793617785 * m - 0.0040720468 * s, 1.9779984951 * l - 2.428592205 * m + 0.4505937099 * s, 0.0259040371 * l + 0.7827717662 * m - 0.808675766 * s]
    }
    const luminance = (hex: string): number => {
      const [r, g, b] = [1, 3, 5].map((i) => {
        const c = parseInt(hex.slice(i, i + 2), 16) / 255
        return c <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4
      })
      return 0.2126 * r + 0.7152 * g + 0.0722 * b
    }
    const colors = PEOPLE_COLORS.map((entry) => entry.color)
    let nearest = Infinity
    for (let i = 0; i < colors.length; i++) {
      for (let j = i + 1; j < colors.length; j++) nearest = Math.min(nearest, Math.hypot(...oklab(colors[i]).map((v, k) => v - oklab(colors[j])[k])))
      expect(1.05 / (luminance(colors[i]) + 0.05)).toBeGreaterThanOrEqual(4.5)
    }
    // The palette before this one had two colours 0.060 apart.
    expect(nearest).toBeGreaterThan(0.075)
    expect(new Set(colors).size).toBe(10)
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
