/**
 * A page running a stock Tiptap editor the way most Tiptap apps collaborate:
 * its Collaboration extension over `@hocuspocus/provider`, pointed at the
 * relay's root URL (the Hocuspocus dialect, shared/PROTOCOL.md). Nothing of
 * this project is imported. Bundled by
 * tests/e2e/tiptap-hocuspocus.browser.test.ts; the page gives the document's
 * name as `?doc=`.
 */
import { HocuspocusProvider } from '@hocuspocus/provider'
import { Editor } from '@tiptap/core'
import Collaboration from '@tiptap/extension-collaboration'
import StarterKit from '@tiptap/starter-kit'
import * as Y from 'yjs'

/** What the test reads and drives. */
export interface TiptapHocuspocusPage {
  editor: Editor
  doc: Y.Doc
  provider: HocuspocusProvider
  /** The scope the relay granted (`read-write` or `readonly`), once authenticated. */
  scope: string | null
}

declare global {
  interface Window {
    tiptapHocuspocus: TiptapHocuspocusPage
  }
}

const name = new URLSearchParams(location.search).get('doc') ?? 'tiptap'
const doc = new Y.Doc()
const page = { doc, scope: null } as TiptapHocuspocusPage
page.provider = new HocuspocusProvider({
  url: `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}`,
  name,
  document: doc,
  onAuthenticated: ({ scope }) => (page.scope = scope),
})
page.editor = new Editor({
  element: document.querySelector<HTMLElement>('#tiptap')!,
  extensions: [StarterKit.configure({ undoRedo: false }), Collaboration.configure({ document: doc })],
})
window.tiptapHocuspocus = page
