/**
 * Writes the seed inputs of the protocol fuzz corpus (tests/corpus/*.bin).
 * Run from the repository root: `npx tsx tests/corpus/generate.ts`.
 *
 * Each file is one binary WebSocket frame, replayed by
 * tests/protocol-abuse.test.ts on a fresh socket. The name says what the relay
 * must do with it: `NNN-bad-*` closes with MALFORMED_MESSAGE, `NNN-limit-*`
 * with LIMIT_EXCEEDED, `NNN-ok-*` keeps the connection open (ignored, answered,
 * or cut down to nothing). Inputs found by fuzzing later can
 * be dropped in with any other description; then either outcome is accepted,
 * as long as the server survives. This script only (re)writes its own seeds;
 * append new seeds at the end so existing numbers stay put.
 */
import { mkdirSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import * as encoding from 'lib0/encoding'
import * as Y from 'yjs'
import { encodeAwareness, encodeSyncStep1, encodeUpdate } from '../../shared/protocol.ts'
import * as hostile from '../support/hostile.ts'

/** Concatenate varUints, byte arrays and strings (as varStrings). */
function bytes(...parts: (number | number[] | Uint8Array | string)[]): Uint8Array {
  const encoder = encoding.createEncoder()
  for (const part of parts) {
    if (typeof part === 'number') encoding.writeVarUint(encoder, part)
    else if (typeof part === 'string') encoding.writeVarString(encoder, part)
    else encoding.writeUint8Array(encoder, Uint8Array.from(part))
  }
  return encoding.toUint8Array(encoder)
}

/** A real Yjs update whose ContentString length is replaced by `lie`. */
function updateWithLyingStringLength(lie: number): Uint8Array {
  const doc = new Y.Doc()
  doc.clientID = 1
  doc.getText('text').insert(0, 'corpus')
  const update = Y.encodeStateAsUpdate(doc)
  const at = Buffer.from(update).indexOf('corpus')
  if (at < 1 || update[at - 1] !== 6) throw new Error('unexpected update layout')
  return bytes(update.subarray(0, at - 1), lie, update.subarray(at))
}

const SYNC = 0
const AWARENESS = 1
const AUTH = 2
const QUERY = 3
const STEP1 = 0
const STEP2 = 1
const UPDATE = 2

const corpus: Record<string, Uint8Array> = {
  'bad-sync-step1-length-2pow31': bytes(SYNC, STEP1, 2 ** 31, [1, 2, 3]),
  'bad-sync-update-length-max-safe-integer': bytes(SYNC, UPDATE, Number.MAX_SAFE_INTEGER, [0, 0]),
  'bad-type-varuint-past-2pow53': Uint8Array.of(0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f),
  'bad-awareness-count-2pow31': encodeAwareness(bytes(2 ** 31, 1, 1, '{}')),
  'bad-awareness-state-length-2pow31': encodeAwareness(bytes(1, 1, 1, 2 ** 31, [0x7b, 0x7d])),
  'bad-awareness-invalid-json': encodeAwareness(bytes(1, 77, 1, '{"user":')),
  'bad-auth-reason-length-2pow31': bytes(AUTH, 0, 2 ** 31, [0x61, 0x62]),
  'bad-yjs-update-string-length-lie': encodeUpdate(updateWithLyingStringLength(2 ** 31)),
  'bad-yjs-update-struct-count-2pow31': encodeUpdate(bytes(1, 2 ** 31, 1, 0)),
  'bad-yjs-state-vector-count-lie': encodeSyncStep1(bytes(2 ** 32 - 1, 1, 0)),
  'bad-query-awareness-trailing-byte': bytes(QUERY, 0),
  'bad-sync-unknown-step-3': bytes(SYNC, 3, 0),
  'bad-sync-step2-truncated-length': Uint8Array.of(SYNC, STEP2, 0x80),
  'ok-unknown-type-2pow40-with-payload': bytes(2 ** 40, [0xff, 0xff, 0xff, 0x00]),
  'ok-non-minimal-varuint-sync-step1': Uint8Array.of(0x80, 0x00, 0x80, 0x00, 0x01, 0x00),
  'ok-auth-permission-denied-from-client': bytes(AUTH, 0, 'let me in'),
  'ok-empty-yjs-update': encodeUpdate(Uint8Array.of(0, 0)),
  // One byte of a real update changed (Y.Array item's parent ID). Y.decodeUpdate
  // accepts it, Y.applyUpdate throws "Cannot read properties of undefined".
  'bad-yjs-update-decodes-but-cannot-apply': encodeUpdate(Buffer.from('0102070007010466757a7a0204000751017800', 'hex')),
  // The hostile-updates report (tests/support/hostile.ts), at corpus size.
  'limit-yjs-update-map-nested-200-deep': encodeUpdate(hostile.deepMapNest({ depth: 200, client: 1 })),
  'ok-yjs-update-deletes-nest-root-it-never-had': encodeUpdate(hostile.deleteNestRoot()),
  'ok-yjs-update-deletes-for-unknown-clients': encodeUpdate(hostile.unknownClientDeletes({ clients: 50 })),
  'bad-yjs-update-descending-deletes': encodeUpdate(hostile.descendingOneCharDeletes({ ranges: 50 })),
  'bad-yjs-update-zero-length-gc-structs': encodeUpdate(hostile.zeroLengthGcStructs({ structs: 50 })),
  'bad-yjs-update-empty-clients': encodeUpdate(hostile.emptyClients({ clients: 50 })),
  'bad-yjs-update-zero-length-string-items': encodeUpdate(hostile.zeroLengthItems({ items: 20 })),
  'bad-yjs-update-zero-length-any-items': encodeUpdate(hostile.zeroLengthItems({ items: 20, content: 'any' })),
  'ok-yjs-update-skip-structs': encodeUpdate(hostile.skipStructs({ skips: 5 })),
  'ok-yjs-update-after-a-struct-the-document-lacks': encodeUpdate(hostile.forwardReference({ items: 3 })),
  'limit-sync-step1-2000-clients': encodeSyncStep1(hostile.hugeStateVector({ clients: 2_000, firstClient: 1 })),
  'limit-awareness-state-9-kib': encodeAwareness(hostile.largeAwarenessState({ bytes: 9 * 1024 })),
}

const dir = dirname(fileURLToPath(import.meta.url))
mkdirSync(dir, { recursive: true })
Object.entries(corpus).forEach(([description, frame], index) => {
  if (frame.byteLength >= 16 * 1024) throw new Error(`${description}: corpus inputs must stay under 16 KiB`)
  const name = `${String(index + 1).padStart(3, '0')}-${description}.bin`
  writeFileSync(join(dir, name), frame)
  console.log(`${name} (${frame.byteLength} bytes)`)
})
