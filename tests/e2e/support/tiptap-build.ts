/**
 * Build and serve a stock Tiptap page (`tiptap-page.ts` and its siblings):
 * the part of `tiptap-bundle.ts` that needs no test runner, so the editor
 * benchmark (bench/editor.ts) opens the same page the browser tests do.
 *
 * The pages import Tiptap and the providers from node_modules, which the
 * relay's own app never bundles: each is built with vite's `build()` into a
 * temporary folder.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { basename, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { Hono } from 'hono'
import { build } from 'vite'

/** Which page to bundle, and where the relay serves it. */
export interface TiptapBundleOptions {
  /** The page's module, a file beside this one (`tiptap-page.ts`). */
  entry: string
  /** The page's path on the relay; its script is served at `<path>/<script>`. */
  path: string
  /** The bundled script's file name (`tiptap-page.js`). */
  script: string
}

/** Bundle the page into a new temporary folder, which the caller removes; returns the folder. */
export async function buildTiptapPage({ entry, script }: TiptapBundleOptions): Promise<string> {
  const input = fileURLToPath(new URL(`./${entry}`, import.meta.url))
  const outDir = mkdtempSync(join(tmpdir(), `collab-${basename(entry, '.ts')}-`))
  try {
    await build({
      configFile: false,
      logLevel: 'warn',
      publicDir: false,
      build: {
        outDir,
        emptyOutDir: true,
        minify: false,
        rollupOptions: { input, output: { entryFileNames: script } },
      },
    })
  } catch (error) {
    // A failed build leaves nothing behind.
    rmSync(outDir, { recursive: true, force: true })
    throw error
  }
  return outDir
}

/** Mount a built page (an empty `#tiptap` for the editor, and its script) on a relay's app. */
export function serveTiptapPage(app: Hono, { path, script }: TiptapBundleOptions, outDir: string): void {
  app.get(path, (c) =>
    c.html(`<!doctype html><meta charset="utf-8"><link rel="icon" href="data:,"><div id="tiptap"></div><script type="module" src="${path}/${script}"></script>\n`),
  )
  app.get(`${path}/${script}`, (c) => c.body(readFileSync(join(outDir, script), 'utf8'), 200, { 'content-type': 'text/javascript; charset=utf-8' }))
}
