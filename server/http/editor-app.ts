import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import type { Hono } from 'hono'
import { serveStatic } from '@hono/node-server/serve-static'
import { roomNameFromPath } from '../../shared/room-name.ts'
import { findPackageRoot } from '../package-root.ts'

/** Options for `mountEditorApp`. */
export interface EditorAppOptions {
  /** The build output (`npm run build`) with `app/` and `lib/` inside. Default: this package's `dist/`. */
  distDir?: string
  /** Example pages that use only the built library. Default: this package's `examples/`. */
  examplesDir?: string
}

const escapeHtml = (text: string): string =>
  text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`)

/**
 * The editor people open in a browser, served beside the relay:
 *
 * - `GET /`: start page (new document, or open one by name);
 * - `GET /d/<document>`: the editor for that document (name percent-encoded;
 *   a name the relay would refuse answers 400);
 * - `GET /sw.js`: the pages' service worker, so they open offline too;
 * - `GET /lib/collab-editor.{js,css}`: the embeddable library, with CORS so
 *   other sites can load it straight from the relay;
 * - `GET /examples/…`: example pages that use only the built library.
 *
 * Mount it on the app that holds `createRelayApp`, after it: the relay's
 * upgrade handler must see WebSocket requests first (a document may well be
 * called `d/x`). `serveRelay(relay, { editor: true })` does this for you.
 *
 * @example
 * const app = new Hono()
 * app.route('/', createRelayApp(relay))
 * mountEditorApp(app)
 * await serveRelay(relay, { app, port: 1234 })
 */
export function mountEditorApp(app: Hono, options: EditorAppOptions = {}): void {
  const packageRoot = findPackageRoot()?.root
  const distDir = options.distDir ?? (packageRoot ? join(packageRoot, 'dist') : 'dist')
  const appDir = join(distDir, 'app')
  const libDir = join(distDir, 'lib')
  const examplesDir = options.examplesDir ?? (packageRoot ? join(packageRoot, 'examples') : 'examples')

  // Read once per start: the pages are a few hundred bytes.
  const page = (file: string): string | null => {
    const path = join(appDir, file)
    return existsSync(path) ? readFileSync(path, 'utf8') : null
  }
  const homePage = page('index.html')
  const documentPage = page('doc.html')
  const notBuilt = 'The editor is not built: run `npm run build` (npm ci does it for you).\n'

  app.get('/', (c) => (homePage ? c.html(homePage) : c.text(notBuilt, 503)))
  app.get('/d/*', (c) => {
    // The same rule as the relay's: a page for a name no client could open is an error, not an empty editor.
    const prefix = c.req.routePath.replace(/\*$/, '')
    const parsed = roomNameFromPath(new URL(c.req.url).pathname.slice(prefix.length))
    if (!parsed.ok) {
      const reason = `invalid document name (${parsed.problem})`
      return c.html(`<!doctype html><meta charset="utf-8"><title>Invalid document name</title><p>${escapeHtml(reason)}. <a href="/">Start page</a></p>\n`, 400, {
        'x-collab-error': reason,
      })
    }
    return documentPage ? c.html(documentPage) : c.text(notBuilt, 503)
  })
  app.get('/assets/*', serveStatic({ root: appDir }))
  // The service worker (client/app/sw.ts): always revalidated, so a new one is found at once.
  app.get('/sw.js', async (c, next) => {
    await next()
    c.header('Cache-Control', 'no-cache')
  })
  app.get('/sw.js', serveStatic({ root: appDir }))
  app.use('/lib/*', async (c, next) => {
    await next()
    c.header('Access-Control-Allow-Origin', '*')
  })
  app.get('/lib/*', serveStatic({ root: libDir, rewriteRequestPath: (path) => path.replace(/^\/lib/, '') }))
  app.get('/examples/*', serveStatic({ root: examplesDir, rewriteRequestPath: (path) => path.replace(/^\/examples/, '') }))
}
