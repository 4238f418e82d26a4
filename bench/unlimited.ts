/**
 * The relay as the benchmarks run it: every client comes from one machine
 * (one address) and the load generator sends bursts of thousands of updates
 * on one socket. The per-address limits and per-connection rate limits, on
 * by default, would rightly refuse that as a flood; the peers measured
 * beside ours have no such limits. So the benchmarks turn them off, and
 * measure relaying, not refusing.
 */
import type { RelayLimits } from '../server/relay/limits.ts'

export const BENCH_RELAY_LIMITS: Partial<RelayLimits> = {
  messagesPerSecond: 1e9,
  messageBurst: 1e9,
  bytesPerSecond: 1e12,
  byteBurst: 1e12,
}

export const BENCH_SERVE_OPTIONS = { maxConnectionsPerIp: 0, maxUpgradesPerIpPerMinute: 0 } as const

/** The same for the CLI. */
export const BENCH_CLI_FLAGS = ['--max-connections-per-ip', '0', '--max-upgrades-per-minute', '0'] as const
