/**
 * Every setting of the CLI once: flag, environment variable, default, help.
 * The parser (cli-args.ts), the help (cli-help.ts) and the README's table
 * (checked by tests/readme.test.ts) all come from here.
 */
import type { CliConfig } from './cli-args.ts'

/** The settings that take a value (everything but the `--memory` switch). */
export type ValuedSetting = Exclude<keyof CliConfig, 'memory' | 'tls'>

export interface Setting {
  flag: string
  env: string
  help: string
  default: string
  /** May be given several times; its variable is a comma-separated list. */
  repeatable?: true
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
    help: 'bytes one connection may send in a burst; at least --max-payload-bytes (the largest frame): the default grows with it, a smaller value given is refused',
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
  redisUrl: {
    flag: 'redis-url',
    env: 'REDIS_URL',
    default: '',
    help: 'share documents with other relay instances through Redis (redis://...); needs --database-url',
  },
  allowedOrigins: {
    flag: 'allowed-origins',
    env: 'COLLAB_RELAY_ALLOWED_ORIGINS',
    default: '',
    repeatable: true,
    help: 'browser origins allowed to connect (https://app.example.com); others get 403; default any (tokens are not cookies)',
  },
  maxConnectionsPerIp: {
    flag: 'max-connections-per-ip',
    env: 'COLLAB_RELAY_MAX_CONNECTIONS_PER_IP',
    default: '50',
    help: 'concurrent WebSocket connections from one address (IPv6: one /64); more get 429; 0 for no limit',
  },
  maxUpgradesPerMinute: {
    flag: 'max-upgrades-per-minute',
    env: 'COLLAB_RELAY_MAX_UPGRADES_PER_MINUTE',
    default: '120',
    help: 'WebSocket upgrades one address may start per minute; more get 429 with Retry-After; 0 for no limit',
  },
  trustProxy: {
    flag: 'trust-proxy',
    env: 'COLLAB_RELAY_TRUST_PROXY',
    default: '',
    repeatable: true,
    help: 'addresses or CIDRs of proxies whose X-Forwarded-For is believed (10.0.0.0/8, ::1); repeatable',
  },
  handshakeTimeoutMs: {
    flag: 'handshake-timeout-ms',
    env: 'COLLAB_RELAY_HANDSHAKE_TIMEOUT_MS',
    default: '10000',
    help: 'a client must send its request headers (and finish TLS) within this; slower ones are cut (408)',
  },
  tlsCert: {
    flag: 'tls-cert',
    env: 'COLLAB_RELAY_TLS_CERT',
    default: '',
    help: 'serve https and wss with this PEM certificate (chain) file; needs --tls-key',
  },
  tlsKey: {
    flag: 'tls-key',
    env: 'COLLAB_RELAY_TLS_KEY',
    default: '',
    help: 'the PEM private key file of --tls-cert',
  },
  authSecrets: {
    flag: 'auth-secret',
    env: 'COLLAB_RELAY_AUTH_SECRET',
    default: '',
    repeatable: true,
    help: 'require tokens signed (HS256) with this secret (32+ bytes; the variable keeps it out of ps); repeat to rotate',
  },
  authPublicKeys: {
    flag: 'auth-public-key',
    env: 'COLLAB_RELAY_AUTH_PUBLIC_KEY',
    default: '',
    repeatable: true,
    help: 'require tokens signed with the private half of this PEM public key file (RS256, ES256, EdDSA); repeatable',
  },
  authJwksUrls: {
    flag: 'auth-jwks-url',
    env: 'COLLAB_RELAY_AUTH_JWKS_URL',
    default: '',
    repeatable: true,
    help: "require tokens signed with a key from this JWKS (an identity provider's jwks_uri); repeatable",
  },
  logLevel: {
    flag: 'log-level',
    env: 'COLLAB_RELAY_LOG_LEVEL',
    default: 'info',
    help: 'trace, debug, info, warn, error or silent; records below it are not written',
  },
  logFormat: {
    flag: 'log-format',
    env: 'COLLAB_RELAY_LOG_FORMAT',
    default: 'auto',
    help: 'json (one JSON object a line), pretty (one readable line), or auto: pretty on a terminal, json otherwise',
  },
  webhookUrls: {
    flag: 'webhook-url',
    env: 'COLLAB_RELAY_WEBHOOK_URL',
    default: '',
    repeatable: true,
    help: 'POST document.created, document.changed (debounced), document.deleted and document.version.created events here as JSON; repeatable',
  },
  versionSettleMs: {
    flag: 'version-settle-ms',
    env: 'COLLAB_RELAY_VERSION_SETTLE_MS',
    default: '30000',
    help: 'save an automatic version of a document once it has had no edit for this long',
  },
  versionIntervalMs: {
    flag: 'version-interval-ms',
    env: 'COLLAB_RELAY_VERSION_INTERVAL_MS',
    default: '600000',
    help: 'at most one automatic version of a document per this long (and one at least this often while editing goes on); 0 turns them off',
  },
  versionKeepAllHours: {
    flag: 'version-keep-all-hours',
    env: 'COLLAB_RELAY_VERSION_KEEP_ALL_HOURS',
    default: '24',
    help: 'keep every automatic version this recent; named and restore versions are always kept',
  },
  versionKeepHourlyDays: {
    flag: 'version-keep-hourly-days',
    env: 'COLLAB_RELAY_VERSION_KEEP_HOURLY_DAYS',
    default: '7',
    help: 'then one automatic version per hour up to this age',
  },
  versionKeepDailyDays: {
    flag: 'version-keep-daily-days',
    env: 'COLLAB_RELAY_VERSION_KEEP_DAILY_DAYS',
    default: '0',
    help: 'then one per day up to this age, none older; 0 keeps one per day forever',
  },
  webhookSecret: {
    flag: 'webhook-secret',
    env: 'COLLAB_RELAY_WEBHOOK_SECRET',
    default: '',
    help: 'sign webhook requests with HMAC-SHA256 under this secret (32+ bytes; the variable keeps it out of ps)',
  },
} as const satisfies Record<ValuedSetting, Setting>

/** The options the relay verifies tokens with, as the error messages name them. */
export const AUTH_FLAGS = `--${SETTINGS.authSecrets.flag}/--${SETTINGS.authPublicKeys.flag}/--${SETTINGS.authJwksUrls.flag}`

/**
 * The line the relay prints at start when no key is configured: then anyone
 * who can reach it may do anything.
 */
export const OPEN_RELAY_WARNING = `WARNING: no ${AUTH_FLAGS}: the relay is OPEN — anyone who can reach it can read and change every document`

/** The `--memory` switch: no value, set by the flag or by the variable being 1/true. */
export const MEMORY_SWITCH = {
  flag: 'memory',
  env: 'COLLAB_RELAY_MEMORY',
  help: 'keep documents in memory only, nothing on disk (tests, benchmarks)',
} as const

