/**
 * The rows bench/hostile.ts measures and how they print: one table row per
 * attack, then the name checks. The JSON written beside it holds the same
 * rows with every field.
 */
import type { NameCheck } from './hostile-names.ts'

/** Honest update latency in one room over the attack window. */
export interface Latency {
  samples: number
  p50Ms: number | null
  p99Ms: number | null
  maxMs: number | null
  /** (character, receiver) pairs never delivered. */
  undelivered: number
  converged: boolean
  /** False when the clients' process could not answer in time (its figures are what it streamed). */
  answered: boolean
  /** Exceptions the stock clients threw (Yjs applying what the relay sent). */
  clientErrors: string[]
  closeCodes: number[]
}

export interface Row {
  id: string
  title: string
  /** Worst `/healthz` response time from the attack's start to the end of the window; null if none was timed. */
  stallWorstMs: number | null
  /** Worst `/healthz` response time during the warm-up, before the attack. */
  stallBeforeMs: number | null
  /** "relay unresponsive > N s" or "crashed (...)", when it came to that. */
  relayState: string | null
  attackSeconds: number
  room: Latency
  other: Latency
  rssBeforeMiB: number | null
  rssAfterMiB: number | null
  rssPeakMiB: number | null
  /** Relay CPU time (user + system) from the attack's start to the end of the window. */
  relayCpuMs: number | null
  /** The attacker socket's close code, 'open' if it was never closed. */
  attackerClose: number | 'open' | null
  reopen: { ok: boolean; detail: string; ms: number | null }
  notes: string[]
  /** Warnings and errors the relay wrote to stderr (first lines). */
  relayLog: string[]
}

const fmt = (value: number | null, digits = 0): string => (value === null ? '-' : value.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits }))

function latencyCell(latency: Latency): string {
  if (latency.samples === 0) return latency.undelivered > 0 ? `none delivered (${fmt(latency.undelivered)} never arrived)` : 'no samples'
  // Percentiles of what arrived say little when much never did: say so first.
  const lost = latency.undelivered > 0 ? ` (${fmt(latency.undelivered)} never arrived)` : ''
  return `${fmt(latency.p50Ms, 1)} / ${fmt(latency.p99Ms)}${lost}`
}

function stallCell(row: Row): string {
  if (row.relayState) return row.stallWorstMs === null ? row.relayState : `${row.relayState}; worst answered ${fmt(row.stallWorstMs)}`
  return fmt(row.stallWorstMs)
}

function rssCell(row: Row): string {
  if (row.rssBeforeMiB === null || row.rssAfterMiB === null) return '-'
  const delta = row.rssAfterMiB - row.rssBeforeMiB
  const peak = row.rssPeakMiB === null ? '' : ` (peak +${fmt(row.rssPeakMiB - row.rssBeforeMiB)})`
  return `${delta >= 0 ? '+' : ''}${fmt(delta)}${peak}`
}

function convergedCell(row: Row): string {
  if (row.room.converged && row.other.converged) return 'yes'
  const why = (latency: Latency, name: string): string => (latency.converged ? '' : latency.answered ? name : `${name}: clients did not answer`)
  return `no (${[why(row.room, 'room'), why(row.other, 'other room')].filter(Boolean).join('; ')})`
}

/** A markdown table, the same one bench/README.md shows. */
export function formatTable(rows: readonly Row[]): string {
  const header = ['attack', 'stall worst ms', 'honest p50 / p99 ms, room', 'honest p50 / p99 ms, other room', 'RSS Δ MiB', 'attacker close', 'converged', 'reopens']
  const lines = [`| ${header.join(' | ')} |`, `| ${header.map(() => '---').join(' | ')} |`]
  for (const row of rows) {
    const cells = [
      `${row.id}. ${row.title}`,
      stallCell(row),
      latencyCell(row.room),
      latencyCell(row.other),
      rssCell(row),
      row.attackerClose === null ? '-' : String(row.attackerClose),
      convergedCell(row),
      row.reopen.ok ? 'yes' : `no: ${row.reopen.detail}`,
    ]
    lines.push(`| ${cells.join(' | ')} |`)
  }
  return lines.join('\n')
}

export function formatNotes(rows: readonly Row[]): string {
  const lines: string[] = []
  for (const row of rows) {
    const extra = [
      ...row.notes,
      `stall before the attack ${fmt(row.stallBeforeMs)} ms; relay CPU ${fmt(row.relayCpuMs)} ms over the ${fmt(row.attackSeconds, 1)} s window`,
      row.reopen.ok ? `reopen: ${row.reopen.detail}` : '',
      ...[row.room, row.other].flatMap((latency, i) =>
        latency.closeCodes.length > 0 ? [`${i === 0 ? 'room' : 'other room'} clients were closed with ${latency.closeCodes.join(', ')}`] : [],
      ),
      ...[row.room, row.other].flatMap((latency, i) =>
        latency.clientErrors.length > 0 ? [`${i === 0 ? 'room' : 'other room'} clients threw: ${latency.clientErrors[0]}${latency.clientErrors.length > 1 ? ` (+${latency.clientErrors.length - 1})` : ''}`] : [],
      ),
      ...row.relayLog.slice(0, 2).map((line) => `relay log: ${line}`),
    ].filter(Boolean)
    lines.push(`- ${row.id}: ${extra.join('; ')}`)
  }
  return lines.join('\n')
}

export function formatNameChecks(checks: readonly NameCheck[]): string {
  const lines = ['| check | result | observed |', '| --- | --- | --- |']
  for (const check of checks) lines.push(`| ${check.check} | ${check.pass ? 'pass' : 'FAIL'} | ${check.observed} |`)
  return lines.join('\n')
}

/** The p-th percentile (0-100) of `values`, nearest rank; null for none. */
export function percentile(values: readonly number[], p: number): number | null {
  if (values.length === 0) return null
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]
}
