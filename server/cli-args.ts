import { readFileSync } from 'node:fs'
import { parseArgs } from 'node:util'
import { validateRoomName } from '../shared/room-name.ts'
import { checkSecret, parseJwksUrl, parsePublicKey, type PublicKeyAlgorithm } from './auth/key-checks.ts'
import type { IssueTokenOptions } from './auth/issue-token.ts'
import { MEMORY_SWITCH, SETTINGS, type Setting, type ValuedSetting } from './cli-settings.ts'
import { createTrustedProxies } from './http/client-address.ts'
import { createOriginCheck } from './http/origin-check.ts'
import { LOG_FORMATS, LOG_LEVELS, type LogFormat, type LogLevel } from './ops/logger.ts'

export { AUTH_FLAGS, MEMORY_SWITCH, OPEN_RELAY_WARNING, SETTINGS, type Setting } from './cli-settings.ts'

/** Settings the CLI runs with, after flags and environment are merged. */
export interface CliConfig {
  host: string
  port: number
  dataDir: string
  maxPayloadBytes: number
  heartbeatMs: number
  roomIdleMs: number
  compactAfterUpdates: number
  compactAfterBytes: number
  messagesPerSecond: number
  messageBurst: number
  bytesPerSecond: number
  byteBurst: number
  maxDocumentBytes: number
  /** PostgreSQL connection string, or '' for the embedded SQLite storage. */
  databaseUrl: string
  /** Share documents with other instances through this Redis; '' for a single relay. */
  redisUrl: string
  /** Keep nothing on disk. */
  memory: boolean
  /** Browser origins allowed to upgrade; empty: any. */
  allowedOrigins: string[]
  maxConnectionsPerIp: number
  maxUpgradesPerMinute: number
  /** Proxies (addresses, CIDRs) whose X-Forwarded-For is believed. */
  trustProxy: string[]
  handshakeTimeoutMs: number
  /** PEM certificate and key read from `--tls-cert`/`--tls-key`, or null for plain HTTP. */
  tls: { cert: string; key: string } | null
  /** The two TLS files as given (for the message at start). */
  tlsCert: string
  tlsKey: string
  /** HS256 secrets tokens may be signed with (each at least 32 bytes); none: see the other key kinds. */
  authSecrets: string[]
  /** Public keys read from the `--auth-public-key` files. */
  authPublicKeys: CliPublicKey[]
  /** JWKS addresses (`--auth-jwks-url`). */
  authJwksUrls: string[]
  logLevel: LogLevel
  /** `auto`: pretty when stderr is a terminal, json otherwise (main.ts decides). */
  logFormat: LogFormat | 'auto'
  /** Where webhook events are POSTed; empty: no webhooks. */
  webhookUrls: string[]
  /** The HMAC-SHA256 key webhook requests are signed with; '' for unsigned. */
  webhookSecret: string
  /** Automatic versions: once editing settled this long, at most one per interval (0: none). */
  versionSettleMs: number
  versionIntervalMs: number
  /** Retention of automatic versions: all of the last hours, then hourly, then daily (0 days: forever). */
  versionKeepAllHours: number
  versionKeepHourlyDays: number
  versionKeepDailyDays: number
}

/** A public key as the CLI read it: where from, its PEM text, the algorithm it verifies. */
export interface CliPublicKey {
  file: string
  pem: string
  algorithm: PublicKeyAlgorithm
}


/** The settings that may be given several times (and as a comma-separated variable). */
type RepeatableSetting = 'authSecrets' | 'authPublicKeys' | 'authJwksUrls' | 'allowedOrigins' | 'trustProxy' | 'webhookUrls'

/** The claims `collab-relay token` signs: everything `issueToken` takes but the secret. */
export type TokenClaims = Omit<IssueTokenOptions, 'secret'>

export type CliCommand =
  | { kind: 'help' }
  | { kind: 'version' }
  | { kind: 'serve'; config: CliConfig }
  | { kind: 'token-help' }
  /** `collab-relay token`: sign `claims` with `secret` (the first configured one). */
  | { kind: 'token'; secret: string; claims: TokenClaims }

/** What `parseCli` may read besides argv and the environment: key files. */
export interface CliIo {
  readFile(path: string): string
}

