import { readFileSync } from 'node:fs'

/**
 * The package version, reported by `--version` and `/healthz`. Read from
 * package.json at run time, found from the sources (`server/`) and from the
 * compiled library (`dist/node/server/`) alike.
 */
export const VERSION: string = readVersion()

function readVersion(): string {
  for (const candidate of ['../package.json', '../../../package.json']) {
    try {
      const pkg = JSON.parse(readFileSync(new URL(candidate, import.meta.url), 'utf8')) as { name?: string; version?: string }
      if (pkg.name === 'collab-relay' && pkg.version) return pkg.version
    } catch {
      // not at this level; try the next
    }
  }
  return '0.0.0'
}
