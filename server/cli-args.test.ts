import { describe, expect, it } from 'vitest'
import { CliError, SETTINGS, helpText, parseCli, type CliCommand, type CliConfig } from './cli-args.ts'

function config(command: CliCommand): CliConfig {
  if (command.kind !== 'serve') throw new Error(`expected a serve command, got ${command.kind}`)
  return command.config
}

/** The CliError message `parseCli` throws, or a failure if it does not throw one. */
function cliError(argv: string[], env: Record<string, string | undefined> = {}): string {
  try {
    parseCli(argv, env)
  } catch (error) {
    expect(error).toBeInstanceOf(CliError)
    return (error as CliError).message
  }
  throw new Error(`parseCli(${JSON.stringify(argv)}, ${JSON.stringify(env)}) did not throw`)
}

const DEFAULTS: CliConfig = {
  host: '127.0.0.1',
  port: 1234,
  dataDir: './data',
  maxPayloadBytes: 16 * 1024 * 1024,
  heartbeatMs: 30_000,
  roomIdleMs: 10_000,
  compactAfterUpdates: 1000,
  compactAfterBytes: 4 * 1024 * 1024,
  messagesPerSecond: 100,
  messageBurst: 2000,
  bytesPerSecond: 2 * 1024 * 1024,
  byteBurst: 32 * 1024 * 1024,
  maxDocumentBytes: 64 * 1024 * 1024,
  databaseUrl: '',
  memory: false,
}

/** A valid value per setting, unlike the default, as flag/env text and as parsed. */
const SAMPLE: Record<keyof typeof SETTINGS, [string, string | number]> = {
  host: ['0.0.0.0', '0.0.0.0'],
  port: ['8080', 8080],
  dataDir: ['/var/lib/relay', '/var/lib/relay'],
  maxPayloadBytes: ['2048', 2048],
  heartbeatMs: ['5000', 5000],
  roomIdleMs: ['0', 0],
  compactAfterUpdates: ['50', 50],
  compactAfterBytes: ['65536', 65536],
  messagesPerSecond: ['50', 50],
  messageBurst: ['500', 500],
  bytesPerSecond: ['4096', 4096],
  byteBurst: ['8192', 8192],
  maxDocumentBytes: ['1048576', 1048576],
  databaseUrl: ['postgres://u@db/x', 'postgres://u@db/x'],
}
const OTHER: Record<keyof typeof SETTINGS, string> = {
  host: '::1',
  port: '9090',
  dataDir: '/tmp/other',
  maxPayloadBytes: '4096',
  heartbeatMs: '7000',
  roomIdleMs: '250',
  compactAfterUpdates: '70',
  compactAfterBytes: '1000',
  messagesPerSecond: '60',
  messageBurst: '600',
  bytesPerSecond: '5000',
  byteBurst: '9000',
  maxDocumentBytes: '2097152',
  databaseUrl: 'postgresql://other@db/y',
}

const keys = Object.keys(SETTINGS) as (keyof typeof SETTINGS)[]
const integerKeys = keys.filter((key) => typeof DEFAULTS[key] === 'number')

