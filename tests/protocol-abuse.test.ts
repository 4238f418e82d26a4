/**
 * Protocol abuse: raw sockets send garbage into a room while stock clients
 * edit it. Every bad frame must cost only its own connection (1007 and
 * friends, PROTOCOL.md "Close codes"), never the process, the room or the
 * honest clients' documents.
 */
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import * as encoding from 'lib0/encoding'
import { describe, expect, it } from 'vitest'
import * as Y from 'yjs'
import { encodeAwarenessUpdate } from '../shared/awareness-codec.ts'
import { CloseCode } from '../shared/close-codes.ts'
import {
  MessageType,
  SyncStep,
  decodeClientFrame,
  encodeAwareness,
  encodeSyncStep1,
  encodeSyncStep2,
  encodeUpdate,
} from '../shared/protocol.ts'
import { createRandom, testSeed, useRelayScope, waitFor, waitSynced } from './support/harness.ts'
import { mutateUpdate } from './support/update-mutator.ts'

const MAX_PAYLOAD_BYTES = 64 * 1024
/**
 * Every attack opens its own socket, all from 127.0.0.1: well past the
 * per-address upgrade limit (120 a minute), which would refuse them before
 * their frames arrive. These tests are about frames, so that limit is off.
 */
const ATTACK_RELAY = { maxPayloadBytes: MAX_PAYLOAD_BYTES, maxUpgradesPerIpPerMinute: 0 }
/** Honest clients type only these; anything else in a document came from an attacker. */
const HONEST_TEXT = /^[a-z]*$/
const CORPUS_DIR = join(import.meta.dirname, 'corpus')
/** Structure-aware mutants per run; FUZZ_ROUNDS=N for a longer session. */
const STRUCTURAL_MUTANTS = Number(process.env.FUZZ_ROUNDS ?? 300)
/** "Send me everything": the relay answers with a sync step 2 while the connection is usable. */
const PROBE = encodeSyncStep1(Y.encodeStateVector(new Y.Doc()))

const scope = useRelayScope()
const { start, raw, release } = scope

/** What the relay must do with a frame: keep the connection, close it with a code, or either. */
type Expectation = 'open' | number | 'either'
interface AttackFrame {
  label: string
  frame: Uint8Array | string
  expect: Expectation
}
type Outcome = 'open' | number

const isStep2 = (frame: Uint8Array): boolean => frame[0] === MessageType.SYNC && frame[1] === SyncStep.STEP2
const hex = (frame: Uint8Array | string): string =>
  typeof frame === 'string' ? JSON.stringify(frame) : Buffer.from(frame.subarray(0, 48)).toString('hex')

/** Concatenate varUints and byte arrays. */
function bytes(...parts: (number | ArrayLike<number>)[]): Uint8Array {
  const encoder = encoding.createEncoder()
  for (const part of parts) {
    if (typeof part === 'number') encoding.writeVarUint(encoder, part)
    else encoding.writeUint8Array(encoder, Uint8Array.from(part))
  }
  return encoding.toUint8Array(encoder)
}

/**
 * Send one frame on a fresh socket, then a probe. The relay handles a
 * connection's frames in order, so an answer to the probe means the frame
 * left the connection usable; otherwise the socket gets closed.
 */
async function attack(room: string, frame: Uint8Array | string): Promise<Outcome> {
  const socket = await raw(scope.relay.wsUrl, room)
  try {
    socket.send(frame)
    socket.send(PROBE)
    await waitFor(() => socket.closeCode !== null || socket.received.some(isStep2), 'attacker answered or closed')
    if (socket.closeCode !== null) return socket.closeCode
    // Answered, then closed: the update failed the check after it was applied (see `misplacedItem`).
    if (socket.ws.readyState !== socket.ws.OPEN) return await socket.closed
    socket.ws.close()
    await socket.closed
    return 'open'
  } finally {
    // Closed by now on every path that returns: terminating is a no-op then.
    release(socket)
  }
}

