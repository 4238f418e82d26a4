#!/usr/bin/env node
// The whole test suite in one command: the type check (counted as one test),
// then every vitest file. Ends with the line CI reads: `N passed, N failed`.
import { spawnSync } from 'node:child_process'
import { existsSync, readFileSync, rmSync, mkdirSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { buildState } from './build-state.mjs'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const bin = (name) => join(root, 'node_modules', '.bin', name)
const reportPath = join(root, 'test-results', 'vitest.json')
let passed = 0
let failed = 0

// The browser tests drive Debian's Chromium (no browser download works here).
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'
if (!existsSync(CHROMIUM)) {
  console.log(`${CHROMIUM} is missing: installing Debian's chromium package (about 30 s)`)
  const sudo = process.getuid?.() === 0 ? [] : ['sudo']
  const run = (args) => spawnSync(sudo.length ? 'sudo' : args[0], sudo.length ? args : args.slice(1), { stdio: 'inherit', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } })
  run(['apt-get', 'update', '-qq'])
  run(['apt-get', 'install', '-y', '-qq', 'chromium'])
  if (!existsSync(CHROMIUM)) console.error('chromium could not be installed; the browser tests will fail')
}

console.log('typecheck: tsc --noEmit')
const tsc = spawnSync(bin('tsc'), ['--noEmit', '-p', 'tsconfig.json'], { cwd: root, stdio: 'inherit' })
if (tsc.status === 0) passed++
else failed++

// The browser and packaging tests load dist/: it must be built from the
// sources under test. `npm ci` has just built it (prepare); build again only
// when a source changed since.
const state = buildState(root)
if (state.current) {
  console.log('build: dist/ is up to date with the sources')
} else {
  console.log(`build: npm run build (${state.why})`)
  const build = spawnSync('npm', ['run', 'build', '--silent'], { cwd: root, stdio: 'inherit' })
  if (build.status !== 0) failed++
}

rmSync(reportPath, { force: true })
mkdirSync(dirname(reportPath), { recursive: true })
const vitest = spawnSync(
  bin('vitest'),
  ['run', '--reporter=default', '--reporter=json', `--outputFile.json=${reportPath}`, ...process.argv.slice(2)],
  { cwd: root, stdio: 'inherit' },
)
try {
  const report = JSON.parse(readFileSync(reportPath, 'utf8'))
  passed += report.numPassedTests
  failed += report.numFailedTests
  // A file that fails to load has no tests to count; count it as a failure.
  for (const file of report.testResults) {
    if (file.status === 'failed' && file.assertionResults.length === 0) failed++
  }
} catch {
  console.error('vitest wrote no report; counting the run as failed')
  failed++
}
if (vitest.status !== 0 && failed === 0) failed++

console.log(`${passed} passed, ${failed} failed`)
process.exit(failed === 0 ? 0 : 1)
