/**
 * Who is in a document, as the home page's list says it: names, not a
 * count, shortened past three so a busy document's line stays one line.
 *
 * @example
 * peopleLabel(['Ada', 'Grace']) // 'Ada and Grace'
 */
export function peopleLabel(names: readonly string[]): string {
  if (names.length <= 1) return names.join('')
  if (names.length <= 3) return `${names.slice(0, -1).join(', ')} and ${names[names.length - 1]}`
  const others = names.length - 2
  return `${names.slice(0, 2).join(', ')} and ${others} other${others === 1 ? '' : 's'}`
}