/** Run attacks `lanes` at a time; `between` runs after each (honest edits). */
async function runAttacks(room: string, attacks: AttackFrame[], lanes: number, between: (lane: number) => void) {
  const outcomes: Outcome[] = new Array(attacks.length)
  let next = 0
  await Promise.all(
    Array.from({ length: lanes }, async (_, lane) => {
      while (next < attacks.length) {
        const index = next++
        outcomes[index] = await attack(room, attacks[index].frame)
        between(lane)
      }
    }),
  )
  return outcomes
}

function mismatches(attacks: AttackFrame[], outcomes: Outcome[]): string[] {
  return attacks.flatMap((attack, i) => {
    const got = outcomes[i]
    // Either: kept, or refused as malformed or over a limit.
    const ok = attack.expect === 'either' ? got === 'open' || got === CloseCode.MALFORMED_MESSAGE.code || got === CloseCode.LIMIT_EXCEEDED.code : got === attack.expect
    return ok ? [] : [`${attack.label} [${hex(attack.frame)}]: expected ${attack.expect}, got ${got}`]
  })
}

/** Seeded garbage, biased towards frames that get past the type byte. */
function randomFrames(random: () => number, count: number): AttackFrame[] {
  const int = (n: number): number => Math.floor(random() * n)
  const pick = <T>(items: readonly T[]): T => items[int(items.length)]
  const noise = (max: number): number[] => Array.from({ length: int(max + 1) }, () => int(256))
  const frames: AttackFrame[] = []
  const base = richUpdate(random)
  for (let i = 0; i < count; i++) {
    if (random() < 0.25) {
      // A real update, a few bytes mutated, in a valid envelope: this gets
      // past the frame decoder and into Yjs. Whatever Yjs accepts is relayed.
      const payload = [...base]
      for (let n = 1 + int(3); n > 0; n--) {
        const at = int(payload.length)
        const op = int(3)
        if (op === 0) payload[at] = int(256)
        else if (op === 1) payload.splice(at, 0, int(256))
        else payload.splice(at, 1 + int(4))
      }
      const step = pick([SyncStep.STEP2, SyncStep.UPDATE])
      const frame = bytes(MessageType.SYNC, step, payload.length, payload)
      frames.push({ label: `mutated update #${i}`, frame, expect: 'either' })
      continue
    }
    if (random() < 0.3) {
      const frame = Uint8Array.from([int(256), ...noise(63)])
      // A one-byte type of 4..127 is an unknown type: ignored whatever follows.
      const first = frame[0]
      let expectation: Expectation = 'either'
      if (first >= 4 && first < 128) expectation = 'open'
      if (first === MessageType.QUERY_AWARENESS && frame.length > 1) expectation = CloseCode.MALFORMED_MESSAGE.code
      frames.push({ label: `noise #${i}`, frame, expect: expectation })
      continue
    }
    const { SYNC, AWARENESS, AUTH } = MessageType
    const type = pick([SYNC, SYNC, SYNC, AWARENESS, AWARENESS, AUTH])
    const head: number[] = []
    if (type === SYNC) head.push(pick([SyncStep.STEP1, SyncStep.STEP2, SyncStep.UPDATE, SyncStep.UPDATE, int(1000)]))
    if (type === AUTH) head.push(pick([0, 0, 1]))
    const body = noise(48)
    const lie = random()
    let length = body.length
    let expectation: Expectation = 'either'
    if (lie < 0.2) [length, expectation] = [body.length + 1 + int(1000), CloseCode.MALFORMED_MESSAGE.code]
    else if (lie < 0.3 && body.length > 0) [length, expectation] = [int(body.length), CloseCode.MALFORMED_MESSAGE.code]
    else if (lie < 0.4) [length, expectation] = [pick([2 ** 31, 2 ** 32 + 1, 2 ** 53 - 1]), CloseCode.MALFORMED_MESSAGE.code]
    const frame = bytes(type, ...head, length, body)
    frames.push({ label: `structured #${i} type ${type}`, frame, expect: expectation })
  }
  return frames
}

