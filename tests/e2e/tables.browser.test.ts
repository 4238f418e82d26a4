/**
 * Tables in a real Chromium (issue 13): two people, Ada and Grace, in
 * separate browser profiles on one document, each change made through the
 * editor's own interface (the toolbar, the table toolbar, keys, the column
 * resizer) and read back from both editors' state and pages; concurrent
 * changes merge into a rectangular table. Task lists and images:
 * blocks.browser.test.ts.
 */
import type { Page } from 'playwright-core'
import { describe, expect, it } from 'vitest'
import { editorHasFocus, openPair, tableButton, tableGrid } from './support/blocks.ts'
import { clickInto, docJson, focusedControl, moveCaret, RELAY_DOWN_CONSOLE_ERROR, useBrowserTests } from './support/browser.ts'

const scope = useBrowserTests()

const poll = <T>(read: () => Promise<T>, timeout = 10_000) => expect.poll(read, { timeout, interval: 25 })

describe('tables', () => {
  it('Ada builds a table with Tab and the table toolbar; Grace sees the same table and edits a cell Ada then sees', async () => {
    const [ada, grace] = await openPair(scope.session, 'tables')
    await ada.locator('.ProseMirror').click()
    await ada.keyboard.type('Team')
    await ada.keyboard.press('Enter')
    await ada.locator('.collab-editor__toolbar [data-command="table"]').click()
    await poll(() => tableGrid(ada)).toEqual([
      ['h:', 'h:', 'h:'],
      ['c:', 'c:', 'c:'],
      ['c:', 'c:', 'c:'],
    ])
    expect(await editorHasFocus(ada)).toBe(true)

    // Tab from cell to cell; Tab in the last cell adds a row.
    const cells = ['Name', 'Role', 'Field', 'Ada', 'Engineer', 'Engines', 'Grace', 'Admiral', 'Compilers', 'Katherine']
    for (const [index, text] of cells.entries()) {
      if (index > 0) await ada.keyboard.press('Tab')
      await ada.keyboard.type(text)
    }
    await poll(() => tableGrid(ada)).toEqual([
      ['h:Name', 'h:Role', 'h:Field'],
      ['c:Ada', 'c:Engineer', 'c:Engines'],
      ['c:Grace', 'c:Admiral', 'c:Compilers'],
      ['c:Katherine', 'c:', 'c:'],
    ])

    // The table toolbar: a column right of the caret's, a row below it, the header row off.
    const toolbar = ada.getByRole('toolbar', { name: 'Table' })
    await poll(() => toolbar.isVisible()).toBe(true)
    await tableButton(ada, 'Insert column right')
    await tableButton(ada, 'Insert row below')
    await poll(() => tableGrid(ada)).toEqual([
      ['h:Name', 'h:', 'h:Role', 'h:Field'],
      ['c:Ada', 'c:', 'c:Engineer', 'c:Engines'],
      ['c:Grace', 'c:', 'c:Admiral', 'c:Compilers'],
      ['c:Katherine', 'c:', 'c:', 'c:'],
      ['c:', 'c:', 'c:', 'c:'],
    ])
    const header = toolbar.getByRole('button', { name: 'Header row' })
    expect(await header.getAttribute('aria-pressed')).toBe('true')
    await header.click()
    await poll(() => header.getAttribute('aria-pressed')).toBe('false')
    await poll(() => tableGrid(ada).then((rows) => rows[0])).toEqual(['c:Name', 'c:', 'c:Role', 'c:Field'])
    // The clicks left the caret in its cell, so typing goes on there.
    expect(await editorHasFocus(ada)).toBe(true)

    // The keyboard way: Tab to the new last row, Alt+F10 to the toolbar, arrows to a button, Enter runs it and comes back.
    for (let i = 0; i < 4; i++) await ada.keyboard.press('Tab')
    await poll(() => ada.evaluate(() => window.collabEditor.view.state.selection.$head.index(1))).toBe(4)
    await ada.keyboard.press('Alt+F10')
    await poll(() => focusedControl(ada)).toBe('addRowBefore')
    await ada.keyboard.press('ArrowRight')
    await ada.keyboard.press('ArrowRight')
    await poll(() => focusedControl(ada)).toBe('deleteRow')
    await ada.keyboard.press('Enter') // deletes the empty row the caret was in
    await poll(() => focusedControl(ada)).toBe('editor')
    await ada.keyboard.press('Alt+F10')
    await poll(() => focusedControl(ada)).toBe('deleteRow') // the toolbar remembers the button last used
    await ada.keyboard.press('Escape')
    await poll(() => focusedControl(ada)).toBe('editor')

    const expected = [
      ['c:Name', 'c:', 'c:Role', 'c:Field'],
      ['c:Ada', 'c:', 'c:Engineer', 'c:Engines'],
      ['c:Grace', 'c:', 'c:Admiral', 'c:Compilers'],
      ['c:Katherine', 'c:', 'c:', 'c:'],
    ]
    await poll(() => tableGrid(ada)).toEqual(expected)
    await poll(() => tableGrid(grace)).toEqual(expected)
    // What Grace's page shows: a table of four rows of four cells, no header cells now.
    expect(await grace.locator('.ProseMirror table tr').count()).toBe(4)
    expect(await grace.locator('.ProseMirror table td').count()).toBe(16)
    expect(await grace.locator('.ProseMirror table th').count()).toBe(0)

    // Grace edits a cell; Ada sees it.
    await clickInto(grace, 'Katherine')
    await moveCaret(grace, 'End')
    await grace.keyboard.type(' Johnson')
    await grace.keyboard.press('Tab')
    await grace.keyboard.type('Mathematician')
    await poll(() => tableGrid(ada).then((rows) => rows[3])).toEqual(['c:Katherine Johnson', 'c:Mathematician', 'c:', 'c:'])
    await poll(() => docJson(ada)).toEqual(await docJson(grace))
  })

  it('a column dragged wider is as wide for the other person', async () => {
    const [ada, grace] = await openPair(scope.session, 'column widths')
    await ada.locator('.ProseMirror').click()
    await ada.locator('.collab-editor__toolbar [data-command="table"]').click()
    await poll(() => tableGrid(grace).then((rows) => rows.length)).toBe(3)

    // Drag the border between the first and second columns 80 px to the right.
    const first = ada.locator('.ProseMirror table tr').first().locator('th').first()
    const box = (await first.boundingBox())!
    const startWidth = box.width
    await ada.mouse.move(box.x + box.width - 2, box.y + box.height / 2)
    // The handle shows down the whole column.
    await poll(() => ada.locator('.ProseMirror .column-resize-handle').count()).toBe(3)
    await ada.mouse.down()
    await ada.mouse.move(box.x + box.width + 40, box.y + box.height / 2, { steps: 4 })
    await ada.mouse.move(box.x + box.width + 78, box.y + box.height / 2, { steps: 4 })
    await ada.mouse.up()

    const widths = (page: Page) =>
      page.evaluate(() => {
        const found: unknown[] = []
        window.collabEditor.view.state.doc.descendants((node) => {
          if (node.type.name === 'tableHeader' || node.type.name === 'tableCell') found.push(node.attrs.colwidth)
        })
        return found.slice(0, 3)
      })
    await poll(() => widths(ada).then((found) => found[0])).not.toBeNull()
    const set = ((await widths(ada))[0] as number[])[0]
    expect(set).toBeGreaterThan(startWidth + 60)
    await poll(() => widths(grace)).toEqual([[set], null, null])
    // Grace's page draws the column at that width.
    await poll(() => grace.locator('.ProseMirror table th').first().evaluate((th, want) => Math.abs(th.getBoundingClientRect().width - want) <= 2, set)).toBe(true)
    await poll(() => docJson(ada)).toEqual(await docJson(grace))
  })

  it('a row and a column added at the same time (one person offline) merge into one rectangular table, and it stays so', async () => {
    const { relay, session } = scope
    const [ada, grace] = await openPair(scope.session, 'concurrent table')
    await ada.locator('.ProseMirror').click()
    await ada.locator('.collab-editor__toolbar [data-command="table"]').click()
    await ada.keyboard.type('A1')
    await poll(() => tableGrid(grace).then((rows) => rows[0][0])).toBe('h:A1')

    // Both offline: the relay is down, so neither sees the other's change until it is back.
    session.allowConsoleErrors(RELAY_DOWN_CONSOLE_ERROR)
    await relay.stop()
    await ada.locator('.collab-editor[data-connection="offline"]').waitFor()
    await grace.locator('.collab-editor[data-connection="offline"]').waitFor()
    await tableButton(ada, 'Insert column right')
    await clickInto(grace, 'A1')
    await tableButton(grace, 'Insert row below')
    await poll(() => tableGrid(ada).then((rows) => rows.map((row) => row.length))).toEqual([4, 4, 4])
    await poll(() => tableGrid(grace).then((rows) => rows.map((row) => row.length))).toEqual([3, 3, 3, 3])

    await relay.restart()
    // Merged, Grace's new row lacks Ada's new column. Just after a reconnection neither editor knows
    // the other is present (table-repair.ts), so the next edit in the table pads the row, once.
    await poll(() => tableGrid(ada).then((rows) => rows.length)).toBe(4)
    await poll(() => tableGrid(grace).then((rows) => rows.length)).toBe(4)
    await ada.keyboard.type('!')
    const rectangular = [4, 4, 4, 4]
    await poll(() => tableGrid(ada).then((rows) => rows.map((row) => row.length))).toEqual(rectangular)
    await poll(() => tableGrid(grace).then((rows) => rows.map((row) => row.length))).toEqual(rectangular)
    // And it stays so while both go on editing it: no rows padded twice, no padding back and forth.
    await grace.keyboard.type('?')
    await poll(() => tableGrid(ada).then((rows) => rows.flat().join(''))).toContain('?')
    expect((await tableGrid(ada)).map((row) => row.length)).toEqual(rectangular)
    expect((await tableGrid(grace)).map((row) => row.length)).toEqual(rectangular)
    await poll(() => docJson(ada)).toEqual(await docJson(grace))
  })

  it('a table someone else’s change left broken is repaired by exactly one of the two editors, at once', async () => {
    const [ada, grace] = await openPair(scope.session, 'broken table')
    await ada.locator('.ProseMirror').click()
    await ada.locator('.collab-editor__toolbar [data-command="table"]').click()
    await ada.keyboard.type('A1')
    await poll(() => tableGrid(grace).then((rows) => rows[0][0])).toBe('h:A1')
    // Each sees the other present (the repairer is chosen among those present).
    await poll(() => ada.locator('.collab-editor__person').count()).toBe(2)
    await poll(() => grace.locator('.collab-editor__person').count()).toBe(2)

    // A change straight to the shared document, as a merge leaves one: the second row loses a cell.
    // Both editors receive it from Yjs, Ada's own included.
    await ada.evaluate(() => {
      type YElement = { nodeName: string; length: number; get(index: number): YElement; toArray(): YElement[]; delete(index: number, length: number): void }
      const fragment = window.collabEditor.doc.getXmlFragment('default') as unknown as YElement
      const row = fragment.toArray().find((node) => node.nodeName === 'table')!.get(1)
      row.delete(row.length - 1, 1)
    })
    const rectangular = [3, 3, 3]
    await poll(() => tableGrid(ada).then((rows) => rows.map((row) => row.length))).toEqual(rectangular)
    await poll(() => tableGrid(grace).then((rows) => rows.map((row) => row.length))).toEqual(rectangular)
    // Once, not by both: still three columns after both have typed in the table.
    await ada.keyboard.type('!')
    await poll(() => tableGrid(grace).then((rows) => rows[0][0])).toBe('h:A1!')
    await clickInto(grace, 'A1!')
    await moveCaret(grace, 'End')
    await grace.keyboard.type('?')
    await poll(() => tableGrid(ada).then((rows) => rows[0][0])).toBe('h:A1!?')
    expect((await tableGrid(ada)).map((row) => row.length)).toEqual(rectangular)
    expect((await tableGrid(grace)).map((row) => row.length)).toEqual(rectangular)
    await poll(() => docJson(ada)).toEqual(await docJson(grace))
  })
})
