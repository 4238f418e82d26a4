// The demo's document page: the editor for /d/<document>, a name field and a share link.
import '../styles.css'
import './app.css'
import { createCollabEditor } from '../editor.ts'
import { cleanName, guestName, rememberName, rememberedName } from '../user.ts'
import { documentFromPath } from './routes.ts'

const name = documentFromPath(location.pathname)
const title = document.querySelector<HTMLElement>('#document-title')!
const nameInput = document.querySelector<HTMLInputElement>('#user-name')!
const share = document.querySelector<HTMLButtonElement>('#share')!

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

  const server = `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}`
  const editor = createCollabEditor(document.querySelector<HTMLElement>('#editor')!, {
    server,
    document: name,
    user: { name: userName },
  })
  nameInput.addEventListener('change', () => {
    const chosen = cleanName(nameInput.value) || guestName()
    nameInput.value = chosen
    rememberName(chosen)
    editor.setUser({ name: chosen })
  })
  share.addEventListener('click', async () => {
    const link = `${location.origin}${location.pathname}`
    try {
      await navigator.clipboard.writeText(link)
      share.textContent = 'Link copied'
    } catch {
      window.prompt('Copy this link', link)
    }
    setTimeout(() => (share.textContent = 'Copy link'), 2000)
  })
  editor.view.focus()
  // For tests and curious people: the editor handle on the page.
  ;(window as unknown as { collabEditor: unknown }).collabEditor = editor
}
