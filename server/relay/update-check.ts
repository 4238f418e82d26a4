import * as Y from 'yjs'

/**
 * Whether a client's bytes are an update the relay may store.
 *
 * Yjs trusts its input: some updates decode fine but throw half-way through
 * `applyUpdate` (an item whose parent is a later clock of its own client, or
 * a non-type item), leaving peers that apply them with errors and, if
 * stored, a log that no longer loads. This rejects what can be told from
 * the update alone; `Room` guards the apply itself for the rest.
 *
 * Rules checked, besides decoding:
 * - an item may only refer (origin, right origin, parent) to an earlier
 *   clock of its own client: those were created before it;
 * - a parent inside the same update must be an item holding a type.
 */
export function isAcceptableUpdate(update: Uint8Array): boolean {
  let decoded: ReturnType<typeof Y.decodeUpdate>
  try {
    decoded = Y.decodeUpdate(update)
  } catch {
    return false
  }
  const byId = new Map<string, Y.Item | Y.GC | Y.Skip>()
  for (const struct of decoded.structs) byId.set(`${struct.id.client}:${struct.id.clock}`, struct)
  for (const struct of decoded.structs) {
    if (!(struct instanceof Y.Item)) continue
    const { client, clock } = struct.id
    for (const ref of [struct.origin, struct.rightOrigin]) {
      if (ref && ref.client === client && ref.clock >= clock) return false
    }
    const parent = struct.parent
    if (parent instanceof Y.ID) {
      if (parent.client === client && parent.clock >= clock) return false
      const inUpdate = byId.get(`${parent.client}:${parent.clock}`)
      if (inUpdate && !(inUpdate instanceof Y.Item && inUpdate.content instanceof Y.ContentType)) return false
    }
  }
  return true
}

/** An update with no structs and no deletions: `[0, 0]` in the v1 encoding. */
export function isEmptyUpdate(update: Uint8Array): boolean {
  return update.byteLength === 2 && update[0] === 0 && update[1] === 0
}
