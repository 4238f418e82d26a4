import { readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

/** What `findPackageRoot` learns from the package's own package.json. */
export interface PackageInfo {
  /** The folder holding collab-relay's package.json (a checkout, or node_modules/collab-relay). */
  root: string
  version: string
}

/**
 * This package's folder and version, found by walking up from this module.
 * The same code runs from the sources (`server/`) and compiled
 * (`dist/node/server/`), one and three levels below the root, so no fixed
 * relative path fits both.
 */
export function findPackageRoot(): PackageInfo | null {
  let dir = dirname(fileURLToPath(import.meta.url))
  for (;;) {
    try {
      const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name?: string; version?: string }
      if (pkg.name === 'collab-relay' && pkg.version) return { root: dir, version: pkg.version }
    } catch {
      // no package.json here (or not ours): keep walking
    }
    const parent = dirname(dir)
    if (parent === dir) return null
    dir = parent
  }
}
