import * as Y from 'yjs'

/** How far the check walks from an item looking for each of its neighbours. */
const MAX_WALK = 1_000

/**
 * After Yjs integrated an item, check that it landed between its neighbours:
 * its origin to its left, its right origin to its right, in the same list.
 *
 * The guard checks this before applying when both neighbours are already in
 * the document. When one of them arrives in the same update, their order is
 * only known once Yjs has placed them; an update with neighbours out of
 * order is placed differently by peers that apply it in another order, so
 * the documents would drift apart for good. Such an update is caught here,
 * right after it is applied and before it is relayed: the room then reloads
 * from storage, whose load runs the same check and sets the update aside.
 *
 * Returns what is wrong, or null. A neighbour further away than the walk
 * allows is given the benefit of the doubt (Yjs's own placement walked that
 * far too).
 */
export function misplacedItem(doc: Y.Doc, items: readonly { client: number; clock: number }[]): string | null {
  for (const { client, clock } of items) {
    const structs = doc.store.clients.get(client)
    if (!structs) return `item ${client}:${clock} is missing after applying it`
    const item = structs[Y.findIndexSS(structs, clock)]
    if (!(item instanceof Y.Item)) continue // collected: its place no longer matters
    const wrong = misplacement(item)
    if (wrong) return `item ${client}:${clock} is not ${wrong}`
  }
  return null
}

/** How an item sits outside its neighbours ('to the right of its origin', 'to the left of its right origin'), or null. */
export function misplacement(item: Y.Item): string | null {
  if (item.origin && !reaches(item, item.origin, 'left')) return 'to the right of its origin'
  if (item.rightOrigin && !reaches(item, item.rightOrigin, 'right')) return 'to the left of its right origin'
  return null
}

/** Whether walking from `item` in `direction` finds the struct holding `target` (or gives up past the walk limit). */
function reaches(item: Y.Item, target: Y.ID, direction: 'left' | 'right'): boolean {
  let at = item[direction]
  for (let steps = 0; steps < MAX_WALK; steps++) {
    if (at === null) return false
    if (at.id.client === target.client && at.id.clock <= target.clock && target.clock < at.id.clock + at.length) return true
    at = at[direction]
  }
  return true
}
