/**
 * A page running a stock Tiptap editor on a document of the relay, the way
 * a Tiptap app would: StarterKit (its undo/redo off, as the Collaboration
 * extension requires), tables, task lists and images, bound by Tiptap's
 * Collaboration extension to a Y.Doc that a stock y-websocket provider
 * syncs. Nothing of this project is imported: only Tiptap's defaults meet
 * ours. Bundled with vite (`tiptap-build.ts`) for
 * tests/e2e/tiptap.browser.test.ts and for the editor benchmark
 * (bench/editor.ts); the page gives the document's name as `?doc=`.
 */
import { Editor } from '@tiptap/core'
import Collaboration from '@tiptap/extension-collaboration'
import Image from '@tiptap/extension-image'
import { TaskItem, TaskList } from '@tiptap/extension-list'
import { TableKit } from '@tiptap/extension-table'
import StarterKit from '@tiptap/starter-kit'
import { WebsocketProvider } from 'y-websocket'
import * as Y from 'yjs'

/** What the test reads and drives. */
export interface TiptapPage {
  editor: Editor
  doc: Y.Doc
  provider: WebsocketProvider
  /** Updates this page's own transactions made (not those received from the relay), base64, while `recording` is on. */
  localUpdates: string[]
  recording: boolean
}

declare global {
  interface Window {
    tiptap: TiptapPage
  }
}

const name = new URLSearchParams(location.search).get('doc') ?? 'tiptap'
const doc = new Y.Doc()
const provider = new WebsocketProvider(`${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}`, name, doc, { disableBc: true })
const editor = new Editor({
  element: document.querySelector<HTMLElement>('#tiptap')!,
  extensions: [StarterKit.configure({ undoRedo: false }), Collaboration.configure({ document: doc }), TableKit, TaskList, TaskItem.configure({ nested: true }), Image],
})

const page: TiptapPage = { editor, doc, provider, localUpdates: [], recording: false }
doc.on('update', (update: Uint8Array, _origin: unknown, _doc: Y.Doc, transaction: Y.Transaction) => {
  // What the provider applies is not local; what the editor's binding writes is.
  if (page.recording && transaction.local) page.localUpdates.push(btoa(String.fromCharCode(...update)))
})
window.tiptap = page
