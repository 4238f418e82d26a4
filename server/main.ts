/**
 * The `collab-relay` command. The only module that reads argv and the
 * environment or installs signal handlers.
 */
import { networkInterfaces } from 'node:os'
import { CliError, OPEN_RELAY_WARNING, SETTINGS, parseCli, type CliConfig } from './cli-args.ts'
import { helpText, tokenHelpText } from './cli-help.ts'
import { createJwtAuthenticator } from './auth/jwt-authenticator.ts'
import { issueToken } from './auth/issue-token.ts'
import { loggableUrl } from './auth/key-checks.ts'
import type { Authenticate } from './http/authenticate.ts'
import { createRelay } from './relay/relay.ts'
import { openStorage } from './storage/open-storage.ts'
import { serveRelay, type RelayServer } from './http/serve.ts'
import { createPinoLogger } from './ops/logger.ts'
import { createRelayMetrics } from './ops/metrics.ts'
import { createWebhooks, type Webhooks } from './ops/webhooks.ts'
import type { RedisBus } from './scale/redis-bus.ts'
import { VERSION } from './version.ts'

/** How long shutdown may take before the process gives up and exits 1. */
const SHUTDOWN_DEADLINE_MS = 10_000
/** How often a relay started through npm checks that npm is still there. */
const PARENT_CHECK_MS = 500
/** Of the shutdown deadline, what webhooks may take to send what is queued. */
const WEBHOOK_SHUTDOWN_MS = 3_000
const HOUR_MS = 3_600_000
const DAY_MS = 86_400_000

/**
 * Stop requests, from signals or from losing npm, accepted from the first
 * moment of `main` on: a supervisor may signal as soon as the process
 * exists. What stopping means changes as the relay starts (`whenStopped`):
 * at first there is nothing to flush and the process just exits 0.
 */
function listenForStop(): { requested: () => boolean; whenStopped(stop: (reason: string) => void): void } {
  let reason: string | null = null
  let stop = (_reason: string): void => process.exit(0)
  const request = (why: string): void => {
    if (reason !== null) return
    reason = why
    stop(why)
  }
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    // bin/collab-relay.js catches signals while the modules load; from here on they are ours.
    process.removeAllListeners(signal)
    process.on(signal, () => {
      // A second Ctrl-C means "now": skip the flush.
      if (reason !== null && signal === 'SIGINT') process.exit(1)
      request(signal)
    })
  }
  // `npx collab-relay` (and `npm start`) run the relay under npm through a
  // shell. Signalled, npm dies and takes the shell with it, but the signal
  // never reaches the relay, which would go on serving, re-parented to init.
  // npm marks what it runs with npm_command, so only then: when the parent
  // goes away, stop as if signalled. A relay detached on purpose (nohup,
  // setsid, a service manager) keeps its parent, or was not started by npm.
  if (process.env.npm_command) {
    const parent = process.ppid
    setInterval(() => {
      if (process.ppid !== parent) request('npm (the parent process) exited')
    }, PARENT_CHECK_MS).unref()
  }
  return {
    requested: () => reason !== null,
    whenStopped(callback) {
      stop = callback
    },
  }
}

/**
 * The token check the settings ask for, and one line saying which keys it
 * trusts (never the secrets); null when no key is configured: the relay is open.
 */
function authenticatorFor(config: CliConfig): { authenticate: Authenticate; description: string } | null {
  const { authSecrets, authPublicKeys, authJwksUrls } = config
  if (authSecrets.length + authPublicKeys.length + authJwksUrls.length === 0) return null
  const kinds: string[] = []
  if (authSecrets.length > 0) kinds.push(`${authSecrets.length} HS256 secret${authSecrets.length > 1 ? 's' : ''}`)
  for (const key of authPublicKeys) kinds.push(`${key.algorithm} public key ${key.file}`)
  for (const url of authJwksUrls) kinds.push(`JWKS ${loggableUrl(new URL(url))}`)
  return {
    authenticate: createJwtAuthenticator({ secrets: authSecrets, publicKeys: authPublicKeys.map((key) => key.pem), jwksUrls: authJwksUrls }),
    description: `tokens required, signed with: ${kinds.join(', ')}`,
  }
}

