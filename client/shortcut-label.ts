/**
 * How a prosemirror-keymap key name (`Mod-Shift-z`) is written for people
 * (tooltips, the shortcut help) and for assistive technology
 * (`aria-keyshortcuts`), with Mod as this platform's key.
 */

/** Whether Mod means Cmd here: the same test prosemirror-keymap makes when it binds. */
export function isMacPlatform(platform: string = typeof navigator === 'undefined' ? '' : navigator.platform): boolean {
  return /Mac|iP(hone|[oa]d)/.test(platform)
}

const MAC_SYMBOLS: Record<string, string> = { Mod: '⌘', Cmd: '⌘', Meta: '⌘', Ctrl: '⌃', Alt: '⌥', Shift: '⇧' }

/** Splits `Mod-Shift-z` into modifiers and key; `Mod--` (the minus key) keeps its `-`. */
function parts(key: string): { modifiers: string[]; base: string } {
  const pieces = key.split(/-(?!$)/)
  const base = pieces.pop() ?? key
  return { modifiers: pieces, base: base.length === 1 ? base.toUpperCase() : base }
}

/** A key as people read it: `Ctrl+Shift+Z` elsewhere, `⌘⇧Z` on a Mac. */
export function shortcutLabel(key: string, mac: boolean = isMacPlatform()): string {
  const { modifiers, base } = parts(key)
  if (mac) return modifiers.map((m) => MAC_SYMBOLS[m] ?? m).join('') + base
  return [...modifiers.map((m) => (m === 'Mod' ? 'Ctrl' : m)), base].join('+')
}

/** A key in `aria-keyshortcuts` syntax: `Control+Shift+Z`, or `Meta+Shift+Z` on a Mac. */
export function ariaKeyShortcut(key: string, mac: boolean = isMacPlatform()): string {
  const { modifiers, base } = parts(key)
  const names: Record<string, string> = { Mod: mac ? 'Meta' : 'Control', Cmd: 'Meta', Ctrl: 'Control' }
  return [...modifiers.map((m) => names[m] ?? m), base].join('+')
}
