/**
 * The History panel: the document's versions (newest first: when, name,
 * who), a read-only view of one, its comparison with now, naming the
 * document as it is now, and restoring a version after a confirmation.
 * Readers may look and compare; naming and restoring need write access
 * (asked on every change of access, as the relay would refuse them anyway).
 *
 * A native modal <dialog> drawn as a drawer at the side (the whole width on
 * a phone): the page behind is inert, Escape closes it, focus starts on its
 * heading and goes back to the History button. What the panel learns
 * ("3 versions", "Restored") is announced in a polite live region.
 */
import type { HistoryApi, HistoryProblem, VersionSummary } from './history-api.ts'
import { absoluteTime, comparisonSentence, relativeTime, versionPeople, versionTitle } from './version-labels.ts'
import { showComparison, showVersion } from './version-view.ts'

/** What `createHistoryPanel` returns: the parts to place, and the panel's controls. */
export interface HistoryPanel {
  /** The "History" button, for the editor's bar. */
  readonly button: HTMLButtonElement
  /** The panel, for the editor's root (its styles and theme apply there). */
  readonly dialog: HTMLDialogElement
  /** Open the panel and load the versions. */
  open(): void
  close(): void
  /** Show or hide what needs write access, after the person's access changed. */
  refresh(): void
  destroy(): void
}

const CLASS = 'collab-editor__history'

/** Build an element with a class, attributes and children (text is set as text, never as HTML). */
function el<K extends keyof HTMLElementTagNameMap>(tag: K, className: string, attrs: Record<string, string> = {}, ...children: (Node | string)[]): HTMLElementTagNameMap[K] {
  const element = document.createElement(tag)
  if (className) element.className = className
  for (const [name, value] of Object.entries(attrs)) element.setAttribute(name, value)
  element.append(...children)
  return element
}

/**
 * The History panel for one document. `canWrite` says whether this person
 * may change it now (the editor's own answer: grant, read-only option,
 * refusal).
 *
 * @example
 * const history = createHistoryPanel(createHistoryApi(server, name, () => token), () => editor.status.access === 'write')
 * bar.append(history.button)
 * root.append(history.dialog)
 */
