import * as Y from 'yjs'
import type { DocumentStorage, SetAsideUpdate, StoredDocument } from '../storage/types.ts'
import { loadLimits, type RelayLimits } from './limits.ts'
import type { RelayLogger } from './relay-socket.ts'
import { misplacedItem } from './integration-check.ts'
import { LogReplay } from './log-replay.ts'
import { guardUpdate } from './update-guard.ts'
import { UpdateRefused } from './update-parse.ts'
import { createYielder } from './yielder.ts'

/** A document as loaded from storage. */
export interface LoadedDocument {
  doc: Y.Doc
  head: number
  count: number
  bytes: number
  /** Stored updates that could not be applied, with why; the caller quarantines them. */
  setAside: SetAsideUpdate[]
  /** What was deleted under the name (`StoredDocument.deleted`). */
  deleted?: Uint8Array
}

const DEPENDS_ON_MISSING = 'depends on content the document does not have'

/**
 * Load a document, never letting a stored update make it unreachable.
 *
 * First the quick way (`LogReplay`): the log applied as it is, part by
 * part while storage reads the rest, and the result checked for everything
 * the guard stops. Only when that finds something does the careful way
 * below run, which finds the culprits.
 *
 * There every stored update passes the same guard as a live one (without the size
 * limits: it was accepted once). One the guard refuses, or Yjs throws on, is
 * set aside with the reason and the document opens without it. What depends
 * on content not yet loaded is tried again once the whole log is in (a log
 * written before the guard existed may hold updates in any order); what still
 * cannot be applied then is set aside too. Nothing is left to Yjs's pending
 * state. The work yields to the event loop between slices, so loading a long
 * log does not stall other documents.
 */
export async function loadDocument(name: string, storage: DocumentStorage, limits: RelayLimits, logger: RelayLogger): Promise<LoadedDocument> {
  let replay = new LogReplay(limits)
  let stored: StoredDocument
  try {
    stored = await storage.load(name, (part) => replay.push(part))
  } catch (error) {
    replay.abandon()
    throw error
  }
  // A storage that handed over no parts (or, against its contract, not all of them): the whole log now.
  if (replay.pushed !== stored.updates.length) {
    replay.abandon()
    replay = new LogReplay(limits)
    replay.push(stored.updates)
  }
  const quick = await replay.finish()
  const deleted = stored.deleted ? { deleted: stored.deleted } : {}
  if (quick) return { doc: quick, head: stored.head, count: stored.updates.length, bytes: stored.bytes, setAside: [], ...deleted }
  const guardLimits = loadLimits(limits)
  // Updates Yjs threw on: the document is rebuilt without them (a throw may leave it half-changed).
  const broken = new Set<number>()
  // Each slice of the log is applied in one transaction: Yjs's end-of-transaction
  // work (merging structs, observers) then runs once a slice rather than once an
  // update, which made loading a long log several times slower than applying
  // it. Should that work itself throw, the load starts over an update a transaction.
  let oneTransactionPerSlice = true
  for (;;) {
    const doc = new Y.Doc({ gc: true })
    const setAside: SetAsideUpdate[] = []
    const deferred: number[] = []
    const yielder = createYielder()
    let failedAt = -1
    const apply = (index: number): 'applied' | 'cut' | 'refused' | 'threw' => {
      let result
      try {
        result = guardUpdate(doc, null, stored.updates[index], guardLimits)
      } catch (error) {
        if (!(error instanceof UpdateRefused)) throw error
        setAside.push({ update: stored.updates[index], reason: `refused: ${error.message}` })
        return 'refused'
      }
      for (const part of result.parts) {
        try {
          Y.applyUpdate(doc, part.update)
          if (part.checks.length > 0 && misplacedItem(doc, part.checks) !== null) return 'threw'
        } catch {
          return 'threw'
        }
      }
      return result.cut ? 'cut' : 'applied'
    }
    const applySlice = (from: number): number => {
      let index = from
      for (; index < stored.updates.length && failedAt < 0; index++) {
        if (broken.has(index)) continue
        const outcome = apply(index)
        if (outcome === 'threw') failedAt = index
        else if (outcome === 'cut') deferred.push(index)
        if (yielder.due) return index + 1
      }
      return index
    }
    let cleanupThrew = false
    for (let index = 0; index < stored.updates.length && failedAt < 0; ) {
      if (!oneTransactionPerSlice) {
        index = applySlice(index)
      } else {
        let next = -1
        try {
          Y.transact(doc, () => {
            next = applySlice(index)
          })
        } catch (error) {
          // A throw from the slice itself is not Yjs's cleanup: it goes on up, as before.
          if (next < 0) throw error
          cleanupThrew = true
          break
        }
        index = next
      }
      await yielder.maybeYield()
    }
    if (cleanupThrew) {
      logger.warn(`document "${name}": applying its log in slices made Yjs throw; loading again an update at a time`)
      oneTransactionPerSlice = false
      doc.destroy()
      continue
    }
    // What waited for later content: try again while anything moves.
    for (let progress = true; progress && deferred.length > 0 && failedAt < 0; ) {
      progress = false
      const before = Y.encodeStateVector(doc)
      for (let i = 0; i < deferred.length && failedAt < 0; i++) {
        const outcome = apply(deferred[i])
        if (outcome === 'threw') failedAt = deferred[i]
        else if (outcome !== 'cut') deferred.splice(i--, 1)
        await yielder.maybeYield()
      }
      progress = !equalBytes(before, Y.encodeStateVector(doc))
    }
    if (failedAt >= 0) {
      logger.warn(`document "${name}": a stored update made Yjs throw; loading again without it`)
      broken.add(failedAt)
      doc.destroy()
      continue
    }
    for (const index of deferred) setAside.push({ update: stored.updates[index], reason: DEPENDS_ON_MISSING })
    for (const index of broken) setAside.push({ update: stored.updates[index], reason: 'applying it broke the document (Yjs threw, or placed an item outside its neighbours)' })
    // Nothing stays pending: the guard cut it off. Should Yjs disagree, its pending state is dropped here rather than taxing every later update.
    if (doc.store.pendingStructs || doc.store.pendingDs) {
      logger.error(`document "${name}": Yjs kept pending state the guard did not foresee; dropping it`)
      doc.store.pendingStructs = null
      doc.store.pendingDs = null
    }
    return { doc, head: stored.head, count: stored.updates.length, bytes: stored.bytes, setAside, ...deleted }
  }
}

function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.byteLength !== b.byteLength) return false
  for (let i = 0; i < a.byteLength; i++) if (a[i] !== b[i]) return false
  return true
}
