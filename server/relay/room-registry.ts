import { CloseCode, type CloseCodeEntry } from '../../shared/close-codes.ts'
import { Room, type RoomContext } from './room.ts'

/** What the registry needs besides what every room needs. */
export type RegistryContext = Omit<RoomContext, 'onIdle' | 'onBroken' | 'onDeletedElsewhere'>

/**
 * The loaded documents: loading them (one load however many join at once),
 * holding them while connections or server-side users need them, and
 * unloading them once idle with everything committed. A room is loading (its
 * promise), loaded, or unloading; a join during an unload waits for it and
 * loads again. A failed load leaves nothing behind: the next join tries anew.
 */
export class RoomRegistry {
  private readonly loading = new Map<string, Promise<Room>>()
  private readonly loaded = new Map<string, Room>()
  /** Rooms being unloaded: still counted until their writes are done. */
  private readonly unloading = new Map<string, { room: Room; done: Promise<void> }>()
  /** Deletes in progress: a load of the name waits for them, or it would read the log being deleted. */
  private readonly deleting = new Map<string, Promise<void>>()
  private readonly context: RoomContext

  constructor(
    context: RegistryContext,
    /** Settles when rooms may load (stored names brought to the current rules first). */
    private readonly ready: Promise<void>,
  ) {
    this.context = {
      ...context,
      onIdle: (room) => void this.unload(room),
      onBroken: (room) => this.reload(room),
      onDeletedElsewhere: (room) => void this.closeDeleted(room),
    }
  }

  /** The room of `name`, loading it if needed. Rejects when storage fails. */
  acquire(name: string): Promise<Room> {
    let entry = this.loading.get(name)
    if (!entry) {
      // Taken now: a delete that starts later waits for this load instead (see `whileDeleting`).
      const deleting = this.deleting.get(name)
      const load = async (): Promise<Room> => {
        await this.ready
        await deleting
        await this.unloading.get(name)?.done
        const room = await Room.load(name, this.context)
        this.loaded.set(name, room)
        return room
      }
      entry = load()
      this.loading.set(name, entry)
      const failed = entry
      failed.catch(() => {
        if (this.loading.get(name) === failed) this.loading.delete(name)
      })
    }
    return entry
  }

  /**
   * Run a delete of `name` with no room of it loading or loaded meanwhile:
   * it starts once a load already under way has finished (so that it finds
   * and closes that room) and a room unloading has written what it had, and
   * loads asked for from now on wait until it is done. Deletes of one name
   * take turns.
   */
  async whileDeleting<T>(name: string, work: () => Promise<T>): Promise<T> {
    const before = this.deleting.get(name)
    const inFlight = this.loading.get(name)
    let done!: () => void
    const gate = new Promise<void>((resolve) => (done = resolve))
    this.deleting.set(name, gate)
    try {
      await before
      await inFlight?.catch(() => undefined)
      // A room unloading by itself is still writing what it had.
      await this.unloading.get(name)?.done.catch(() => undefined)
      return await work()
    } finally {
      done()
      if (this.deleting.get(name) === gate) this.deleting.delete(name)
    }
  }

  /** The room of `name` if it is loaded now. */
  get(name: string): Room | undefined {
    return this.loaded.get(name)
  }

  get rooms(): IterableIterator<Room> {
    return this.loaded.values()
  }

  /** Loaded rooms and rooms still unloading (their writes not done). */
  *allRooms(): Generator<Room> {
    yield* this.loaded.values()
    for (const { room } of this.unloading.values()) yield room
  }

  get size(): number {
    return this.loaded.size
  }

  /**
   * Unload a room nobody uses: once its writes are committed (and its edits
   * not in a version yet saved as one), it leaves memory.
   */
  async unload(room: Room, options: { force?: boolean } = {}): Promise<void> {
    if (this.loaded.get(room.name) !== room || (!room.idle && !options.force)) return
    this.loading.delete(room.name)
    this.loaded.delete(room.name)
    const entry = { room, done: room.flush().then(() => room.versions.saveUnversioned()).then(() => room.destroy()) }
    this.unloading.set(room.name, entry)
    try {
      await entry.done
      this.context.hooks.emit('documentUnloaded', { name: room.name })
    } finally {
      if (this.unloading.get(room.name) === entry) this.unloading.delete(room.name)
    }
  }

  /**
   * Close every connection of a room with `code` and unload it (the next join
   * loads it afresh). `force` unloads it even while server-side users hold it
   * (a deleted document: their submits are refused from now on).
   */
  evict(room: Room, code: CloseCodeEntry, options: { force?: boolean } = {}): Promise<void> {
    for (const connection of [...room.connections]) {
      room.leave(connection)
      connection.close(code)
    }
    if (options.force) return this.unload(room, { force: true })
    return room.idle ? this.unload(room) : Promise.resolve()
  }

  /**
   * A deleted document's room: no more joins or writes (what was not stored
   * yet is dropped with the rest), its connections closed with 4410, unloaded.
   */
  closeDeleted(room: Room): Promise<void> {
    room.deleted = true
    return this.evict(room, CloseCode.DOCUMENT_DELETED, { force: true })
  }

  /** Its copy may be half-changed: everyone reconnects to a fresh load. */
  private reload(room: Room): void {
    void this.evict(room, CloseCode.ROOM_RESET)
  }

  /**
   * Unload everything for shutdown: connections are already closed; commit
   * what is pending. Resolves once every room has drained.
   */
  async drainAll(): Promise<void> {
    await Promise.allSettled([...this.loading.values()])
    await Promise.all([
      ...[...this.loaded.values()].map(async (room) => {
        for (const connection of room.connections) room.leave(connection)
        await room.flush()
        await room.versions.saveUnversioned()
        room.destroy()
      }),
      ...[...this.unloading.values()].map((entry) => entry.done),
    ])
    this.loading.clear()
    this.loaded.clear()
  }
}
