#!/usr/bin/env node
// `npm run bench [-- <which> [flags]]`: with no argument, the storage and then
// the relay benchmark (as before); with one, only that benchmark, passing the
// remaining flags on (`npm run bench -- hostile --quick`). Each runs through
// its own npm script, so `npm run bench:<which>` does exactly the same.
import { spawnSync } from 'node:child_process'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { buildState } from './build-state.mjs'

const BENCHMARKS = ['storage', 'relay', 'hostile', 'scale', 'editor']
const [which, ...flags] = process.argv.slice(2)

function run(name, extra) {
  const result = spawnSync('npm', ['run', `bench:${name}`, ...(extra.length ? ['--', ...extra] : [])], { stdio: 'inherit' })
  if (result.error) throw result.error
  return result.status ?? 1
}

// The relay and storage benchmarks run our server as users run it, compiled (dist/node,
// what `collab-relay` starts), not the sources through tsx: tsx compiles
// with esbuild's keepNames, which gives every function a name property of
// its own and costs memory per connection and time per call.
const state = buildState(join(dirname(fileURLToPath(import.meta.url)), '..'))
if (!state.current && (which === undefined || which === 'relay' || which === 'storage' || which === 'editor')) {
  console.log(`building first (${state.why})`)
  const built = spawnSync('npm', ['run', 'build'], { stdio: 'inherit' })
  if (built.status !== 0) process.exit(built.status ?? 1)
}

if (which === undefined) {
  let status = 0
  for (const name of ['storage', 'relay', 'scale']) if (status === 0) status = run(name, [])
  process.exit(status)
} else if (BENCHMARKS.includes(which)) {
  process.exit(run(which, flags))
} else {
  console.error(`npm run bench -- <${BENCHMARKS.join('|')}> [flags]: unknown benchmark "${which}"`)
  process.exit(2)
}
