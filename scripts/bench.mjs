#!/usr/bin/env node
// `npm run bench [-- <which> [flags]]`: with no argument, the storage and then
// the relay benchmark (as before); with one, only that benchmark, passing the
// remaining flags on (`npm run bench -- hostile --quick`). Each runs through
// its own npm script, so `npm run bench:<which>` does exactly the same.
import { spawnSync } from 'node:child_process'

const BENCHMARKS = ['storage', 'relay', 'hostile', 'scale']
const [which, ...flags] = process.argv.slice(2)

function run(name, extra) {
  const result = spawnSync('npm', ['run', `bench:${name}`, ...(extra.length ? ['--', ...extra] : [])], { stdio: 'inherit' })
  if (result.error) throw result.error
  return result.status ?? 1
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
