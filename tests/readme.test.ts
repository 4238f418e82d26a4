/**
 * What the README promises, checked against the code it describes, so the
 * two cannot drift apart silently.
 */
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { MEMORY_SWITCH, SETTINGS } from '../server/cli-args.ts'
import { FRAGMENT_NAME } from '../shared/schema.ts'
import { REPO_ROOT } from './support/spawn-cli.ts'

const readme = readFileSync(join(REPO_ROOT, 'README.md'), 'utf8')
const protocol = readFileSync(join(REPO_ROOT, 'shared/PROTOCOL.md'), 'utf8')

const section = (heading: string): string => {
  const start = readme.indexOf(`\n## ${heading}`)
  expect(start, heading).toBeGreaterThan(0)
  const end = readme.indexOf('\n## ', start + 1)
  return readme.slice(start, end < 0 ? undefined : end)
}

describe('README', () => {
  it('its test line is the one .ci/run runs, and its start line installs before starting', () => {
    const ci = readFileSync(join(REPO_ROOT, '.ci/run'), 'utf8')
    const testLine = /```sh\n(.+)\n```/.exec(section('Test'))![1]
    expect(ci.split('\n')).toContain(testLine)
    expect(/```sh\n(.+)\n```/.exec(section('Start'))![1]).toBe('npm ci && npx collab-relay')
  })

  it('lists every CLI option with its environment variable and default', () => {
    const table = section('CLI reference')
    for (const setting of Object.values(SETTINGS)) {
      const row = table.split('\n').find((line) => line.startsWith(`| \`--${setting.flag}\``))
      expect(row, `--${setting.flag}`).toBeDefined()
      expect(row).toContain(setting.env)
      if (setting.default) expect(row).toContain(setting.default)
    }
    expect(table).toContain(`\`--${MEMORY_SWITCH.flag}\``)
    expect(table).toContain('`-h`, `--help`')
    expect(table).toContain('`-v`, `--version`')
  })

  it('names the Yjs fragment the editor writes, in the embedding notes and the protocol', () => {
    expect(section('Embed the editor')).toContain(`\`${FRAGMENT_NAME}\``)
    expect(protocol).toContain(`\`${FRAGMENT_NAME}\``)
  })

  it('says plainly when the relay is open, and which storage several instances may share', () => {
    expect(section('Start')).toMatch(/The relay is open unless a key is set/)
    expect(section('Access control')).toMatch(/collab-relay token/)
    expect(section('Storage: nothing another client saw is ever lost')).toMatch(/Several relays may share one PostgreSQL/)
    expect(section('Storage: nothing another client saw is ever lost')).toMatch(/A SQLite file belongs to one relay/)
    expect(section('Operations')).toContain('docs/scaling.md')
  })

  it('has an operations section: supervisors, where data lives, backups, upgrades', () => {
    const operations = section('Operations')
    for (const topic of ['supervisor', 'Where data lives', 'Backing up SQLite', '.backup', 'Upgrading']) expect(operations).toContain(topic)
  })
})
