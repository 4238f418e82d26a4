/**
 * The `doc` claim: which documents a token is good for. A pattern is an
 * exact document name, or a prefix followed by `*` (`acme/*` covers
 * `acme/x` and `acme/x/y`, not `acme`; `*` alone covers every document);
 * the claim is one pattern or a list of them. Only a trailing `*` is
 * special: a `*` elsewhere is an ordinary character of the name.
 *
 * Names and patterns compare in Unicode NFC, the one form the relay keeps
 * document names in (shared/room-name.ts), so an issuer that wrote `café`
 * decomposed still means the document the relay calls `café`.
 */

/** One `doc` pattern: an exact name, or (`prefix`) the start of a name. */
export type DocPattern = { exact: string } | { prefix: string }

/** The claim's patterns, or null when it is not a non-empty string or a non-empty list of them. */
export function parseDocClaim(claim: unknown): DocPattern[] | null {
  const items = typeof claim === 'string' ? [claim] : Array.isArray(claim) && claim.length > 0 ? (claim as unknown[]) : null
  if (items === null) return null
  const patterns: DocPattern[] = []
  for (const item of items) {
    if (typeof item !== 'string' || item === '') return null
    const normalized = item.normalize('NFC')
    patterns.push(normalized.endsWith('*') ? { prefix: normalized.slice(0, -1) } : { exact: normalized })
  }
  return patterns
}

/** Whether any pattern covers `documentName`. */
export function docClaimCovers(patterns: readonly DocPattern[], documentName: string): boolean {
  const name = documentName.normalize('NFC')
  return patterns.some((pattern) => ('exact' in pattern ? name === pattern.exact : name.startsWith(pattern.prefix)))
}
