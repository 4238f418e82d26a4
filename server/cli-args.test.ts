import { generateKeyPairSync } from 'node:crypto'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { CliError, OPEN_RELAY_WARNING, SETTINGS, parseCli, type CliCommand, type CliConfig } from './cli-args.ts'
import { helpText, tokenHelpText } from './cli-help.ts'

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
  redisUrl: '',
  memory: false,
  allowedOrigins: [],
  maxConnectionsPerIp: 50,
  maxUpgradesPerMinute: 120,
  trustProxy: [],
  handshakeTimeoutMs: 10_000,
  tls: null,
  tlsCert: '',
  tlsKey: '',
  authSecrets: [],
  authPublicKeys: [],
  authJwksUrls: [],
  logLevel: 'info',
  logFormat: 'auto',
  webhookUrls: [],
  webhookSecret: '',
  versionSettleMs: 30_000,
  versionIntervalMs: 600_000,
  versionKeepAllHours: 24,
  versionKeepHourlyDays: 7,
  versionKeepDailyDays: 0,
}

/** The settings that take one value (lists, and the TLS files read from disk, are tested on their own below). */
type ScalarKey = Exclude<keyof typeof SETTINGS, 'authSecrets' | 'authPublicKeys' | 'authJwksUrls' | 'allowedOrigins' | 'trustProxy' | 'webhookUrls' | 'tlsCert' | 'tlsKey'>

/** A valid value per setting, unlike the default, as flag/env text and as parsed. */
const SAMPLE: Record<ScalarKey, [string, string | number]> = {
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
  maxConnectionsPerIp: ['5', 5],
  maxUpgradesPerMinute: ['0', 0],
  handshakeTimeoutMs: ['2500', 2500],
  databaseUrl: ['postgres://u@db/x', 'postgres://u@db/x'],
  redisUrl: ['redis://cache:6379', 'redis://cache:6379'],
  logLevel: ['warn', 'warn'],
  logFormat: ['json', 'json'],
  webhookSecret: ['w'.repeat(32), 'w'.repeat(32)],
  versionSettleMs: ['1500', 1500],
  versionIntervalMs: ['0', 0],
  versionKeepAllHours: ['12', 12],
  versionKeepHourlyDays: ['3', 3],
  versionKeepDailyDays: ['30', 30],
}
const OTHER: Record<ScalarKey, string> = {
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
  maxConnectionsPerIp: '7',
  maxUpgradesPerMinute: '30',
  handshakeTimeoutMs: '3000',
  databaseUrl: 'postgresql://other@db/y',
  redisUrl: 'rediss://other-cache:6380',
  logLevel: 'error',
  logFormat: 'pretty',
  webhookSecret: 'o'.repeat(40),
  versionSettleMs: '2500',
  versionIntervalMs: '60000',
  versionKeepAllHours: '6',
  versionKeepHourlyDays: '2',
  versionKeepDailyDays: '10',
}

const allKeys = Object.keys(SETTINGS) as (keyof typeof SETTINGS)[]
const keys = allKeys.filter((key): key is ScalarKey => !('repeatable' in SETTINGS[key]) && key !== 'tlsCert' && key !== 'tlsKey')
const integerKeys = keys.filter((key) => typeof DEFAULTS[key] === 'number')

