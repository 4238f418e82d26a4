/**
 * Vite (and vitest) plugin: y-prosemirror's `absolutePositionToRelativePosition`
 * becomes `withPositionIndex(itsOwnWalk)` from client/binding-positions.ts,
 * which explains why. The binding's source is rewritten as it is bundled:
 * the function is renamed, and an export of the same name is added. Every
 * import of it, inside the binding and from ours, gets the new one.
 *
 * If y-prosemirror's source no longer has the declaration this expects, or a
 * build bundled no y-prosemirror source through here (another entry point, a
 * pre-bundled copy), the build fails rather than shipping the slow walk
 * unnoticed.
 */
import { fileURLToPath } from 'node:url'
import type { Plugin } from 'vite'

const HELPER = fileURLToPath(new URL('../client/binding-positions.ts', import.meta.url))
const DECLARATION = 'export const absolutePositionToRelativePosition = (pos, type, mapping) => {'
const LIB = /[\\/]node_modules[\\/]y-prosemirror[\\/]src[\\/]lib\.js$/

export function bindingPositions(): Plugin[] {
  let rewritten = false
  const rewrite: Plugin = {
    name: 'collab:binding-positions',
    enforce: 'pre',
    transform(code, id) {
      if (!LIB.test(id.split('?', 1)[0])) return null
      rewritten = true
      if (!code.includes(DECLARATION)) {
        this.error(`y-prosemirror's lib.js no longer declares "${DECLARATION}": update scripts/vite-binding-positions.ts and client/binding-positions.ts`)
      }
      return {
        code:
          code.replace(DECLARATION, 'const walkToRelativePosition = (pos, type, mapping) => {') +
          `\nimport { withPositionIndex } from ${JSON.stringify(HELPER)}\n` +
          'export const absolutePositionToRelativePosition = withPositionIndex(walkToRelativePosition)\n',
        map: null,
      }
    },
  }
  // Builds only: a test run may never load the binding.
  const check: Plugin = {
    name: 'collab:binding-positions-check',
    apply: 'build',
    buildEnd(error) {
      if (!error && !rewritten) this.error('y-prosemirror was bundled without its position index: its lib.js never reached scripts/vite-binding-positions.ts')
    },
  }
  return [rewrite, check]
}
