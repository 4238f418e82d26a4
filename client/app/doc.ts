// The demo's document page: the editor for /d/<document>, a name field and a share link.
//
// With access control on, the page takes its token from the fragment,
// `/d/<document>#token=…`: browsers never send a fragment to the server, nor
// in `Referer` headers, so the token reaches the relay only where it must (the
// WebSocket's `token` parameter and the `GET /auth` check). It stays in the
// fragment, so a reload or a bookmark keeps working; "Copy link" copies the
// link without it unless "with my access token" is ticked, since whoever
// opens a link with a token acts with its access, under its name.
import '../styles.css'
import './app.css'
import { displayTitle } from '../../shared/document-title.ts'
import { createCollabEditor } from '../editor.ts'
import { statusLabel, type EditorStatus } from '../sync-status.ts'
import { bindTitle } from '../title.ts'
import { cleanName, colorForName, guestName, PEOPLE_COLORS, rememberColor, rememberedColor, rememberName, rememberedName } from '../user.ts'
import { download, fileNameFor, htmlFile, markdownFile } from './export.ts'
import { rememberDocument, takePendingTitle } from './recent.ts'
import { documentFromPath, shareLink, tokenFromFragment } from './routes.ts'
import { bindThemeToggle } from './theme.ts'
import { registerAppWorker } from './app-worker.ts'

bindThemeToggle(document.querySelector<HTMLButtonElement>('#theme-toggle')!)
registerAppWorker()

const name = documentFromPath(location.pathname)
const titleInput = document.querySelector<HTMLInputElement>('#document-title')!
const nameLine = document.querySelector<HTMLElement>('#document-name')!
const printTitle = document.querySelector<HTMLElement>('#print-title')!
const nameInput = document.querySelector<HTMLInputElement>('#user-name')!
const share = document.querySelector<HTMLButtonElement>('#share')!
const shareToken = document.querySelector<HTMLElement>('.share-token')!
const shareWithToken = document.querySelector<HTMLInputElement>('#share-with-token')!
const notice = document.querySelector<HTMLElement>('#notice')!

/** What to do about a refusal, after the status line's sentence. */
const advice = (status: EditorStatus): string => {
  switch (status.problem?.code) {
    case 'unauthorized':
    case 'expired':
      return 'Ask for a new link, or sign in again.'
    case 'forbidden':
      return 'This link does not open this document.'
    default:
      return 'Reload the page to try again.'
  }
}

/** A refused editor says so above the document too, where it cannot be missed. */
const showNotice = (status: EditorStatus): void => {
  notice.hidden = status.connection !== 'refused'
  notice.textContent = notice.hidden ? '' : `${statusLabel(status)}. ${advice(status)}`
}

