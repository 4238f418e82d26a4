/**
 * Versions outlive what happens to the update log: its compaction, a new
 * relay on the same storage (SQLite and PostgreSQL), and restarts of the
 * `collab-relay` command on the same data directory, where edits not yet
 * in a version when it stops are saved as one on the way out.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, afterEach, describe, expect, it } from 'vitest'
import type { DocumentStorage } from '../server/storage/types.ts'
import { call, documentUrl, editAsEditor, markdownOf } from './support/documents-api.ts'
import { connectClient, useRelayScope, waitFor, waitSynced, type TestClient } from './support/harness.ts'
import { spawnCli, type SpawnedCli } from './support/spawn-cli.ts'
import { createPostgresBackend, createSqliteBackend } from './support/storage-backends.ts'

const scope = useRelayScope()
const sqlite = createSqliteBackend()
const postgres = createPostgresBackend()
afterAll(async () => {
  await sqlite.cleanup()
  await postgres.cleanup()
})

interface VersionJson {
  id: string
  name: string | null
  kind: string
  authors: string[]
}

type Base = { url: string }
const versionsUrl = (base: Base, name: string, rest = ''): string => `${base.url}/api/documents/${encodeURIComponent(name)}/versions${rest}`

async function versionsOf(base: Base, name: string): Promise<VersionJson[]> {
  const response = await call(versionsUrl(base, name))
  return response.status === 200 ? ((await response.json()) as { versions: VersionJson[] }).versions : []
}

async function versionMarkdown(base: Base, name: string, id: string): Promise<string> {
  const response = await call(versionsUrl(base, name, `/${id}?format=markdown`))
  expect(response.status).toBe(200)
  return response.text()
}

async function saveNamed(base: Base, name: string, versionName: string): Promise<VersionJson> {
  const response = await call(versionsUrl(base, name), { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: versionName }) })
  expect(response.status).toBe(201)
  return (await response.json()) as VersionJson
}

/** The stored document as Markdown, once it reads `expected` (every edit committed). */
async function storedAs(base: Base, name: string, expected: string): Promise<void> {
  await waitFor(async () => (await (await call(`${base.url}/api/documents/${encodeURIComponent(name)}?format=markdown`)).text()) === expected, `the document stored as ${JSON.stringify(expected)}`)
}

/** The storage, counting compactions. */
function counting(storage: DocumentStorage): { storage: DocumentStorage; compactions: () => number } {
  let compactions = 0
  return {
    compactions: () => compactions,
    storage: {
      ...storage,
      compact(name, state, head, setAside) {
        compactions++
        return storage.compact(name, state, head, setAside)
      },
    },
  }
}

describe.each([sqlite, postgres])('versions on $name storage', (backend) => {
  it('survive compaction of the log and a new relay on the same storage', async () => {
    const { storage, compactions } = counting(await backend.open())
    const relay = await scope.start({ storage, compactAfterUpdates: 5, versions: { intervalMs: 0 } })
    const base = { url: relay.server.url }
    const editor = scope.client(relay.wsUrl, 'team/log')
    await waitSynced(editor)
    let text = ''
    const type = async (line: string): Promise<void> => {
      text = text ? `${text}\n\n${line}` : line
      editAsEditor(editor, text)
      await storedAs(base, 'team/log', text)
    }
    for (const line of ['one', 'two', 'three']) await type(line)
    const early = await saveNamed(base, 'team/log', 'early')
    const before = compactions()
    for (const line of ['four', 'five', 'six', 'seven', 'eight', 'nine', 'ten', 'eleven']) await type(line)
    await waitFor(() => compactions() > before, 'the log compacts after the version')
    expect((await relay.relay.storage.load('team/log')).updates.length).toBeLessThan(8)
    expect(await versionMarkdown(base, 'team/log', early.id)).toBe('one\n\ntwo\n\nthree')
    scope.release(editor)
    await scope.release(relay)

    const second = await scope.start({ storage: await backend.reopen(), versions: { intervalMs: 0 } })
    const after = { url: second.server.url }
    expect((await versionsOf(after, 'team/log')).map((v) => [v.id, v.name, v.kind])).toEqual([[early.id, 'early', 'named']])
    expect(await versionMarkdown(after, 'team/log', early.id)).toBe('one\n\ntwo\n\nthree')
    expect(await (await call(`${after.url}/api/documents/team%2Flog?format=markdown`)).text()).toBe(text)
  })
})

describe('versions across restarts of the command', () => {
  const dirs: string[] = []
  const running: SpawnedCli[] = []
  const clients: TestClient[] = []
  afterEach(async () => {
    for (const client of clients.splice(0)) client.destroy()
    await Promise.all(running.splice(0).map((cli) => cli.stop()))
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true })
  })
  const start = async (dataDir: string, settleMs: number): Promise<SpawnedCli> => {
    const cli = await spawnCli(['--port', '0', '--data', dataDir, '--version-settle-ms', String(settleMs), '--version-interval-ms', '100'])
    running.push(cli)
    return cli
  }
  const stop = async (cli: SpawnedCli): Promise<void> => {
    running.splice(running.indexOf(cli), 1)
    expect((await cli.stop()).code).toBe(0)
  }
  const editor = async (cli: SpawnedCli, room: string): Promise<TestClient> => {
    const client = connectClient(cli.wsUrl, room)
    clients.push(client)
    await waitSynced(client)
    return client
  }

  it('keeps automatic and named versions on the same SQLite data directory, and saves unversioned edits at shutdown', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'collab-versions-'))
    dirs.push(dataDir)

    // First run: editing settles quickly, so an automatic version is saved; then a named one.
    const first = await start(dataDir, 100)
    const a = await editor(first, 'notes')
    editAsEditor(a, 'first words')
    const auto = (await waitFor(async () => (await versionsOf(first, 'notes')).find((v) => v.kind === 'auto'), 'an automatic version'))!
    const named = await saveNamed(first, 'notes', 'Keep this')
    await stop(first)

    // Second run: editing would settle only after an hour; stopping saves what was typed.
    const second = await start(dataDir, 3_600_000)
    expect((await versionsOf(second, 'notes')).map((v) => v.id)).toEqual([named.id, auto.id])
    expect(await versionMarkdown(second, 'notes', named.id)).toBe('first words')
    const b = await editor(second, 'notes')
    editAsEditor(b, 'second words')
    await storedAs(second, 'notes', 'second words')
    expect(await versionsOf(second, 'notes')).toHaveLength(2)
    await stop(second)

    const third = await start(dataDir, 3_600_000)
    const [atShutdown, ...older] = await versionsOf(third, 'notes')
    expect(older.map((v) => v.id)).toEqual([named.id, auto.id])
    expect(atShutdown.kind).toBe('auto')
    expect(await versionMarkdown(third, 'notes', atShutdown.id)).toBe('second words')
    const c = await editor(third, 'notes')
    expect(markdownOf(c.doc)).toBe('second words')
  })
})
