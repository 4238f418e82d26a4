/**
 * The stall probe of bench/hostile.ts, in a process of its own: it polls the
 * relay's `GET /healthz` every `intervalMs` and samples the relay's resident
 * set (/proc/<pid>/status VmRSS) every 100 ms. A process of its own because
 * the benchmark process is busy building and sending attacks, and the honest
 * clients' process is busy applying what the relay relays: a probe sharing
 * either event loop would time its own stalls, not the relay's.
 *
 *   fork('bench/hostile-probe.ts', [JSON.stringify({ url, pid, intervalMs })])
 *
 * One request at a time: while the relay is stalled the pending request's
 * age is the stall so far (reported as `pendingSince`). Asked with
 * `{ type: 'report' }`, it answers with every sample so far.
 */
import http from 'node:http'
import { readFileSync } from 'node:fs'
import { pathToFileURL } from 'node:url'

export interface ProbeConfig {
  url: string
  pid: number
  intervalMs: number
}

/** One poll: when it was sent (ms since the epoch), how long the answer took, and whether it was a 200. */
export interface ProbePoll {
  at: number
  ms: number
  ok: boolean
}

export interface ProbeReport {
  type: 'report'
  polls: ProbePoll[]
  /** Send time of the request still waiting for an answer, if any. */
  pendingSince: number | null
  /** `[time, KiB]` samples of the relay's resident set. */
  rss: [number, number][]
}

/** The relay's VmRSS in KiB, or null once the process is gone. */
export function readRssKiB(pid: number): number | null {
  try {
    const match = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))
    return match ? Number(match[1]) : null
  } catch {
    return null
  }
}

const now = (): number => performance.timeOrigin + performance.now()

function main(config: ProbeConfig): void {
  const polls: ProbePoll[] = []
  const rss: [number, number][] = []
  let pendingSince: number | null = null

  const poll = (): void => {
    const at = now()
    pendingSince = at
    // A fresh connection each time (no keep-alive): a stalled relay then
    // leaves it in the accept queue, which is what a load balancer sees.
    const request = http.get(config.url, { agent: false }, (response) => {
      response.resume()
      response.on('end', () => done(response.statusCode === 200))
    })
    request.on('error', () => done(false))
    let finished = false
    function done(ok: boolean): void {
      if (finished) return
      finished = true
      polls.push({ at, ms: now() - at, ok })
      pendingSince = null
      setTimeout(poll, config.intervalMs)
    }
  }
  poll()
  setInterval(() => {
    const kib = readRssKiB(config.pid)
    if (kib !== null) rss.push([now(), kib])
  }, 100)

  process.on('message', (message: { type: string }) => {
    if (message.type === 'report') {
      const report: ProbeReport = { type: 'report', polls, pendingSince, rss }
      process.send!(report)
    }
  })
  // The parent going away (even by SIGKILL) closes the IPC channel: leave with it.
  process.on('disconnect', () => process.exit(0))
}

// Only as the forked entry point: the benchmark imports `readRssKiB` from here too.
if (process.send && import.meta.url === pathToFileURL(process.argv[1]).href) main(JSON.parse(process.argv[2]) as ProbeConfig)
