// The demo's home page: the documents this browser opened, every stored
// document when the HTTP API lets this visitor list them, search by title,
// new documents with a title, import from Markdown or HTML, and delete.
import './app.css'
import { displayTitle } from '../../shared/document-title.ts'
import { peopleLabel } from './people-label.ts'
import { forgetDocument, recentDocuments, setPendingTitle } from './recent.ts'
import { documentPath } from './routes.ts'
import { bindThemeToggle } from './theme.ts'
import { registerAppWorker } from './app-worker.ts'

bindThemeToggle(document.querySelector<HTMLButtonElement>('#theme-toggle')!)
registerAppWorker()

const search = document.querySelector<HTMLInputElement>('#search')!
const recentList = document.querySelector<HTMLUListElement>('#recent-list')!
const allSection = document.querySelector<HTMLElement>('#all-section')!
const allList = document.querySelector<HTMLUListElement>('#all-list')!
const message = document.querySelector<HTMLElement>('#home-message')!

/** A stored document as `GET /api/documents?titles=true` lists it. */
interface ListedDocument {
  name: string
  title?: string
  updatedAt: string | null
  connections: number
  /** Names of the people in it now (servers before this field send none). */
  people?: string[]
}

/** How many documents the home page lists from the server (each is opened to read its title). */
const LISTED = 50

const apiUrl = (name?: string): string => `/api/documents${name === undefined ? '' : `/${encodeURIComponent(name)}`}`

const randomName = (): string => {
  const bytes = crypto.getRandomValues(new Uint8Array(6))
  return Array.from(bytes, (b) => 'abcdefghijkmnpqrstuvwxyz23456789'[b % 32]).join('')
}

const relative = new Intl.RelativeTimeFormat(undefined, { numeric: 'auto' })
function ago(ms: number): string {
  const seconds = Math.round((ms - Date.now()) / 1000)
  const steps: [Intl.RelativeTimeFormatUnit, number][] = [
    ['second', 60],
    ['minute', 60],
    ['hour', 24],
    ['day', 30],
    ['month', 12],
  ]
  let value = seconds
  for (const [unit, size] of steps) {
    if (Math.abs(value) < size) return relative.format(value, unit)
    value = Math.round(value / size)
  }
  return relative.format(value, 'year')
}

const matches = (query: string, ...texts: string[]): boolean => texts.some((text) => text.toLocaleLowerCase().includes(query))

function entry(name: string, title: string, meta: string, onDelete?: () => void): HTMLLIElement {
  const item = document.createElement('li')
  const text = document.createElement('div')
  text.className = 'doc-entry'
  const link = document.createElement('a')
  link.href = documentPath(name)
  link.textContent = displayTitle(title, name)
  const line = document.createElement('span')
  line.className = 'doc-meta'
  line.textContent = meta
  text.append(link, line)
  item.append(text)
  if (onDelete) {
    const remove = document.createElement('button')
    remove.type = 'button'
    remove.className = 'quiet danger'
    remove.textContent = 'Delete'
    remove.setAttribute('aria-label', `Delete ${displayTitle(title, name)}`)
    remove.addEventListener('click', onDelete)
    item.append(remove)
  }
  return item
}

let listed: ListedDocument[] | null = null

function render(): void {
  const query = search.value.trim().toLocaleLowerCase()
  // What the server lists is fresher than what this browser remembers.
  const serverTitles = new Map(listed?.map((doc) => [doc.name, doc.title ?? '']) ?? [])
  recentList.replaceChildren(
    ...recentDocuments()
      .map((doc) => ({ ...doc, title: serverTitles.get(doc.name) ?? doc.title }))
      .filter((doc) => matches(query, displayTitle(doc.title, doc.name), doc.name))
      .map((doc) => entry(doc.name, doc.title, `${doc.name} · opened ${ago(doc.openedAt)}`)),
  )
  if (listed === null) return
  allList.replaceChildren(
    ...listed
      .filter((doc) => matches(query, displayTitle(doc.title ?? '', doc.name), doc.name))
      .map((doc) => {
        const parts = [doc.name]
        if (doc.updatedAt) parts.push(`changed ${ago(Date.parse(doc.updatedAt))}`)
        const people = doc.people ?? []
        if (people.length > 0) parts.push(`${peopleLabel(people)} editing now`)
        else if (doc.connections > 0) parts.push(`${doc.connections} editing now`)
        return entry(doc.name, doc.title ?? '', parts.join(' · '), () => confirmDelete(doc))
      }),
  )
}

