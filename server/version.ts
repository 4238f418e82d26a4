import pkg from '../package.json' with { type: 'json' }

/** The package version, reported by `--version` and `/healthz`. */
export const VERSION: string = pkg.version
