import { describe, expect, it } from 'vitest'
import { peopleLabel } from './people-label.ts'

describe('peopleLabel', () => {
  it.each([
    [[], ''],
    [['Ada'], 'Ada'],
    [['Ada', 'Grace'], 'Ada and Grace'],
    [['Ada', 'Grace', 'Linus'], 'Ada, Grace and Linus'],
    [['Ada', 'Grace', 'Linus', 'Margaret'], 'Ada, Grace and 2 others'],
    [['Ada', 'Grace', 'Linus', 'Margaret', 'Alan', 'Barbara'], 'Ada, Grace and 4 others'],
  ])('%j → %s', (names, label) => {
    expect(peopleLabel(names)).toBe(label)
  })
})
