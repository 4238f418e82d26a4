/**
 * Hostile-input benchmark: how long each attack of the denial-of-service
 * report stalls the relay, and what it leaves behind. See bench/README.md
 * ("Hostile inputs").
 *
 *   npm run bench -- hostile [--quick] [--only=1,4a] [--extras] [--cli=other/bin/collab-relay.js]
 *   node --import tsx bench/hostile.ts [same flags]
 *
 * Per attack, a fresh relay (the real CLI, SQLite in a temporary directory);
 * two honest stock clients typing in the attacked room and a typist with an
 * observer in another room (each room in a child process); a probe timing
 * `GET /healthz` every 20 ms (a child process too); the attack over a raw
 * socket from this process. Every wait is bounded: a relay that hangs is
 * reported as unresponsive and killed, one that dies as crashed, and the next
 * attack gets a new one.
 */
import { execFileSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { cpus, tmpdir, totalmem } from 'node:os'
import { join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import WebSocket from 'ws'
import { WebsocketProvider } from 'y-websocket'
import * as Y from 'yjs'
import type { SpawnedCli } from '../tests/support/spawn-cli.ts'
import { attacks, type Attack, type AttackContext } from './hostile-attacks.ts'
import { exitOf, HonestRoom, now, Probe, RawClient, readCpuMs, sleep, startRelay, within } from './hostile-harness.ts'
import type { HonestResult } from './hostile-honest.ts'
import { checkNames } from './hostile-names.ts'
import { readRssKiB } from './hostile-probe.ts'
import { formatNameChecks, formatNotes, formatTable, percentile, type Latency, type Row } from './hostile-report.ts'

const args = process.argv.slice(2)
const quick = args.includes('--quick')
const extras = args.includes('--extras')
const only = args.find((arg) => arg.startsWith('--only='))?.slice('--only='.length).split(',')
const cliArg = args.find((arg) => arg.startsWith('--cli='))?.slice('--cli='.length)
/** Another checkout's bin/collab-relay.js to attack instead of this one's (e.g. a build of the code before a fix). */
const cli = cliArg ? resolve(cliArg) : undefined

const params = {
  /** Honest typing before the attack (its stall is the "before" figure). */
  warmupMs: quick ? 1_500 : 2_000,
  /** How long to keep watching once the attack is sent. */
  observeMs: quick ? 3_000 : 5_000,
  /** A `/healthz` request unanswered this long ends the wait: "relay unresponsive". */
  unresponsiveMs: quick ? 15_000 : 30_000,
  /** Bound on sending one attack. */
  attackTimeoutMs: quick ? 60_000 : 120_000,
  /** Bound on the honest clients' convergence once they stop typing. */
  convergeTimeoutMs: quick ? 15_000 : 30_000,
  /** Bound on a stock client syncing with the restarted relay (a load can replay a long log)... */
  reopenTimeoutMs: quick ? 15_000 : 60_000,
  /** ...but this many closes in a row (e.g. 4503, "could not be loaded") settle it sooner. */
  reopenMaxCloses: 5,
  typingIntervalMs: 50,
  probeIntervalMs: 20,
}
const ROOM = 'hostile/attacked'
const OTHER_ROOM = 'hostile/other'
const RESULTS_DIR = fileURLToPath(new URL('./results/', import.meta.url))
const MiB = 1024

// A stock client in this process (the reopen check) may throw from its socket
// handler on what a broken relay sends; that is an observation, not a reason to stop.
let onStrayError: (error: unknown) => void = (error) => console.error('uncaught:', error)
process.on('uncaughtException', (error) => onStrayError(error))

function latencyOf(result: HonestResult & { answered: boolean }, from: number, to: number): Latency {
  const values = result.samples.filter(([sentAt]) => sentAt >= from && sentAt <= to).map(([, ms]) => ms)
  return {
    samples: values.length,
    p50Ms: percentile(values, 50),
    p99Ms: percentile(values, 99),
    maxMs: values.length ? Math.max(...values) : null,
    undelivered: result.undelivered,
    converged: result.converged,
    answered: result.answered,
    clientErrors: result.errors,
    closeCodes: result.closeCodes,
  }
}

/**
 * Stop the attacked relay, start a new one on its data, and join with a stock
 * client: does the document open, with the honest text? A relay that had
 * already exited (killed as unresponsive, or crashed) cannot have stored what
 * the clients typed while it was stuck, so then only opening counts.
 */
async function reopen(relay: SpawnedCli, dataDir: string, expected: string | null): Promise<Row['reopen']> {
  let stopped = ''
  const stoppedCleanly = !exitOf(relay)
  if (stoppedCleanly) {
    try {
      const result = await relay.stop('SIGTERM', 15_000)
      stopped = result.code === 0 ? '' : `SIGTERM: exit ${result.code ?? result.signal}; `
    } catch {
      stopped = 'SIGTERM did not stop it within 15 s (killed); '
    }
  }
  let second: SpawnedCli
  try {
    second = await startRelay(dataDir, cli)
  } catch (error) {
    return { ok: false, detail: `${stopped}restart failed: ${String(error).slice(0, 200)}`, ms: null }
  }
  const doc = new Y.Doc()
  const codes: number[] = []
  // y-protocols logs (rather than throws) what Yjs cannot apply of the relay's answer: keep it for the report.
  const logged: string[] = []
  const consoleError = console.error
  console.error = (...parts: unknown[]) => {
    logged.push(parts.map(String).join(' ').split('\n')[0].slice(0, 160))
  }
  const provider = new WebsocketProvider(second.wsUrl, ROOM, doc, { WebSocketPolyfill: WebSocket as unknown as typeof globalThis.WebSocket, disableBc: true })
  provider.on('connection-close', (event) => {
    if (event) codes.push(event.code)
  })
  const start = now()
  try {
    while (!provider.synced && now() - start < params.reopenTimeoutMs && codes.length < params.reopenMaxCloses) await sleep(20)
    const ms = now() - start
    if (!provider.synced) {
      const closes = codes.length ? `closed ${[...new Set(codes)].join(', ')} x${codes.length}` : 'no answer'
      return { ok: false, detail: `${stopped}no sync in ${(ms / 1000).toFixed(0)} s (${closes})`, ms: null }
    }
    const text = doc.getText('text').toString()
    if (logged.length > 0) stopped += `the joining client logged "${logged[0]}"; `
    if (expected === null) return { ok: true, detail: `${stopped}synced in ${ms.toFixed(0)} ms (no honest text to compare)`, ms }
    if (text === expected) return { ok: true, detail: `${stopped}synced in ${ms.toFixed(0)} ms, honest text intact (${text.length} chars)`, ms }
    if (!stoppedCleanly) return { ok: true, detail: `${stopped}synced in ${ms.toFixed(0)} ms with ${text.length} of the ${expected.length} characters the clients had (the relay was stopped while stuck)`, ms }
    return { ok: false, detail: `${stopped}synced, but the text differs (${text.length} chars, honest clients had ${expected.length})`, ms }
  } finally {
    console.error = consoleError
    provider.destroy()
    await second.stop().catch(() => {})
  }
}

async function runAttack(attack: Attack): Promise<Row> {
  const notes: string[] = []
  onStrayError = (error) => notes.push(`benchmark process: ${String(error).slice(0, 200)}`)
  const dataDir = mkdtempSync(join(tmpdir(), 'collab-hostile-'))
  const relay = await startRelay(dataDir, cli)
  const pid = relay.process.pid!
  const probe = new Probe(relay.url, pid, params.probeIntervalMs)
  const room = new HonestRoom({ wsUrl: relay.wsUrl, room: ROOM, clients: 2, typists: 2, intervalMs: params.typingIntervalMs })
  const other = new HonestRoom({ wsUrl: relay.wsUrl, room: OTHER_ROOM, clients: 2, typists: 1, intervalMs: params.typingIntervalMs })
  const sockets: RawClient[] = []
  let attacker: RawClient | null = null
  try {
    if (!(await room.ready(20_000)) || !(await other.ready(20_000))) throw new Error(`honest clients did not sync: ${room.stderr}${other.stderr}`)
    const warmupStart = now()
    room.start()
    other.start()
    await sleep(params.warmupMs)
    const rssBefore = readRssKiB(pid)
    const cpuBefore = readCpuMs(pid)
    const attackStart = now()

    const context: AttackContext = {
      room: ROOM,
      async attacker() {
        attacker = await RawClient.open(relay.wsUrl, ROOM)
        sockets.push(attacker)
        return attacker
      },
      async raw(name) {
        const socket = await RawClient.open(relay.wsUrl, name)
        sockets.push(socket)
        return socket
      },
      note: (text) => notes.push(text),
    }
    const failure = await within(
      attack.run(context).then(
        () => null,
        (error: unknown) => `attack failed: ${String(error).slice(0, 200)}`,
      ),
      params.attackTimeoutMs,
      () => `attack still sending after ${params.attackTimeoutMs / 1000} s`,
    )
    if (failure) notes.push(failure)
    await Promise.race([sleep(params.observeMs), relay.exited])

    // Wait, bounded, until the relay answers again.
    let relayState: string | null = null
    for (;;) {
      const exit = exitOf(relay)
      if (exit) {
        relayState = `crashed (${exit})`
        break
      }
      const report = await probe.report()
      if (!report || report.pendingSince === null) break
      if (now() - report.pendingSince > params.unresponsiveMs) {
        relayState = `relay unresponsive > ${params.unresponsiveMs / 1000} s`
        break
      }
      await sleep(200)
    }
    const windowEnd = now()
    const cpuAfter = readCpuMs(pid)
    const rssAfter = readRssKiB(pid)
    const report = await probe.report()
    probe.kill()

    // Give convergence a chance only if the relay can still serve.
    const converge = relayState ? 2_000 : params.convergeTimeoutMs
    const [roomResult, otherResult] = await Promise.all([room.stop(converge), other.stop(converge)])
    // Read before our own sockets close: terminating one reports 1006.
    const attackerSocket = attacker as RawClient | null
    const attackerClose = attackerSocket ? (attackerSocket.closeCode ?? 'open') : null
    for (const socket of sockets) socket.close()
    await Promise.all([room.exit(), other.exit()])

    const polls = report?.polls ?? []
    const answeredMs = (from: number, to: number): number | null => {
      const answered = polls.filter((poll) => poll.at + poll.ms >= from && poll.at <= to).map((poll) => poll.ms)
      return answered.length ? Math.max(...answered) : null
    }
    const peak = report?.rss.filter(([at]) => at >= attackStart && at <= windowEnd).reduce((max, [, kib]) => Math.max(max, kib), 0) ?? 0
    const row: Row = {
      id: attack.id,
      title: attack.title,
      stallWorstMs: answeredMs(attackStart, windowEnd),
      stallBeforeMs: answeredMs(warmupStart, attackStart),
      relayState,
      attackSeconds: (windowEnd - attackStart) / 1000,
      room: latencyOf(roomResult, attackStart, windowEnd),
      other: latencyOf(otherResult, attackStart, windowEnd),
      rssBeforeMiB: rssBefore === null ? null : rssBefore / MiB,
      rssAfterMiB: rssAfter === null ? null : rssAfter / MiB,
      rssPeakMiB: peak ? peak / MiB : null,
      relayCpuMs: cpuBefore === null || cpuAfter === null ? null : cpuAfter - cpuBefore,
      attackerClose,
      reopen: { ok: false, detail: 'not checked', ms: null },
      notes,
      relayLog: [],
    }
    if (relayState?.startsWith('relay unresponsive')) {
      // It would not act on SIGTERM either; what it committed survives a kill.
      relay.process.kill('SIGKILL')
      await relay.exited
    }
    row.relayLog = relay.stderr.split('\n').filter((line) => line && !/^(storage|serveStatic):/.test(line)).slice(0, 5).map((line) => line.slice(0, 240))
    // What one honest keystroke cost the relay, if it did little else (attack 2 makes every keystroke expensive).
    if (attack.keystrokeCost && row.relayCpuMs !== null && row.room.samples > 0) {
      notes.push(`relay CPU ≈ ${(row.relayCpuMs / row.room.samples).toFixed(0)} ms per honest update it relayed in the room (${row.room.samples})`)
    }
    for (const [which, result] of [['room', roomResult], ['other room', otherResult]] as const) {
      if (!result.answered) notes.push(`the ${which}'s honest clients were too busy (applying what the relay sent) to report; figures are from what they streamed`)
    }
    row.reopen = await reopen(relay, dataDir, roomResult.answered ? roomResult.text : null)
    return row
  } finally {
    probe.kill()
    room.kill()
    other.kill()
    for (const socket of sockets) socket.close()
    await relay.stop('SIGKILL').catch(() => {})
    rmSync(dataDir, { recursive: true, force: true })
    onStrayError = (error) => console.error('uncaught:', error)
  }
}

/** Which relay ran: this checkout's commit and whether server/ or shared/ differ from it, or the `--cli=` path. */
function gitDescription(): string {
  if (cli) return cli
  try {
    const commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).trim()
    const dirty = execFileSync('git', ['status', '--porcelain', '--', 'server', 'shared'], { encoding: 'utf8' }).trim() !== ''
    return `${commit}${dirty ? ' (server/ or shared/ modified)' : ''}`
  } catch {
    return 'unknown'
  }
}

async function main(): Promise<void> {
  const selected = attacks(quick, extras).filter((attack) => !only || only.includes(attack.id))
  console.log(`hostile inputs: ${selected.length} attacks${quick ? ' (--quick sizes)' : ''}, a fresh relay each; code ${gitDescription()}`)
  const rows: Row[] = []
  for (const attack of selected) {
    process.stdout.write(`  ${attack.id}. ${attack.title} ... `)
    const started = now()
    try {
      const row = await runAttack(attack)
      rows.push(row)
      console.log(`stall ${row.relayState ?? `${row.stallWorstMs?.toFixed(0)} ms`} (${((now() - started) / 1000).toFixed(0)} s)`)
    } catch (error) {
      console.log(`could not be measured: ${String(error).slice(0, 300)}`)
    }
  }

  let names: Awaited<ReturnType<typeof checkNames>> = []
  if (!only || only.includes('8')) {
    const dataDir = mkdtempSync(join(tmpdir(), 'collab-hostile-'))
    const relay = await startRelay(dataDir, cli)
    try {
      names = await checkNames(relay.url)
    } finally {
      await relay.stop().catch(() => {})
      rmSync(dataDir, { recursive: true, force: true })
    }
  }

  console.log(`\n${formatTable(rows)}\n\n${formatNotes(rows)}`)
  if (names.length) console.log(`\n8. names\n\n${formatNameChecks(names)}`)
  mkdirSync(RESULTS_DIR, { recursive: true })
  const file = join(RESULTS_DIR, 'hostile-latest.json')
  const machine = { cpus: cpus().length, cpuModel: cpus()[0]?.model, memoryGiB: totalmem() / 2 ** 30, platform: process.platform, node: process.version }
  writeFileSync(file, `${JSON.stringify({ date: new Date().toISOString(), code: gitDescription(), quick, machine, params, rows, names }, null, 2)}\n`)
  console.log(`\nwritten to ${file}`)
}

await main()
// Stock providers and timers of the reopen checks may linger; the run is over.
process.exit(0)
