/**
 * The relay as a library. `server/main.ts` is the CLI; everything here is
 * free of process-wide state, so several relays can share one process.
 */
export { createRelay, type Relay, type RelayOptions, type RelayStats, type ConnectionHandle } from './relay/relay.ts'
export type { RelaySocket, RelayLogger } from './relay/relay-socket.ts'
export { createRelayApp, type RelayAppOptions } from './http/relay-app.ts'
export { allowEveryone, tokenOf, redactUrl, type Authenticate, type AuthResult } from './http/authenticate.ts'
export { OPEN_GRANT, type Grant, type GrantedUser } from './relay/grant.ts'
export type { DocumentHandle, DocumentAccess } from './relay/relay-documents.ts'
export { DEFAULT_VERSION_INTERVAL_MS, DEFAULT_VERSION_SETTLE_MS, type VersionOptions, type VersionClock } from './relay/version-settings.ts'
export { thinVersions, resolveRetention, DEFAULT_RETENTION, type RetentionPolicy } from './relay/version-retention.ts'
export { UNNAMED_AUTHOR, type VersionAuthorship } from './relay/version-authors.ts'
export { createJwtAuthenticator, type JwtAuthenticatorOptions } from './auth/jwt-authenticator.ts'
export { issueToken, type IssueTokenOptions } from './auth/issue-token.ts'
export { mountEditorApp, type EditorAppOptions } from './http/editor-app.ts'
export { refuseMalformedUpgrades } from './http/host-check.ts'
export {
  serveRelay,
  createWebSocketServer,
  DEFAULT_MAX_PAYLOAD_BYTES,
  type ServeOptions,
  type RelayServer,
  type WebSocketServerOptions,
} from './http/serve.ts'
export { createOpsApp, type OpsAppOptions, type Readiness } from './ops/ops-app.ts'
export { createRelayMetrics, type RelayMetrics, type RelayMetricsOptions } from './ops/metrics.ts'
export {
  createWebhooks,
  signWebhook,
  verifyWebhook,
  WebhookEvent,
  type Webhooks,
  type WebhookOptions,
  type WebhookPayload,
  type WebhookVersion,
  type WebhookStats,
} from './ops/webhooks.ts'
export { createPinoLogger, LOG_LEVELS, LOG_FORMATS, type LogLevel, type LogFormat, type PinoLoggerOptions, type PinoRelayLogger } from './ops/logger.ts'
export { createMemoryStorage } from './storage/memory.ts'
export { createSqliteStorage, type SqliteStorageOptions } from './storage/sqlite.ts'
export { createPostgresStorage, type PostgresStorageOptions } from './storage/postgres.ts'
export type { DocumentStorage, NewVersion, StoredDocument, VersionInfo } from './storage/types.ts'
export { CloseCode } from '../shared/close-codes.ts'
