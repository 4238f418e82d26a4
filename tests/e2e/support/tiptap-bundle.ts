/**
 * A stock Tiptap page (`tiptap-page.ts`, `tiptap-hocuspocus-page.ts` beside
 * this file) bundled for a browser test file and served by its relay: built
 * once per test file (not per test: a build takes seconds) by
 * `tiptap-build.ts`, and its folder removed after the file's tests.
 */
import { rmSync } from 'node:fs'
import type { Hono } from 'hono'
import { afterAll, beforeAll } from 'vitest'
import { buildTiptapPage, serveTiptapPage, type TiptapBundleOptions } from './tiptap-build.ts'

export type { TiptapBundleOptions } from './tiptap-build.ts'

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
export function useTiptapBundle(options: TiptapBundleOptions): TiptapBundle {
  let bundle = ''

  beforeAll(async () => {
    bundle = await buildTiptapPage(options)
  }, 120_000)

  afterAll(() => {
    if (bundle) rmSync(bundle, { recursive: true, force: true })
  })

  return {
    serve(app) {
      serveTiptapPage(app, options, bundle)
    },
  }
}
