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
export function buildCaret(user: RemoteUser): HTMLElement {
  const color = safeColor(user.color)
  const caret = document.createElement('span')
  caret.className = 'collab-editor__caret'
  caret.style.borderColor = color
  const label = document.createElement('span')
  label.className = 'collab-editor__caret-label'
  label.style.backgroundColor = color
  label.textContent = displayName(user)
  // Word joiners keep the caret from breaking the line around it.
  caret.append('\u2060', label, '\u2060')
  return caret
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
