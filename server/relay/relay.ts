import { CloseCode } from '../../shared/close-codes.ts'
import { createMemoryStorage } from '../storage/memory.ts'
import { normalizeStoredNames } from '../storage/normalize-names.ts'
import type { DocumentStorage } from '../storage/types.ts'
import { Connection, type ConnectionOwner } from './connection.ts'
import { consoleLogger, type RelayLogger, type RelaySocket } from './relay-socket.ts'
import { OPEN_GRANT, type Grant } from './grant.ts'
import { resolveLimits, type RelayLimits } from './limits.ts'
import { HookRunner, type RelayHooks } from './hooks.ts'
import { createCounters, type RelayCounters } from './relay-counters.ts'
import { createDocumentAccess, type DocumentAccess } from './relay-documents.ts'
import { RoomRegistry } from './room-registry.ts'
import type { DocumentBus } from './document-bus.ts'
import { resolveVersionSettings, type VersionOptions } from './version-settings.ts'

/** Options for `createRelay`. Every field is optional. */
export interface RelayOptions {
  /** Where documents live. Default: in memory (nothing survives the process). */
  storage?: DocumentStorage
  /** Where warnings and errors go. Default: the console. */
  logger?: RelayLogger
  /** How long a room with no connections stays loaded, in ms. Default 10 000. */
  roomIdleMs?: number
  /** Send-buffer size (bytes) above which a connection is on notice. Default 8 MiB. */
  sendBufferHighWaterBytes?: number
  /** How long the send buffer may stay above the mark before closing with 1013, in ms. Default 10 000. */
  slowConsumerGraceMs?: number
  /** Compact a document's stored log once it holds this many updates. Default 1000. */
  compactAfterUpdates?: number
  /** ...or this many bytes. Default 4 MiB. */
  compactAfterBytes?: number
  /** First delay before retrying a failed storage write, in ms (doubling to 30 s). Default 250. */
  writeRetryMs?: number
  /** What one connection may ask of the relay (see `RelayLimits` and PROTOCOL.md, "Limits"). Default `DEFAULT_LIMITS`. */
  limits?: Partial<RelayLimits>
  /** Subscribers to the relay's lifecycle events (more with `relay.addHooks`). */
  hooks?: RelayHooks[]
  /**
   * Share documents with other relay instances (scale-out): each loaded
   * document's committed updates and presence go to the instances holding it,
   * and theirs come in (`createRedisBus` in `server/scale/`). The storage must
   * be shared too (PostgreSQL). The caller closes the bus after the relay.
   */
  bus?: DocumentBus
  /**
   * Versions the relay saves by itself (when editing settles, at most one
   * per interval) and how long it keeps them; see `VersionOptions`. Named
   * and restore versions are saved through `DocumentHandle.saveVersion`.
   */
  versions?: VersionOptions
}

/** Counts for `/healthz` and tests. */
export interface RelayStats {
  rooms: number
  connections: number
  /** Rooms whose last storage write failed (they retry). */
  roomsFailingWrites: number
}

/** The transport's handle on one connection. */
export interface ConnectionHandle {
  /** A frame arrived. `binary` is false for text frames (closed with 1003). */
  receive(frame: Uint8Array, binary: boolean): void
  /** The socket closed. */
  closed(): void
  /**
   * The client sent a stateless message (Hocuspocus): the transport hands it
   * to its own clients of the document, and this sends it on to the other
   * instances' (scale-out). Dropped while the room is still loading.
   */
  stateless(payload: string): void
}

/** A relay: rooms of connections over some transport. Create with `createRelay`. */
export interface Relay extends DocumentAccess {
  /**
   * Attach a connected socket to the room `roomName` (already validated),
   * with what it may do there (default: `OPEN_GRANT`, edit everything).
   * Frames that arrive while the room loads are queued and replayed.
   */
  connect(socket: RelaySocket, roomName: string, grant?: Grant): ConnectionHandle
  stats(): RelayStats
  /** Names of the rooms loaded now. */
  roomNames(): string[]
  /** Resolves once the named room (if loaded) has committed everything it received. */
  flushRoom(name: string): Promise<void>
  /**
   * Close every connection with 1001, commit pending writes, unload rooms,
   * close storage. Rejects, naming the documents, if storage has not taken
   * every pending update within `timeoutMs` (default 10 000).
   */
  close(options?: { timeoutMs?: number }): Promise<void>
  /** Subscribe to lifecycle events (see `RelayHooks`); returns the way to unsubscribe. */
  addHooks(hooks: RelayHooks): () => void
  /** Running totals (frames and bytes in and out, closes by code), for metrics. */
  readonly counters: RelayCounters
  readonly storage: DocumentStorage
  /** Where the relay (and the HTTP layer serving it) reports problems. */
  readonly logger: RelayLogger
}

const nonNegative = (name: string, value: number | undefined, fallback: number): number => {
  if (value === undefined) return fallback
  if (!Number.isFinite(value) || value < 0) throw new RangeError(`createRelay: ${name} must be a number >= 0, got ${value}`)
  return value
}

/**
 * Create a relay. It holds no transport: hand it sockets with `connect`, or
 * mount it with `createRelayApp` and serve it with `serveRelay`.
 *
 * @example
 * import { createRelay, serveRelay } from 'collab-relay'
 * const relay = createRelay({ roomIdleMs: 5_000 })
 * const server = await serveRelay(relay, { port: 1234 })
 * console.log(server.url)
 */