export function createHistoryPanel(api: HistoryApi, canWrite: () => boolean): HistoryPanel {
  // Ids only need to be unique within the page, which may hold several editors.
  const id = (part: string): string => `${CLASS}-${part}-${Math.random().toString(36).slice(2, 10)}`
  const button = el('button', 'collab-editor__history-button', { type: 'button', 'aria-haspopup': 'dialog' }, 'History')

  const titleId = id('title')
  const heading = el('h2', `${CLASS}-title`, { id: titleId, tabindex: '-1' }, 'History')
  const closeButton = el('button', `${CLASS}-action`, { type: 'button' }, 'Close')
  const nameId = id('name')
  const nameInput = el('input', `${CLASS}-input`, { id: nameId, maxlength: '100', required: '', autocomplete: 'off' })
  const nameForm = el(
    'form',
    `${CLASS}-name`,
    {},
    el('label', '', { for: nameId }, 'Name this version'),
    nameInput,
    el('button', `${CLASS}-action`, { type: 'submit' }, 'Save'),
  )
  const message = el('p', `${CLASS}-message`, { role: 'status', 'aria-live': 'polite' })
  const list = el('ul', `${CLASS}-list`, { 'aria-label': 'Versions' })
  const detailTitleId = id('detail')
  const detailTitle = el('h3', `${CLASS}-detail-title`, { id: detailTitleId })
  const detailMeta = el('p', `${CLASS}-meta`)
  const previewButton = el('button', `${CLASS}-action`, { type: 'button', 'aria-pressed': 'true' }, 'Preview')
  const compareButton = el('button', `${CLASS}-action`, { type: 'button', 'aria-pressed': 'false' }, 'Compare with now')
  // What to compare with: now, or another version (the relay compares the earlier with the later).
  const against = el('select', `${CLASS}-against`, { 'aria-label': 'Compare with' })
  const restoreButton = el('button', `${CLASS}-action ${CLASS}-danger`, { type: 'button', 'aria-haspopup': 'dialog' }, 'Restore this version')
  // A region that scrolls must be reachable by keyboard: it takes focus.
  const view = el('div', `${CLASS}-view`, { role: 'region', tabindex: '0', 'aria-labelledby': detailTitleId })
  const detail = el(
    'section',
    `${CLASS}-detail`,
    { 'aria-labelledby': detailTitleId },
    detailTitle,
    detailMeta,
    el('div', `${CLASS}-actions`, {}, previewButton, compareButton, against, restoreButton),
    view,
  )
  detail.hidden = true
  const dialog = el(
    'dialog',
    CLASS,
    { 'aria-labelledby': titleId },
    el('div', `${CLASS}-head`, {}, heading, closeButton),
    nameForm,
    message,
    list,
    detail,
  )

  const confirmTitleId = id('confirm')
  const confirmText = el('p', '', { id: id('confirm-text') })
  const confirmYes = el('button', `${CLASS}-action ${CLASS}-danger`, { type: 'button' }, 'Restore')
  const confirmNo = el('button', `${CLASS}-action`, { type: 'button' }, 'Cancel')
  const confirm = el(
    'dialog',
    `${CLASS}-confirm`,
    { role: 'alertdialog', 'aria-labelledby': confirmTitleId, 'aria-describedby': confirmText.id },
    el('h2', `${CLASS}-title`, { id: confirmTitleId }, 'Restore this version?'),
    confirmText,
    el('div', `${CLASS}-actions`, {}, confirmNo, confirmYes),
  )
  // Inside the panel: a modal opened from a modal stacks above it, and Escape closes only the top one.
  dialog.append(confirm)

  let versions: VersionSummary[] = []
  let selected: VersionSummary | null = null
  let mode: 'version' | 'compare' = 'version'
  // Bumped by every request that replaces what is shown; an answer to an older one is dropped.
  let shown = 0

  const say = (text: string): void => {
    message.textContent = text
  }
  const fail = (problem: HistoryProblem): void => say(problem.message)

  const refresh = (): void => {
    const writer = canWrite()
    nameForm.hidden = !writer
    restoreButton.hidden = !writer
    if (!writer && confirm.open) confirm.close()
  }

  const renderList = (): void => {
    list.replaceChildren(
      ...versions.map((version) => {
        const item = el(
          'button',
          `${CLASS}-version`,
          { type: 'button', 'aria-current': String(version.id === selected?.id) },
          el('span', `${CLASS}-version-title`, {}, versionTitle(version)),
          el('time', `${CLASS}-version-time`, { datetime: version.createdAt.toISOString(), title: absoluteTime(version.createdAt) }, relativeTime(version.createdAt, new Date())),
          el('span', `${CLASS}-version-people`, {}, versionPeople(version.authors)),
        )
        item.addEventListener('click', () => select(version))
        return el('li', '', {}, item)
      }),
    )
  }

  const load = async (): Promise<void> => {
    say('Loading versions…')
    const answer = await api.list()
    if (!answer.ok) return fail(answer.problem)
    versions = answer.value
    if (selected && !versions.some((version) => version.id === selected?.id)) {
      selected = null
      detail.hidden = true
    }
    renderList()
    say(versions.length === 0 ? 'No versions yet.' : `${versions.length} ${versions.length === 1 ? 'version' : 'versions'}.`)
  }

  const select = (version: VersionSummary): void => {
    selected = version
    renderList()
    detailTitle.textContent = versionTitle(version)
    detailMeta.textContent = `${absoluteTime(version.createdAt)} · ${versionPeople(version.authors)}`
    against.replaceChildren(
      el('option', '', { value: 'now' }, 'Now'),
      ...versions.filter((other) => other.id !== version.id).map((other) => el('option', '', { value: other.id }, `“${versionTitle(other)}” (${relativeTime(other.createdAt, new Date())})`)),
    )
    against.hidden = against.options.length < 2
    compareButton.textContent = 'Compare with now'
    detail.hidden = false
    refresh()
    void show('version')
  }

  const show = async (next: 'version' | 'compare'): Promise<void> => {
    const version = selected
    if (!version) return
    mode = next
    previewButton.setAttribute('aria-pressed', String(mode === 'version'))
    compareButton.setAttribute('aria-pressed', String(mode === 'compare'))
    view.dataset.mode = mode
    const request = ++shown
    view.replaceChildren()
    view.setAttribute('aria-busy', 'true')
    say(mode === 'version' ? 'Loading the version…' : 'Comparing with now…')
    if (mode === 'version') {
      const answer = await api.read(version.id)
      if (request !== shown) return
      view.removeAttribute('aria-busy')
      if (!answer.ok) return fail(answer.problem)
      try {
        showVersion(view, answer.value)
        say(`Showing “${versionTitle(version)}”, read only.`)
      } catch {
        say('This version could not be shown.')
      }
    } else {
      const other = versions.find((candidate) => candidate.id === against.value) ?? null
      const answer = await api.compare(version.id, other?.id ?? 'now')
      if (request !== shown) return
      view.removeAttribute('aria-busy')
      if (!answer.ok) return fail(answer.problem)
      const summary = showComparison(view, answer.value)
      say(summary ? comparisonSentence(summary, other && versionTitle(other)) : 'The comparison could not be shown.')
    }
  }

  const restore = async (): Promise<void> => {
    const version = selected
    confirm.close()
    if (!version || !canWrite()) return
    say(`Restoring “${versionTitle(version)}”…`)
    const answer = await api.restore(version.id)
    if (!answer.ok) return fail(answer.problem)
    // What was shown (a comparison with the text before) no longer holds: start again from the list.
    selected = null
    shown++
    detail.hidden = true
    view.replaceChildren()
    heading.focus()
    await load()
    say(`Restored “${versionTitle(version)}”. The text before it is kept as a version.`)
  }

  nameForm.addEventListener('submit', async (event) => {
    event.preventDefault()
    const name = nameInput.value.trim()
    if (!name || !canWrite()) return
    say('Saving the version…')
    const answer = await api.name(name)
    if (!answer.ok) return fail(answer.problem)
    nameInput.value = ''
    await load()
    say(`Saved this version as “${name}”.`)
  })
  previewButton.addEventListener('click', () => void show('version'))
  compareButton.addEventListener('click', () => void show('compare'))
  against.addEventListener('change', () => {
    const other = versions.find((candidate) => candidate.id === against.value)
    compareButton.textContent = other ? `Compare with “${versionTitle(other)}”` : 'Compare with now'
    if (mode === 'compare') void show('compare')
  })
  restoreButton.addEventListener('click', () => {
    if (!selected || !canWrite()) return
    confirmText.textContent =
      `The document will read as it did in “${versionTitle(selected)}” (${absoluteTime(selected.createdAt)}), for everyone editing it. ` +
      'The text as it is now is saved as a version first, so this can be undone.'
    confirm.showModal()
    confirmNo.focus()
  })
  confirmNo.addEventListener('click', () => confirm.close())
  confirmYes.addEventListener('click', () => void restore())
  closeButton.addEventListener('click', () => dialog.close())
  dialog.addEventListener('close', () => {
    shown++
    // Back to the button that opened it: current Chromium does so by itself, not every browser does.
    if (button.isConnected) button.focus()
  })

  const open = (): void => {
    if (dialog.open || !dialog.isConnected) return
    refresh()
    dialog.showModal()
    heading.focus()
    void load()
  }
  button.addEventListener('click', open)

  return {
    button,
    dialog,
    open,
    close: () => dialog.close(),
    refresh,
    destroy() {
      shown++
      if (dialog.open) dialog.close()
      button.remove()
      dialog.remove()
    },
  }
}
