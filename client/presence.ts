/**
 * Other people in the document: their carets and selections (drawn by
 * y-prosemirror with the builders below), and the list of who is here.
 * Everything shown comes from other people's awareness states, so names go
 * in as text and colours are checked before they reach a style.
 */
import type { Awareness } from 'y-protocols/awareness'
import { safeColor } from './user.ts'

interface RemoteUser {
  name?: unknown
  color?: unknown
}

/** The caret y-prosemirror places for another person: a coloured bar with their name. */
export function buildCaret(user: RemoteUser, clientId: number): HTMLElement {
  const caret = document.createElement('span')
  caret.className = 'collab-editor__caret'
  caret.dataset.clientId = String(clientId)
  const label = document.createElement('span')
  label.className = 'collab-editor__caret-label'
  // Word joiners keep the caret from breaking the line around it.
  caret.append('\u2060', label, '\u2060')
  paintCaret(caret, user)
  return caret
}

function paintCaret(caret: HTMLElement, user: RemoteUser): void {
  const color = safeColor(user.color)
  caret.style.borderColor = color
  const label = caret.querySelector<HTMLElement>('.collab-editor__caret-label')!
  label.style.backgroundColor = color
  label.textContent = displayName(user)
}

/**
 * Keep carets current when someone renames themselves. y-prosemirror keys a
 * caret widget by client ID and reuses its DOM while that person's caret
 * stays put, so a new name or colour would otherwise show only after they
 * move. Returns a stop function.
 */
export function refreshCaretsOnChange(editorDom: HTMLElement, awareness: Awareness): () => void {
  const onChange = ({ updated }: { updated: number[] }): void => {
    for (const clientId of updated) {
      const user = awareness.getStates().get(clientId)?.user as RemoteUser | undefined
      if (!user) continue
      for (const caret of editorDom.querySelectorAll<HTMLElement>(`.collab-editor__caret[data-client-id="${clientId}"]`)) paintCaret(caret, user)
    }
  }
  awareness.on('change', onChange)
  return () => awareness.off('change', onChange)
}

/** The highlight for another person's selection. */
export function buildSelection(user: RemoteUser): { style: string; class: string } {
  return { style: `background-color: ${safeColor(user.color)}33`, class: 'collab-editor__remote-selection' }
}

function displayName(user: RemoteUser): string {
  return typeof user.name === 'string' && user.name.trim() ? user.name.trim().slice(0, 40) : 'Anonymous'
}

/** Render the list of people in the document into `host`, kept current. Returns a stop function. */
export function renderPeople(host: HTMLElement, awareness: Awareness): () => void {
  host.classList.add('collab-editor__people')
  host.setAttribute('aria-label', 'People in this document')
  const render = (): void => {
    const people = [...awareness.getStates()]
      .filter(([, state]) => state && typeof state.user === 'object' && state.user)
      .map(([clientId, state]) => ({ clientId, user: state.user as RemoteUser, self: clientId === awareness.clientID }))
      .sort((a, b) => Number(b.self) - Number(a.self) || displayName(a.user).localeCompare(displayName(b.user)))
    host.replaceChildren(
      ...people.map(({ clientId, user, self }) => {
        const item = document.createElement('span')
        item.className = 'collab-editor__person'
        item.dataset.clientId = String(clientId)
        const dot = document.createElement('span')
        dot.className = 'collab-editor__person-dot'
        dot.style.backgroundColor = safeColor(user.color)
        item.append(dot, displayName(user) + (self ? ' (you)' : ''))
        return item
      }),
    )
  }
  awareness.on('change', render)
  render()
  return () => awareness.off('change', render)
}