const NODE_IO: CliIo = { readFile: (path) => readFileSync(path, 'utf8') }

/** A bad flag or environment value; the CLI prints the message and exits 2. */
export class CliError extends Error {
  override name = 'CliError'
}

/** Shortest `--webhook-secret`: as long as the HMAC-SHA256 output, like the HS256 secrets. */
const MIN_WEBHOOK_SECRET_BYTES = 32

/** Longest `--expires`: ten years. */
const MAX_TOKEN_SECONDS = 10 * 365 * 86_400
const DURATION_UNITS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86_400 }

/** The values of a repeatable setting: every flag given, else the variable's comma-separated items. */
function listed(values: Record<string, unknown>, env: Record<string, string | undefined>, key: RepeatableSetting): { value: string; from: string }[] {
  const s = SETTINGS[key]
  const flags = (values[s.flag] as string[] | undefined) ?? []
  if (flags.length > 0) return flags.map((value, index) => ({ value, from: flags.length > 1 ? `--${s.flag} #${index + 1}` : `--${s.flag}` }))
  const fromEnv = env[s.env]
  if (fromEnv === undefined || fromEnv.trim() === '') return []
  const items = fromEnv.split(',').map((item) => item.trim())
  return items.map((value, index) => ({ value, from: items.length > 1 ? `${s.env} item ${index + 1}` : s.env }))
}

/** Run a key check, turning its error into a `CliError` that names the flag or variable. */
function checked<T>(from: string, check: () => T): T {
  try {
    return check()
  } catch (error) {
    throw new CliError(`${from}: ${(error as Error).message}`)
  }
}