/**
 * Valid updates bent structure-aware (tests/support/update-mutator.ts):
 * clocks, counts, lengths, references, nests, skips, delete sets. Each as a
 * stranger of its own, on the fuzz root types, so they meet the guard in
 * every shape without touching the honest text.
 */
function structuralMutants(random: () => number, count: number): AttackFrame[] {
  const frames: AttackFrame[] = []
  for (let i = 0; i < count; i++) {
    const attacker = { client: 10_000_000 + Math.floor(random() * 2 ** 30), clock: 0 }
    const { update, did } = mutateUpdate(richUpdate(random), random, [], attacker, { lies: true })
    const frame = random() < 0.5 ? encodeUpdate(update) : encodeSyncStep2(update)
    frames.push({ label: `structural mutant #${i} (${did.join('; ')})`, frame, expect: 'either' })
  }
  return frames
}

/** An update from a stranger whose text is uppercase, so a leak would show in HONEST_TEXT. */
function strangerUpdate(random: () => number, text: string): Uint8Array {
  const doc = new Y.Doc()
  doc.clientID = 1 + Math.floor(random() * 2 ** 31)
  doc.getText('text').insert(0, text)
  return Y.encodeStateAsUpdate(doc)
}

/**
 * A stranger's update with every kind of content, on root types the honest
 * clients do not use, so that accepted mutants cannot collide with them.
 */
function richUpdate(random: () => number): Uint8Array {
  const doc = new Y.Doc()
  doc.clientID = 1 + Math.floor(random() * 2 ** 31)
  const text = doc.getText('fuzz-text')
  text.insert(0, 'MUTANT TEXT')
  text.format(0, 6, { bold: true })
  text.delete(2, 3)
  const map = doc.getMap('fuzz-map')
  map.set('number', 42)
  map.set('nested', new Y.Map([['deep', ['list', 1, null]]]))
  map.set('bytes', Uint8Array.of(1, 2, 3))
  map.delete('number')
  const array = doc.getArray<unknown>('fuzz-array')
  array.push([1, 'two', { three: 3 }, new Y.Text('inner')])
  doc.getXmlFragment('fuzz-xml').push([new Y.XmlElement('p')])
  return Y.encodeStateAsUpdate(doc)
}

/** Random bytes that Yjs itself refuses to decode as an update. */
function undecodableUpdate(random: () => number, length: number): Uint8Array {
  for (;;) {
    const candidate = Uint8Array.from({ length }, () => Math.floor(random() * 256))
    try {
      Y.decodeUpdate(candidate)
    } catch {
      return candidate
    }
  }
}

