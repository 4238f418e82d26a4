import { validateRoomName } from '../../shared/room-name.ts'
import type { RelayLogger } from '../relay/relay-socket.ts'
import type { DocumentStorage } from './types.ts'

/**
 * Bring stored document names under the current name rules
 * (`shared/room-name.ts`): versions before them stored names as received, so
 * `café` may be there in NFD, or `doc/` with its trailing slash, and no
 * client can reach such a name any more. Each one is renamed to its
 * canonical form (see `canonicalRoomName`); when that name is taken, to
 * `<canonical> (2)`, `(3)`, … (the first that is free). Two documents are
 * never merged and none is dropped; every rename is logged with why.
 *
 * Names that are already canonical keep their name, so a canonical name wins
 * over a non-canonical spelling of it. Running it again renames nothing.
 * Call it before any room opens: a room loaded under the old name while the
 * rename runs would write to the old name.
 *
 * @example
 * const { renamed } = await normalizeStoredNames(storage, relay.logger)
 */
export async function normalizeStoredNames(
  storage: DocumentStorage,
  logger: RelayLogger,
): Promise<{ renamed: [string, string][] }> {
  const stored = await storage.list()
  const taken = new Set(stored)
  const renamed: [string, string][] = []
  // Sorted, so that which of several colliding names gets the plain one does not depend on the backend's order.
  const outOfRule = stored.filter((name) => !isCanonical(name)).sort()
  for (const name of outOfRule) {
    const canonical = canonicalRoomName(name)
    const valid = validateRoomName(canonical)
    if (!valid.ok || valid.name !== canonical) {
      // Too long once in NFC, or a control character: nothing sane to rename it to. Left as it is, still stored.
      logger.warn(`stored document ${JSON.stringify(name)} breaks the name rules (${describeProblems(name)}) and has no valid canonical name (${valid.ok ? 'not canonical' : valid.problem}); left as it is`)
      continue
    }
    const target = firstFree(canonical, taken)
    if (target === null) {
      logger.warn(`stored document ${JSON.stringify(name)} breaks the name rules (${describeProblems(name)}); every name derived from ${JSON.stringify(canonical)} is taken or too long; left as it is`)
      continue
    }
    await storage.rename(name, target)
    taken.delete(name)
    taken.add(target)
    renamed.push([name, target])
    const collision = target === canonical ? '' : `; ${JSON.stringify(canonical)} is another document`
    logger.warn(`renamed stored document ${JSON.stringify(name)} → ${JSON.stringify(target)}: ${describeProblems(name)}${collision}`)
  }
  return { renamed }
}

/**
 * The name a stored name becomes: NFC; empty and `.` segments dropped; a
 * `..` segment drops itself and the segment before it (as a URL would
 * resolve it); nothing left becomes `untitled`. The result may still break
 * a rule that older versions enforced too (length, control characters).
 */
export function canonicalRoomName(name: string): string {
  const segments: string[] = []
  for (const segment of name.normalize('NFC').split('/')) {
    if (segment === '' || segment === '.') continue
    if (segment === '..') segments.pop()
    else segments.push(segment)
  }
  return segments.length > 0 ? segments.join('/') : 'untitled'
}

function isCanonical(name: string): boolean {
  const valid = validateRoomName(name)
  return valid.ok && valid.name === name
}

/** `canonical`, or `canonical (n)` for the first n from 2 that is free and a valid name; null if none is. */
function firstFree(canonical: string, taken: ReadonlySet<string>): string | null {
  if (!taken.has(canonical)) return canonical
  for (let n = 2; ; n++) {
    const candidate = `${canonical} (${n})`
    if (!validateRoomName(candidate).ok) return null // too long: a larger n is longer still
    if (!taken.has(candidate)) return candidate
  }
}

/** What is wrong with a stored name, in words for the log. */
function describeProblems(name: string): string {
  const problems: string[] = []
  if (name.normalize('NFC') !== name) problems.push('not in Unicode NFC')
  const segments = name.split('/')
  if (name.length === 0) problems.push('empty')
  else if (segments.includes('')) problems.push('empty path segment')
  if (segments.some((segment) => segment === '.' || segment === '..')) problems.push('"." or ".." path segment')
  return problems.length > 0 ? problems.join(', ') : 'invalid'
}
