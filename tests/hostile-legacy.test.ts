/**
 * A document damaged by the deep-nest attack under the previous version must
 * open again with its honest content. That version stored every update it
 * received before applying it, so its SQLite file (schema 1) holds: honest
 * edits, the 533 KB nest, more honest edits, and the 8-byte deletion of the
 * nest's root that overflowed Yjs's stack; every join was closed with 4503
 * from then on. The file is written here exactly as it left it.
 */
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import { describe, expect, it } from 'vitest'
import * as Y from 'yjs'
import { createSqliteStorage } from '../server/storage/sqlite.ts'
import { connectClient, waitSynced } from './support/harness.ts'
import { deepMapNest, deleteNestRoot } from './support/hostile.ts'
import { spawnCli } from './support/spawn-cli.ts'

const ROOM = 'team/damaged'

/** Honest edits as a stock client sends them: one update per transaction. */
function honestUpdates(text: string, clientID: number, after?: Y.Doc): { doc: Y.Doc; updates: Uint8Array[] } {
  const doc = after ?? new Y.Doc()
  doc.clientID = clientID
  const updates: Uint8Array[] = []
  const record = (update: Uint8Array): void => {
    updates.push(update)
  }
  doc.on('update', record)
  for (const char of text) doc.getText('text').insert(doc.getText('text').length, char)
  doc.off('update', record)
  return { doc, updates }
}

describe('a document stored by the previous version after the deep-nest attack', () => {
  it('opens with its honest text; the nest and the deletion are quarantined with their reasons', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'collab-legacy-'))
    const file = join(dataDir, 'collab-relay.sqlite')
    const before = honestUpdates('honest before. ', 11)
    const after = honestUpdates('honest after.', 11, before.doc)
    const nest = deepMapNest({ depth: 50_000 })
    const killer = deleteNestRoot()
    expect(nest.byteLength).toBe(533_496)
    expect(killer.byteLength).toBe(8)
    // What applying the log did to the previous version: the stack overflows.
    const replay = new Y.Doc()
    expect(() => {
      for (const update of [...before.updates, nest, ...after.updates, killer]) Y.applyUpdate(replay, update)
    }).toThrow(RangeError)

    const old = new Database(file)
    old.exec(`
      CREATE TABLE updates (seq INTEGER PRIMARY KEY AUTOINCREMENT, doc TEXT NOT NULL, data BLOB NOT NULL);
      CREATE INDEX updates_by_doc ON updates (doc, seq);
    `)
    const insert = old.prepare('INSERT INTO updates (doc, data) VALUES (?, ?)')
    for (const update of [...before.updates, nest, ...after.updates, killer]) insert.run(ROOM, Buffer.from(update))
    old.pragma('user_version = 1')
    old.close()

    const cli = await spawnCli(['--port', '0', '--data', dataDir])
    const reader = connectClient(cli.wsUrl, ROOM)
    try {
      await waitSynced(reader, 15_000)
      expect(reader.text.toString()).toBe('honest before. honest after.')
      expect(reader.doc.getMap('nest').size).toBe(0)
      // Still editable: the edit is stored (SIGTERM flushes it; checked in the file below).
      reader.text.insert(reader.text.length, ' And more.')
      expect(cli.stderr).toMatch(/set a stored update aside \(refused: types nested deeper than 128\)/)
    } finally {
      reader.destroy()
      expect(await cli.stop('SIGTERM')).toEqual({ code: 0, signal: null })
    }

    const storage = createSqliteStorage({ file })
    try {
      const quarantined = await storage.quarantined(ROOM)
      expect(quarantined.map((entry) => entry.reason)).toEqual([
        'refused: types nested deeper than 128',
        'depends on content the document does not have',
      ])
      expect(quarantined.map((entry) => entry.update.byteLength)).toEqual([nest.byteLength, killer.byteLength])
      // The log no longer holds them: the next load has nothing to set aside.
      const stored = await storage.load(ROOM)
      const doc = new Y.Doc()
      for (const update of stored.updates) Y.applyUpdate(doc, update)
      expect(doc.getText('text').toString()).toBe('honest before. honest after. And more.')
      expect(stored.bytes).toBeLessThan(nest.byteLength)
    } finally {
      await storage.close()
    }
  })
})