function targetedFrames(random: () => number): AttackFrame[] {
  const MALFORMED = CloseCode.MALFORMED_MESSAGE.code
  const frames: AttackFrame[] = []
  const valid = encodeUpdate(strangerUpdate(random, 'TRUNCATED'.repeat(20)))
  for (let length = 1; length < valid.byteLength; length++) {
    frames.push({ label: `update cut to ${length}/${valid.byteLength}`, frame: valid.slice(0, length), expect: MALFORMED })
  }
  const awareness = encodeAwareness(encodeAwarenessUpdate([{ clientId: 4242, clock: 1, stateJson: '{"user":"TRUNCATED"}' }]))
  for (let length = 1; length < awareness.byteLength; length++) {
    frames.push({ label: `awareness cut to ${length}`, frame: awareness.slice(0, length), expect: MALFORMED })
  }
  for (const huge of [2 ** 31, 2 ** 32 + 1, 2 ** 53 - 1]) {
    for (const step of [SyncStep.STEP1, SyncStep.STEP2, SyncStep.UPDATE]) {
      const frame = bytes(MessageType.SYNC, step, huge, [0, 0, 0])
      frames.push({ label: `sync step ${step} length ${huge}`, frame, expect: MALFORMED })
    }
    frames.push({ label: `awareness length ${huge}`, frame: bytes(MessageType.AWARENESS, huge, [1, 2, 3]), expect: MALFORMED })
    frames.push({ label: `awareness count ${huge}`, frame: encodeAwareness(bytes(huge, 1, 1, [0])), expect: MALFORMED })
  }
  // Unknown types are ignored (PROTOCOL.md): newer clients may send them.
  for (const type of [7, 100, 2 ** 31, 2 ** 40, Number.MAX_SAFE_INTEGER]) {
    frames.push({ label: `unknown type ${type}`, frame: bytes(type), expect: 'open' })
    frames.push({ label: `unknown type ${type} + payload`, frame: bytes(type, [0, 2, 0xff, 0xff, 0xff]), expect: 'open' })
  }
  const overflow = bytes([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f])
  frames.push({ label: 'type varUint past 2^53', frame: overflow, expect: MALFORMED })
  for (const text of ['hello', '', String.fromCharCode(0, 0, 1, 0)]) {
    frames.push({ label: `text frame ${JSON.stringify(text)}`, frame: text, expect: CloseCode.UNSUPPORTED_DATA.code })
  }
  frames.push({ label: 'empty binary frame', frame: new Uint8Array(0), expect: MALFORMED })
  frames.push({ label: '100 KiB frame', frame: encodeUpdate(new Uint8Array(100 * 1024)), expect: CloseCode.MESSAGE_TOO_BIG.code })
  frames.push({ label: 'max payload + 1', frame: new Uint8Array(MAX_PAYLOAD_BYTES + 1), expect: CloseCode.MESSAGE_TOO_BIG.code })
  for (let i = 0; i < 10; i++) {
    const garbage = undecodableUpdate(random, 8 + i * 8)
    frames.push({ label: `garbage step 2 #${i}`, frame: encodeSyncStep2(garbage), expect: MALFORMED })
    frames.push({ label: `garbage update #${i}`, frame: encodeUpdate(garbage), expect: MALFORMED })
  }
  for (const state of ['{"user":', 'NOT JSON', '']) {
    const update = encodeAwarenessUpdate([{ clientId: 777, clock: 1, stateJson: state }])
    frames.push({ label: `awareness state ${JSON.stringify(state)}`, frame: encodeAwareness(update), expect: MALFORMED })
  }
  return frames
}

async function healthz(): Promise<{ status: string; connections: number }> {
  const response = await fetch(`${scope.relay.server.url}/healthz`)
  expect(response.status).toBe(200)
  return (await response.json()) as { status: string; connections: number }
}

/** The room's whole document as the relay serves it to a new connection. */
async function roomState(room: string): Promise<Uint8Array> {
  const socket = await raw(scope.relay.wsUrl, room)
  socket.send(PROBE)
  const answer = (await waitFor(() => socket.received.find(isStep2), 'sync step 2 answer')) as Uint8Array
  socket.ws.close()
  await socket.closed
  release(socket)
  // Server frames follow the same grammar, so the client-frame decoder reads them.
  const message = decodeClientFrame(answer)
  if (message.kind !== 'sync-step2') throw new Error(`expected sync step 2, got ${message.kind}`)
  return message.update
}

