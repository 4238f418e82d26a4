/**
 * The attacks of the hostile-updates report, each against the spawned CLI
 * while honest stock clients type in the attacked room and in another one.
 * Each must end with the attacker refused (or its update cut down to what is
 * harmless), every honest keystroke in place, and /healthz answering within
 * a loose bound throughout. Sizes are CI-sized where the full ones only take
 * longer to send; the stall figures at full size are `npm run bench -- hostile`.
 */
import { readFileSync } from 'node:fs'
import { afterEach, describe, expect, it } from 'vitest'
import { CloseCode } from '../shared/close-codes.ts'
import { decodeClientFrame, encodeAwareness, encodeSyncStep1, encodeUpdate } from '../shared/protocol.ts'
import { decodeAwarenessUpdate } from '../shared/awareness-codec.ts'
import { connectClient, waitFor, waitSynced } from './support/harness.ts'
import * as hostile from './support/hostile.ts'
import { finishAll, underAttack, ATTACKED_ROOM } from './support/under-attack.ts'

/** Loose on purpose: a busy 2-core CI machine. The aim (100 ms) is measured by the benchmark. */
const STALL_BOUND_MS = 1_500

afterEach(finishAll)

describe('hostile updates against the CLI', () => {
  it('a Y.Map nested 50,000 deep is refused (4413) before it is stored; deleting its root then has nothing to delete', async () => {
    const field = await underAttack()
    try {
      const attacker = await field.attacker()
      attacker.send(encodeUpdate(hostile.deepMapNest({ depth: 50_000 })))
      expect(await attacker.waitClosed()).toBe(CloseCode.LIMIT_EXCEEDED.code)
      const again = await field.attacker()
      again.send(encodeUpdate(hostile.deleteNestRoot()))
      // Deletions of content the document never had are cut, not refused: the socket stays.
      const late = connectClient(field.cli.wsUrl, ATTACKED_ROOM)
      await waitSynced(late)
      expect(late.doc.getMap('nest').size).toBe(0)
      late.destroy()
      expect(again.closeCode).toBeNull()
      await field.finish()
    } finally {
      await field.finish().catch(() => {})
    }
    expect(await field.worstHealthMs()).toBeLessThan(STALL_BOUND_MS)
  })

  it('deletions for unknown clients never stay pending: 300,000 clients are over the limit (4413), 40,000 are cut; later keystrokes pay nothing', async () => {
    const field = await underAttack()
    try {
      const attacker = await field.attacker()
      attacker.send(encodeUpdate(hostile.unknownClientDeletes({ clients: 300_000 })))
      expect(await attacker.waitClosed()).toBe(CloseCode.LIMIT_EXCEEDED.code)
      const cut = await field.attacker()
      cut.send(encodeUpdate(hostile.unknownClientDeletes({ clients: 40_000 })))
      // Honest keystrokes keep flowing promptly afterwards: each one now would pay ~350 ms if Yjs kept the pending set.
      const [writer, reader] = field.honest
      for (let i = 0; i < 20; i++) {
        const token = `[after ${i}]`
        const sent = performance.now()
        writer.text.insert(writer.text.length, token)
        await waitFor(() => reader.text.toString().includes(token), 'the keystroke to arrive', 5_000)
        expect(performance.now() - sent).toBeLessThan(STALL_BOUND_MS)
      }
      expect(cut.closeCode).toBeNull()
      await field.finish()
    } finally {
      await field.finish().catch(() => {})
    }
    expect(await field.worstHealthMs()).toBeLessThan(STALL_BOUND_MS)
  })

  it('40,000 one-character deletions in descending order are refused (1007); in ascending order over real text they are applied in parts', async () => {
    const field = await underAttack()
    try {
      // Text to delete from: one long insert by a third client.
      const author = connectClient(field.cli.wsUrl, 'hostile/deletions')
      await waitSynced(author)
      author.text.insert(0, 'x'.repeat(80_001))
      await waitFor(() => author.provider.synced, 'the text is in')
      const observer = connectClient(field.cli.wsUrl, 'hostile/deletions')
      await waitFor(() => observer.text.length === 80_001, 'the observer has the text', 10_000)
      const descending = await field.attacker('hostile/deletions')
      descending.send(encodeUpdate(hostile.descendingOneCharDeletes({ client: author.doc.clientID, ranges: 40_000, stride: 2 })))
      expect(await descending.waitClosed()).toBe(CloseCode.MALFORMED_MESSAGE.code)
      // The same ranges in order: valid, 40,000 splits of one item; cut into parts, each within the work budget.
      const ascending = await field.attacker('hostile/deletions')
      const ranges = Array.from({ length: 40_000 }, (_, i): [number, number] => [1 + i * 2, 1])
      ascending.send(encodeUpdate(hostile.deleteOnlyUpdate([{ client: author.doc.clientID, ranges }])))
      await waitFor(() => observer.text.length === 80_001 - 40_000, 'the deletions reach the observer', 20_000)
      author.destroy()
      observer.destroy()
      await field.finish()
    } finally {
      await field.finish().catch(() => {})
    }
    expect(await field.worstHealthMs()).toBeLessThan(STALL_BOUND_MS)
  })

  it('updates with nothing in them are refused before any is built: over the limits (4413) at full size, as malformed (1007) below them', async () => {
    const field = await underAttack()
    try {
      for (const [update, code] of [
        // 2,000,000 zero-length GC structs: the count alone is over the struct limit.
        [hostile.zeroLengthGcStructs({ structs: 2_000_000 }), CloseCode.LIMIT_EXCEEDED.code],
        // 1,000,000 empty clients: over the client limit.
        [hostile.emptyClients({ clients: 1_000_000 }), CloseCode.LIMIT_EXCEEDED.code],
        [hostile.zeroLengthGcStructs({ structs: 50_000 }), CloseCode.MALFORMED_MESSAGE.code],
        [hostile.emptyClients({ clients: 40_000 }), CloseCode.MALFORMED_MESSAGE.code],
        [hostile.zeroLengthItems({ items: 10_000 }), CloseCode.MALFORMED_MESSAGE.code],
        [hostile.zeroLengthItems({ items: 10_000, content: 'any' }), CloseCode.MALFORMED_MESSAGE.code],
      ] as const) {
        const attacker = await field.attacker()
        attacker.send(encodeUpdate(update))
        expect(await attacker.waitClosed(10_000)).toBe(code)
      }
      await field.finish()
    } finally {
      await field.finish().catch(() => {})
    }
    expect(await field.worstHealthMs()).toBeLessThan(STALL_BOUND_MS)
  })

  it('a sync step 1 claiming 1,000,000 clients is refused (4413) without being decoded', async () => {
    const field = await underAttack()
    try {
      const frame = encodeSyncStep1(hostile.hugeStateVector({ clients: 1_000_000 }))
      for (let i = 0; i < 3; i++) {
        const attacker = await field.attacker()
        attacker.send(frame)
        expect(await attacker.waitClosed()).toBe(CloseCode.LIMIT_EXCEEDED.code)
      }
      await field.finish()
    } finally {
      await field.finish().catch(() => {})
    }
    expect(await field.worstHealthMs()).toBeLessThan(STALL_BOUND_MS)
  })

  it('100,000 one-character updates in one burst: a flood by the default rate limit (4429); allowed, all are stored and relayed in parts while other rooms keep flowing', { timeout: 90_000 }, async () => {
    const limited = await underAttack()
    try {
      const attacker = await limited.attacker()
      for (const update of hostile.keystrokeBurst({ updates: 100_000 })) attacker.send(encodeUpdate(update))
      expect(await attacker.waitClosed(20_000)).toBe(CloseCode.RATE_LIMITED.code)
      await limited.finish()
    } finally {
      await limited.finish().catch(() => {})
    }
    expect(await limited.worstHealthMs()).toBeLessThan(STALL_BOUND_MS)

    // Allowed (the rate limit raised): half the burst is enough to need many parts (the benchmark sends all of it).
    const field = await underAttack(['--rate-message-burst', '200000'])
    try {
      const attacker = await field.attacker()
      const observer = connectClient(field.cli.wsUrl, ATTACKED_ROOM)
      await waitSynced(observer)
      for (const update of hostile.keystrokeBurst({ updates: 50_000 })) attacker.send(encodeUpdate(update))
      await waitFor(() => observer.doc.getText('burst').length === 50_000, 'the whole burst reaches the observer', 60_000)
      expect(attacker.closeCode).toBeNull()
      observer.destroy()
      await field.finish()
    } finally {
      await field.finish().catch(() => {})
    }
    expect(await field.worstHealthMs()).toBeLessThan(STALL_BOUND_MS)
  })

  it('awareness: a 1 MB state and 100,000 IDs in one update are refused (4413); 1,000 IDs become 4; a flood is merged; churn leaves no memory behind', { timeout: 60_000 }, async () => {
    // The rate limit raised: the flood and the churn are about what presence keeps and relays, not about their rate.
    const field = await underAttack(['--rate-messages', '1000000', '--rate-message-burst', '1000000'])
    try {
      const big = await field.attacker()
      big.send(encodeAwareness(hostile.largeAwarenessState({ bytes: 1_000_000 })))
      expect(await big.waitClosed()).toBe(CloseCode.LIMIT_EXCEEDED.code)

      const tooMany = await field.attacker()
      tooMany.send(encodeAwareness(hostile.manyAwarenessIds({ ids: 100_000 })))
      expect(await tooMany.waitClosed()).toBe(CloseCode.LIMIT_EXCEEDED.code)
      const many = await field.attacker()
      many.send(encodeAwareness(hostile.manyAwarenessIds({ ids: 1_000 })))
      // A joiner's first frames: its presence frame holds the honest clients and at most 4 of the attacker's.
      const joiner = await field.attacker()
      await waitFor(() => joiner.received.some((frame) => frame[0] === 1), 'the joiner gets the presence frame')
      const presence = joiner.received.find((frame) => frame[0] === 1)!
      expect(presence.byteLength).toBeLessThan(4096)
      const entries = awarenessEntries(presence)
      expect(entries.filter((entry) => entry.clientId >= 2 ** 14 && entry.clientId < 2 ** 14 + 100_000).length).toBeLessThanOrEqual(4)

      // 2,000 cursor moves in one go reach a watcher as a handful of frames.
      const watcher = await field.attacker()
      await waitFor(() => watcher.received.length > 0, 'the watcher is in')
      const before = watcher.received.length
      const flood = await field.attacker()
      for (const update of hostile.awarenessFlood({ updates: 2_000 })) flood.send(encodeAwareness(update))
      await waitFor(
        () => watcher.received.slice(before).some((frame) => awarenessEntries(frame).some((entry) => entry.stateJson === '{"cursor":2000}')),
        'the last cursor position reaches the watcher',
      )
      expect(watcher.received.length - before).toBeLessThan(200)

      // 200,000 IDs added and removed: the relay keeps at most a bounded memory of them.
      const rssBefore = rssOf(field.cli.process.pid!)
      const churn = await field.attacker()
      let sent = 0
      for (const update of hostile.awarenessChurn({ ids: 200_000, perUpdate: 4 })) {
        churn.send(encodeAwareness(update))
        if (++sent % 5_000 === 0) await new Promise((resolve) => setImmediate(resolve))
      }
      await waitFor(() => churn.ws.bufferedAmount === 0, 'the churn is sent', 30_000)
      expect(rssOf(field.cli.process.pid!) - rssBefore).toBeLessThan(100 * 1024 * 1024)
      await field.finish()
    } finally {
      await field.finish().catch(() => {})
    }
    expect(await field.worstHealthMs()).toBeLessThan(STALL_BOUND_MS)
  })
})

function rssOf(pid: number): number {
  return Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]) * 1024
}

/** The entries of an awareness frame the relay sent (none for other frames). */
function awarenessEntries(frame: Uint8Array): ReturnType<typeof decodeAwarenessUpdate> {
  const message = decodeClientFrame(frame)
  return message.kind === 'awareness' ? decodeAwarenessUpdate(message.update) : []
}