/** Every stored document, when the API lets this visitor list them (no access control, or an admin's session). */
async function loadListing(): Promise<void> {
  try {
    const response = await fetch(`${apiUrl()}?limit=${LISTED}&titles=true`, { headers: { accept: 'application/json' } })
    if (!response.ok) return
    listed = ((await response.json()) as { documents: ListedDocument[] }).documents
    allSection.hidden = false
    render()
  } catch {
    // Listing is optional: the recent list stands alone.
  }
}

const deleteDialog = document.querySelector<HTMLDialogElement>('#delete-dialog')!
let deleting: ListedDocument | null = null
function confirmDelete(doc: ListedDocument): void {
  deleting = doc
  document.querySelector('#delete-what')!.textContent = `“${displayTitle(doc.title ?? '', doc.name)}” (${doc.name}) will be deleted for everyone. This cannot be undone.`
  deleteDialog.returnValue = ''
  deleteDialog.showModal()
}
deleteDialog.addEventListener('close', async () => {
  const doc = deleting
  deleting = null
  if (!doc || deleteDialog.returnValue !== 'delete') return
  const response = await fetch(apiUrl(doc.name), { method: 'DELETE' }).catch(() => null)
  if (response && (response.status === 204 || response.status === 404)) {
    forgetDocument(doc.name)
    listed = listed?.filter((other) => other.name !== doc.name) ?? null
    message.textContent = `Deleted “${displayTitle(doc.title ?? '', doc.name)}”.`
    render()
  } else {
    message.textContent = `Could not delete “${doc.name}”${response ? ` (${response.status})` : ''}.`
  }
})

// New document: a title first, then a fresh name; the document page sets the title.
const newDialog = document.querySelector<HTMLDialogElement>('#new-dialog')!
const newTitle = document.querySelector<HTMLInputElement>('#new-title')!
document.querySelector('#new-document')!.addEventListener('click', () => {
  newTitle.value = ''
  newDialog.returnValue = ''
  newDialog.showModal()
})
document.querySelector('#new-cancel')!.addEventListener('click', () => newDialog.close('cancel'))
newDialog.addEventListener('close', () => {
  if (newDialog.returnValue !== 'create') return
  const name = randomName()
  if (newTitle.value.trim()) setPendingTitle(name, newTitle.value.trim())
  location.assign(documentPath(name))
})

/** Import a Markdown or HTML file as a new document, converted by the relay (the HTTP API's conversions). */
async function importFile(file: File): Promise<void> {
  const html = /\.html?$/i.test(file.name) || file.type === 'text/html'
  const markdown = /\.(md|markdown)$/i.test(file.name) || file.type === 'text/markdown'
  if (!html && !markdown) {
    message.textContent = `“${file.name}” is neither Markdown (.md) nor HTML (.html).`
    return
  }
  const name = randomName()
  const response = await fetch(apiUrl(name), {
    method: 'PUT',
    headers: { 'content-type': html ? 'text/html' : 'text/markdown', 'if-none-match': '*' },
    body: await file.text(),
  }).catch(() => null)
  if (!response || response.status !== 201) {
    const reason = response ? (((await response.json().catch(() => null)) as { message?: string } | null)?.message ?? `status ${response.status}`) : 'the server did not answer'
    message.textContent = `Could not import “${file.name}”: ${reason}.`
    return
  }
  setPendingTitle(name, file.name.replace(/\.(md|markdown|html?)$/i, ''))
  location.assign(documentPath(name))
}
const fileInput = document.querySelector<HTMLInputElement>('#import-file')!
fileInput.addEventListener('change', () => {
  const file = fileInput.files?.[0]
  if (file) void importFile(file)
})
const dropZone = document.querySelector<HTMLElement>('#drop-zone')!
document.addEventListener('dragover', (event) => {
  event.preventDefault()
  dropZone.classList.add('is-over')
})
document.addEventListener('dragleave', (event) => {
  if (event.relatedTarget === null) dropZone.classList.remove('is-over')
})
document.addEventListener('drop', (event) => {
  event.preventDefault()
  dropZone.classList.remove('is-over')
  const file = event.dataTransfer?.files[0]
  if (file) void importFile(file)
})

document.querySelector<HTMLFormElement>('#open-document')!.addEventListener('submit', (event) => {
  event.preventDefault()
  const name = new FormData(event.currentTarget as HTMLFormElement).get('document')
  if (typeof name === 'string' && name.trim()) location.assign(documentPath(name.trim()))
})

search.addEventListener('input', render)
render()
void loadListing()
