/**
 * Who is typing: a display name and a colour. The colour is derived from the
 * name, so a person keeps the same colour on every device and reload.
 */

/** A collaborator as shown on carets and in the people list. */
export interface CollabUser {
  name: string
  /** `#rrggbb` */
  color: string
}

/**
 * People's colours: ten hues 36° apart in OKLCH at one lightness (0.50) and
 * chroma (0.18), so each is as far from its neighbours as the next and none
 * stands out or fades. The closest two are 0.077 apart in OKLab (the
 * palette before had a pair 0.060 apart), and all carry white caret labels
 * at a contrast of 4.8:1 or more. client/user.test.ts checks both.
 */
export const PEOPLE_COLORS = [
  { name: 'Crimson', color: '#b11f4d' },
  { name: 'Vermilion', color: '#b03000' },
  { name: 'Ochre', color: '#955100' },
  { name: 'Olive', color: '#5f6d00' },
  { name: 'Green', color: '#007e29' },
  { name: 'Teal', color: '#008078' },
  { name: 'Blue', color: '#0072af' },
  { name: 'Cobalt', color: '#1e5bc7' },
  { name: 'Violet', color: '#7143bb' },
  { name: 'Magenta', color: '#9b2e8e' },
] as const

const PALETTE = PEOPLE_COLORS.map((entry) => entry.color)

const NAME_KEY = 'collab-editor:user-name'
const COLOR_KEY = 'collab-editor:user-color'
const MAX_NAME_LENGTH = 40

/** A stable colour for a name (FNV-1a hash into the palette). */
export function colorForName(name: string): string {
  let hash = 0x811c9dc5
  for (let i = 0; i < name.length; i++) {
    hash ^= name.charCodeAt(i)
    hash = Math.imul(hash, 0x01000193)
  }
  return PALETTE[(hash >>> 0) % PALETTE.length]
}

/** Trim and bound a display name; empty stays empty. */
export function cleanName(name: string): string {
  return name.replace(/\s+/g, ' ').trim().slice(0, MAX_NAME_LENGTH)
}

/** Only `#rrggbb` colours from other people reach a style attribute. */
export function safeColor(color: unknown): string {
  return typeof color === 'string' && /^#[0-9a-f]{6}$/i.test(color) ? color : '#868e96'
}

/** The name this browser used last, if any. */
export function rememberedName(): string {
  try {
    return cleanName(localStorage.getItem(NAME_KEY) ?? '')
  } catch {
    return '' // storage disabled (private mode, sandboxed iframe)
  }
}

/** Remember the name for next time. */
export function rememberName(name: string): void {
  try {
    localStorage.setItem(NAME_KEY, cleanName(name))
  } catch {
    // Nothing to do: the name still works for this session.
  }
}

/** The colour this browser's person picked, or null to use the one their name gives. */
export function rememberedColor(): string | null {
  try {
    const color = localStorage.getItem(COLOR_KEY)
    return color !== null && safeColor(color) === color ? color : null
  } catch {
    return null
  }
}

/** Remember a picked colour; null goes back to the name's colour. */
export function rememberColor(color: string | null): void {
  try {
    if (color === null) localStorage.removeItem(COLOR_KEY)
    else localStorage.setItem(COLOR_KEY, safeColor(color))
  } catch {
    // The colour still applies to this session.
  }
}

/** A name for someone who has not chosen one. */
export function guestName(): string {
  return `Guest ${Math.floor(100 + Math.random() * 900)}`
}
