#!/usr/bin/env node
// The `collab-relay` command: the compiled CLI in dist/node, which `npm ci`
// (through the `prepare` script) or `npm run build` produces. Running
// compiled JavaScript keeps a TypeScript loader out of the relay's memory
// and start-up time.
import { existsSync } from 'node:fs'

const main = new URL('../dist/node/server/main.js', import.meta.url)
if (!existsSync(main)) {
  process.stderr.write('collab-relay: the compiled relay is missing (dist/node/server/main.js). Run `npm run build` (npm ci does it).\n')
  process.exit(1)
}
// A stop asked for while the modules load (a supervisor may signal at once)
// ends the process cleanly: nothing has been opened yet. main.js replaces
// these handlers with its own first thing.
for (const signal of ['SIGTERM', 'SIGINT']) process.on(signal, () => process.exit(0))
await import(main.href)
