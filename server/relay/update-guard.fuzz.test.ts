/**
 * Structure-aware fuzzing of the guard: honest editing updates, bent by
 * tests/support/update-mutator.ts, offered to a relay document the way the
 * room does (guard, store, apply, check the placement). Whatever is stored
 * and applied must leave no pending state; when applying breaks the
 * document, the room reloads from what was stored, and that load must set
 * the culprit aside. Peers must converge with the relay afterwards. CI runs
 * a few hundred mutants; FUZZ_ROUNDS=N runs more (e.g. 20000).
 */
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import * as Y from 'yjs'
import { createRandom, testSeed } from '../../tests/support/harness.ts'
import { mutateUpdate } from '../../tests/support/update-mutator.ts'
import { createMemoryStorage } from '../storage/memory.ts'
import { misplacedItem } from './integration-check.ts'
import { DEFAULT_LIMITS } from './limits.ts'
import { loadDocument } from './room-load.ts'
import { guardUpdate } from './update-guard.ts'
import { UpdateRefused } from './update-parse.ts'

const ROUNDS = Number(process.env.FUZZ_ROUNDS ?? 400)
/** Client IDs the hostile peer writes as (see `mutateUpdate`). */
const ATTACKERS = [666, 667]
const limits = { ...DEFAULT_LIMITS, partBudget: 50 }
const quiet = { info() {}, warn() {}, error() {} }

/** A relay document with its stored log, as a room has them. */
interface Relay {
  doc: Y.Doc
  log: Uint8Array[]
  resets: number
}

/** Write the document before the update, and the update, to test-results/ for replaying. */
function keepCase(before: Uint8Array, update: Uint8Array): string {
  const dir = join(fileURLToPath(new URL('../../test-results/', import.meta.url)), 'guard-fuzz')
  mkdirSync(dir, { recursive: true })
  const file = join(dir, `case-${Date.now()}.json`)
  const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex')
  writeFileSync(file, JSON.stringify({ documentBefore: hex(before), update: hex(update) }))
  return file
}

/** Offer an update as a room does. Returns true, or why the guard refused it. */
async function offer(relay: Relay, update: Uint8Array, context: string): Promise<true | string> {
  let result
  try {
    result = guardUpdate(relay.doc, null, update, limits)
  } catch (error) {
    if (error instanceof UpdateRefused) return error.message
    throw new Error(`${context}: the guard threw ${String(error)}; the case is in ${keepCase(Y.encodeStateAsUpdate(relay.doc), update)}`)
  }
  for (const part of result.parts) {
    relay.log.push(part.update) // stored before it is applied
    let problem: string | null
    try {
      Y.applyUpdate(relay.doc, part.update)
      problem = misplacedItem(relay.doc, part.checks)
    } catch (error) {
      problem = String(error)
    }
    if (problem !== null) {
      // The room reloads from storage; the load must set the culprit aside and open.
      const storage = createMemoryStorage()
      await storage.append('doc', relay.log)
      const loaded = await loadDocument('doc', storage, DEFAULT_LIMITS, quiet)
      expect(loaded.setAside.length, `${context}: the reload set nothing aside after: ${problem}`).toBeGreaterThan(0)
      relay.doc = loaded.doc
      relay.log = [Y.encodeStateAsUpdate(loaded.doc)]
      relay.resets++
      return true
    }
    expect(relay.doc.store.pendingStructs, context).toBeNull()
    expect(relay.doc.store.pendingDs, context).toBeNull()
  }
  return true
}

describe('guard fuzz', () => {
  it(`${ROUNDS} structural mutants: nothing stored breaks a load, nothing stays pending, and peers still converge`, { timeout: 300_000 }, async () => {
    await fuzz({ lies: false })
  })

  // Items that lie about their neighbours may lead peers to different orders
  // (no relay can tell such a lie from concurrent editing, see `placeItem`):
  // convergence is not asserted here, everything else is.
  it(`${ROUNDS} mutants that also lie about neighbours: nothing breaks, nothing stays pending, no honest update refused`, { timeout: 300_000 }, async () => {
    await fuzz({ lies: true })
  })
})

