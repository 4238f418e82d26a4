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

/** Readable on white, distinct from each other. */
const PALETTE = ['#d9480f', '#0b7285', '#5f3dc4', '#2b8a3e', '#c2255c', '#1864ab', '#e67700', '#087f5b', '#9c36b5', '#a61e4d']

const NAME_KEY = 'collab-editor:user-name'
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

/** A name for someone who has not chosen one. */
export function guestName(): string {
  return `Guest ${Math.floor(100 + Math.random() * 900)}`
}
