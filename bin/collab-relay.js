#!/usr/bin/env -S node --max-semi-space-size=8
// The `collab-relay` command: the compiled CLI in dist/node, which `npm ci`
// (through the `prepare` script) or `npm run build` produces. Running
// compiled JavaScript keeps a TypeScript loader out of the relay's memory
// and start-up time.
//
// --max-semi-space-size=8 (MiB; Node 20's default lets it grow to 16): V8's
// young generation otherwise grows under the relay's many short-lived frame
// buffers and stays that size, which measured as 7-9 KiB of resident memory
// per idle connection and a third of the growth after 10,000 documents came
// and went, with no measurable gain in throughput or latency
// (docs/performance-log.md). `npm start` passes the same flag; `node
// bin/collab-relay.js` should too.
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