export function createRelay(options: RelayOptions = {}): Relay {
  const storage = options.storage ?? createMemoryStorage()
  const logger = options.logger ?? consoleLogger
  const relayLimits = resolveLimits(options.limits)
  const limits = {
    sendBufferHighWaterBytes: nonNegative('sendBufferHighWaterBytes', options.sendBufferHighWaterBytes, 8 * 1024 * 1024),
    slowConsumerGraceMs: nonNegative('slowConsumerGraceMs', options.slowConsumerGraceMs, 10_000),
    maxQueuedFramesWhileLoading: 10_000,
    maxQueuedUpdates: relayLimits.maxQueuedUpdatesPerConnection,
    maxWaitingFrames: 1_000,
    messagesPerSecond: relayLimits.messagesPerSecond,
    messageBurst: relayLimits.messageBurst,
    bytesPerSecond: relayLimits.bytesPerSecond,
    byteBurst: relayLimits.byteBurst,
  }
  const hooks = new HookRunner(logger)
  for (const subscriber of options.hooks ?? []) hooks.add(subscriber)
  const counters = createCounters()
  const connections = new Set<Connection>()
  let closing: Promise<void> | null = null
  // Names stored by versions with other name rules are renamed to their
  // canonical form first; rooms load after that. A failure here is logged
  // and retried at the next start: nothing is lost, a few old names just
  // stay out of reach until then.
  const namesReady = normalizeStoredNames(storage, logger).then(
    () => undefined,
    (error: unknown) => logger.error('could not bring stored document names to the current rules', error),
  )
  const registry = new RoomRegistry(
    {
      storage,
      logger,
      hooks,
      roomIdleMs: nonNegative('roomIdleMs', options.roomIdleMs, 10_000),
      compactAfterUpdates: nonNegative('compactAfterUpdates', options.compactAfterUpdates, 1000),
      compactAfterBytes: nonNegative('compactAfterBytes', options.compactAfterBytes, 4 * 1024 * 1024),
      writeRetryMs: nonNegative('writeRetryMs', options.writeRetryMs, 250),
      limits: relayLimits,
      bus: options.bus,
      versions: resolveVersionSettings(options.versions),
    },
    namesReady,
  )
  const documents = createDocumentAccess(registry, storage, hooks, () => closing !== null, options.bus)

  async function closeAll(timeoutMs: number): Promise<void> {
    // Frames already received are handled before the connections close (a
    // close by the relay drops what is still queued), so an update a client
    // sent just before SIGTERM is committed with the rest. Bounded: a room
    // still loading, or a flood, does not hold the shutdown up.
    let patience: ReturnType<typeof setTimeout> | undefined
    await Promise.race([
      Promise.all([...connections].map((connection) => connection.inbound.idle())),
      new Promise((resolve) => (patience = setTimeout(resolve, Math.min(1000, timeoutMs / 4)))),
    ])
    clearTimeout(patience)
    for (const connection of connections) connection.close(CloseCode.GOING_AWAY)
    const drained = registry.drainAll()
    let timer: ReturnType<typeof setTimeout> | undefined
    const expired = new Promise<'expired'>((resolve) => {
      timer = setTimeout(() => resolve('expired'), timeoutMs)
    })
    const outcome = await Promise.race([drained.then(() => 'drained' as const), expired])
    clearTimeout(timer)
    if (outcome === 'expired') {
      // The rooms keep retrying in the background; the caller decides whether to wait or exit.
      const unsaved = [...registry.allRooms()].filter((room) => room.pendingWrites > 0 || room.writeError).map((room) => room.name)
      throw new Error(`storage did not take the pending updates within ${timeoutMs} ms (documents: ${unsaved.join(', ') || 'unknown'})`)
    }
    await hooks.settled()
    await storage.close()
  }

  // Told when any connection closes: one object for all of them, not a closure each.
  const owner: ConnectionOwner = {
    connectionClosed(connection) {
      connections.delete(connection)
      hooks.emit('connectionClosed', { name: connection.roomName, code: connection.closeCode })
      // A peer that closed after sending updates has them handled first: it
      // counts them as sent. One the relay closed leaves at once (its other
      // frames are dropped with it).
      const room = connection.room
      if (!room) return
      if (connection.closedByRelay) room.leave(connection)
      else void connection.inbound.idle().then(() => room.leave(connection))
    },
  }

  function connect(socket: RelaySocket, roomName: string, grant: Grant = OPEN_GRANT): ConnectionHandle {
    const connection = new Connection(socket, roomName, limits, grant, counters)
    if (closing !== null) {
      connection.close(CloseCode.GOING_AWAY)
      return connection
    }
    connections.add(connection)
    connection.owner = owner

    registry.acquire(roomName).then(
      (ready) => {
        // Closed while the room loaded: only a peer's own close with frames still to handle goes on.
        if (connection.closedByRelay || (connection.isClosed && connection.inbound.waiting === 0)) {
          ready.scheduleIdleCheck()
          return
        }
        connection.room = ready
        ready.join(connection)
        hooks.emit('connectionOpened', { name: roomName, grant })
        connection.inbound.start()
        if (connection.isClosed) void connection.inbound.idle().then(() => ready.leave(connection))
      },
      (error: unknown) => {
        logger.error(`room "${roomName}": load failed; refusing connections until it loads`, error)
        connection.close(CloseCode.ROOM_UNAVAILABLE)
      },
    )
    // The connection is the transport's handle: its `receive` and `closed`.
    return connection
  }

  return {
    ...documents,
    storage,
    logger,
    counters,
    connect,
    addHooks: (subscriber) => hooks.add(subscriber),
    stats() {
      let failing = 0
      for (const room of registry.allRooms()) if (room.writeError) failing++
      return { rooms: registry.size, connections: connections.size, roomsFailingWrites: failing }
    },
    roomNames: () => [...registry.rooms].map((room) => room.name),
    async flushRoom(name) {
      await registry.get(name)?.flush()
      await hooks.settled()
    },
    close(options = {}) {
      closing ??= closeAll(options.timeoutMs ?? 10_000)
      return closing
    },
  }
}
