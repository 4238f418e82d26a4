/**
 * The DOM the server converts HTML with: linkedom. It only parses and
 * builds trees (no script runs, nothing is fetched, there is no layout),
 * which is all `parseDOM`/`toDOM` need and all a server should do with
 * HTML someone sent it.
 */
import { DOMParser, parseHTML } from 'linkedom'
import type { HtmlDom } from '../../../shared/convert/html.ts'

const EMPTY_PAGE = '<!doctype html><html><head></head><body></body></html>'

/** A DOM for `parseHtml`/`toHtml` on the server. */
export function createServerDom(): HtmlDom {
  const { document } = parseHTML(EMPTY_PAGE)
  const parser = new DOMParser()
  return {
    document,
    // Into the body of a page of its own: markup in the input such as
    // `</body>` cannot move content out of reach.
    parse: (html) => {
      const page = parser.parseFromString(EMPTY_PAGE, 'text/html')
      page.body.innerHTML = html
      return page.body
    },
  }
}
