/**
 * The editing trace the benchmarks replay: the real automerge-paper trace
 * when the data folder beside the checkout has it, else a seeded synthetic
 * trace of the same shape (single-character inserts and deletes around a
 * moving cursor). The real trace is read in place, never copied in.
 */
import { existsSync, readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { gunzipSync } from 'node:zlib'
import * as Y from 'yjs'
import { createRandom } from '../tests/support/random.ts'

/**
 * `[position, deleteCount, insertString]`, positions in code points. Y.Text
 * counts UTF-16 units; both traces are ASCII, where the two agree.
 */
export type Patch = [number, number, string]

export interface Trace {
  /** 'automerge-paper' or 'synthetic (seed N)'. */
  source: string
  /** Attribution to print wherever results from the trace are shown; null for the synthetic one. */
  credit: string | null
  /** One entry per transaction. */
  txns: Patch[][]
  /** Where it came from, for the notes. */
  note: string
}

export const TRACE_CREDIT = 'automerge-paper trace by Martin Kleppmann, CC-BY 4.0'

/** `../shared/data/` relative to the repository root (BENCH_TRACE overrides). */
export const DEFAULT_TRACE_PATH = fileURLToPath(new URL('../../shared/data/automerge-paper.json.gz', import.meta.url))

/** The real trace's shape, which the synthetic one copies. */
const SYNTHETIC_TXNS = 259_778
const SYNTHETIC_INSERT_SHARE = 182_315 / 259_778
const SYNTHETIC_SEED = 20_160_811

export function loadTrace(path = process.env.BENCH_TRACE || DEFAULT_TRACE_PATH): Trace {
  if (existsSync(path)) {
    const parsed = JSON.parse(gunzipSync(readFileSync(path)).toString('utf8')) as { txns: { patches: Patch[] }[] }
    return {
      source: 'automerge-paper',
      credit: TRACE_CREDIT,
      txns: parsed.txns.map((txn) => txn.patches),
      note: `real editing trace read from ${path}`,
    }
  }
  return {
    source: `synthetic (seed ${SYNTHETIC_SEED})`,
    credit: null,
    txns: syntheticTxns(SYNTHETIC_SEED),
    note: `${path} not found: using a seeded synthetic trace of the same shape instead`,
  }
}

/** Typing with occasional jumps and backspaces: the locality real editing has. */
function syntheticTxns(seed: number): Patch[][] {
  const random = createRandom(seed)
  const letters = 'abcdefghijklmnopqrstuvwxyz      .,\n'
  const txns: Patch[][] = []
  let length = 0
  let cursor = 0
  for (let i = 0; i < SYNTHETIC_TXNS; i++) {
    if (random() < 0.02) cursor = Math.floor(random() * (length + 1))
    if (length === 0 || cursor === 0 || random() < SYNTHETIC_INSERT_SHARE) {
      txns.push([[cursor, 0, letters[Math.floor(random() * letters.length)]]])
      cursor++
      length++
    } else {
      cursor--
      length--
      txns.push([[cursor, 1, '']])
    }
  }
  return txns
}

export interface Replayed {
  /** One Yjs update (V1) per transaction, in order. */
  updates: Uint8Array[]
  /** The text after the replayed transactions. */
  text: string
  /** The whole document as one update: what compaction stores. */
  state: Uint8Array
}

/** Replay the first `count` transactions into a `Y.Text` named 'text', capturing each update. */
export function replay(trace: Trace, count = trace.txns.length): Replayed {
  const doc = new Y.Doc()
  const text = doc.getText('text')
  const updates: Uint8Array[] = []
  doc.on('update', (update: Uint8Array) => updates.push(update))
  for (const patches of trace.txns.slice(0, count)) {
    doc.transact(() => {
      for (const [position, deleteCount, insert] of patches) {
        if (deleteCount > 0) text.delete(position, deleteCount)
        if (insert) text.insert(position, insert)
      }
    })
  }
  const result = { updates, text: text.toString(), state: Y.encodeStateAsUpdate(doc) }
  doc.destroy()
  return result
}