/** Keys fetched over plain HTTP from another machine can be swapped on the way. */
function plainHttpJwks(config: CliConfig): string[] {
  return config.authJwksUrls
    .map((url) => new URL(url))
    .filter((url) => url.protocol === 'http:' && !['localhost', '127.0.0.1', '[::1]'].includes(url.hostname))
    .map(loggableUrl)
}

/** Addresses people can open when the relay listens on every interface. */
function reachableUrls(host: string, port: number, scheme: 'http' | 'https'): string[] {
  if (host !== '0.0.0.0' && host !== '::' && host !== '[::]') return []
  const urls = [`${scheme}://127.0.0.1:${port}`]
  for (const addresses of Object.values(networkInterfaces())) {
    for (const address of addresses ?? []) {
      if (address.internal) continue
      if (address.family === 'IPv4') urls.push(`${scheme}://${address.address}:${port}`)
      else if (host !== '0.0.0.0' && !address.address.startsWith('fe80:')) urls.push(`${scheme}://[${address.address}]:${port}`)
    }
  }
  return urls
}

async function main(): Promise<void> {
  const stopping = listenForStop()
  let command
  try {
    command = parseCli(process.argv.slice(2), process.env)
  } catch (error) {
    if (!(error instanceof CliError)) throw error
    const help = process.argv[2] === 'token' ? 'collab-relay token --help' : 'collab-relay --help'
    process.stderr.write(`collab-relay: ${error.message}\nRun '${help}' for the options.\n`)
    process.exit(2)
  }
  if (command.kind === 'help') {
    process.stdout.write(helpText())
    return
  }
  if (command.kind === 'version') {
    process.stdout.write(`${VERSION}\n`)
    return
  }
  if (command.kind === 'token-help') {
    process.stdout.write(tokenHelpText())
    return
  }
  if (command.kind === 'token') {
    process.stdout.write(`${await issueToken({ secret: command.secret, ...command.claims })}\n`)
    return
  }
  const { config } = command
  // Everything from here on is a log record on stderr (JSON lines unless a
  // person watches), except the one stdout line and the OPEN warning.
  const logger = createPinoLogger({
    level: config.logLevel,
    format: config.logFormat === 'auto' ? (process.stderr.isTTY ? 'pretty' : 'json') : config.logFormat,
  })
  const auth = authenticatorFor(config)
  let opened
  try {
    opened = await openStorage(config)
  } catch (error) {
    logger.error(`cannot open storage: ${(error as Error).message}`)
    process.exit(1)
  }
  const storage = opened.storage
  // Open, but nothing written yet: closing it is all there is to do.
  stopping.whenStopped(() => void storage.close().finally(() => process.exit(0)))
  let bus: RedisBus | null = null
  if (config.redisUrl) {
    try {
      // Imported only when asked for: the Redis client weighs about 20 MB.
      const { createRedisBus } = await import('./scale/redis-bus.ts')
      bus = await createRedisBus({ url: config.redisUrl, logger })
    } catch (error) {
      logger.error(`cannot connect to Redis at ${loggableUrl(new URL(config.redisUrl))}: ${(error as Error).message}`)
      await storage.close().catch(() => {})
      process.exit(1)
    }
  }
  const webhooks: Webhooks | null =
    config.webhookUrls.length > 0 ? createWebhooks({ urls: config.webhookUrls, ...(config.webhookSecret ? { secret: config.webhookSecret } : {}), logger }) : null
  const relay = createRelay({
    logger,
    hooks: webhooks ? [webhooks] : [],
    storage: opened.storage,
    ...(bus ? { bus } : {}),
    roomIdleMs: config.roomIdleMs,
    compactAfterUpdates: config.compactAfterUpdates,
    compactAfterBytes: config.compactAfterBytes,
    versions: {
      settleMs: config.versionSettleMs,
      intervalMs: config.versionIntervalMs,
      retention: {
        keepAllMs: config.versionKeepAllHours * HOUR_MS,
        hourlyMs: config.versionKeepHourlyDays * DAY_MS,
        dailyMs: config.versionKeepDailyDays === 0 ? Infinity : config.versionKeepDailyDays * DAY_MS,
      },
    },
    limits: {
      messagesPerSecond: config.messagesPerSecond,
      messageBurst: config.messageBurst,
      bytesPerSecond: config.bytesPerSecond,
      byteBurst: config.byteBurst,
      maxDocumentBytes: config.maxDocumentBytes,
    },
  })
  let server: RelayServer
  try {
    server = await serveRelay(relay, {
      editor: true,
      host: config.host,
      port: config.port,
      maxPayloadBytes: config.maxPayloadBytes,
      heartbeatMs: config.heartbeatMs,
      ...(auth ? { authenticate: auth.authenticate } : {}),
      ...(config.allowedOrigins.length > 0 ? { allowedOrigins: config.allowedOrigins } : {}),
      maxConnectionsPerIp: config.maxConnectionsPerIp,
      maxUpgradesPerIpPerMinute: config.maxUpgradesPerMinute,
      trustProxy: config.trustProxy,
      handshakeTimeoutMs: config.handshakeTimeoutMs,
      ...(config.tls ? { tls: config.tls } : {}),
      metrics: createRelayMetrics(relay, webhooks ? { webhooks } : {}),
      ...(bus ? { readinessChecks: { redis: () => bus!.ping() } } : {}),
    })
  } catch (error) {
    logger.error(`cannot listen on ${config.host}:${config.port}: ${(error as Error).message}`)
    await opened.storage.close().catch(() => {})
    process.exit(1)
  }
  logger.info(`storage: ${opened.description}`)
  if (bus) logger.info(`scale-out: sharing documents through Redis at ${loggableUrl(new URL(config.redisUrl))} as instance ${bus.instanceId}`)
  if (config.tls) logger.info(`TLS: serving https and wss with ${config.tlsCert}`)
  if (auth) {
    logger.info(`access: ${auth.description}`)
    for (const url of plainHttpJwks(config)) logger.warn(`the JWKS ${url} is fetched over plain HTTP: anyone on the way can swap the keys; use https://`)
  } else {
    // A plain line, whatever the log level and format: it must not be missed.
    process.stderr.write(`${OPEN_RELAY_WARNING}\n`)
  }
  logger.info(`metrics: GET /metrics${auth ? ' (with an admin token for every document)' : ''}; readiness: GET /readyz`)
  if (webhooks) {
    const targets = config.webhookUrls.map((url) => loggableUrl(new URL(url))).join(', ')
    logger.info(`webhooks: document events to ${targets}${config.webhookSecret ? ', signed' : ''}`)
    if (!config.webhookSecret) logger.warn(`webhooks are not signed: receivers cannot tell them from forgeries; set --${SETTINGS.webhookSecret.flag} (${SETTINGS.webhookSecret.env})`)
  }
  if (!stopping.requested()) {
    const urls = reachableUrls(config.host, server.port, config.tls ? 'https' : 'http')
    if (urls.length > 0) logger.info(`open the editor at ${urls.join(' or ')}`)
    process.stdout.write(`listening on ${server.url}\n`)
  }

  stopping.whenStopped((reason) => {
    logger.info(`${reason}: closing connections and flushing storage`)
    const deadline = setTimeout(() => {
      logger.error(`shutdown did not finish within ${SHUTDOWN_DEADLINE_MS} ms`)
      process.exit(1)
    }, SHUTDOWN_DEADLINE_MS)
    deadline.unref()
    server
      .close()
      // After the relay: its last changes are in the webhook queue by then.
      .then(() => webhooks?.close({ timeoutMs: WEBHOOK_SHUTDOWN_MS }))
      .then(() => bus?.close())
      .then(
        () => {
          logger.info('stopped: every update is stored')
          process.exit(0)
        },
        (error: unknown) => {
          logger.error('shutdown failed', error)
          process.exit(1)
        },
      )
  })
}

await main()