if (name === null) {
  titleInput.value = 'No such document'
  titleInput.readOnly = true
} else {
  nameLine.textContent = name
  document.title = `${name} · Collab editor`
  // ?user=NAME wins (handy for sharing a prepared link), then the remembered name.
  const fromUrl = cleanName(new URLSearchParams(location.search).get('user') ?? '')
  const userName = fromUrl || rememberedName() || guestName()
  if (fromUrl || !rememberedName()) rememberName(userName)
  nameInput.value = userName

  const token = tokenFromFragment(location.hash)
  shareToken.hidden = token === null
  // A new token pasted into the address bar means a new session: start over with it.
  window.addEventListener('hashchange', () => {
    if (tokenFromFragment(location.hash) !== token) location.reload()
  })

  // The caret goes to the document, unless the person has gone elsewhere
  // (the name field, say). With a token the editor becomes editable only once
  // the relay has said what the token grants, so it is asked again then.
  let synced = false
  const focusEditor = (): void => {
    const active = document.activeElement
    if (!active || active === document.body) editor.view.focus()
  }
  const server = `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}`
  const editor = createCollabEditor(document.querySelector<HTMLElement>('#editor')!, {
    server,
    document: name,
    user: { name: userName, color: rememberedColor() ?? undefined },
    token: token ?? undefined,
    history: true,
    onStatus: (status) => {
      showNotice(status)
      // The title is part of the document: only those who may edit it can.
      titleInput.readOnly = status.access !== 'write' || status.connection === 'refused'
      if (!synced && status.connection === 'synced') {
        synced = true
        queueMicrotask(applyPendingTitle)
        queueMicrotask(focusEditor)
      }
    },
  })
  // The title lives in the document: shared, live, and in each person's undo history.
  const titleBinding = bindTitle(editor, titleInput, (title) => {
    document.title = `${displayTitle(title, name)} · Collab editor`
    printTitle.textContent = displayTitle(title, name)
    rememberDocument(name, title, false)
  })
  rememberDocument(name, titleBinding.title)
  // A title chosen on the home page ("New document", an import) is set once
  // the document is in, unless someone titled it meanwhile.
  const pendingTitle = takePendingTitle(name)
  function applyPendingTitle(): void {
    if (!pendingTitle || titleBinding.title || titleInput.readOnly) return
    titleInput.value = pendingTitle
    titleInput.dispatchEvent(new Event('input'))
  }
  const exportMenu = document.querySelector<HTMLDetailsElement>('#export-menu')!
  const exportAs = (content: string, extension: string, type: string): void => {
    download(content, fileNameFor(displayTitle(titleBinding.title, name), extension), type)
    exportMenu.open = false
  }
  document.querySelector('#export-markdown')!.addEventListener('click', () => exportAs(markdownFile(editor.view.state.doc), 'md', 'text/markdown'))
  document
    .querySelector('#export-html')!
    .addEventListener('click', () => exportAs(htmlFile(editor.view.state.doc, displayTitle(titleBinding.title, name)), 'html', 'text/html'))
  document.querySelector('#export-pdf')!.addEventListener('click', () => {
    exportMenu.open = false
    window.print()
  })
  nameInput.addEventListener('change', () => {
    const chosen = cleanName(nameInput.value) || guestName()
    nameInput.value = chosen
    rememberName(chosen)
    editor.setUser({ name: chosen, color: rememberedColor() ?? undefined })
    showColor()
  })
  // Each person's colour: the one their name gives, or one they pick (remembered in this browser).
  const colorMenu = document.querySelector<HTMLDetailsElement>('#color-menu')!
  const colorChoices = document.querySelector<HTMLElement>('#color-choices')!
  const swatch = document.querySelector<HTMLElement>('#color-swatch')!
  const choices = [{ name: 'From my name', color: null }, ...PEOPLE_COLORS].map(({ name: label, color }) => {
    const choice = document.createElement('button')
    choice.type = 'button'
    choice.setAttribute('role', 'radio')
    choice.dataset.color = color ?? ''
    const dot = document.createElement('span')
    dot.className = 'swatch'
    choice.append(dot, label)
    choice.addEventListener('click', () => {
      rememberColor(color)
      editor.setUser({ name: nameInput.value, color: color ?? undefined })
      showColor()
      colorMenu.open = false
    })
    colorChoices.append(choice)
    return { choice, dot, color }
  })
  function showColor(): void {
    const picked = rememberedColor()
    const shown = picked ?? colorForName(cleanName(nameInput.value))
    swatch.style.background = shown
    for (const { choice, dot, color } of choices) {
      dot.style.background = color ?? colorForName(cleanName(nameInput.value))
      choice.setAttribute('aria-checked', String(color === picked))
    }
  }
  showColor()
  share.addEventListener('click', async () => {
    const link = shareLink(location.origin, name, shareWithToken.checked ? token : null)
    try {
      await navigator.clipboard.writeText(link)
      share.textContent = 'Link copied'
    } catch {
      window.prompt('Copy this link', link)
    }
    setTimeout(() => (share.textContent = 'Copy link'), 2000)
  })
  focusEditor()
  // For tests and curious people: the editor handle on the page.
  ;(window as unknown as { collabEditor: unknown }).collabEditor = editor
}
