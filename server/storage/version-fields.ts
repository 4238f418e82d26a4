/**
 * What every backend's versions share: checking a new version, reading a
 * version id, and the JSON text the SQL backends keep `authors` and
 * `clients` in. One place, so a version the memory backend accepts is one
 * SQLite and PostgreSQL accept too, and an id one refuses they all refuse.
 */
import type { NewVersion, VersionInfo } from './types.ts'

/** Why a version was saved: the values of `VersionInfo['kind']`. */
export const VERSION_KINDS = ['auto', 'named', 'restore'] as const satisfies readonly VersionInfo['kind'][]

/** A new version as checked and copied: nothing the caller does afterwards can change it. */
export interface CheckedVersion {
  state: Uint8Array
  name: string | null
  kind: VersionInfo['kind']
  /** ms since the epoch. */
  createdAt: number
  authors: string[]
  clients: Record<string, string>
}

/**
 * Check a version's fields have their types and copy them. Names, authors and
 * client IDs are stored as given (callers check them); what is refused here
 * is what a backend could not store as given: a kind its column refuses, a
 * date that is not one, a name list that is not text. Throws TypeError or
 * RangeError.
 */
export function checkNewVersion(version: NewVersion): CheckedVersion {
  const { state, name, kind, createdAt, authors, clients } = version
  if (!(state instanceof Uint8Array)) throw new TypeError('saveVersion: state must be a Uint8Array')
  if (name !== null && typeof name !== 'string') throw new TypeError('saveVersion: name must be a string or null')
  if (!VERSION_KINDS.includes(kind)) throw new RangeError(`saveVersion: kind must be one of ${VERSION_KINDS.join(', ')}`)
  if (!(createdAt instanceof Date) || !Number.isFinite(createdAt.getTime())) throw new RangeError('saveVersion: createdAt must be a valid Date')
  if (!Array.isArray(authors) || !authors.every((author) => typeof author === 'string')) {
    throw new TypeError('saveVersion: authors must be an array of strings')
  }
  if (typeof clients !== 'object' || clients === null || Array.isArray(clients)) throw new TypeError('saveVersion: clients must be an object')
  const entries = Object.entries(clients)
  if (!entries.every(([, author]) => typeof author === 'string')) throw new TypeError('saveVersion: clients must map to strings')
  return {
    state: state.slice(),
    name,
    kind,
    createdAt: createdAt.getTime(),
    authors: [...authors],
    // fromEntries defines own properties: a key such as "__proto__" stays a key.
    clients: Object.fromEntries(entries),
  }
}

/**
 * The id as the SQL backends look it up, or null when it cannot be one of
 * theirs: a positive decimal integer without leading zeros, at most 18 digits
 * (so it fits a signed 64-bit row id; 10^18 versions are not going to be
 * saved). Leading zeros are refused rather than read past so that `01` is
 * unknown everywhere, as it is to the memory backend, which compares ids as text.
 */
export function parseVersionId(id: string): string | null {
  return typeof id === 'string' && /^[1-9][0-9]{0,17}$/.test(id) ? id : null
}

/** A version row of a SQL backend, `authors` and `clients` still JSON text. */
export interface VersionRow {
  id: number | bigint | string
  name: string | null
  kind: string
  createdAt: number | Date
  authors: string
  clients: string
  bytes: number | string
}

/** A SQL backend's version row as `VersionInfo`. */
export function versionInfoOf(row: VersionRow): VersionInfo {
  return {
    id: String(row.id),
    name: row.name,
    kind: row.kind as VersionInfo['kind'],
    createdAt: new Date(row.createdAt),
    authors: JSON.parse(row.authors) as string[],
    clients: JSON.parse(row.clients) as Record<string, string>,
    bytes: Number(row.bytes),
  }
}
