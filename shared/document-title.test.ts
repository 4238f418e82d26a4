import { describe, expect, it } from 'vitest'
import * as Y from 'yjs'
import { cleanTitle, displayTitle, MAX_TITLE_LENGTH, readTitle, textEdit, TITLE_NAME } from './document-title.ts'

describe('document title', () => {
  it('keeps one trimmed line, cut at the limit', () => {
    expect(cleanTitle('  Q4\nplan\t ')).toBe('Q4 plan')
    expect(cleanTitle('x'.repeat(MAX_TITLE_LENGTH + 10))).toHaveLength(MAX_TITLE_LENGTH)
  })

  it('reads the title from the document, and falls back to the name', () => {
    const doc = new Y.Doc()
    expect(readTitle(doc)).toBe('')
    expect(displayTitle(readTitle(doc), 'abc123')).toBe('abc123')
    doc.getText(TITLE_NAME).insert(0, 'Roadmap ')
    expect(displayTitle(readTitle(doc), 'abc123')).toBe('Roadmap')
  })

  it('reads a document without a title, or with another type there, as untitled and leaves it as it was', () => {
    const doc = new Y.Doc()
    expect(readTitle(doc)).toBe('')
    expect(doc.share.has(TITLE_NAME)).toBe(false)
    doc.getMap(TITLE_NAME).set('x', 1)
    expect(readTitle(doc)).toBe('')
  })

  it('turns one string into another with the smallest edit', () => {
    const cases: [string, string][] = [
      ['Plan', 'Plans'],
      ['Plan', 'The Plan'],
      ['The plan', 'The new plan'],
      ['aaa', 'aa'],
      ['abc', ''],
      ['', 'abc'],
      ['abcabc', 'abc'],
    ]
    for (const [before, after] of cases) {
      const edit = textEdit(before, after)!
      const applied = before.slice(0, edit.index) + edit.insert + before.slice(edit.index + edit.remove)
      expect(applied).toBe(after)
    }
    expect(textEdit('The plan', 'The new plan')).toEqual({ index: 4, remove: 0, insert: 'new ' })
    expect(textEdit('aaa', 'aa')).toEqual({ index: 2, remove: 1, insert: '' })
    expect(textEdit('same', 'same')).toBeNull()
  })
})