describe('protocol abuse', () => {
  it('survives garbage from raw sockets while stock clients keep editing the same room', async () => {
    const seed = testSeed('protocol-abuse')
    const random = createRandom(seed)
    const relay = await start(ATTACK_RELAY)
    const room = 'abuse/shared-room'
    const clients = Array.from({ length: 3 }, () => scope.client(relay.wsUrl, room))
    await Promise.all(clients.map((client) => waitSynced(client)))

    const editors = Array.from({ length: 8 }, (_, lane) => createRandom(seed + lane + 1))
    const edit = (lane: number): void => {
      const r = editors[lane]
      const text = clients[Math.floor(r() * clients.length)].text
      if (text.length > 0 && r() < 0.3) {
        const index = Math.floor(r() * text.length)
        text.delete(index, Math.min(1 + Math.floor(r() * 3), text.length - index))
      } else {
        const letter = (): string => String.fromCharCode(97 + Math.floor(r() * 26))
        const word = Array.from({ length: 1 + Math.floor(r() * 5) }, letter).join('')
        text.insert(Math.floor(r() * (text.length + 1)), word)
      }
    }

    const attacks = [...targetedFrames(random), ...randomFrames(random, 1500)]
    const outcomes = await runAttacks(room, attacks, 8, edit)
    expect(mismatches(attacks, outcomes)).toEqual([])
    // Honest work went on throughout and nothing else got in.
    const texts = () => clients.map((client) => client.text.toString())
    await waitFor(() => new Set(texts()).size === 1, 'honest clients converge', 10_000)
    const [final] = texts()
    expect(final.length).toBeGreaterThan(0)
    expect(final).toMatch(HONEST_TEXT)
    for (const client of clients) expect(client.provider.wsconnected).toBe(true)

    // Every attacker's connection was released; the server still answers.
    await waitFor(() => relay.relay.stats().connections === clients.length, 'attacker connections released')
    expect(await healthz()).toMatchObject({ status: 'ok', connections: clients.length })
    const late = scope.client(relay.wsUrl, room)
    await waitSynced(late)
    expect(late.text.toString()).toBe(final)

    const closed = outcomes.filter((outcome) => outcome !== 'open').length
    console.log(
      `[protocol-abuse] survived ${attacks.length} garbage frames (${closed} closed their connection, ` +
        `${attacks.length - closed} left it open); honest text ${final.length} chars`,
    )
  })

  it('survives structure-aware mutants of valid updates while stock clients keep editing', async () => {
    const seed = testSeed('protocol-abuse structural')
    const random = createRandom(seed)
    const relay = await start(ATTACK_RELAY)
    const room = 'abuse/structural'
    const clients = Array.from({ length: 2 }, () => scope.client(relay.wsUrl, room))
    await Promise.all(clients.map((client) => waitSynced(client)))
    const typed: string[] = []
    const edit = (lane: number): void => {
      const token = `${lane}.${typed.length};`
      typed.push(token)
      const text = clients[lane % clients.length].text
      text.insert(text.length, token)
    }
    const attacks = structuralMutants(random, STRUCTURAL_MUTANTS)
    const outcomes = await runAttacks(room, attacks, 4, edit)
    // Kept, refused as malformed or over a limit; or closed with 4500 because
    // another lane's mutant made the room reload. Never anything else.
    const reloads = outcomes.filter((outcome) => outcome === CloseCode.ROOM_RESET.code).length
    expect(mismatches(attacks, outcomes.map((outcome) => (outcome === CloseCode.ROOM_RESET.code ? 'open' : outcome)))).toEqual([])
    // A mutant whose items land outside their neighbours makes the room reload
    // (4500 for everyone else): the stock clients reconnect and carry on.
    await waitFor(() => clients.every((client) => client.provider.wsconnected && client.provider.synced), 'clients connected', 10_000)
    const texts = () => clients.map((client) => client.text.toString())
    await waitFor(() => new Set(texts()).size === 1, 'honest clients converge', 10_000)
    for (const token of typed) expect(texts()[0]).toContain(token)
    const late = scope.client(relay.wsUrl, room)
    await waitSynced(late)
    expect(late.text.toString()).toBe(texts()[0])
    const refused = outcomes.filter((outcome) => outcome !== 'open').length
    console.log(`[protocol-abuse structural] ${attacks.length} mutants: ${refused} closed (${reloads} of them by a room reload), ${attacks.length - refused} kept; honest text intact`)
  })

  it('refuses undecodable Yjs payloads in a valid envelope without touching the room document', async () => {
    const random = createRandom(testSeed('protocol-abuse garbage update'))
    const relay = await start()
    const room = 'abuse/garbage-update'
    const writer = scope.client(relay.wsUrl, room)
    await waitSynced(writer)
    writer.text.insert(0, 'unchanged')
    await waitFor(async () => (await roomState(room)).byteLength > 2, 'room has the text')
    const before = await roomState(room)

    for (let i = 0; i < 20; i++) {
      const garbage = undecodableUpdate(random, 4 + i * 10)
      expect(await attack(room, encodeSyncStep2(garbage))).toBe(CloseCode.MALFORMED_MESSAGE.code)
      expect(await attack(room, encodeUpdate(garbage))).toBe(CloseCode.MALFORMED_MESSAGE.code)
    }

    expect(await roomState(room)).toEqual(before)
    expect(writer.text.toString()).toBe('unchanged')
    expect(writer.provider.wsconnected).toBe(true)
  })

  it('replays the corpus: the server stays up and a stock client still syncs the room', async () => {
    const files = readdirSync(CORPUS_DIR).filter((file) => file.endsWith('.bin')).sort()
    expect(files.length).toBeGreaterThanOrEqual(10)
    const relay = await start({ maxPayloadBytes: MAX_PAYLOAD_BYTES, roomIdleMs: 20 })
    const room = 'abuse/corpus'
    const writer = scope.client(relay.wsUrl, room)
    await waitSynced(writer)
    writer.text.insert(0, 'corpus room')

    const attacks: AttackFrame[] = files.map((file) => ({
      label: file,
      frame: new Uint8Array(readFileSync(join(CORPUS_DIR, file))),
      // The name carries the expectation (see tests/corpus/generate.ts).
      expect: /^\d+-bad-/.test(file)
        ? CloseCode.MALFORMED_MESSAGE.code
        : /^\d+-limit-/.test(file)
          ? CloseCode.LIMIT_EXCEEDED.code
          : /^\d+-ok-/.test(file)
            ? 'open'
            : 'either',
    }))
    const outcomes: Outcome[] = []
    for (const { frame } of attacks) outcomes.push(await attack(room, frame))
    // Soft, so that a wrong outcome does not hide whether the room survives it.
    expect.soft(mismatches(attacks, outcomes)).toEqual([])

    expect((await healthz()).status).toBe('ok')
    const reader = scope.client(relay.wsUrl, room)
    await waitSynced(reader)
    await waitFor(() => reader.text.toString() === 'corpus room', 'reader has the text')
    writer.text.insert(0, 'still ')
    await waitFor(() => reader.text.toString() === 'still corpus room', 'a new edit reaches the reader')
    await relay.relay.flushRoom(room)

    // Whatever was accepted is in storage now: the room must load from it again.
    release(writer)
    release(reader)
    await waitFor(() => relay.relay.stats().rooms === 0, 'room unloaded')
    const afterReload = scope.client(relay.wsUrl, room)
    await waitSynced(afterReload)
    expect(afterReload.text.toString()).toBe('still corpus room')
  })

  it('refuses an update that Yjs decodes but cannot apply, so the room still loads afterwards', async () => {
    // Found by the mutation fuzzing above: one byte of a real update changed
    // (an item's parent ID). Y.decodeUpdate accepts it; Y.applyUpdate throws.
    const unappliable = new Uint8Array(readFileSync(join(CORPUS_DIR, '018-bad-yjs-update-decodes-but-cannot-apply.bin')))
    const relay = await start({ roomIdleMs: 20 })
    const room = 'abuse/unappliable'
    const writer = scope.client(relay.wsUrl, room)
    await waitSynced(writer)
    writer.text.insert(0, 'survives')
    await waitFor(async () => (await roomState(room)).byteLength > 2, 'the text is committed')

    expect.soft(await attack(room, unappliable)).toBe(CloseCode.MALFORMED_MESSAGE.code)
    await relay.relay.flushRoom(room)
    release(writer)
    await waitFor(() => relay.relay.stats().rooms === 0, 'room unloaded')

    const reader = scope.client(relay.wsUrl, room)
    await waitSynced(reader)
    expect(reader.text.toString()).toBe('survives')
  })
})
