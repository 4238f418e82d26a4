/**
 * The test command builds dist/ only when the sources changed since the last
 * build (`npm ci` builds through `prepare`; building again doubled the time
 * of the README's test line). scripts/build-state.mjs decides.
 */
import { mkdirSync, mkdtempSync, utimesSync, writeFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { describe, expect, it } from 'vitest'
// @ts-expect-error: a plain .mjs script (the test runner's), without type declarations
import { BUILD_INPUTS, BUILD_OUTPUTS, buildState } from '../scripts/build-state.mjs'

const inputs = BUILD_INPUTS as string[]
const outputs = BUILD_OUTPUTS as string[]
const state = buildState as (root: string) => { current: boolean; why?: string }

/** A fake checkout: one file per input, every output, all with the given times (seconds). */
function checkout(inputTime: number, outputTime: number): string {
  const root = mkdtempSync(join(tmpdir(), 'build-state-'))
  for (const input of inputs) {
    const file = input.includes('.') ? join(root, input) : join(root, input, 'deep', 'source.ts')
    mkdirSync(dirname(file), { recursive: true })
    writeFileSync(file, 'x')
    utimesSync(file, inputTime, inputTime)
  }
  for (const output of outputs) {
    mkdirSync(dirname(join(root, output)), { recursive: true })
    writeFileSync(join(root, output), 'x')
    utimesSync(join(root, output), outputTime, outputTime)
  }
  return root
}

describe('build state', () => {
  it('is current when every output is newer than every input (right after npm ci)', () => {
    expect(state(checkout(1_000, 2_000))).toEqual({ current: true })
  })

  it('is stale when any source file, however deep, changed after the build', () => {
    const root = checkout(1_000, 2_000)
    utimesSync(join(root, 'client', 'deep', 'source.ts'), 3_000, 3_000)
    expect(state(root)).toEqual({ current: false, why: 'client changed since the last build' })
  })

  it('is stale when an output is missing', () => {
    const root = checkout(1_000, 2_000)
    rmSync(join(root, 'dist/node/server/main.js'))
    expect(state(root)).toEqual({ current: false, why: 'dist/node/server/main.js is missing' })
  })

  it('ignores node_modules inside the inputs', () => {
    const root = checkout(1_000, 2_000)
    mkdirSync(join(root, 'server', 'node_modules'))
    writeFileSync(join(root, 'server', 'node_modules', 'x.js'), 'x')
    utimesSync(join(root, 'server', 'node_modules', 'x.js'), 3_000, 3_000)
    expect(state(root).current).toBe(true)
  })
})