async function fuzz(options: { lies: boolean }): Promise<void> {
  {
    const seed = testSeed(`guard fuzz${options.lies ? ', lies' : ''}`)
    const random = createRandom(seed)
    const outcomes = { refused: 0, accepted: 0 }
    const relay: Relay = { doc: new Y.Doc(), log: [], resets: 0 }
    let round = 0
    while (round < ROUNDS) {
      // Fresh peers every so often, so that mutants meet varied documents.
      relay.doc = new Y.Doc()
      relay.log = []
      // Seeded client IDs: Yjs orders clients by ID, so the outcome depends on them.
      const peers = [new Y.Doc(), new Y.Doc()]
      for (const peer of peers) peer.clientID = 1 + Math.floor(random() * 2 ** 30)
      const outbox: Uint8Array[] = []
      peers.forEach((peer) => peer.on('update', (update: Uint8Array) => outbox.push(update)))
      for (let step = 0; step < 40 && round < ROUNDS; step++) {
        const peer = peers[Math.floor(random() * peers.length)]
        const text = peer.getText('t')
        if (text.length > 3 && random() < 0.3) text.delete(Math.floor(random() * (text.length - 2)), 1 + Math.floor(random() * 2))
        else if (random() < 0.2) peer.getMap('m').set(`k${Math.floor(random() * 5)}`, new Y.Map())
        else text.insert(Math.floor(random() * (text.length + 1)), 'abc'.slice(0, 1 + Math.floor(random() * 3)))
        // Honest updates go in as they are; a mutant of each goes in too.
        for (const update of outbox.splice(0)) {
          const attacker = ATTACKERS[Math.floor(random() * ATTACKERS.length)]
          const mutant = mutateUpdate(update, random, [...relay.doc.store.clients.keys()], { client: attacker, clock: Y.getState(relay.doc.store, attacker) }, options)
          const context = `seed ${seed}, round ${round}`
          // An honest update must never be refused (it may be cut: the peer resends at its next sync).
          const honest = await offer(relay, update, context)
          if (honest !== true) throw new Error(`${context}: an honest update was refused (${honest}); the case is in ${keepCase(Y.encodeStateAsUpdate(relay.doc), update)}`)
          if ((await offer(relay, mutant.update, `${context}, mutation: ${mutant.did.join('; ')}`)) === true) outcomes.accepted++
          else outcomes.refused++
          round++
        }
        // Now and then the peers sync with the relay, as a reconnect would.
        if (random() < 0.2) {
          for (const peer of peers) {
            await offer(relay, Y.encodeStateAsUpdate(peer, Y.encodeStateVector(relay.doc)), `seed ${seed}, sync`)
            Y.applyUpdate(peer, Y.encodeStateAsUpdate(relay.doc, Y.encodeStateVector(peer)))
          }
        }
      }
      // Every honest peer's full state, then everyone takes the relay's.
      for (const peer of peers) await offer(relay, Y.encodeStateAsUpdate(peer), `seed ${seed}, final sync`)
      for (const peer of peers) Y.applyUpdate(peer, Y.encodeStateAsUpdate(relay.doc))
      if (!options.lies) {
        for (const peer of peers) expect(peer.getText('t').toString(), `seed ${seed}: a peer differs from the relay`).toBe(relay.doc.getText('t').toString())
      }
    }
    console.log(`[guard fuzz${options.lies ? ', lies' : ''}] ${ROUNDS} mutants: ${outcomes.refused} refused, ${outcomes.accepted} accepted; ${relay.resets} room reloads`)
    expect(outcomes.refused).toBeGreaterThan(0)
    expect(outcomes.accepted).toBeGreaterThan(0)
  }
}
