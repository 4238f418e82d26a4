import { parseArgs } from 'node:util'

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
  /** Keep nothing on disk. */
  memory: boolean
}

/** The settings that take a value (everything but the `--memory` switch). */
type ValuedSetting = Exclude<keyof CliConfig, 'memory'>

export type CliCommand = { kind: 'help' } | { kind: 'version' } | { kind: 'serve'; config: CliConfig }

/** A bad flag or environment value; the CLI prints the message and exits 2. */
export class CliError extends Error {
  override name = 'CliError'
}

interface Setting {
  flag: string
  env: string
  help: string
  default: string
}

/** Each setting once: flag, environment variable, default, help text. */
export const SETTINGS = {
  host: { flag: 'host', env: 'COLLAB_RELAY_HOST', default: '127.0.0.1', help: 'interface to listen on' },
  port: { flag: 'port', env: 'COLLAB_RELAY_PORT', default: '1234', help: 'port to listen on; 0 picks a free one' },
  dataDir: { flag: 'data', env: 'COLLAB_RELAY_DATA', default: './data', help: 'directory for the embedded storage' },
  maxPayloadBytes: {
    flag: 'max-payload-bytes',
    env: 'COLLAB_RELAY_MAX_PAYLOAD_BYTES',
    default: String(16 * 1024 * 1024),
    help: 'largest WebSocket frame accepted; larger ones close with 1009',
  },
  heartbeatMs: { flag: 'heartbeat-ms', env: 'COLLAB_RELAY_HEARTBEAT_MS', default: '30000', help: 'ping interval; silent peers are dropped' },
  roomIdleMs: {
    flag: 'room-idle-ms',
    env: 'COLLAB_RELAY_ROOM_IDLE_MS',
    default: '10000',
    help: 'how long an empty room stays loaded',
  },
  compactAfterUpdates: {
    flag: 'compact-after-updates',
    env: 'COLLAB_RELAY_COMPACT_AFTER_UPDATES',
    default: '1000',
    help: "merge a document's stored log after this many updates",
  },
  compactAfterBytes: {
    flag: 'compact-after-bytes',
    env: 'COLLAB_RELAY_COMPACT_AFTER_BYTES',
    default: String(4 * 1024 * 1024),
    help: '...or after this many bytes were appended',
  },
  messagesPerSecond: {
    flag: 'rate-messages',
    env: 'COLLAB_RELAY_RATE_MESSAGES',
    default: '100',
    help: 'messages per second one connection may send, sustained; past its burst it is closed with 4429',
  },
  messageBurst: { flag: 'rate-message-burst', env: 'COLLAB_RELAY_RATE_MESSAGE_BURST', default: '2000', help: 'messages one connection may send in a burst' },
  bytesPerSecond: {
    flag: 'rate-bytes',
    env: 'COLLAB_RELAY_RATE_BYTES',
    default: String(2 * 1024 * 1024),
    help: 'bytes per second one connection may send, sustained',
  },
  byteBurst: {
    flag: 'rate-byte-burst',
    env: 'COLLAB_RELAY_RATE_BYTE_BURST',
    default: String(32 * 1024 * 1024),
    help: 'bytes one connection may send in a burst (at least the largest frame)',
  },
  maxDocumentBytes: {
    flag: 'max-document-bytes',
    env: 'COLLAB_RELAY_MAX_DOCUMENT_BYTES',
    default: String(64 * 1024 * 1024),
    help: 'largest document; an update adding content past it is refused with 4413',
  },
  databaseUrl: {
    flag: 'database-url',
    env: 'DATABASE_URL',
    default: '',
    help: 'store documents in PostgreSQL (postgres://...) instead of SQLite',
  },
} as const satisfies Record<ValuedSetting, Setting>

/** The `--memory` switch: no value, set by the flag or by the variable being 1/true. */
export const MEMORY_SWITCH = {
  flag: 'memory',
  env: 'COLLAB_RELAY_MEMORY',
  help: 'keep documents in memory only, nothing on disk (tests, benchmarks)',
} as const

/** Where the help texts start. */
const HELP_COLUMN = 36

