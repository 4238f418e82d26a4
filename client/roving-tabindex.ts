/**
 * Roving tabindex for a row of buttons, the ARIA toolbar pattern: the row is
 * one Tab stop (the button last used), and the arrow keys, Home and End move
 * between its buttons, wrapping at the ends.
 */

/** What `rovingTabindex` returns: focus the current button, and stop listening. */
export interface RovingTabindex {
  /** Focus the button that holds the Tab stop. */
  focus(): void
  destroy(): void
}

/** Make `buttons` (inside `host`) one Tab stop, the first button to begin with. */
export function rovingTabindex(host: HTMLElement, buttons: readonly HTMLElement[]): RovingTabindex {
  if (buttons.length === 0) throw new RangeError('rovingTabindex: no buttons')
  let current = 0
  const moveTo = (index: number, focus: boolean): void => {
    buttons[current].tabIndex = -1
    current = index
    buttons[current].tabIndex = 0
    if (focus) buttons[current].focus()
  }
  for (const button of buttons) button.tabIndex = -1
  moveTo(0, false)
  const onKeydown = (event: KeyboardEvent): void => {
    const index = buttons.indexOf(event.target as HTMLElement)
    if (index < 0) return
    const last = buttons.length - 1
    const next = { ArrowRight: index === last ? 0 : index + 1, ArrowLeft: index === 0 ? last : index - 1, Home: 0, End: last }[event.key]
    if (next === undefined) return
    event.preventDefault()
    moveTo(next, true)
  }
  // A click (or a screen reader's own navigation) moves the Tab stop too.
  const onFocusIn = (event: FocusEvent): void => {
    const index = buttons.indexOf(event.target as HTMLElement)
    if (index >= 0 && index !== current) moveTo(index, false)
  }
  host.addEventListener('keydown', onKeydown)
  host.addEventListener('focusin', onFocusIn)
  return {
    focus: () => buttons[current].focus(),
    destroy() {
      host.removeEventListener('keydown', onKeydown)
      host.removeEventListener('focusin', onFocusIn)
    },
  }
}
