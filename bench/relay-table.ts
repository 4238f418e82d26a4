/**
 * A result table of bench/relay.ts, printed to the console (aligned columns)
 * and written into docs/benchmarks.md (Markdown), from one description.
 */
export interface Table {
  title: string
  header: string[]
  rows: string[][]
  /** Lines printed under the table. */
  notes?: string[]
}

export function printTable(table: Table): void {
  const widths = table.header.map((h, i) => Math.max(h.length, ...table.rows.map((cells) => (cells[i] ?? '').length)))
  const line = (cells: string[]): string =>
    cells.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]) : cell.padStart(widths[i]))).join('  ').trimEnd()
  console.log(table.title)
  console.log(line(table.header))
  console.log(widths.map((w) => '-'.repeat(w)).join('  '))
  for (const cells of table.rows) console.log(line(cells))
  for (const note of table.notes ?? []) console.log(note)
  console.log('')
}

export function markdownTable(table: Table): string {
  const escape = (cell: string): string => cell.replaceAll('|', '\\|')
  const line = (cells: string[]): string => `| ${cells.map(escape).join(' | ')} |`
  return [
    line(table.header),
    `| ${table.header.map((_, i) => (i === 0 ? '---' : '---:')).join(' | ')} |`,
    ...table.rows.map(line),
    ...(table.notes && table.notes.length > 0 ? ['', ...table.notes] : []),
  ].join('\n')
}

/** `1,234` style with `digits` decimals; '-' for a missing or non-finite value. */
export function num(x: number | undefined | null, digits = 0): string {
  if (x === undefined || x === null || !Number.isFinite(x)) return '-'
  return x.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits })
}

/** Mean of the runs, with their range when there are several that differ: `12.3 (11.0–13.1)`. */
export function spread(values: number[], digits = 0): string {
  const finite = values.filter(Number.isFinite)
  if (finite.length === 0) return '-'
  const mean = finite.reduce((a, b) => a + b, 0) / finite.length
  const low = Math.min(...finite)
  const high = Math.max(...finite)
  if (finite.length === 1 || num(low, digits) === num(high, digits)) return num(mean, digits)
  return `${num(mean, digits)} (${num(low, digits)}–${num(high, digits)})`
}

/** Only the range: `1,000–2,000`, or one figure when every run agrees. */
export function range(values: number[], digits = 0): string {
  const finite = values.filter(Number.isFinite)
  if (finite.length === 0) return '-'
  const low = num(Math.min(...finite), digits)
  const high = num(Math.max(...finite), digits)
  return low === high ? low : `${low}–${high}`
}

export const mean = (values: number[]): number => {
  const finite = values.filter(Number.isFinite)
  return finite.length === 0 ? Number.NaN : finite.reduce((a, b) => a + b, 0) / finite.length
}

/** ours / theirs as `1.23x`; '-' when either is missing. */
export function ratio(ours: number, theirs: number): string {
  if (!Number.isFinite(ours) || !Number.isFinite(theirs) || theirs === 0) return '-'
  return `${(ours / theirs).toFixed(2)}x`
}
