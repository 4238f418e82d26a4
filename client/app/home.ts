// The demo's start page: a new document with a random name, or one by name.
import './app.css'
import { documentPath } from './routes.ts'

const randomName = (): string => {
  const bytes = crypto.getRandomValues(new Uint8Array(6))
  return Array.from(bytes, (b) => 'abcdefghijkmnpqrstuvwxyz23456789'[b % 32]).join('')
}

document.querySelector('#new-document')!.addEventListener('click', () => {
  location.assign(documentPath(randomName()))
})
document.querySelector<HTMLFormElement>('#open-document')!.addEventListener('submit', (event) => {
  event.preventDefault()
  const name = new FormData(event.currentTarget as HTMLFormElement).get('document')
  if (typeof name === 'string' && name.trim()) location.assign(documentPath(name.trim()))
})
