/**
 * Documents stored by the previous version (rich text in the fragment
 * `prosemirror`, ProseMirror's example names) are converted to Tiptap's
 * format when they load, once. The fixture is a database the previous
 * version wrote (tests/fixtures/legacy-prosemirror/): the real CLI opens a
 * copy of it.
 */
import { copyFileSync, mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import { afterEach, describe, expect, it } from 'vitest'
import * as Y from 'yjs'
import { createMemoryStorage } from '../server/storage/memory.ts'
import { FORMAT_UPGRADE_LABEL } from '../server/relay/format-upgrade.ts'
import type { OriginInfo } from '../server/relay/origin.ts'
import { readProseMirror } from '../shared/convert/yjs.ts'
import { TITLE_NAME } from '../shared/document-title.ts'
import { LEGACY_FRAGMENT_NAME } from '../shared/legacy-format.ts'
import { FRAGMENT_NAME } from '../shared/schema.ts'
import { connectClient, startRelay, waitFor, waitSynced, type TestClient, type TestRelay } from './support/harness.ts'
import { spawnCli, type SpawnedCli } from './support/spawn-cli.ts'

const FIXTURE = new URL('./fixtures/legacy-prosemirror/collab-relay.sqlite', import.meta.url)
const ROOM = 'plans/release'
// (The CLI logs JSON lines: the quotes come escaped.)
const CONVERTED = /document \\?"plans\/release\\?": converted from the previous format/g

const t = (text: string, marks?: unknown[]) => ({ type: 'text', text, ...(marks ? { marks } : {}) })
const p = (...content: unknown[]) => ({ type: 'paragraph', content })
const item = (...content: unknown[]) => ({ type: 'listItem', content })

/** The fixture's content, as Tiptap names it. */
const EXPECTED = {
  type: 'doc',
  content: [
    { type: 'heading', attrs: { level: 1 }, content: [t('Release plan')] },
    p(
      t('Written by the '),
      t('previous', [{ type: 'bold' }]),
      t(' version, with '),
      // The link gets Tiptap's attributes in full: neither editor writes it again.
      t('a link', [{ type: 'link', attrs: { href: 'https://example.com/plan', target: '_blank', rel: 'noopener noreferrer nofollow', class: null, title: null } }]),
      t(', '),
      t('emphasis', [{ type: 'italic' }]),
      t(', '),
      t('strike', [{ type: 'strike' }]),
      t(' and '),
      t('code()', [{ type: 'code' }]),
      t('.'),
    ),
    { type: 'heading', attrs: { level: 2 }, content: [t('Steps')] },
    { type: 'orderedList', attrs: { start: 3, type: null }, content: [item(p(t('Freeze the branch'))), item(p(t('Tag it')), { type: 'bulletList', content: [item(p(t('nested point')))] })] },
    { type: 'bulletList', content: [item(p(t('a bullet')))] },
    { type: 'blockquote', content: [p(t('Quoted'), { type: 'hardBreak' }, t('over two lines'))] },
    { type: 'codeBlock', attrs: { language: null }, content: [t('npm run release\n')] },
    { type: 'horizontalRule' },
    p(t('The end.')),
  ],
}

const EXPECTED_MARKDOWN = [
  '# Release plan',
  'Written by the **previous** version, with [a link](https://example.com/plan), *emphasis*, ~~strike~~ and `code()`.',
  '## Steps',
  '3. Freeze the branch\n4. Tag it\n   - nested point',
  '- a bullet',
  '> Quoted\\\n> over two lines',
  '```\nnpm run release\n\n```',
  '---',
  'The end.',
].join('\n\n')

const clis: SpawnedCli[] = []
const clients: TestClient[] = []
const relays: TestRelay[] = []
afterEach(async () => {
  for (const client of clients.splice(0)) client.destroy()
  await Promise.all(clis.splice(0).map((cli) => cli.stop()))
  await Promise.all(relays.splice(0).map((relay) => relay.close()))
})

async function startCli(dataDir: string): Promise<SpawnedCli> {
  const cli = await spawnCli(['--port', '0', '--data', dataDir])
  clis.push(cli)
  return cli
}

async function markdownOverHttp(cli: SpawnedCli): Promise<string> {
  const response = await fetch(`${cli.url}/api/documents/${encodeURIComponent(ROOM)}?format=markdown`)
  expect(response.status).toBe(200)
  return response.text()
}

/** A stock y-websocket client, synced with the relay. */
async function editor(cli: SpawnedCli): Promise<TestClient> {
  const client = connectClient(cli.wsUrl, ROOM)
  clients.push(client)
  await waitSynced(client)
  return client
}

function storedUpdates(dataDir: string): number {
  const db = new Database(join(dataDir, 'collab-relay.sqlite'), { readonly: true })
  try {
    return (db.prepare('SELECT count(*) AS n FROM updates WHERE doc = ?').get(ROOM) as { n: number }).n
  } finally {
    db.close()
  }
}

describe('documents of the previous format', () => {
  it('are converted on load, once: Tiptap’s names in Tiptap’s fragment, the old one emptied, the title kept', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'collab-legacy-'))
    copyFileSync(FIXTURE, join(dataDir, 'collab-relay.sqlite'))
    const storedBefore = storedUpdates(dataDir)

    const first = await startCli(dataDir)
    // The HTTP API opens it first, with no room loaded: it reads the converted document.
    expect(await markdownOverHttp(first)).toBe(EXPECTED_MARKDOWN)
    const reader = await editor(first)
    expect(readProseMirror(reader.doc).toJSON()).toEqual(EXPECTED)
    expect(reader.doc.getXmlFragment(LEGACY_FRAGMENT_NAME).length).toBe(0)
    expect(reader.doc.getText(TITLE_NAME).toString()).toBe('Release plan, v1 format')
    await waitFor(() => (first.stderr.match(CONVERTED) ?? []).length === 1, 'one line logged for the conversion')
    const stateVector = Y.encodeStateVector(reader.doc)
    reader.destroy()
    expect(await first.stop()).toEqual({ code: 0, signal: null })
    // One update was added: the conversion.
    const storedAfter = storedUpdates(dataDir)
    expect(storedAfter).toBe(storedBefore + 1)

    // A restart loads the converted document and converts nothing again.
    const second = await startCli(dataDir)
    const again = await editor(second)
    expect(readProseMirror(again.doc).toJSON()).toEqual(EXPECTED)
    expect(again.doc.getText(TITLE_NAME).toString()).toBe('Release plan, v1 format')
    expect(await markdownOverHttp(second)).toBe(EXPECTED_MARKDOWN)
    expect(Y.encodeStateVector(again.doc)).toEqual(stateVector)
    again.destroy()
    expect(await second.stop()).toEqual({ code: 0, signal: null })
    expect(second.stderr).not.toMatch(CONVERTED)
    expect(storedUpdates(dataDir)).toBe(storedAfter)
  }, 60_000)

  it('the conversion takes the one way into a document: a server-side change, committed and announced like any', async () => {
    const stored = new Y.Doc()
    Y.applyUpdate(stored, await fixtureState())
    const storage = createMemoryStorage()
    await storage.append(ROOM, [Y.encodeStateAsUpdate(stored)])
    const origins: OriginInfo[] = []
    const relay = await startRelay({ storage, hooks: [{ updateCommitted: ({ name, origin }) => void (name === ROOM && origins.push(origin)) }] })
    relays.push(relay)
    const client = connectClient(relay.wsUrl, ROOM)
    clients.push(client)
    await waitSynced(client)
    expect(readProseMirror(client.doc).toJSON()).toEqual(EXPECTED)
    await waitFor(() => origins.length === 1, 'the conversion committed')
    expect(origins).toEqual([{ kind: 'server', label: FORMAT_UPGRADE_LABEL }])
    // The stored log holds the conversion: it is durable before anyone sees it.
    const log = await storage.load(ROOM)
    expect(log.updates).toHaveLength(2)
    const reloaded = new Y.Doc()
    for (const update of log.updates) Y.applyUpdate(reloaded, update)
    expect(reloaded.getXmlFragment(FRAGMENT_NAME).length).toBe(EXPECTED.content.length)
  })
})

/** The fixture's document as one update, read from the database the previous version wrote. */
async function fixtureState(): Promise<Uint8Array> {
  const db = new Database(FIXTURE.pathname, { readonly: true })
  try {
    const rows = db.prepare('SELECT data FROM updates WHERE doc = ? ORDER BY seq').all(ROOM) as { data: Buffer }[]
    return Y.mergeUpdates(rows.map((row) => new Uint8Array(row.data)))
  } finally {
    db.close()
  }
}