describe('parseCli', () => {
  it('uses the documented defaults with no flags and no environment', () => {
    expect(config(parseCli([], {}))).toEqual(DEFAULTS)
  })

  it('keeps SETTINGS defaults and the parsed defaults in agreement', () => {
    for (const key of keys) expect(String(DEFAULTS[key]), key).toBe(SETTINGS[key].default)
  })

  it('takes each setting from its environment variable when no flag is given', () => {
    const env = Object.fromEntries(keys.map((key) => [SETTINGS[key].env, SAMPLE[key][0]]))
    const parsed = config(parseCli([], env))
    for (const key of keys) expect(parsed[key], key).toBe(SAMPLE[key][1])
  })

  it('lets each flag override its environment variable', () => {
    const env = Object.fromEntries(keys.map((key) => [SETTINGS[key].env, OTHER[key]]))
    const argv = keys.flatMap((key) => [`--${SETTINGS[key].flag}`, SAMPLE[key][0]])
    const parsed = config(parseCli(argv, env))
    for (const key of keys) expect(parsed[key], key).toBe(SAMPLE[key][1])
  })

  it('accepts --flag=value', () => {
    expect(config(parseCli(['--port=0', '--room-idle-ms=5'], {}))).toMatchObject({ port: 0, roomIdleMs: 5 })
  })

  it('treats an empty environment variable as unset', () => {
    expect(config(parseCli([], { COLLAB_RELAY_PORT: '', COLLAB_RELAY_HOST: '' }))).toEqual(DEFAULTS)
  })

  it('accepts the port range ends and refuses what is past them', () => {
    expect(config(parseCli(['--port', '0'], {})).port).toBe(0)
    expect(config(parseCli(['--port', '65535'], {})).port).toBe(65535)
    expect(cliError(['--port', '65536'])).toBe('--port: expected a whole number from 0 to 65535, got "65536"')
    expect(cliError(['--port=-1'])).toBe('--port: expected a whole number from 0 to 65535, got "-1"')
  })

  describe('names the source of a bad value', () => {
    for (const key of integerKeys) {
      const { flag, env } = SETTINGS[key]
      for (const bad of ['abc', '1.5', '99999999999']) {
        it(`--${flag} ${bad}`, () => {
          const message = cliError([`--${flag}`, bad], { [env]: SAMPLE[key][0] })
          expect(message).toMatch(new RegExp(`^--${flag}: expected a whole number from \\d+ to \\d+, got "${bad}"$`))
        })
        it(`${env}=${bad}`, () => {
          const message = cliError([], { [env]: bad })
          expect(message).toMatch(new RegExp(`^${env}: expected a whole number from \\d+ to \\d+, got "${bad}"$`))
        })
      }
    }

    it('an empty --host or blank COLLAB_RELAY_HOST', () => {
      expect(cliError(['--host', ''])).toBe('--host: the host must not be empty')
      expect(cliError([], { COLLAB_RELAY_HOST: '   ' })).toBe('COLLAB_RELAY_HOST: the host must not be empty')
    })

    it('an empty --data or blank COLLAB_RELAY_DATA', () => {
      expect(cliError(['--data', ''])).toBe('--data: the data directory must not be empty')
      expect(cliError([], { COLLAB_RELAY_DATA: ' ' })).toBe('COLLAB_RELAY_DATA: the data directory must not be empty')
    })

    it('a value below a minimum (heartbeat under 100 ms)', () => {
      expect(cliError(['--heartbeat-ms', '99'])).toBe('--heartbeat-ms: expected a whole number from 100 to 3600000, got "99"')
    })
  })

  it('refuses an unknown flag, a positional argument and a flag without a value', () => {
    expect(cliError(['--bogus'])).toContain('--bogus')
    expect(cliError(['serve'])).toContain('serve')
    expect(cliError(['--port'])).toContain('--port')
  })

  it('returns help and version commands', () => {
    expect(parseCli(['--help'], {})).toEqual({ kind: 'help' })
    expect(parseCli(['--version'], {})).toEqual({ kind: 'version' })
    expect(parseCli(['--port', '0', '--version'], {})).toEqual({ kind: 'version' })
  })

  it('takes -h and -v as the short forms of --help and --version', () => {
    expect(parseCli(['-h'], {})).toEqual({ kind: 'help' })
    expect(parseCli(['-v'], {})).toEqual({ kind: 'version' })
  })
})

describe('helpText', () => {
  it('lists every setting with its flag, environment variable, default and help', () => {
    const lines = helpText().split('\n')
    for (const setting of Object.values(SETTINGS)) {
      const line = lines.find((row) => row.trimStart().startsWith(`--${setting.flag} `))
      expect(line, `--${setting.flag}`).toBeDefined()
      expect(line).toContain(setting.env)
      expect(line).toContain(`default ${setting.default || 'none'}`)
      expect(line).toContain(setting.help)
    }
  })

  it('lists --help and --version with their short forms', () => {
    expect(helpText()).toMatch(/^\s+-h, --help\s/m)
    expect(helpText()).toMatch(/^\s+-v, --version\s/m)
  })

  it('keeps at least two spaces between every option and its text, however long the option', () => {
    const rows = helpText().split('\n').filter((row) => /^\s+-/.test(row))
    expect(rows.length).toBe(Object.keys(SETTINGS).length + 3)
    for (const row of rows) expect(row, row).toMatch(/^ {2}(-\w, )?--[\w-]+( <value>)? {2,}\S/)
  })
})
