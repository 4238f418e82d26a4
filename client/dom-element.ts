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