describe('parseCli', () => {
  it('uses the documented defaults with no flags and no environment', () => {
    expect(config(parseCli([], {}))).toEqual(DEFAULTS)
  })

  it('keeps SETTINGS defaults and the parsed defaults in agreement', () => {
    for (const key of allKeys) expect(String(DEFAULTS[key]), key).toBe(SETTINGS[key].default)
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

    it('version retention ages that decrease (a daily 0 is forever)', () => {
      expect(cliError(['--version-keep-all-hours', '200'])).toMatch(/^--version-keep-all-hours \(200 hours\), --version-keep-hourly-days \(7 days\) and .* must not decrease/)
      expect(cliError([], { COLLAB_RELAY_VERSION_KEEP_DAILY_DAYS: '3' })).toMatch(/must not decrease/)
      expect(config(parseCli(['--version-keep-hourly-days', '400', '--version-keep-daily-days', '0'], {})).versionKeepHourlyDays).toBe(400)
    })

    it('a byte burst smaller than the largest frame, given or by default, as flags or variables', () => {
      expect(cliError(['--rate-byte-burst', '4096', '--max-payload-bytes', '1048576'])).toBe(
        '--rate-byte-burst (4096 bytes) must be at least --max-payload-bytes (1048576 bytes): a frame larger than the burst would always be closed with 4429',
      )
      expect(cliError(['--rate-byte-burst', '4096'])).toMatch(/^--rate-byte-burst \(4096 bytes\) must be at least --max-payload-bytes \(16777216 bytes, the default\): /)
      // The default burst grows with the frame limit instead.
      expect(config(parseCli(['--max-payload-bytes', '67108864'], {}))).toMatchObject({ byteBurst: 67108864, maxPayloadBytes: 67108864 })
      expect(cliError([], { COLLAB_RELAY_RATE_BYTE_BURST: '4096', COLLAB_RELAY_MAX_PAYLOAD_BYTES: '1048576' })).toMatch(
        /^--rate-byte-burst \(4096 bytes, from COLLAB_RELAY_RATE_BYTE_BURST\) must be at least --max-payload-bytes \(1048576 bytes, from COLLAB_RELAY_MAX_PAYLOAD_BYTES\): /,
      )
      // Equal is enough: a frame of exactly the burst passes on a full bucket.
      expect(config(parseCli(['--rate-byte-burst', '4096', '--max-payload-bytes', '4096'], {}))).toMatchObject({ byteBurst: 4096, maxPayloadBytes: 4096 })
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
    expect(helpText()).toMatch(/^ {2}token {2,}\S/m)
    for (const row of rows) expect(row, row).toMatch(/^ {2}(-\w, )?--[\w-]+( <value>)? {2,}\S/)
  })
})

describe('parseCli: token keys', () => {
  const SECRET_A = 'a'.repeat(32)
  const SECRET_B = 'b'.repeat(40)
  const dir = mkdtempSync(join(tmpdir(), 'collab-cli-keys-'))
  const pemFile = (name: string, pem: string): string => {
    const file = join(dir, name)
    writeFileSync(file, pem)
    return file
  }
  const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' })
  const ecFile = pemFile('ec.pem', ec.publicKey.export({ type: 'spki', format: 'pem' }) as string)
  const rsaFile = pemFile('rsa.pem', generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey.export({ type: 'spki', format: 'pem' }) as string)
  const edFile = pemFile('ed.pem', generateKeyPairSync('ed25519').publicKey.export({ type: 'spki', format: 'pem' }) as string)
  const privateFile = pemFile('private.pem', ec.privateKey.export({ type: 'pkcs8', format: 'pem' }) as string)
  const notPemFile = pemFile('not.pem', 'hello\n')
  const brokenPemFile = pemFile('broken.pem', '-----BEGIN PUBLIC KEY-----\nnot base64 at all!\n-----END PUBLIC KEY-----\n')

  it('takes several --auth-secret flags, in order, and ignores the variable then', () => {
    const parsed = config(parseCli(['--auth-secret', SECRET_A, '--auth-secret', SECRET_B], { COLLAB_RELAY_AUTH_SECRET: 'c'.repeat(32) }))
    expect(parsed.authSecrets).toEqual([SECRET_A, SECRET_B])
  })

  it('reads a comma-separated COLLAB_RELAY_AUTH_SECRET', () => {
    expect(config(parseCli([], { COLLAB_RELAY_AUTH_SECRET: `${SECRET_A}, ${SECRET_B}` })).authSecrets).toEqual([SECRET_A, SECRET_B])
  })

  it('refuses a short or empty secret, saying why, without printing it', () => {
    const short = 'short-secret'
    const message = cliError(['--auth-secret', short])
    expect(message).toMatch(/^--auth-secret: the secret is 12 bytes; HS256 needs at least 32/)
    expect(message).not.toContain(short)
    expect(cliError(['--auth-secret', ''])).toBe('--auth-secret: the secret is empty')
    expect(cliError([], { COLLAB_RELAY_AUTH_SECRET: `${SECRET_A},,${SECRET_B}` })).toBe('COLLAB_RELAY_AUTH_SECRET item 2: the secret is empty')
    expect(cliError(['--auth-secret', SECRET_A, '--auth-secret', 'x'])).toMatch(/^--auth-secret #2: the secret is 1 bytes/)
  })

  it('reads public key files and tells their algorithm', () => {
    const parsed = config(parseCli(['--auth-public-key', ecFile, '--auth-public-key', rsaFile, '--auth-public-key', edFile], {}))
    expect(parsed.authPublicKeys.map((key) => [key.file, key.algorithm])).toEqual([
      [ecFile, 'ES256'],
      [rsaFile, 'RS256'],
      [edFile, 'EdDSA'],
    ])
    expect(parsed.authPublicKeys[0].pem).toContain('-----BEGIN PUBLIC KEY-----')
    expect(config(parseCli([], { COLLAB_RELAY_AUTH_PUBLIC_KEY: `${ecFile},${edFile}` })).authPublicKeys.map((key) => key.algorithm)).toEqual(['ES256', 'EdDSA'])
  })

  it('refuses an unreadable, non-PEM, broken or private key file, naming the flag and the file', () => {
    const missing = join(dir, 'missing.pem')
    expect(cliError(['--auth-public-key', missing])).toMatch(new RegExp(`^--auth-public-key: cannot read the key file "${missing}": .*ENOENT`))
    expect(cliError(['--auth-public-key', notPemFile])).toBe(`--auth-public-key "${notPemFile}": not a PEM key (no "-----BEGIN" line)`)
    expect(cliError(['--auth-public-key', brokenPemFile])).toMatch(new RegExp(`^--auth-public-key "${brokenPemFile}": the PEM public key does not parse`))
    expect(cliError([], { COLLAB_RELAY_AUTH_PUBLIC_KEY: privateFile })).toMatch(/^COLLAB_RELAY_AUTH_PUBLIC_KEY ".*private\.pem": this is a private key/)
  })

  it('takes JWKS URLs and refuses what is not an http(s) URL', () => {
    expect(config(parseCli(['--auth-jwks-url', 'https://idp.example/jwks.json'], {})).authJwksUrls).toEqual(['https://idp.example/jwks.json'])
    expect(cliError(['--auth-jwks-url', 'idp.example/jwks'])).toBe('--auth-jwks-url "idp.example/jwks": not a URL')
    expect(cliError([], { COLLAB_RELAY_AUTH_JWKS_URL: 'ftp://idp.example/jwks' })).toBe(
      'COLLAB_RELAY_AUTH_JWKS_URL "ftp://idp.example/jwks": expected an https:// (or http://) URL, got ftp:',
    )
  })

  it('lists the auth options in the help, with the warning that the relay is open without them', () => {
    for (const flag of ['--auth-secret', '--auth-public-key', '--auth-jwks-url']) expect(helpText()).toMatch(new RegExp(`^ {2}${flag} <value> .*comma-separated`, 'm'))
    expect(helpText()).toContain('it is open')
    expect(OPEN_RELAY_WARNING).toBe(
      'WARNING: no --auth-secret/--auth-public-key/--auth-jwks-url: the relay is OPEN — anyone who can reach it can read and change every document',
    )
  })
})

describe('parseCli: the token command', () => {
  const SECRET = 's'.repeat(32)
  const token = (argv: string[], env: Record<string, string | undefined> = { COLLAB_RELAY_AUTH_SECRET: SECRET }): CliCommand => parseCli(['token', ...argv], env)

  it('parses the claims; one --doc is a string, several a list', () => {
    expect(token(['--doc', 'team/plan', '--access', 'write', '--expires', '1h'])).toEqual({
      kind: 'token',
      secret: SECRET,
      claims: { doc: 'team/plan', access: 'write', expiresInSeconds: 3600 },
    })
    expect(
      token(['--doc', 'acme/*', '--doc', 'x', '--access', 'read', '--expires', '2d', '--name', 'Ada', '--color', '#AABBcc', '--sub', 'u1', '--admin', '--auth-secret', 't'.repeat(32)]),
    ).toEqual({
      kind: 'token',
      secret: 't'.repeat(32),
      claims: { doc: ['acme/*', 'x'], access: 'read', expiresInSeconds: 2 * 86_400, name: 'Ada', color: '#AABBcc', sub: 'u1', admin: true },
    })
  })

  it('signs with the first of several secrets', () => {
    const parsed = token(['--doc', '*', '--access', 'read', '--expires', '90s'], { COLLAB_RELAY_AUTH_SECRET: `${'1'.repeat(32)},${'2'.repeat(32)}` })
    expect(parsed).toMatchObject({ kind: 'token', secret: '1'.repeat(32), claims: { doc: '*', expiresInSeconds: 90 } })
  })

  it('accepts s, m, h and d and nothing else for --expires', () => {
    for (const [text, seconds] of [['45s', 45], ['15m', 900], ['8h', 28_800], ['30d', 2_592_000]] as const) {
      expect(token(['--doc', 'd', '--access', 'read', '--expires', text])).toMatchObject({ claims: { expiresInSeconds: seconds } })
    }
    for (const bad of ['1', '1w', '0s', '-5m', '1.5h', 'soon', '99999d']) {
      expect(cliError(['token', '--doc', 'd', '--access', 'read', `--expires=${bad}`], { COLLAB_RELAY_AUTH_SECRET: SECRET })).toMatch(/^--expires: expected a whole number with s, m, h or d/)
    }
  })

  it('requires --doc, --access and --expires, and checks them', () => {
    const env = { COLLAB_RELAY_AUTH_SECRET: SECRET }
    expect(cliError(['token', '--access', 'read', '--expires', '1h'], env)).toMatch(/^token: --doc is required/)
    expect(cliError(['token', '--doc', 'd', '--expires', '1h'], env)).toMatch(/^token: --access is required/)
    expect(cliError(['token', '--doc', 'd', '--access', 'admin', '--expires', '1h'], env)).toBe('--access: expected read or write, got "admin"')
    expect(cliError(['token', '--doc', 'd', '--access', 'read'], env)).toMatch(/^token: --expires is required/)
    expect(cliError(['token', '--doc', 'a/../b', '--access', 'read', '--expires', '1h'], env)).toBe('--doc: "a/../b" is not a valid document name (dot-segment)')
    expect(cliError(['token', '--doc', '/*', '--access', 'read', '--expires', '1h'], env)).toBe('--doc: "/*" is a prefix no document name can have (empty-segment)')
    expect(cliError(['token', '--doc', 'd', '--access', 'read', '--expires', '1h', '--color', 'red'], env)).toBe('--color: expected #rrggbb, got "red"')
    expect(cliError(['token', '--doc', 'd', '--access', 'read', '--expires', '1h', '--port', '1'], env)).toContain('--port')
  })

  it('refuses to run without a secret, and says public keys cannot sign', () => {
    const argv = ['--doc', 'd', '--access', 'read', '--expires', '1h']
    expect(cliError(['token', ...argv], {})).toBe('token: no secret to sign with: give --auth-secret or COLLAB_RELAY_AUTH_SECRET')
    expect(cliError(['token', ...argv], { COLLAB_RELAY_AUTH_JWKS_URL: 'https://idp.example/jwks' })).toMatch(/^token: cannot sign with --auth-public-key or --auth-jwks-url \(public keys only verify\)/)
    expect(cliError(['token', ...argv, '--auth-public-key', 'key.pem'], {})).toMatch(/^token: cannot sign/)
    expect(cliError(['token', ...argv], { COLLAB_RELAY_AUTH_SECRET: 'short' })).toMatch(/^COLLAB_RELAY_AUTH_SECRET: the secret is 5 bytes/)
  })

  it('has its own help', () => {
    expect(parseCli(['token', '--help'], {})).toEqual({ kind: 'token-help' })
    for (const option of ['--doc', '--access', '--expires', '--name', '--color', '--sub', '--admin', '--auth-secret']) expect(tokenHelpText()).toContain(option)
  })
})

describe('network settings', () => {
  const io = { readFile: (path: string) => (path.endsWith('.pem') ? `-----BEGIN ${path}-----\n` : 'not a pem') }

  it('takes lists of allowed origins and trusted proxies from repeated flags or comma-separated variables', () => {
    const fromFlags = config(parseCli(['--allowed-origins', 'https://a.example', '--allowed-origins', 'https://b.example', '--trust-proxy', '10.0.0.0/8'], {}))
    expect(fromFlags.allowedOrigins).toEqual(['https://a.example', 'https://b.example'])
    expect(fromFlags.trustProxy).toEqual(['10.0.0.0/8'])
    const fromEnv = config(parseCli([], { COLLAB_RELAY_ALLOWED_ORIGINS: 'https://a.example, *', COLLAB_RELAY_TRUST_PROXY: '::1,127.0.0.1' }))
    expect(fromEnv.allowedOrigins).toEqual(['https://a.example', '*'])
    expect(fromEnv.trustProxy).toEqual(['::1', '127.0.0.1'])
  })

  it('refuses an origin that is not one and a proxy range that does not parse, naming the flag', () => {
    expect(cliError(['--allowed-origins', 'app.example.com/path'])).toContain('--allowed-origins')
    expect(cliError(['--trust-proxy', '10.0.0.0/99'])).toContain('--trust-proxy')
  })

  it('reads both TLS files, and refuses one without the other or a file that is not PEM', () => {
    const parsed = config(parseCli(['--tls-cert', 'cert.pem', '--tls-key', 'key.pem'], {}, io))
    expect(parsed.tls).toEqual({ cert: '-----BEGIN cert.pem-----\n', key: '-----BEGIN key.pem-----\n' })
    expect(cliError(['--tls-cert', 'cert.pem'])).toMatch(/go together/)
    expect(() => parseCli(['--tls-cert', 'cert.txt', '--tls-key', 'key.pem'], {}, io)).toThrow(/not a PEM file/)
  })
})

describe('logs and webhooks', () => {
  it('takes the log level and format from the closed lists, and nothing else', () => {
    for (const level of ['trace', 'debug', 'info', 'warn', 'error', 'silent']) expect(config(parseCli(['--log-level', level], {})).logLevel).toBe(level)
    for (const format of ['auto', 'json', 'pretty']) expect(config(parseCli([], { COLLAB_RELAY_LOG_FORMAT: format })).logFormat).toBe(format)
    expect(cliError(['--log-level', 'verbose'])).toBe('--log-level: expected one of trace, debug, info, warn, error, silent, got "verbose"')
    expect(cliError([], { COLLAB_RELAY_LOG_FORMAT: 'xml' })).toBe('COLLAB_RELAY_LOG_FORMAT: expected one of auto, json, pretty, got "xml"')
  })

  it('takes webhook URLs from repeated flags or a comma-separated variable, and refuses what is not http(s)', () => {
    expect(config(parseCli(['--webhook-url', 'https://a.example/hook', '--webhook-url', 'http://127.0.0.1:9000/x'], {})).webhookUrls).toEqual([
      'https://a.example/hook',
      'http://127.0.0.1:9000/x',
    ])
    expect(config(parseCli([], { COLLAB_RELAY_WEBHOOK_URL: 'https://a.example/1, https://b.example/2' })).webhookUrls).toEqual([
      'https://a.example/1',
      'https://b.example/2',
    ])
    expect(cliError(['--webhook-url', 'a.example/hook'])).toBe('--webhook-url: not a URL (expected https://… or http://…)')
    expect(cliError([], { COLLAB_RELAY_WEBHOOK_URL: 'https://ok.example,ftp://b.example' })).toBe(
      'COLLAB_RELAY_WEBHOOK_URL item 2: expected an https:// (or http://) URL, got ftp:',
    )
  })

  it('refuses a short webhook secret, saying its length and never the secret', () => {
    const short = 'short-webhook-secret'
    const message = cliError(['--webhook-secret', short])
    expect(message).toMatch(/^--webhook-secret: the secret is 20 bytes; webhook signatures need at least 32/)
    expect(message).not.toContain(short)
    expect(cliError([], { COLLAB_RELAY_WEBHOOK_SECRET: short })).toMatch(/^COLLAB_RELAY_WEBHOOK_SECRET: the secret is 20 bytes/)
  })

  it('takes a Redis URL only with a PostgreSQL one, and only redis:// or rediss://', () => {
    expect(cliError(['--redis-url', 'redis://cache:6379'])).toBe(
      '--redis-url needs --database-url: instances sharing documents must share their storage (PostgreSQL)',
    )
    expect(cliError(['--redis-url', 'http://cache:6379', '--database-url', 'postgres://u@db/x'])).toBe('--redis-url: expected a redis:// or rediss:// URL')
    expect(cliError([], { REDIS_URL: 'cache:6379', DATABASE_URL: 'postgres://u@db/x' })).toBe('REDIS_URL: expected a redis:// or rediss:// URL')
  })
})
