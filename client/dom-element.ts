/**
 * The small DOM helpers the editor's popovers and dialogs build their
 * markup with (no framework: the editor embeds in any page).
 */

/** An element with a class (none when empty) and attributes. */
export function element<K extends keyof HTMLElementTagNameMap>(tag: K, className: string, attrs: Record<string, string> = {}): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag)
  if (className) el.className = className
  for (const [name, value] of Object.entries(attrs)) el.setAttribute(name, value)
  return el
}

/** An id for `aria-*` references. Several editors may share a page: ids only need to be unique within it. */
export const uniqueId = (prefix: string): string => `${prefix}-${Math.random().toString(36).slice(2, 10)}`

/**
 * Put `floating` (absolutely positioned inside `host`) at the page
 * coordinates `left`, `top`, kept within the host's width with a 4 px margin
 * (a popover near the right edge of a phone's screen slides left).
 */
export function placeInside(floating: HTMLElement, host: HTMLElement, left: number, top: number): void {
  const box = host.getBoundingClientRect()
  const maxLeft = Math.max(0, host.clientWidth - floating.offsetWidth - 4)
  floating.style.left = `${Math.round(Math.min(Math.max(left - box.left, 4), maxLeft))}px`
  floating.style.top = `${Math.round(top - box.top)}px`
}

/**
 * A keydown listener for a floating form: Escape runs `cancel` and goes no
 * further (the editor under it would otherwise take the key too).
 */
export function onEscape(cancel: () => void): (event: KeyboardEvent) => void {
  return (event) => {
    if (event.key !== 'Escape') return
    event.preventDefault()
    event.stopPropagation()
    cancel()
  }
}
