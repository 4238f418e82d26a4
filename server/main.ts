/**
 * The `collab-relay` command. The only module that reads argv and the
 * environment or installs signal handlers.
 */
import { networkInterfaces } from 'node:os'
import { CliError, helpText, parseCli } from './cli-args.ts'
import { createRelay } from './relay/relay.ts'
import { openStorage } from './storage/open-storage.ts'
import type { RelayLogger } from './relay/relay-socket.ts'
import { serveRelay, type RelayServer } from './http/serve.ts'
import { VERSION } from './version.ts'

/** How long shutdown may take before the process gives up and exits 1. */
const SHUTDOWN_DEADLINE_MS = 10_000
/** How often a relay started through npm checks that npm is still there. */
const PARENT_CHECK_MS = 500

const logger: RelayLogger = {
  info: (message) => process.stderr.write(`${message}\n`),
  warn: (message) => process.stderr.write(`warning: ${message}\n`),
  error: (message, error) => process.stderr.write(`error: ${message}${error ? `: ${String(error)}` : ''}\n`),
}

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

/** Addresses people can open when the relay listens on every interface. */
function reachableUrls(host: string, port: number): string[] {
  if (host !== '0.0.0.0' && host !== '::' && host !== '[::]') return []
  const urls = [`http://127.0.0.1:${port}`]
  for (const addresses of Object.values(networkInterfaces())) {
    for (const address of addresses ?? []) {
      if (address.internal) continue
      if (address.family === 'IPv4') urls.push(`http://${address.address}:${port}`)
      else if (host !== '0.0.0.0' && !address.address.startsWith('fe80:')) urls.push(`http://[${address.address}]:${port}`)
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
  const storage = opened.storage
  // Open, but nothing written yet: closing it is all there is to do.
  stopping.whenStopped(() => void storage.close().finally(() => process.exit(0)))
  const relay = createRelay({
    logger,
    storage: opened.storage,
    roomIdleMs: config.roomIdleMs,
    compactAfterUpdates: config.compactAfterUpdates,
    compactAfterBytes: config.compactAfterBytes,
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
    })
  } catch (error) {
    process.stderr.write(`collab-relay: cannot listen on ${config.host}:${config.port}: ${(error as Error).message}\n`)
    await opened.storage.close().catch(() => {})
    process.exit(1)
  }
  logger.info(`storage: ${opened.description}`)
  if (!stopping.requested()) {
    const urls = reachableUrls(config.host, server.port)
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
    server.close().then(
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
