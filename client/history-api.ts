/**
 * The relay's version history over HTTP, for the History panel: list, name,
 * read, compare and restore versions of one document
 * (`/api/documents/:name/versions…`, beside the relay's WebSocket and
 * `GET /auth`). The token goes in the `Authorization` header, as for
 * `GET /auth`, so it lands in no URL or access log. Every call answers a
 * result the panel can switch on; none throws.
 */
import { authUrlFor } from './auth-check.ts'

/** A version as the panel lists it. */
export interface VersionSummary {
  /** Opaque; names the version in the other calls. */
  id: string
  /** The name someone gave it; null for an automatic version. */
  name: string | null
  /** `auto` (editing settled), `named`, `restore` (saved just before a restore). */
  kind: string
  createdAt: Date
  /** The people who edited since the version before it. */
  authors: string[]
}

/** Why a call failed, as a closed set to switch on, with a sentence to show. */
export type HistoryProblem =
  | { code: 'offline'; message: string }
  | { code: 'refused'; status: 401 | 403; message: string }
  | { code: 'not-found'; message: string }
  | { code: 'failed'; status: number; message: string }

export type HistoryResult<T> = { ok: true; value: T } | { ok: false; problem: HistoryProblem }

/** What the panel asks the relay. */
export interface HistoryApi {
  /** The versions, newest first. */
  list(): Promise<HistoryResult<VersionSummary[]>>
  /** Save the document as it is now as a version called `name`. */
  name(name: string): Promise<HistoryResult<void>>
  /** The version's content as ProseMirror JSON (not yet checked against the schema). */
  read(id: string): Promise<HistoryResult<unknown>>
  /**
   * The relay's comparison, as HTML (`compareVersions`), of the version with
   * the document now (`with` = 'now') or with another version (its id): what
   * the later of the two added and removed.
   */
  compare(id: string, against: string): Promise<HistoryResult<string>>
  /** Make the document read as the version did (the relay saves the current state as a version first). */
  restore(id: string): Promise<HistoryResult<void>>
}

/** Give up on an answer after this long: the panel says so rather than spinning. */
const REQUEST_TIMEOUT_MS = 15_000

/**
 * The history API of `documentName` on the relay at `serverUrl` (the
 * editor's `server` option), sending `token()` as a bearer token when it
 * gives one.
 *
 * @example
 * const api = createHistoryApi('ws://127.0.0.1:1234', 'team/plan', () => undefined)
 * const answer = await api.list()
 * if (answer.ok) console.log(answer.value.map((version) => version.name ?? 'Automatic'))
 */
export function createHistoryApi(serverUrl: string, documentName: string, token: () => string | undefined): HistoryApi {
  // The relay's HTTP address, as for its `GET /auth` check: same host and mount point.
  const relay = new URL(authUrlFor(serverUrl, documentName))
  relay.search = ''
  const base = `${relay.href.replace(/\/auth$/, '')}/api/documents/${encodeURIComponent(documentName)}/versions`
  const call = async <T>(path: string, init: RequestInit, read: (response: Response) => Promise<T>): Promise<HistoryResult<T>> => {
    const current = token()
    let response: Response
    try {
      response = await fetch(base + path, {
        ...init,
        headers: { ...(init.headers as Record<string, string>), ...(current ? { authorization: `Bearer ${current}` } : {}) },
        cache: 'no-store',
        signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
      })
    } catch {
      return { ok: false, problem: { code: 'offline', message: 'The relay could not be reached.' } }
    }
    if (!response.ok) return { ok: false, problem: await problemOf(response) }
    try {
      return { ok: true, value: await read(response) }
    } catch {
      return { ok: false, problem: { code: 'failed', status: response.status, message: 'The relay sent an answer the editor cannot read.' } }
    }
  }
  const json = { accept: 'application/json' }
  const post = (body: unknown): RequestInit => ({ method: 'POST', headers: { ...json, 'content-type': 'application/json' }, body: JSON.stringify(body) })
  const id = (value: string): string => `/${encodeURIComponent(value)}`
  return {
    list: () => call('', { headers: json }, async (response) => versionsOf(await response.json())),
    name: (name) => call('', post({ name }), async () => undefined),
    read: (version) => call(`${id(version)}?format=json`, { headers: json }, async (response) => contentOf(await response.json())),
    compare: (version, against) =>
      call(`${id(version)}/compare?with=${encodeURIComponent(against)}&format=html`, { headers: { accept: 'text/html' } }, (response) => response.text()),
    restore: (version) => call(`${id(version)}/restore`, post({}), async () => undefined),
  }
}

async function problemOf(response: Response): Promise<HistoryProblem> {
  const body = (await response.json().catch(() => null)) as { message?: unknown } | null
  const said = typeof body?.message === 'string' && body.message ? ` (${body.message})` : ''
  if (response.status === 401 || response.status === 403) {
    return { code: 'refused', status: response.status, message: `The relay did not allow this${said}.` }
  }
  if (response.status === 404) return { code: 'not-found', message: `That version, or the history, is not there${said}.` }
  return { code: 'failed', status: response.status, message: `The relay answered ${response.status}${said}.` }
}

/** The listing from `{ versions: [...] }` (or a bare array); entries without an id or time are left out. */
function versionsOf(body: unknown): VersionSummary[] {
  const list = Array.isArray(body) ? body : (body as { versions?: unknown } | null)?.versions
  if (!Array.isArray(list)) throw new TypeError('no versions in the answer')
  const versions: VersionSummary[] = []
  for (const entry of list as Record<string, unknown>[]) {
    const createdAt = new Date(String(entry?.createdAt))
    if (entry?.id === undefined || entry.id === null || Number.isNaN(createdAt.getTime())) continue
    versions.push({
      id: String(entry.id),
      name: typeof entry.name === 'string' && entry.name ? entry.name : null,
      kind: typeof entry.kind === 'string' ? entry.kind : 'auto',
      createdAt,
      authors: Array.isArray(entry.authors) ? entry.authors.filter((author): author is string => typeof author === 'string') : [],
    })
  }
  // In the relay's order: newest (last saved) first, which times alone cannot tell within a millisecond.
  return versions
}

/** The ProseMirror document of a version: the answer itself, or its `content`/`document` field. */
function contentOf(body: unknown): unknown {
  const answer = body as { type?: unknown; content?: { type?: unknown }; document?: { type?: unknown } } | null
  if (answer?.type === 'doc') return answer
  if (answer?.content?.type === 'doc') return answer.content
  if (answer?.document?.type === 'doc') return answer.document
  throw new TypeError('no document in the answer')
}