/** Parse `collab-relay token ...` (argv after `token`). */
function parseTokenCommand(argv: readonly string[], env: Record<string, string | undefined>): CliCommand {
  let values: Record<string, unknown>
  try {
    ;({ values } = parseArgs({
      args: [...argv],
      options: {
        help: { type: 'boolean', short: 'h' },
        doc: { type: 'string', multiple: true },
        access: { type: 'string' },
        expires: { type: 'string' },
        name: { type: 'string' },
        color: { type: 'string' },
        sub: { type: 'string' },
        admin: { type: 'boolean' },
        [SETTINGS.authSecrets.flag]: { type: 'string', multiple: true },
        [SETTINGS.authPublicKeys.flag]: { type: 'string', multiple: true },
        [SETTINGS.authJwksUrls.flag]: { type: 'string', multiple: true },
      },
      strict: true,
      allowPositionals: false,
    }))
  } catch (error) {
    throw new CliError(`token: ${(error as Error).message}`)
  }
  if (values.help) return { kind: 'token-help' }

  const secrets = listed(values, env, 'authSecrets')
  if (secrets.length === 0) {
    const verifying = listed(values, env, 'authPublicKeys').length > 0 || listed(values, env, 'authJwksUrls').length > 0
    throw new CliError(
      verifying
        ? `token: cannot sign with --${SETTINGS.authPublicKeys.flag} or --${SETTINGS.authJwksUrls.flag} (public keys only verify); give --${SETTINGS.authSecrets.flag} or ${SETTINGS.authSecrets.env}`
        : `token: no secret to sign with: give --${SETTINGS.authSecrets.flag} or ${SETTINGS.authSecrets.env}`,
    )
  }
  for (const { value, from } of secrets) checked(from, () => checkSecret(value))

  const docs = (values.doc as string[] | undefined) ?? []
  if (docs.length === 0) throw new CliError('token: --doc is required (a document name, or a prefix ending in *)')
  for (const doc of docs) {
    // A prefix must be able to start some valid name; an exact name must be one.
    const probe = doc === '*' ? 'x' : doc.endsWith('*') ? `${doc.slice(0, -1)}x` : doc
    const valid = validateRoomName(probe)
    if (!valid.ok) throw new CliError(`--doc: "${doc}" ${doc.endsWith('*') ? 'is a prefix no document name can have' : 'is not a valid document name'} (${valid.problem})`)
  }

  const access = values.access
  if (access !== 'read' && access !== 'write') {
    throw new CliError(access === undefined ? 'token: --access is required (read or write)' : `--access: expected read or write, got "${String(access)}"`)
  }

  const expires = values.expires as string | undefined
  if (expires === undefined) throw new CliError('token: --expires is required (a whole number with s, m, h or d: 90s, 15m, 8h, 30d)')
  const duration = /^(\d+)([smhd])$/.exec(expires.trim())
  const expiresInSeconds = duration ? Number(duration[1]) * DURATION_UNITS[duration[2]] : NaN
  if (!(expiresInSeconds > 0 && expiresInSeconds <= MAX_TOKEN_SECONDS)) {
    throw new CliError(`--expires: expected a whole number with s, m, h or d (90s, 15m, 8h, 30d; at most 3650d), got "${expires}"`)
  }

  const color = values.color as string | undefined
  if (color !== undefined && !/^#[0-9a-fA-F]{6}$/.test(color)) throw new CliError(`--color: expected #rrggbb, got "${color}"`)
  const name = values.name as string | undefined
  if (name !== undefined && name.trim() === '') throw new CliError('--name: the name must not be empty')
  const sub = values.sub as string | undefined
  if (sub !== undefined && sub === '') throw new CliError('--sub: the user ID must not be empty')

  const claims: TokenClaims = { doc: docs.length === 1 ? docs[0] : docs, access, expiresInSeconds }
  if (name !== undefined) claims.name = name
  if (color !== undefined) claims.color = color
  if (sub !== undefined) claims.sub = sub
  if (values.admin === true) claims.admin = true
  return { kind: 'token', secret: secrets[0].value, claims }
}

/**
 * Parse argv (without node and script) and the environment; `io` reads the
 * `--auth-public-key` files. Throws `CliError`.
 */
export function parseCli(argv: readonly string[], env: Record<string, string | undefined>, io: CliIo = NODE_IO): CliCommand {
  if (argv[0] === 'token') return parseTokenCommand(argv.slice(1), env)
  const options: Record<string, { type: 'string' | 'boolean'; short?: string; multiple?: boolean }> = {
    help: { type: 'boolean', short: 'h' },
    version: { type: 'boolean', short: 'v' },
    [MEMORY_SWITCH.flag]: { type: 'boolean' },
  }
  for (const s of Object.values(SETTINGS) as Setting[]) options[s.flag] = { type: 'string', ...(s.repeatable ? { multiple: true } : {}) }
  let values: Record<string, string | boolean | (string | boolean)[] | undefined>
  try {
    ;({ values } = parseArgs({ args: [...argv], options, strict: true, allowPositionals: false }))
  } catch (error) {
    throw new CliError((error as Error).message)
  }
  if (values.help) return { kind: 'help' }
  if (values.version) return { kind: 'version' }

  const raw = (key: Exclude<ValuedSetting, RepeatableSetting>): { value: string; from: string } => {
    const s = SETTINGS[key]
    const flag = values[s.flag]
    if (typeof flag === 'string') return { value: flag, from: `--${s.flag}` }
    const fromEnv = env[s.env]
    if (fromEnv !== undefined && fromEnv !== '') return { value: fromEnv, from: s.env }
    return { value: s.default, from: 'default' }
  }
  const integer = (key: Exclude<ValuedSetting, RepeatableSetting>, min: number, max: number): number => {
    const { value, from } = raw(key)
    const n = Number(value)
    if (!/^\d+$/.test(value.trim()) || n < min || n > max) {
      throw new CliError(`${from}: expected a whole number from ${min} to ${max}, got "${value}"`)
    }
    return n
  }
  const host = raw('host')
  if (host.value.trim() === '') throw new CliError(`${host.from}: the host must not be empty`)
  const dataDir = raw('dataDir')
  if (dataDir.value.trim() === '') throw new CliError(`${dataDir.from}: the data directory must not be empty`)

  const databaseUrl = raw('databaseUrl')
  if (databaseUrl.value !== '' && !/^postgres(ql)?:\/\//.test(databaseUrl.value)) {
    throw new CliError(`${databaseUrl.from}: expected a postgres:// or postgresql:// URL`)
  }
  const redisUrl = raw('redisUrl')
  if (redisUrl.value !== '') {
    if (!/^rediss?:\/\//.test(redisUrl.value)) throw new CliError(`${redisUrl.from}: expected a redis:// or rediss:// URL`)
    // Instances share documents only through shared storage: SQLite files are each instance's own.
    if (databaseUrl.value === '') throw new CliError(`${redisUrl.from} needs --database-url: instances sharing documents must share their storage (PostgreSQL)`)
  }
  const memoryEnv = env[MEMORY_SWITCH.env]
  if (memoryEnv !== undefined && memoryEnv !== '' && !/^(1|0|true|false)$/.test(memoryEnv)) {
    throw new CliError(`${MEMORY_SWITCH.env}: expected 1, 0, true or false, got "${memoryEnv}"`)
  }
  const memory = values[MEMORY_SWITCH.flag] === true || memoryEnv === '1' || memoryEnv === 'true'
  if (memory && databaseUrl.value !== '') {
    throw new CliError(`--memory and ${databaseUrl.from} exclude each other: choose one storage`)
  }

  const authSecrets = listed(values, env, 'authSecrets').map(({ value, from }) => {
    checked(from, () => checkSecret(value))
    return value
  })
  const authPublicKeys = listed(values, env, 'authPublicKeys').map(({ value: file, from }): CliPublicKey => {
    if (file === '') throw new CliError(`${from}: the key file name is empty`)
    let pem: string
    try {
      pem = io.readFile(file)
    } catch (error) {
      throw new CliError(`${from}: cannot read the key file "${file}": ${(error as Error).message}`)
    }
    const { algorithm } = checked(`${from} "${file}"`, () => parsePublicKey(pem))
    return { file, pem, algorithm }
  })
  const allowedOrigins = listed(values, env, 'allowedOrigins').map(({ value }) => value)
  checked(`--${SETTINGS.allowedOrigins.flag}`, () => createOriginCheck(allowedOrigins.length > 0 ? allowedOrigins : undefined))
  const trustProxy = listed(values, env, 'trustProxy').map(({ value }) => value)
  checked(`--${SETTINGS.trustProxy.flag}`, () => createTrustedProxies(trustProxy))
  const tlsCert = raw('tlsCert')
  const tlsKey = raw('tlsKey')
  if ((tlsCert.value === '') !== (tlsKey.value === '')) {
    throw new CliError(`--${SETTINGS.tlsCert.flag} and --${SETTINGS.tlsKey.flag} go together: give both, or neither`)
  }
  const readPem = ({ value, from }: { value: string; from: string }): string => {
    let text: string
    try {
      text = io.readFile(value)
    } catch (error) {
      throw new CliError(`${from}: cannot read "${value}": ${(error as Error).message}`)
    }
    if (!text.includes('-----BEGIN ')) throw new CliError(`${from}: "${value}" is not a PEM file`)
    return text
  }
  const tls = tlsCert.value === '' ? null : { cert: readPem(tlsCert), key: readPem(tlsKey) }
  const authJwksUrls = listed(values, env, 'authJwksUrls').map(({ value, from }) => {
    checked(`${from} "${value}"`, () => parseJwksUrl(value))
    return value
  })
  const oneOf = <T extends string>(key: 'logLevel' | 'logFormat', allowed: readonly T[]): T => {
    const { value, from } = raw(key)
    if (!(allowed as readonly string[]).includes(value)) throw new CliError(`${from}: expected one of ${allowed.join(', ')}, got "${value}"`)
    return value as T
  }
  const logLevel = oneOf('logLevel', LOG_LEVELS)
  const logFormat = oneOf('logFormat', ['auto', ...LOG_FORMATS] as const)
  const webhookUrls = listed(values, env, 'webhookUrls').map(({ value, from }) => {
    // Only what the URL is, never its query or credentials: they may hold a key.
    const parsed = checked(from, () => parseWebhookUrl(value))
    return parsed.href
  })
  const webhookSecret = raw('webhookSecret')
  if (webhookSecret.from !== 'default') {
    const bytes = new TextEncoder().encode(webhookSecret.value).length
    if (bytes < MIN_WEBHOOK_SECRET_BYTES) {
      // The length only: a secret, even a bad one, is never echoed.
      throw new CliError(
        `${webhookSecret.from}: the secret is ${bytes} bytes; webhook signatures need at least ${MIN_WEBHOOK_SECRET_BYTES}: generate one with \`openssl rand -base64 32\``,
      )
    }
  }

  const versionKeepAllHours = integer('versionKeepAllHours', 0, 100_000)
  const versionKeepHourlyDays = integer('versionKeepHourlyDays', 0, 100_000)
  const versionKeepDailyDays = integer('versionKeepDailyDays', 0, 100_000)
  if (versionKeepAllHours > versionKeepHourlyDays * 24 || (versionKeepDailyDays !== 0 && versionKeepHourlyDays > versionKeepDailyDays)) {
    throw new CliError(
      `--${SETTINGS.versionKeepAllHours.flag} (${versionKeepAllHours} hours), --${SETTINGS.versionKeepHourlyDays.flag} (${versionKeepHourlyDays} days) and ` +
        `--${SETTINGS.versionKeepDailyDays.flag} (${versionKeepDailyDays} days) must not decrease, but for a daily 0 (forever)`,
    )
  }

  const maxPayloadBytes = integer('maxPayloadBytes', 1024, 1024 * 1024 * 1024)
  // A frame is charged whole against the byte burst (relay/connection.ts): one larger than the
  // burst closes its connection with 4429 however slowly it was sent. The default burst grows
  // with a larger frame limit; a burst given below it is refused.
  const byteBurstGiven = raw('byteBurst').from !== 'default'
  const byteBurst = byteBurstGiven ? integer('byteBurst', 1024, 16 * 1024 * 1024 * 1024) : Math.max(integer('byteBurst', 1024, 16 * 1024 * 1024 * 1024), maxPayloadBytes)
  if (byteBurst < maxPayloadBytes) {
    const named = (key: 'byteBurst' | 'maxPayloadBytes', value: number): string => {
      const { from } = raw(key)
      const source = from === 'default' ? ', the default' : from.startsWith('--') ? '' : `, from ${from}`
      return `--${SETTINGS[key].flag} (${value} bytes${source})`
    }
    throw new CliError(`${named('byteBurst', byteBurst)} must be at least ${named('maxPayloadBytes', maxPayloadBytes)}: a frame larger than the burst would always be closed with 4429`)
  }

  return {
    kind: 'serve',
    config: {
      host: host.value,
      port: integer('port', 0, 65535),
      dataDir: dataDir.value,
      maxPayloadBytes,
      heartbeatMs: integer('heartbeatMs', 100, 3_600_000),
      roomIdleMs: integer('roomIdleMs', 0, 86_400_000),
      compactAfterUpdates: integer('compactAfterUpdates', 1, 1_000_000_000),
      compactAfterBytes: integer('compactAfterBytes', 1, 1024 * 1024 * 1024),
      messagesPerSecond: integer('messagesPerSecond', 1, 1_000_000),
      messageBurst: integer('messageBurst', 1, 100_000_000),
      bytesPerSecond: integer('bytesPerSecond', 1024, 1024 * 1024 * 1024),
      byteBurst,
      maxDocumentBytes: integer('maxDocumentBytes', 1024, 16 * 1024 * 1024 * 1024),
      databaseUrl: databaseUrl.value,
      redisUrl: redisUrl.value,
      memory,
      allowedOrigins,
      maxConnectionsPerIp: integer('maxConnectionsPerIp', 0, 1_000_000),
      maxUpgradesPerMinute: integer('maxUpgradesPerMinute', 0, 1_000_000),
      trustProxy,
      handshakeTimeoutMs: integer('handshakeTimeoutMs', 100, 600_000),
      tls,
      tlsCert: tlsCert.value,
      tlsKey: tlsKey.value,
      authSecrets,
      authPublicKeys,
      authJwksUrls,
      logLevel,
      logFormat,
      webhookUrls,
      webhookSecret: webhookSecret.value,
      versionSettleMs: integer('versionSettleMs', 0, 86_400_000),
      versionIntervalMs: integer('versionIntervalMs', 0, 604_800_000),
      versionKeepAllHours,
      versionKeepHourlyDays,
      versionKeepDailyDays,
    },
  }
}

/** A webhook address: http(s), said without its query when it is refused. */
function parseWebhookUrl(value: string): URL {
  let parsed: URL
  try {
    parsed = new URL(value)
  } catch {
    throw new RangeError('not a URL (expected https://… or http://…)')
  }
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') throw new RangeError(`expected an https:// (or http://) URL, got ${parsed.protocol}`)
  return parsed
}
