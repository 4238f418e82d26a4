/**
 * The `collab-relay` command. The only module that reads argv and the
 * environment or installs signal handlers.
 */
import { CliError, helpText, parseCli } from './cli-args.ts'
import { createRelay } from './relay/relay.ts'
import { openStorage } from './storage/open-storage.ts'
import type { RelayLogger } from './relay/relay-socket.ts'
import { Hono } from 'hono'
import { serveRelay } from './http/serve.ts'
import { createRelayApp } from './http/relay-app.ts'
import { mountDemoApp } from './http/demo-app.ts'
import { VERSION } from './version.ts'

/** How long shutdown may take before the process gives up and exits 1. */
const SHUTDOWN_DEADLINE_MS = 10_000

const logger: RelayLogger = {
  info: (message) => process.stderr.write(`${message}\n`),
  warn: (message) => process.stderr.write(`warning: ${message}\n`),
  error: (message, error) => process.stderr.write(`error: ${message}${error ? `: ${String(error)}` : ''}\n`),
}

async function main(): Promise<void> {
  let command
  try {
    command = parseCli(process.argv.slice(2), process.env)
  } catch (error) {
    if (!(error instanceof CliError)) throw error
    process.stderr.write(`collab-relay: ${error.message}\nRun 'collab-relay --help' for the options.\n`)
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
  const { config } = command
  let opened
  try {
    opened = await openStorage(config)
  } catch (error) {
    process.stderr.write(`collab-relay: cannot open storage: ${(error as Error).message}\n`)
    process.exit(1)
  }
  const relay = createRelay({
    logger,
    storage: opened.storage,
    roomIdleMs: config.roomIdleMs,
    compactAfterUpdates: config.compactAfterUpdates,
    compactAfterBytes: config.compactAfterBytes,
  })
  const app = new Hono()
  app.route('/', createRelayApp(relay, { heartbeatMs: config.heartbeatMs }))
  mountDemoApp(app)
  let server
  try {
    server = await serveRelay(relay, {
      app,
      host: config.host,
      port: config.port,
      maxPayloadBytes: config.maxPayloadBytes,
      heartbeatMs: config.heartbeatMs,
    })
  } catch (error) {
    process.stderr.write(`collab-relay: cannot listen on ${config.host}:${config.port}: ${(error as Error).message}\n`)
    await opened.storage.close().catch(() => {})
    process.exit(1)
  }
  logger.info(`storage: ${opened.description}`)
  process.stdout.write(`listening on ${server.url}\n`)

  const shutdown = (signal: string): void => {
    logger.info(`${signal}: closing connections and flushing storage`)
    const deadline = setTimeout(() => {
      logger.error(`shutdown did not finish within ${SHUTDOWN_DEADLINE_MS} ms`)
      process.exit(1)
    }, SHUTDOWN_DEADLINE_MS)
    deadline.unref()
    server.close().then(
      () => process.exit(0),
      (error: unknown) => {
        logger.error('shutdown failed', error)
        process.exit(1)
      },
    )
  }
  process.once('SIGTERM', () => shutdown('SIGTERM'))
  process.once('SIGINT', () => shutdown('SIGINT'))
}

await main()
