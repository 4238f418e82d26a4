import { fileURLToPath } from 'node:url'
import { defineConfig } from 'vitest/config'
import { bindingPositions } from './scripts/vite-binding-positions.ts'

const here = (path: string): string => fileURLToPath(new URL(path, import.meta.url))

/**
 * One config, three jobs:
 * - `vite build --mode lib`: the embeddable editor, `dist/lib/collab-editor.js` + `collab-editor.css`;
 * - `vite build --mode app`: the demo app the relay serves, `dist/app/`;
 * - `vitest`: the test suite.
 * All three rewrite y-prosemirror's position walk (scripts/vite-binding-positions.ts).
 */
export default defineConfig(({ mode }) => {
  if (mode === 'lib') {
    return {
      publicDir: false,
      plugins: bindingPositions(),
      build: {
        outDir: here('dist/lib'),
        emptyOutDir: true,
        sourcemap: true,
        lib: {
          entry: here('client/index.ts'),
          formats: ['es'],
          fileName: () => 'collab-editor.js',
          cssFileName: 'collab-editor',
        },
      },
    }
  }
  if (mode === 'app') {
    return {
      root: here('client/app'),
      publicDir: false,
      plugins: bindingPositions(),
      build: {
        outDir: here('dist/app'),
        emptyOutDir: true,
        rollupOptions: {
          input: { index: here('client/app/index.html'), doc: here('client/app/doc.html'), sw: here('client/app/sw.ts') },
          // The service worker keeps a fixed name at the root: its URL is its identity and its scope.
          output: { entryFileNames: (chunk) => (chunk.name === 'sw' ? 'sw.js' : 'assets/[name]-[hash].js') },
        },
      },
    }
  }
  return {
    plugins: bindingPositions(),
    test: {
      include: ['server/**/*.test.ts', 'shared/**/*.test.ts', 'client/**/*.test.ts', 'tests/**/*.test.ts'],
      testTimeout: 30_000,
      hookTimeout: 30_000,
      // Integration tests each start their own relay on port 0; files may run in parallel.
      pool: 'forks',
      // y-prosemirror goes through vite's transform, so that tests run the binding as the bundles
      // do (scripts/vite-binding-positions.ts).
      server: { deps: { inline: ['y-prosemirror'] } },
    },
  }
})
