import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { Hono } from 'hono'
import { serveStatic } from '@hono/node-server/serve-static'

/** Where the built client lives: `dist/` at the repository root. */
export const DEFAULT_DIST_DIR = fileURLToPath(new URL('../../dist', import.meta.url))
/** Example pages that use only the built library. */
export const DEFAULT_EXAMPLES_DIR = fileURLToPath(new URL('../../examples', import.meta.url))

/** Options for `mountDemoApp`. */
export interface DemoAppOptions {
  /** The build output (`npm run build`): `app/` and `lib/` inside. */
  distDir?: string
  examplesDir?: string
}

/**
 * The editor people open in a browser, served next to the relay:
 *
 * - `GET /`: start page (new document, or open one by name);
 * - `GET /d/<document>`: the editor for that document (name percent-encoded);
 * - `GET /lib/collab-editor.{js,css}`: the embeddable library, with CORS so
 *   other sites can load it straight from the relay;
 * - `GET /examples/…`: example pages that use only the built library.
 *
 * Mount it after `createRelayApp`, whose upgrade handler must see WebSocket
 * requests first (a document may well be called `d/x`).
 */
export function mountDemoApp(app: Hono, options: DemoAppOptions = {}): void {
  const distDir = options.distDir ?? DEFAULT_DIST_DIR
  const appDir = join(distDir, 'app')
  const libDir = join(distDir, 'lib')
  const examplesDir = options.examplesDir ?? DEFAULT_EXAMPLES_DIR

  // Read once per start: the pages are a few hundred bytes.
  const page = (file: string): string | null => {
    const path = join(appDir, file)
    return existsSync(path) ? readFileSync(path, 'utf8') : null
  }
  const homePage = page('index.html')
  const documentPage = page('doc.html')
  const notBuilt = 'The editor is not built: run `npm run build` (npm ci does it for you).\n'

  app.get('/', (c) => (homePage ? c.html(homePage) : c.text(notBuilt, 503)))
  app.get('/d/*', (c) => (documentPage ? c.html(documentPage) : c.text(notBuilt, 503)))
  app.get('/assets/*', serveStatic({ root: appDir }))
  app.use('/lib/*', async (c, next) => {
    await next()
    c.header('Access-Control-Allow-Origin', '*')
  })
  app.get('/lib/*', serveStatic({ root: libDir, rewriteRequestPath: (path) => path.replace(/^\/lib/, '') }))
  app.get('/examples/*', serveStatic({ root: examplesDir, rewriteRequestPath: (path) => path.replace(/^\/examples/, '') }))
}