/** The `--help` text, built from `SETTINGS` so it cannot drift. */
export function helpText(): string {
  const option = (name: string, text: string): string => {
    // Two spaces at least between the option and its text, however long the option.
    const head = `  ${name}`
    return `${head.padEnd(Math.max(HELP_COLUMN, head.length + 2))}${text}`
  }
  const rows = Object.values(SETTINGS).map((s) => option(`--${s.flag} <value>`, `${s.help} (default ${s.default || 'none'}; env ${s.env})`))
  rows.push(option(`--${MEMORY_SWITCH.flag}`, `${MEMORY_SWITCH.help} (env ${MEMORY_SWITCH.env}=1)`))
  return [
    'Usage: collab-relay [options]',
    '',
    'Starts the collaborative editing relay (y-websocket protocol) over HTTP and WebSockets.',
    '',
    'Options:',
    ...rows,
    option('-h, --help', 'print this help and exit'),
    option('-v, --version', 'print the version and exit'),
    '',
  ].join('\n')
}

/** Parse argv (without node and script) and the environment. Throws `CliError`. */
export function parseCli(argv: readonly string[], env: Record<string, string | undefined>): CliCommand {
  const options: Record<string, { type: 'string' | 'boolean'; short?: string }> = {
    help: { type: 'boolean', short: 'h' },
    version: { type: 'boolean', short: 'v' },
    [MEMORY_SWITCH.flag]: { type: 'boolean' },
  }
  for (const s of Object.values(SETTINGS)) options[s.flag] = { type: 'string' }
  let values: Record<string, string | boolean | undefined>
  try {
    ;({ values } = parseArgs({ args: [...argv], options, strict: true, allowPositionals: false }))
  } catch (error) {
    throw new CliError((error as Error).message)
  }
  if (values.help) return { kind: 'help' }
  if (values.version) return { kind: 'version' }

  const raw = (key: ValuedSetting): { value: string; from: string } => {
    const s = SETTINGS[key]
    const flag = values[s.flag]
    if (typeof flag === 'string') return { value: flag, from: `--${s.flag}` }
    const fromEnv = env[s.env]
    if (fromEnv !== undefined && fromEnv !== '') return { value: fromEnv, from: s.env }
    return { value: s.default, from: 'default' }
  }
  const integer = (key: ValuedSetting, min: number, max: number): number => {
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
  const memoryEnv = env[MEMORY_SWITCH.env]
  if (memoryEnv !== undefined && memoryEnv !== '' && !/^(1|0|true|false)$/.test(memoryEnv)) {
    throw new CliError(`${MEMORY_SWITCH.env}: expected 1, 0, true or false, got "${memoryEnv}"`)
  }
  const memory = values[MEMORY_SWITCH.flag] === true || memoryEnv === '1' || memoryEnv === 'true'
  if (memory && databaseUrl.value !== '') {
    throw new CliError(`--memory and ${databaseUrl.from} exclude each other: choose one storage`)
  }

  return {
    kind: 'serve',
    config: {
      host: host.value,
      port: integer('port', 0, 65535),
      dataDir: dataDir.value,
      maxPayloadBytes: integer('maxPayloadBytes', 1024, 1024 * 1024 * 1024),
      heartbeatMs: integer('heartbeatMs', 100, 3_600_000),
      roomIdleMs: integer('roomIdleMs', 0, 86_400_000),
      compactAfterUpdates: integer('compactAfterUpdates', 1, 1_000_000_000),
      compactAfterBytes: integer('compactAfterBytes', 1, 1024 * 1024 * 1024),
      messagesPerSecond: integer('messagesPerSecond', 1, 1_000_000),
      messageBurst: integer('messageBurst', 1, 100_000_000),
      bytesPerSecond: integer('bytesPerSecond', 1024, 1024 * 1024 * 1024),
      byteBurst: integer('byteBurst', 1024, 16 * 1024 * 1024 * 1024),
      maxDocumentBytes: integer('maxDocumentBytes', 1024, 16 * 1024 * 1024 * 1024),
      databaseUrl: databaseUrl.value,
      memory,
    },
  }
}
