/**
 * The words the History panel shows for a version: its name (or what kind
 * of version it is), when it was saved and by whom. Kept apart from the DOM
 * so they can be checked without a browser.
 */
import type { VersionSummary } from './history-api.ts'

/** A version's title: the name someone gave it, else what saved it. */
export function versionTitle(version: Pick<VersionSummary, 'name' | 'kind'>): string {
  if (version.name) return version.name
  return version.kind === 'restore' ? 'Before restoring' : 'Automatic'
}

/** Who edited before the version was saved, as a short phrase. */
export function versionPeople(authors: readonly string[]): string {
  if (authors.length === 0) return 'No one recorded'
  if (authors.length <= 3) return authors.join(', ')
  return `${authors.slice(0, 2).join(', ')} and ${authors.length - 2} others`
}

const MINUTE_MS = 60_000
const HOUR_MS = 60 * MINUTE_MS
const DAY_MS = 24 * HOUR_MS

/**
 * When, relative to `now` for the last week ("5 minutes ago", "yesterday"),
 * then as a date; `locale` undefined is the browser's.
 */
export function relativeTime(date: Date, now: Date, locale?: string): string {
  const ago = now.getTime() - date.getTime()
  const words = new Intl.RelativeTimeFormat(locale, { numeric: 'auto' })
  // A clock a little ahead of the relay's makes fresh versions "in 2 seconds": they are just now.
  if (ago < MINUTE_MS) return words.format(0, 'second')
  if (ago < HOUR_MS) return words.format(-Math.floor(ago / MINUTE_MS), 'minute')
  if (ago < DAY_MS) return words.format(-Math.floor(ago / HOUR_MS), 'hour')
  if (ago < 7 * DAY_MS) return words.format(-Math.floor(ago / DAY_MS), 'day')
  return absoluteTime(date, locale)
}

/** The date and time, in full enough for a tooltip. */
export function absoluteTime(date: Date, locale?: string): string {
  return date.toLocaleString(locale, { dateStyle: 'medium', timeStyle: 'short' })
}

/**
 * The sentence announced once a comparison is shown; `other` is the title
 * of the version compared with, or null for now.
 */
export function comparisonSentence(summary: { added: number; removed: number; authors: readonly string[] }, other: string | null = null): string {
  const between = other === null ? 'since this version' : `between this version and “${other}”`
  if (summary.added === 0 && summary.removed === 0) return `No changes to the text ${between}.`
  const chars = (n: number): string => `${n} ${n === 1 ? 'character' : 'characters'}`
  const by = summary.authors.length > 0 ? ` by ${summary.authors.join(', ')}` : ''
  return `${between[0].toUpperCase()}${between.slice(1)}: ${chars(summary.added)} added${by}, ${chars(summary.removed)} removed.`
}
