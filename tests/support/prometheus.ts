/**
 * Reading `/metrics` in tests: fetch the Prometheus text format and pick
 * samples out of it by name and labels.
 */

/** One scrape: its samples, looked up by name and (a subset of) labels. */
export interface Scrape {
  text: string
  /** The value of the one sample named `name` whose labels include `labels`; undefined when none. */
  value(name: string, labels?: Record<string, string>): number | undefined
  /** Like `value`, but 0 when the sample is absent (a counter not incremented yet). */
  count(name: string, labels?: Record<string, string>): number
}

interface Sample {
  name: string
  labels: Record<string, string>
  value: number
}

const LINE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)$/
const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g

export function parseMetrics(text: string): Scrape {
  const samples: Sample[] = []
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue
    const match = LINE.exec(line)
    if (!match) throw new Error(`not a Prometheus sample line: ${line}`)
    const labels: Record<string, string> = {}
    for (const [, key, value] of (match[2] ?? '').matchAll(LABEL)) labels[key] = value
    samples.push({ name: match[1], labels, value: Number(match[3]) })
  }
  const find = (name: string, labels: Record<string, string> = {}): number | undefined => {
    const found = samples.filter((sample) => sample.name === name && Object.entries(labels).every(([key, value]) => sample.labels[key] === value))
    if (found.length > 1) throw new Error(`${name} ${JSON.stringify(labels)}: ${found.length} samples match; name more labels`)
    return found[0]?.value
  }
  return { text, value: find, count: (name, labels) => find(name, labels) ?? 0 }
}

/** GET `<baseUrl>/metrics` (with a bearer token if given); throws unless 200 in the Prometheus format. */
export async function scrape(baseUrl: string, token?: string): Promise<Scrape> {
  const response = await fetch(`${baseUrl}/metrics`, token ? { headers: { authorization: `Bearer ${token}` } } : {})
  const text = await response.text()
  if (response.status !== 200) throw new Error(`/metrics answered ${response.status}: ${text}`)
  if (!response.headers.get('content-type')?.startsWith('text/plain')) throw new Error(`/metrics content type ${response.headers.get('content-type')}`)
  return parseMetrics(text)
}

/** Scrape until `ready(scrape)` holds (bounded, like `waitFor`); returns that scrape. */
export async function scrapeUntil(baseUrl: string, ready: (scrape: Scrape) => boolean, message: string, timeoutMs = 5000): Promise<Scrape> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const now = await scrape(baseUrl)
    if (ready(now)) return now
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms: ${message}\n${now.text.split('\n').filter((line) => line.startsWith('collab_relay_')).join('\n')}`)
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
}
