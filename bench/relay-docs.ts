/**
 * docs/benchmarks.md and docs/benchmarks.svg from a run of bench/relay.ts:
 * the prose around the tables is here, the figures come from the run. The
 * chart is a hand-written SVG (small multiples of horizontal bars, one panel
 * per load scenario), so that the docs need no charting dependency.
 */
import { writeFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import type { LoadResults } from './relay-load.ts'
import { chartSeries, type ChartSeries } from './relay-load-report.ts'
import type { ServerKind } from './relay-server.ts'
import { markdownTable, num, type Table } from './relay-table.ts'

const DOCS_DIR = new URL('../docs/', import.meta.url)

export interface DocsInput {
  tables: Table[]
  load: Partial<LoadResults>
  mode: string
  generatedAt: string
  durationSeconds: number
  machine: { cpus: number; cpuModel: string; memoryGiB: number; platform: string; node: string }
  /** Credit for the editing trace when (a)-(d) replayed the real one. */
  traceCredit: string | null
}

/** Writes both files; returns their paths. */
export function writeBenchmarkDocs(input: DocsInput): string[] {
  const svgPath = fileURLToPath(new URL('benchmarks.svg', DOCS_DIR))
  const mdPath = fileURLToPath(new URL('benchmarks.md', DOCS_DIR))
  writeFileSync(svgPath, barChart(chartSeries(input.load)))
  writeFileSync(mdPath, markdown(input))
  return [mdPath, svgPath]
}

function markdown(input: DocsInput): string {
  const { machine } = input
  const when = input.generatedAt.slice(0, 16).replace('T', ' ')
  const quickNote =
    input.mode === 'quick'
      ? '\n**These figures come from a `--quick` run** (one run per scenario, shorter windows, fewer churned documents): rough. ' +
        'A full run (`npm run bench -- relay`) replaces them.\n'
      : ''
  return `# Benchmarks

How collab-relay compares with the servers people would otherwise deploy for Yjs: the reference
[@y/websocket-server](https://github.com/yjs/y-websocket-server), [Hocuspocus](https://tiptap.dev/docs/hocuspocus)
and, as a floor no relay can beat, a raw \`ws\` server that forwards every frame to the other sockets of its path.
Ours runs twice: with memory storage (relaying compared, not disks) and with SQLite (every update committed, with
\`synchronous = FULL\`, before it is relayed). Its flood limits (per-connection rates, per-address connections) are
off, since the load comes from one address and the peers have no such limits (\`bench/unlimited.ts\`); every other
setting is its default. Each server runs in a child process of its own, a fresh one for every run; the load comes
from raw sockets in one benchmark process that speak the y-websocket protocol (Hocuspocus's variant of it for
Hocuspocus). The details of every scenario are in [\`bench/README.md\`](../bench/README.md).

## Running

\`\`\`sh
npm run bench                              # storage, relay and scale-out benchmarks
npm run bench -- relay                     # this page: every scenario, 2 runs each (under 20 minutes on 2 cores)
npm run bench -- relay --quick             # 1 run each, shorter windows (under 5 minutes): a smoke test
npm run bench -- relay --servers=ours,hocuspocus --scenarios=flood,capacity   # a subset (does not rewrite this page)
\`\`\`

A run of every server and scenario rewrites this page and [\`benchmarks.svg\`](benchmarks.svg), and writes every
figure, with the machine and the parameters, to \`bench/results/relay-latest.json\`. What each performance change
did, measured before and after: [\`performance-log.md\`](performance-log.md).

## Results

${when} UTC, ${input.mode} run (${Math.round(input.durationSeconds / 60)} min): ${machine.cpus} × ${machine.cpuModel},
${machine.memoryGiB} GiB, ${machine.platform}, Node ${machine.node}.
${quickNote}
![Load scenarios, one panel each: the mean over the runs per server](benchmarks.svg)

${input.tables.map((table) => `### ${table.title}\n\n${markdownTable(table)}`).join('\n\n')}

## Reading the figures

- **One machine for everything.** The server and the load generator share its cores, and the kernel's loopback
  networking takes its share too. The capacity steps therefore end where the machine, not only the server, runs out:
  compare the servers with each other and with the floor, not with a deployment on a dedicated machine. The
  \`clientCores\` and \`maxSendLagMs\` of each capacity step in the JSON say how busy the load generator was.
- **Latency** is send-to-arrival on one clock (the benchmark process), over every pair of keystroke and receiving
  editor. A keystroke not received within the drain window after the last send (3 s paced, 2 s per capacity step)
  counts as lost.
- **Memory** is the server's resident set after a forced garbage collection in its process, read again every 2.5 s
  until it has settled (\`bench/relay-settle.ts\`): every runtime here hands freed pages back to the system 10-30 s
  after a burst, on its own schedule, so a reading taken at once counts memory that is already free as kept. The
  tables give the reading right after too, and the heap. Every
  server's process runs through \`tsx\` (\`bench/relay-server.ts\`), so a fresh RSS includes the same loader for all;
  ours also loads more code of its own (HTTP API, metrics) than the peers. Ours runs compiled (\`dist/node\`, what
  \`collab-relay\` starts; \`npm run bench\` builds it first when the sources changed), like the peers' published
  JavaScript.
- **Ratios** are ours (memory) over each row, on the means: above 1x is better for ours in throughput and capacity,
  below 1x in latency and memory.
- Runs vary by 10-30 % on a shared VM, more in \`--quick\` runs; compare runs from the same machine only.
${input.traceCredit ? `- (a)-(d) replay the ${input.traceCredit}.\n` : ''}`
}

/** Colours per server kind: ours in blues, the peers in their own hues, the floor grey. */
const COLOURS: Record<ServerKind, string> = {
  ours: '#2563eb',
  'ours-sqlite': '#1e3a8a',
  'y-websocket-server': '#ea580c',
  hocuspocus: '#16a34a',
  'raw-ws': '#9ca3af',
}

const escapeXml = (text: string): string => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')

/** Small multiples: one panel of horizontal bars per series, each with its own scale. */
export function barChart(series: ChartSeries[]): string {
  const width = 760
  const labelWidth = 210
  const barArea = 430
  const barHeight = 16
  const gap = 6
  const panelGap = 22
  const titleHeight = 22
  let y = 14
  const parts: string[] = []
  for (const panel of series) {
    const better = panel.better === 'higher' ? 'higher is better' : 'lower is better'
    parts.push(
      `<text x="0" y="${y + 12}" class="title">${escapeXml(panel.title)}</text>` +
        `<text x="${width}" y="${y + 12}" class="note" text-anchor="end">${escapeXml(panel.unit)}, ${better}</text>`,
    )
    y += titleHeight
    const finite = panel.values.map((v) => v.value).filter(Number.isFinite)
    const max = Math.max(1e-9, ...finite)
    for (const { server, kind, value } of panel.values) {
      const length = Number.isFinite(value) ? Math.max(1, (value / max) * barArea) : 0
      const digits = value < 10 ? 1 : 0
      parts.push(
        `<text x="${labelWidth - 8}" y="${y + barHeight - 4}" class="label" text-anchor="end">${escapeXml(server)}</text>` +
          `<rect x="${labelWidth}" y="${y}" width="${length.toFixed(1)}" height="${barHeight}" fill="${COLOURS[kind]}" rx="2"/>` +
          `<text x="${(labelWidth + length + 6).toFixed(1)}" y="${y + barHeight - 4}" class="value">${Number.isFinite(value) ? num(value, digits) : 'not measured'}</text>`,
      )
      y += barHeight + gap
    }
    y += panelGap
  }
  const margin = 12
  const height = y
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width + 2 * margin}" height="${height}" viewBox="0 0 ${width + 2 * margin} ${height}" font-family="system-ui, -apple-system, Segoe UI, sans-serif">
<style>
  .title { font-size: 14px; font-weight: 600; fill: #111827; }
  .note { font-size: 12px; fill: #6b7280; }
  .label { font-size: 12px; fill: #374151; }
  .value { font-size: 12px; fill: #111827; }
</style>
<rect width="100%" height="100%" fill="#ffffff"/>
<g transform="translate(${margin},0)">
${parts.join('\n')}
</g>
</svg>
`
}
