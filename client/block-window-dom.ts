/** What block-window.ts reads of the page: the editor's blocks, what is on screen, what scrolls. */

/** ProseMirror's widgets (a caret between blocks, the gap cursor) carry this class; they are not blocks. */
export const WIDGET_CLASS = 'ProseMirror-widget'

/** The editor's block elements in document order, one per top-level node, without widgets. */
export function blockElements(dom: HTMLElement, count: number): ArrayLike<Element> {
  const children = dom.children
  if (children.length === count) return children
  return Array.prototype.filter.call(children, (child: Element) => !child.classList.contains(WIDGET_CLASS)) as Element[]
}

/** The element that scrolls the editor: its nearest scrolling ancestor, else the page. */
export function scrollerOf(dom: HTMLElement): Element {
  for (let node = dom.parentElement; node && node !== document.body && node !== document.documentElement; node = node.parentElement) {
    const overflow = getComputedStyle(node).overflowY
    if ((overflow === 'auto' || overflow === 'scroll') && node.scrollHeight > node.clientHeight) return node
  }
  return document.scrollingElement ?? document.documentElement
}

/** What of the editor can be on screen: the viewport, clipped by every scrolling or clipping ancestor. */
export function visibleArea(dom: HTMLElement): { top: number; bottom: number } {
  let top = 0
  let bottom = document.documentElement.clientHeight || innerHeight
  for (let node = dom.parentElement; node && node !== document.body && node !== document.documentElement; node = node.parentElement) {
    const overflow = getComputedStyle(node).overflowY
    if (overflow !== 'auto' && overflow !== 'scroll' && overflow !== 'hidden') continue
    const rect = node.getBoundingClientRect()
    top = Math.max(top, rect.top)
    bottom = Math.min(bottom, rect.bottom)
  }
  return bottom > top ? { top, bottom } : { top, bottom: top + 1 }
}
