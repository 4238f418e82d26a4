import { describe, expect, it } from 'vitest'
import { bindingsToKeymap, keyBindings } from './keymap.ts'
import { shortcutRows } from './shortcut-help.ts'
import { ariaKeyShortcut, isMacPlatform, shortcutLabel } from './shortcut-label.ts'

describe('the key binding table', () => {
  it('becomes the keymap: every key of every binding runs that binding’s command', () => {
    const bindings = Object.values(keyBindings)
    const map = bindingsToKeymap(bindings)
    expect(Object.keys(map).length).toBe(bindings.reduce((n, b) => n + b.keys.length, 0))
    for (const binding of bindings) for (const key of binding.keys) expect(map[key]).toBe(binding.command)
    expect(map['Mod-k']).toBe(keyBindings.link.command)
    expect(map['Mod-/']).toBe(keyBindings.help.command)
  })

  it('refuses a key bound twice (one would silently win, and the help would list both)', () => {
    const command = keyBindings.bold.command
    expect(() => bindingsToKeymap([{ keys: ['Mod-b'], description: 'a', command }, { keys: ['Mod-b'], description: 'b', command }])).toThrow(/Mod-b is bound twice/)
  })

  it('gives the help one row per binding, with every key written for the platform', () => {
    const rows = shortcutRows(Object.values(keyBindings), false)
    expect(rows.length).toBe(Object.keys(keyBindings).length)
    expect(rows).toContainEqual({ description: 'Redo', keys: ['Ctrl+Shift+Z', 'Ctrl+Y'] })
    expect(shortcutRows([keyBindings.redo], true)).toEqual([{ description: 'Redo', keys: ['⌘⇧Z', '⌘Y'] }])
  })
})

describe('shortcut labels', () => {
  it('writes Mod as Ctrl, or as ⌘ on Apple platforms', () => {
    expect(shortcutLabel('Mod-Alt-1', false)).toBe('Ctrl+Alt+1')
    expect(shortcutLabel('Mod-Alt-1', true)).toBe('⌘⌥1')
    expect(shortcutLabel('Mod-/', false)).toBe('Ctrl+/')
    expect(shortcutLabel('Mod--', false)).toBe('Ctrl+-')
    expect(shortcutLabel('Shift-Tab', false)).toBe('Shift+Tab')
    expect(isMacPlatform('MacIntel')).toBe(true)
    expect(isMacPlatform('iPhone')).toBe(true)
    expect(isMacPlatform('Linux x86_64')).toBe(false)
  })

  it('writes aria-keyshortcuts with Control, or Meta on Apple platforms', () => {
    expect(ariaKeyShortcut('Mod-Shift-z', false)).toBe('Control+Shift+Z')
    expect(ariaKeyShortcut('Mod-Shift-z', true)).toBe('Meta+Shift+Z')
  })
})
