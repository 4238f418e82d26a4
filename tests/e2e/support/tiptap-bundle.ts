/**
 * A stock Tiptap page (`tiptap-page.ts`, `tiptap-hocuspocus-page.ts` beside
 * this file) bundled for a browser test file and served by its relay.
 *
 * The pages import Tiptap and the providers from node_modules, which the
 * relay's own app never bundles: each is built with vite's `build()` into a
 * temporary folder once per test file (not per test: a build takes
 * seconds), and the folder is removed after the file's tests.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { basename, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { Hono } from 'hono'
import { build } from 'vite'
import { afterAll, beforeAll } from 'vitest'

/** Which page to bundle, and where the relay serves it. */
export interface TiptapBundleOptions {
  /** The page's module, a file beside this one (`tiptap-page.ts`). */
  entry: string
  /** The page's path on the relay; its script is served at `<path>/<script>`. */
  path: string
  /** The bundled script's file name (`tiptap-page.js`). */
  script: string
}

/** A bundled page, for the test relay's `routes`. */
export interface TiptapBundle {
  /** Mount the page (an empty `#tiptap` for the editor, and its script) on the test relay's app. */
  serve(app: Hono): void
}

/**
 * Call at module level in a browser test file, like `useBrowserTests`: the
 * page is built before the file's tests and removed after them.
 *
 * @example
 * const tiptapPage = useTiptapBundle({ entry: 'tiptap-page.ts', path: '/e2e/tiptap', script: 'tiptap-page.js' })
 * const scope = useBrowserTests({ routes: (app) => tiptapPage.serve(app) })
 */
export function useTiptapBundle({ entry, path, script }: TiptapBundleOptions): TiptapBundle {
  const input = fileURLToPath(new URL(`./${entry}`, import.meta.url))
  let bundle = ''

  beforeAll(async () => {
    bundle = mkdtempSync(join(tmpdir(), `collab-${basename(entry, '.ts')}-`))
    await build({
      configFile: false,
      logLevel: 'warn',
      publicDir: false,
      build: {
        outDir: bundle,
        emptyOutDir: true,
        minify: false,
        rollupOptions: { input, output: { entryFileNames: script } },
      },
    })
  }, 120_000)

  afterAll(() => {
    if (bundle) rmSync(bundle, { recursive: true, force: true })
  })

  return {
    serve(app) {
      app.get(path, (c) =>
        c.html(`<!doctype html><meta charset="utf-8"><link rel="icon" href="data:,"><div id="tiptap"></div><script type="module" src="${path}/${script}"></script>\n`),
      )
      app.get(`${path}/${script}`, (c) => c.body(readFileSync(join(bundle, script), 'utf8'), 200, { 'content-type': 'text/javascript; charset=utf-8' }))
    },
  }
}
