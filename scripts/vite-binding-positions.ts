/**
 * Vite (and vitest) plugin: two of y-prosemirror's functions are wrapped as
 * its source is bundled, each by a helper that explains why:
 * - `absolutePositionToRelativePosition` becomes `withPositionIndex(itsOwnWalk)`
 *   (client/binding-positions.ts);
 * - `updateYFragment` becomes `withChangedBlocks(itsOwnUpdate)`
 *   (client/binding-changed-blocks.ts).
 * The function is renamed, and an export of the same name is added. Every
 * use of it, inside the binding (its own recursive calls included) and from
 * ours, gets the new one.
 *
 * If y-prosemirror's source no longer has a declaration this expects, or a
 * build bundled no y-prosemirror source through here (another entry point, a
 * pre-bundled copy), the build fails rather than shipping the slow path
 * unnoticed.
 */
import { fileURLToPath } from 'node:url'
import type { Plugin } from 'vite'

interface Rewrite {
  /** The binding's module, by its path inside the package. */
  file: RegExp
  declaration: string
  /** The name the binding's own function takes. */
  renamed: string
  helper: string
  wrapper: string
  exported: string
}

const helper = (path: string): string => fileURLToPath(new URL(path, import.meta.url))

const REWRITES: Rewrite[] = [
  {
    file: /[\\/]node_modules[\\/]y-prosemirror[\\/]src[\\/]lib\.js$/,
    declaration: 'export const absolutePositionToRelativePosition = (pos, type, mapping) => {',
    renamed: 'walkToRelativePosition',
    helper: helper('../client/binding-positions.ts'),
    wrapper: 'withPositionIndex',
    exported: 'absolutePositionToRelativePosition',
  },
  {
    file: /[\\/]node_modules[\\/]y-prosemirror[\\/]src[\\/]plugins[\\/]sync-plugin\.js$/,
    declaration: 'export const updateYFragment = (y, yDomFragment, pNode, meta) => {',
    renamed: 'updateWholeYFragment',
    helper: helper('../client/binding-changed-blocks.ts'),
    wrapper: 'withChangedBlocks',
    exported: 'updateYFragment',
  },
]

export function bindingPositions(): Plugin[] {
  const rewritten = new Set<Rewrite>()
  const rewrite: Plugin = {
    name: 'collab:binding-positions',
    enforce: 'pre',
    transform(code, id) {
      const path = id.split('?', 1)[0]
      const found = REWRITES.find((entry) => entry.file.test(path))
      if (!found) return null
      rewritten.add(found)
      if (!code.includes(found.declaration)) {
        this.error(`y-prosemirror no longer declares "${found.declaration}" in ${path}: update scripts/vite-binding-positions.ts and ${found.helper}`)
      }
      // A `const` declared at the end: the binding calls the function only after its module has run.
      return {
        code:
          code.replace(found.declaration, `const ${found.renamed} = (${found.declaration.split('= (')[1]}`) +
          `\nimport { ${found.wrapper} } from ${JSON.stringify(found.helper)}\n` +
          `export const ${found.exported} = ${found.wrapper}(${found.renamed})\n`,
        map: null,
      }
    },
  }
  // Builds only: a test run may never load the binding.
  const check: Plugin = {
    name: 'collab:binding-positions-check',
    apply: 'build',
    buildEnd(error) {
      const missing = REWRITES.filter((entry) => !rewritten.has(entry))
      if (!error && missing.length > 0) {
        this.error(`y-prosemirror was bundled without ${missing.map((entry) => entry.wrapper).join(' and ')}: its module never reached scripts/vite-binding-positions.ts`)
      }
    },
  }
  return [rewrite, check]
}
