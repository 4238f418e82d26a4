import { describe, expect, it } from 'vitest'
import { comparisonSentence, relativeTime, versionPeople, versionTitle } from './version-labels.ts'

describe('version labels', () => {
  it('titles a version by its name, else by what saved it', () => {
    expect(versionTitle({ name: 'Draft for review', kind: 'named' })).toBe('Draft for review')
    expect(versionTitle({ name: null, kind: 'auto' })).toBe('Automatic')
    expect(versionTitle({ name: null, kind: 'restore' })).toBe('Before restoring')
  })

  it('names up to three people, then counts the rest', () => {
    expect(versionPeople([])).toBe('No one recorded')
    expect(versionPeople(['Ada', 'Grace'])).toBe('Ada, Grace')
    expect(versionPeople(['Ada', 'Grace', 'Alan', 'Edsger'])).toBe('Ada, Grace and 2 others')
  })

  it('says when relative to now for a week, then as a date', () => {
    const now = new Date('2025-03-10T12:00:00Z')
    const ago = (ms: number): Date => new Date(now.getTime() - ms)
    expect(relativeTime(ago(5_000), now, 'en')).toBe('now')
    expect(relativeTime(ago(-3_000), now, 'en')).toBe('now') // a clock slightly ahead
    expect(relativeTime(ago(5 * 60_000), now, 'en')).toBe('5 minutes ago')
    expect(relativeTime(ago(3 * 3_600_000), now, 'en')).toBe('3 hours ago')
    expect(relativeTime(ago(26 * 3_600_000), now, 'en')).toBe('yesterday')
    expect(relativeTime(ago(30 * 86_400_000), now, 'en')).toMatch(/2025/)
  })

  it('sums a comparison up in a sentence', () => {
    expect(comparisonSentence({ added: 0, removed: 0, authors: [] })).toBe('No changes to the text since this version.')
    expect(comparisonSentence({ added: 12, removed: 1, authors: ['Grace'] })).toBe('Since this version: 12 characters added by Grace, 1 character removed.')
    expect(comparisonSentence({ added: 1, removed: 0, authors: [] }, 'Draft')).toBe('Between this version and “Draft”: 1 character added, 0 characters removed.')
  })
})
