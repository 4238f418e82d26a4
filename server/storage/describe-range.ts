/**
 * What every backend's `describe` shares: checking its options, and the
 * range of names they select, in UTF-8 byte order (which is Unicode code
 * point order, SQLite's BINARY collation and PostgreSQL's "C" one; not the
 * UTF-16 order of JavaScript's `<`, nor a locale's).
 */

/** Most entries one `describe` call returns. */
export const DESCRIBE_LIMIT_MAX = 10_000

export interface DescribeRange {
  /** Names start with this ('' for every name). */
  prefix: string
  /** Names are strictly greater than this, if set. */
  after: string | undefined
  /**
   * Names are strictly less than this (if not null): the first string after
   * every string that starts with `prefix`, so `prefix <= name < prefixEnd`
   * is exactly "starts with `prefix`", as a range an index can seek.
   */
  prefixEnd: string | null
  limit: number
}

/** Check `describe`'s options and turn them into a name range. Throws RangeError or TypeError. */
export function describeRange(options: { prefix?: string; after?: string; limit: number }): DescribeRange {
  const { prefix = '', after, limit } = options
  if (typeof prefix !== 'string') throw new TypeError('describe: prefix must be a string')
  if (after !== undefined && typeof after !== 'string') throw new TypeError('describe: after must be a string')
  if (!Number.isInteger(limit) || limit < 1 || limit > DESCRIBE_LIMIT_MAX) {
    throw new RangeError(`describe: limit must be an integer from 1 to ${DESCRIBE_LIMIT_MAX}, not ${String(limit)}`)
  }
  return { prefix, after, prefixEnd: prefixEnd(prefix), limit }
}

/**
 * The least string greater than every string that starts with `prefix`, in
 * code point order: `prefix` with its last code point incremented (a last
 * U+10FFFF is dropped and the one before incremented instead; surrogates,
 * which UTF-8 cannot hold, are skipped). Null when there is none (`prefix`
 * is empty or all U+10FFFF): nothing bounds the range above.
 *
 * Lone surrogates count as U+FFFD, as the database drivers encode them.
 */
export function prefixEnd(prefix: string): string | null {
  const points = Array.from(prefix.replace(/\p{Cs}/gu, '\uFFFD'), (char) => char.codePointAt(0)!)
  while (points.length > 0) {
    const last = points.pop()!
    if (last === 0x10ffff) continue
    points.push(last === 0xd7ff ? 0xe000 : last + 1)
    return String.fromCodePoint(...points)
  }
  return null
}
