import { findPackageRoot } from './package-root.ts'

/** The package version, reported by `--version` and `/healthz`. */
export const VERSION: string = findPackageRoot()?.version ?? '0.0.0'
