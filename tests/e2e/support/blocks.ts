/**
 * Helpers of the browser tests of tables, task lists and images
 * (blocks.browser.test.ts, tables.browser.test.ts): two people on one
 * document, a table read back from the editor's state, the table toolbar.
 */
import type { Page } from 'playwright-core'
import { documentPath } from '../../../client/app/routes.ts'
import type { BrowserSession } from './browser.ts'

/** Ada and Grace, each in a browser profile of their own, on the document `name`, synced. */
export function openPair(session: BrowserSession, name: string): Promise<[Page, Page]> {
  const path = documentPath(name)
  return Promise.all([session.openDocument('Ada', path, 'Ada'), session.openDocument('Grace', path, 'Grace')])
}

/** The first table in the editor's document: each row's cells as `h:text` (header) or `c:text`. */
export function tableGrid(page: Page): Promise<string[][]> {
  return page.evaluate(() => {
    const rows: string[][] = []
    window.collabEditor.view.state.doc.descendants((node) => {
      if (rows.length > 0 || node.type.name !== 'table') return rows.length === 0
      node.forEach((row) => {
        const cells: string[] = []
        row.forEach((cell) => void cells.push(`${cell.type.name === 'tableHeader' ? 'h' : 'c'}:${cell.textContent}`))
        rows.push(cells)
      })
      return false
    })
    return rows
  })
}

/** Whether the editor has focus (a click on a checkbox or the table toolbar leaves it there). */
export const editorHasFocus = (page: Page): Promise<boolean> => page.evaluate(() => window.collabEditor.view.hasFocus())

/** Click the table toolbar's button named `name` (the toolbar shows while the caret is in a table). */
export async function tableButton(page: Page, name: string): Promise<void> {
  const button = page.getByRole('toolbar', { name: 'Table' }).getByRole('button', { name, exact: true })
  await button.click()
}
