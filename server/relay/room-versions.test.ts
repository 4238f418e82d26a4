/**
 * When a room saves versions and whom they name, on a fake clock: no real
 * waits, every timer fired by the test.
 */
import { describe, expect, it } from 'vitest'
import * as Y from 'yjs'
import { createMemoryStorage } from '../storage/memory.ts'
import type { DocumentStorage, VersionInfo } from '../storage/types.ts'
import type { Connection } from './connection.ts'
import { FORMAT_UPGRADE_LABEL } from './format-upgrade.ts'
import { HookRunner } from './hooks.ts'
import type { UpdateOrigin } from './origin.ts'
import { RoomVersions } from './room-versions.ts'
import { UNNAMED_AUTHOR } from './version-authors.ts'
import { resolveRetention } from './version-retention.ts'
import type { VersionClock, VersionSettings } from './version-settings.ts'

const quiet = { info() {}, warn() {}, error() {} }
const SECOND = 1000
const MINUTE = 60 * SECOND
const HOUR = 60 * MINUTE
const DAY = 24 * HOUR

/** A clock the test moves: timers fire in order as `advance` passes their time. */
function fakeClock(start = Date.UTC(2025, 2, 20, 12)) {
  let now = start
  let nextId = 1
  const timers = new Map<number, { at: number; run: () => void }>()
  const clock: VersionClock = {
    now: () => now,
    setTimeout(run, ms) {
      const id = nextId++
      timers.set(id, { at: now + ms, run })
      return id
    },
    clearTimeout: (id) => void timers.delete(id as number),
  }
  return {
    clock,
    now: () => now,
    async advance(ms: number) {
      const until = now + ms
      for (;;) {
        const [due] = [...timers].filter(([, timer]) => timer.at <= until).sort((a, b) => a[1].at - b[1].at)
        if (!due) break
        timers.delete(due[0])
        now = due[1].at
        due[1].run()
        await settled()
      }
      now = until
      await settled()
    },
  }
}

/** Let the memory storage's promises and the hooks run. */
async function settled(): Promise<void> {
  for (let i = 0; i < 20; i++) await new Promise((resolve) => setImmediate(resolve))
}

/** A stand-in for a connection: the grant and nothing else is read. */
const connection = (name?: string): Connection => ({ grant: { access: 'write', ...(name ? { user: { name } } : {}) } }) as unknown as Connection

function room(settings: Partial<VersionSettings> = {}, storage: DocumentStorage = createMemoryStorage()) {
  const fake = fakeClock()
  const doc = new Y.Doc()
  const hooks = new HookRunner(quiet)
  const created: VersionInfo[] = []
  hooks.add({ versionCreated: ({ version }) => void created.push(version) })
  const presence = new Map<Connection, string>()
  let gone = false
  const versions = new RoomVersions({
    name: 'doc',
    doc,
    storage,
    logger: quiet,
    hooks,
    settings: { settleMs: 30 * SECOND, intervalMs: 10 * MINUTE, retention: resolveRetention(), clock: fake.clock, ...settings },
    presenceName: (c) => presence.get(c) ?? null,
    gone: () => gone,
  })
  /** Someone's edit, committed: into the document and storage, then told to the versions. */
  const edit = async (origin: UpdateOrigin, writer = new Y.Doc()): Promise<Y.Doc> => {
    const before = Y.encodeStateVector(writer)
    writer.getText('text').insert(0, 'x')
    const update = Y.encodeStateAsUpdate(writer, before)
    await storage.append('doc', [update])
    Y.applyUpdate(doc, update)
    versions.committed(origin, [writer.clientID])
    await settled()
    return writer
  }
  const server = (name?: string): UpdateOrigin => ({ kind: 'server', label: 'http-api', ...(name ? { user: { name } } : {}) })
  return { ...fake, doc, storage, versions, created, presence, edit, server, setGone: () => (gone = true) }
}

