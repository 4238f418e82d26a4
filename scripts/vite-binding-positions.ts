/**
 * Vite (and vitest) plugin: three of y-prosemirror's functions are wrapped as
 * its source is bundled, each by a helper that explains why:
 * - `absolutePositionToRelativePosition` becomes `withPositionIndex(itsOwnWalk)`
 *   (client/binding-positions.ts);
 * - `updateYFragment` becomes `withChangedBlocks(itsOwnUpdate)`
 *   (client/binding-changed-blocks.ts);
 * - `restoreRelativeSelection` (the module's own, not exported) becomes
 *   `withSafeRestore(itsOwnRestore, toAbsolute)`
 *   (client/binding-selection-restore.ts).
 * The function is renamed, and a declaration of the same name (exported
 * where the original was) is added at the end. Every use of it, inside the
 * binding (its own recursive calls included) and from ours, gets the new one.
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
  /** The wrapped function's name, declared again at the end (exported where the original was). */
  name: string
  /** More arguments for the wrapper: expressions in the binding's module, evaluated as it loads. */
  extra?: string
}

const helper = (path: string): string => fileURLToPath(new URL(path, import.meta.url))

const REWRITES: Rewrite[] = [
  {
    file: /[\\/]node_modules[\\/]y-prosemirror[\\/]src[\\/]lib\.js$/,
    declaration: 'export const absolutePositionToRelativePosition = (pos, type, mapping) => {',
    renamed: 'walkToRelativePosition',
    helper: helper('../client/binding-positions.ts'),
    wrapper: 'withPositionIndex',
    name: 'absolutePositionToRelativePosition',
  },
  {
    file: /[\\/]node_modules[\\/]y-prosemirror[\\/]src[\\/]plugins[\\/]sync-plugin\.js$/,
    declaration: 'export const updateYFragment = (y, yDomFragment, pNode, meta) => {',
    renamed: 'updateWholeYFragment',
    helper: helper('../client/binding-changed-blocks.ts'),
    wrapper: 'withChangedBlocks',
    name: 'updateYFragment',
  },
  {
    file: /[\\/]node_modules[\\/]y-prosemirror[\\/]src[\\/]plugins[\\/]sync-plugin\.js$/,
    declaration: 'const restoreRelativeSelection = (tr, relSel, binding) => {',
    renamed: 'restoreSelectionAsBinding',
    helper: helper('../client/binding-selection-restore.ts'),
    wrapper: 'withSafeRestore',
    name: 'restoreRelativeSelection',
    // Called through: lib.js imports this module, so while it loads lib.js's function is not defined yet.
    extra: '(...args) => relativePositionToAbsolutePosition(...args)',
  },
]

export function bindingPositions(): Plugin[] {
  const rewritten = new Set<Rewrite>()
  const rewrite: Plugin = {
    name: 'collab:binding-positions',
    enforce: 'pre',
    transform(code, id) {
      const path = id.split('?', 1)[0]
      const found = REWRITES.filter((entry) => entry.file.test(path))
      if (found.length === 0) return null
      let rewrittenCode = code
      for (const entry of found) {
        rewritten.add(entry)
        if (!code.includes(entry.declaration)) {
          this.error(`y-prosemirror no longer declares "${entry.declaration}" in ${path}: update scripts/vite-binding-positions.ts and ${entry.helper}`)
        }
        const exported = entry.declaration.startsWith('export ') ? 'export ' : ''
        const args = [entry.renamed, ...(entry.extra ? [entry.extra] : [])].join(', ')
        // A `const` declared at the end: the binding calls the function only after its module has run.
        rewrittenCode =
          rewrittenCode.replace(entry.declaration, `const ${entry.renamed} = (${entry.declaration.split('= (')[1]}`) +
          `\nimport { ${entry.wrapper} } from ${JSON.stringify(entry.helper)}\n` +
          `${exported}const ${entry.name} = ${entry.wrapper}(${args})\n`
      }
      return { code: rewrittenCode, map: null }
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
