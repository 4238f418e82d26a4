// Whether dist/ is built from the sources as they are now, so the test
// command builds only when something changed since `npm ci` (whose
// `prepare` script already built everything) or the last `npm run build`.
import { readdirSync, statSync } from 'node:fs'
import { join } from 'node:path'

/** What `npm run build` reads. */
export const BUILD_INPUTS = ['client', 'server', 'shared', 'examples', 'scripts/vite-binding-positions.ts', 'vite.config.ts', 'tsconfig.json', 'package.json']
/** One file from each step of `npm run build`: the library, its types, the app, the compiled server. */
export const BUILD_OUTPUTS = [
  'dist/lib/collab-editor.js',
  'dist/lib/types/client/index.d.ts',
  'dist/app/index.html',
  'dist/node/server/index.js',
  'dist/node/server/main.js',
]

function newestMtimeMs(path) {
  let stats
  try {
    stats = statSync(path)
  } catch {
    return 0
  }
  if (!stats.isDirectory()) return stats.mtimeMs
  let newest = 0
  for (const entry of readdirSync(path)) {
    if (entry === 'node_modules') continue
    newest = Math.max(newest, newestMtimeMs(join(path, entry)))
  }
  return newest
}

/**
 * `{ current: true }` when every build output exists and is newer than every
 * input; otherwise `{ current: false, why }`.
 */
export function buildState(root) {
  let oldestOutput = Infinity
  for (const output of BUILD_OUTPUTS) {
    let mtime
    try {
      mtime = statSync(join(root, output)).mtimeMs
    } catch {
      return { current: false, why: `${output} is missing` }
    }
    oldestOutput = Math.min(oldestOutput, mtime)
  }
  for (const input of BUILD_INPUTS) {
    if (newestMtimeMs(join(root, input)) > oldestOutput) return { current: false, why: `${input} changed since the last build` }
  }
  return { current: true }
}