describe('automatic versions', () => {
  it('saves the first once the first burst settles, naming its authors in first-edit order', async () => {
    const r = room()
    const ada = connection('Ada')
    const lin = connection()
    const nobody = connection()
    const grace = await r.edit(r.server('Grace'))
    const adaDoc = await r.edit({ kind: 'connection', connection: ada })
    // No name yet: Lin's presence arrives after the edit, and is found when the authors are taken.
    const linDoc = await r.edit({ kind: 'connection', connection: lin })
    await r.edit({ kind: 'connection', connection: nobody })
    r.presence.set(lin, 'Lin')
    await r.edit({ kind: 'connection', connection: ada }, adaDoc)

    await r.advance(30 * SECOND - 1)
    expect(r.created).toEqual([])
    await r.advance(1)
    expect(r.created).toHaveLength(1)
    const [first] = r.created
    expect(first).toMatchObject({ kind: 'auto', name: null, authors: ['Grace', 'Ada', 'Lin', UNNAMED_AUTHOR] })
    expect(first.createdAt.getTime()).toBe(r.now())
    expect(first.clients).toMatchObject({ [grace.clientID]: 'Grace', [adaDoc.clientID]: 'Ada', [linDoc.clientID]: 'Lin' })
    // The unnamed editor's client is recorded, with no name.
    expect(Object.values(first.clients).filter((name) => name === '')).toHaveLength(1)
    // It holds the document as it was.
    const saved = await r.storage.loadVersion('doc', first.id)
    const replay = new Y.Doc()
    Y.applyUpdate(replay, saved!.state)
    expect(replay.getText('text').toString()).toBe(r.doc.getText('text').toString())
  })

  it('keeps at most one per interval, and saves one while editing never settles', async () => {
    const r = room()
    const writer = await r.edit(r.server('Ada'))
    await r.advance(30 * SECOND)
    expect(r.created).toHaveLength(1)
    const firstAt = r.now()

    // A short burst a minute later settles at once, but waits for the interval.
    await r.advance(MINUTE)
    await r.edit(r.server('Grace'))
    await r.advance(5 * MINUTE)
    expect(r.created).toHaveLength(1)
    await r.advance(firstAt + 10 * MINUTE - r.now() - 1)
    expect(r.created).toHaveLength(1)
    await r.advance(1)
    expect(r.created.map((v) => v.authors)).toEqual([['Ada'], ['Grace']])

    // Typing every 10 s for an hour never settles: one version per interval and settle time at most.
    const start = r.now()
    for (let t = 0; t < HOUR; t += 10 * SECOND) {
      await r.edit(r.server('Ada'), writer)
      await r.advance(10 * SECOND)
    }
    const during = r.created.slice(2).map((v) => v.createdAt.getTime() - start)
    expect(during.length).toBeGreaterThanOrEqual(5)
    for (let i = 1; i < during.length; i++) expect(during[i] - during[i - 1]).toBeLessThanOrEqual(10 * MINUTE + 30 * SECOND + 10 * SECOND)
  })

  it("saves nothing for another instance's edits or the format upgrade (that instance saves its own)", async () => {
    const r = room()
    await r.edit({ kind: 'instance', instanceId: 'other' })
    await r.edit({ kind: 'server', label: FORMAT_UPGRADE_LABEL })
    await r.advance(DAY)
    await r.versions.saveUnversioned()
    expect(r.created).toEqual([])
  })

  it('spaces the first from a version saved before the room loaded', async () => {
    const r = room()
    await r.edit(r.server('Ada'))
    await r.storage.saveVersion('doc', { state: Y.encodeStateAsUpdate(r.doc), name: 'earlier', kind: 'named', createdAt: new Date(r.now() - MINUTE), authors: [], clients: {} })
    const fresh = room({}, r.storage)
    await fresh.edit(fresh.server('Grace'))
    await fresh.advance(MINUTE)
    expect(fresh.created).toEqual([])
    await fresh.advance(10 * MINUTE)
    expect(fresh.created).toHaveLength(1)
  })

  it('on unload, saves the edits not in a version whatever the interval; nothing when there are none, or the document is gone', async () => {
    const r = room()
    await r.edit(r.server('Ada'))
    await r.advance(30 * SECOND)
    expect(r.created).toHaveLength(1)
    await r.edit(r.server('Grace'))
    await r.versions.saveUnversioned()
    expect(r.created.map((v) => v.authors)).toEqual([['Ada'], ['Grace']])
    await r.versions.saveUnversioned()
    expect(r.created).toHaveLength(2)
    await r.edit(r.server('Lin'))
    r.setGone()
    await r.versions.saveUnversioned()
    expect(r.created).toHaveLength(2)
  })

  it('after a failed save, the authors go into the next version, and it tries again', async () => {
    const inner = createMemoryStorage()
    let failures = 1
    const storage: DocumentStorage = {
      ...inner,
      async saveVersion(name, version) {
        if (failures-- > 0) throw new Error('disk full')
        return inner.saveVersion(name, version)
      },
    }
    const r = room({}, storage)
    await r.edit(r.server('Ada'))
    await r.advance(30 * SECOND)
    expect(r.created).toEqual([])
    await r.edit(r.server('Grace'))
    await r.advance(30 * SECOND)
    expect(r.created.map((v) => v.authors)).toEqual([['Ada', 'Grace']])
  })

  it('thins the automatic versions after each automatic save (fake clock: a week of them)', async () => {
    const r = room({ retention: { keepAllMs: HOUR, hourlyMs: DAY, dailyMs: Infinity } })
    await r.edit(r.server('Ada'))
    // One automatic version every 10 minutes for the past week, and a named one among them.
    for (let age = 7 * DAY; age > 0; age -= 10 * MINUTE) {
      await r.storage.saveVersion('doc', { state: Y.encodeStateAsUpdate(r.doc), name: null, kind: 'auto', createdAt: new Date(r.now() - age), authors: [], clients: {} })
    }
    await r.storage.saveVersion('doc', { state: Y.encodeStateAsUpdate(r.doc), name: 'keep me', kind: 'named', createdAt: new Date(r.now() - 6 * DAY), authors: [], clients: {} })
    await r.edit(r.server('Ada'))
    await r.advance(10 * MINUTE)
    expect(r.created).toHaveLength(1)
    const left = await r.storage.listVersions('doc')
    const auto = left.filter((v) => v.kind === 'auto')
    // The last hour whole (6 plus the new one), one per hour back to a day, one per day back to a week.
    expect(auto.length).toBeGreaterThanOrEqual(6 + 1 + 23 + 6)
    expect(auto.length).toBeLessThanOrEqual(6 + 1 + 24 + 7)
    expect(left.find((v) => v.name === 'keep me')).toBeDefined()
  })

  it('intervalMs 0 turns automatic versions off; named versions still save, and space the next automatic one', async () => {
    const off = room({ intervalMs: 0 })
    await off.edit(off.server('Ada'))
    await off.advance(DAY)
    await off.versions.saveUnversioned()
    expect(off.created).toEqual([])
    await off.versions.save({ kind: 'named', name: 'by hand' })
    expect(off.created.map((v) => [v.kind, v.name, v.authors])).toEqual([['named', 'by hand', ['Ada']]])

    const on = room()
    await on.edit(on.server('Ada'))
    await on.versions.save({ kind: 'named', name: 'Draft' })
    await on.edit(on.server('Grace'))
    await on.advance(MINUTE)
    expect(on.created.map((v) => v.kind)).toEqual(['named'])
    await on.advance(10 * MINUTE)
    expect(on.created.map((v) => [v.kind, v.authors])).toEqual([
      ['named', ['Ada']],
      ['auto', ['Grace']],
    ])
  })
})
