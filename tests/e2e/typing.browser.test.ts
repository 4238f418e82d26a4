/**
 * How typing feels with two people: undo steps of a word (not a paragraph
 * typed at speed), and two people typing at the very same spot keeping
 * their own runs of characters together.
 */
import type { Page } from 'playwright-core'
import { beforeEach, describe, expect, it } from 'vitest'
import { documentPath } from '../../client/app/routes.ts'
import { docBlocks, docText, moveCaret, useBrowserTests, type BrowserSession } from './support/browser.ts'

const scope = useBrowserTests()
let session: BrowserSession
beforeEach(() => {
  ;({ session } = scope)
})

const poll = <T>(read: () => Promise<T>, timeout = 10_000) => expect.poll(read, { timeout, interval: 25 })

function openPair(name: string): Promise<[Page, Page]> {
  const path = documentPath(name)
  return Promise.all([session.openDocument('Ada', path, 'Ada'), session.openDocument('Grace', path, 'Grace')])
}

describe('undo steps', () => {
  it('one undo takes back one word typed at speed, then the one before; only one\'s own, and redo restores them', async () => {
    const [ada, grace] = await openPair('undo-words')
    // About 12 keys a second, far under the 500 ms that would end an undo step by itself.
    await ada.keyboard.type('Quick brown fox', { delay: 80 })
    await ada.keyboard.press('Enter')
    await ada.keyboard.type('jumps over', { delay: 80 })
    await poll(() => docText(grace)).toBe('Quick brown foxjumps over')
    await moveCaret(grace, 'Control+Home')
    await grace.keyboard.type('Grace: ')
    await poll(() => docText(ada)).toBe('Grace: Quick brown foxjumps over')

    const undo = async (expected: string): Promise<void> => {
      await ada.keyboard.press('Control+z')
      expect(await docText(ada)).toBe(expected)
    }
    await undo('Grace: Quick brown foxjumps ')
    await undo('Grace: Quick brown fox')
    expect((await docBlocks(ada)).length).toBe(2)
    // Enter was a step of its own.
    await undo('Grace: Quick brown fox')
    expect((await docBlocks(ada)).length).toBe(1)
    await undo('Grace: Quick brown ')
    await undo('Grace: Quick ')
    await undo('Grace: ')
    await undo('Grace: ')
    await poll(() => docText(grace)).toBe('Grace: ')
    for (let i = 0; i < 6; i++) await ada.keyboard.press('Control+Shift+z')
    await poll(() => docText(grace)).toBe('Grace: Quick brown foxjumps over')
  })
})

describe('two people typing at the same spot', () => {
  it('keeps each person\'s run of characters together, and both documents agree', async () => {
    const [ada, grace] = await openPair('same-spot')
    await ada.keyboard.type('Hello world')
    await poll(() => docText(grace)).toBe('Hello world')
    // Both carets right after "Hello ".
    for (const page of [ada, grace]) {
      await moveCaret(page, 'Control+Home')
      for (let i = 0; i < 6; i++) await page.keyboard.press('ArrowRight')
    }
    // Keystrokes alternate, each seen by the other before the next: the worst case for interleaving.
    let expectedLength = 'Hello world'.length
    for (let i = 0; i < 5; i++) {
      for (const [page, other, key] of [
        [ada, grace, 'a'],
        [grace, ada, 'g'],
      ] as const) {
        await page.keyboard.type(key)
        expectedLength++
        await poll(async () => (await docText(other)).length).toBe(expectedLength)
      }
    }
    const text = await docText(ada)
    expect(await docText(grace)).toBe(text)
    expect([text, text.includes('aaaaa'), text.includes('ggggg')]).toEqual([text, true, true])
    expect(text.replace('aaaaa', '').replace('ggggg', '')).toBe('Hello world')
  })
})

describe('a caret in text the other person moves', () => {
  it('stays with its text when the other person splits the paragraph before it or makes it a heading', async () => {
    const [ada, grace] = await openPair('moved-text')
    await ada.keyboard.type('Hello brave new world')
    await poll(() => docText(grace)).toBe('Hello brave new world')
    // Grace's caret at the end of the paragraph; Ada presses Enter after "brave".
    await moveCaret(grace, 'Control+End')
    // Set directly: one of a dozen arrow presses can be lost while the other page has the browser's focus.
    await ada.evaluate((at) => {
      const { view } = window.collabEditor
      const caret = view.state.selection.constructor as unknown as { create(doc: unknown, at: number): never }
      view.dispatch(view.state.tr.setSelection(caret.create(view.state.doc, at)))
      view.focus()
    }, 1 + 'Hello brave'.length)
    await ada.keyboard.press('Enter')
    await poll(() => docBlocks(grace)).toEqual([
      { type: 'paragraph', text: 'Hello brave' },
      { type: 'paragraph', text: ' new world' },
    ])
    await grace.keyboard.type('!')
    await poll(() => docBlocks(ada)).toEqual([
      { type: 'paragraph', text: 'Hello brave' },
      { type: 'paragraph', text: ' new world!' },
    ])
    // Ada makes Grace's paragraph a heading: Grace's next keys still follow her text.
    await ada.keyboard.press('Control+Alt+2')
    await poll(() => docBlocks(grace)).toEqual([
      { type: 'paragraph', text: 'Hello brave' },
      { type: 'heading', text: ' new world!' },
    ])
    await grace.keyboard.type('?')
    await poll(() => docBlocks(ada)).toEqual([
      { type: 'paragraph', text: 'Hello brave' },
      { type: 'heading', text: ' new world!?' },
    ])
    expect(await docBlocks(grace)).toEqual(await docBlocks(ada))
  })
})
