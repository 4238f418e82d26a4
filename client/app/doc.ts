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
import { createCollabEditor } from '../editor.ts'
import { statusLabel, type EditorStatus } from '../sync-status.ts'
import { cleanName, guestName, rememberName, rememberedName } from '../user.ts'
import { documentFromPath, shareLink, tokenFromFragment } from './routes.ts'

const name = documentFromPath(location.pathname)
const title = document.querySelector<HTMLElement>('#document-title')!
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
  title.textContent = 'No such document'
} else {
  title.textContent = name
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
    user: { name: userName },
    token: token ?? undefined,
    onStatus: (status) => {
      showNotice(status)
      if (!synced && status.connection === 'synced') {
        synced = true
        queueMicrotask(focusEditor)
      }
    },
  })
  nameInput.addEventListener('change', () => {
    const chosen = cleanName(nameInput.value) || guestName()
    nameInput.value = chosen
    rememberName(chosen)
    editor.setUser({ name: chosen })
  })
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
