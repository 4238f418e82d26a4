import type * as Y from 'yjs'
import { legacyFormatUpdate } from '../../shared/legacy-format.ts'
import type { UpdateOrigin } from './origin.ts'
import type { RelayLogger } from './relay-socket.ts'
import type { SubmitResult } from './update-pipeline.ts'

/** The label of the conversion's origin, as hooks and webhooks see it. */
export const FORMAT_UPGRADE_LABEL = 'format-upgrade'

/** What the upgrade needs of a freshly loaded room. */
export interface UpgradableRoom {
  readonly name: string
  /** The document as loaded; only read here. */
  readonly doc: Y.Doc
  submit(update: Uint8Array, origin: Exclude<UpdateOrigin, { kind: 'connection' }>): SubmitResult
}

/**
 * Bring a document stored in the previous format (its text in the fragment
 * `prosemirror`, under the old names) to Tiptap's, as the room loads and
 * before anyone joins: the conversion (`shared/legacy-format.ts`) is
 * submitted as a server-side change, so it is checked, stored, applied and
 * relayed like any other, and every way of opening a document (a
 * connection, the HTTP API, a script) finds it converted. Nothing happens
 * to a document in the current format, so each is converted once.
 *
 * Should the conversion be refused (a document at its size limit) or not
 * be applied, the document opens as it was, its content still in the old
 * fragment, and the next load tries again.
 */
export async function upgradeStoredFormat(room: UpgradableRoom, logger: RelayLogger): Promise<void> {
  const update = legacyFormatUpdate(room.doc)
  if (update === null) return
  const result = room.submit(update, { kind: 'server', label: FORMAT_UPGRADE_LABEL })
  if (result.status === 'refused') {
    logger.error(`document "${room.name}": could not convert it from the previous format (${result.reason}); it opens unconverted`)
    return
  }
  if (result.status !== 'accepted') return
  try {
    await result.committed
  } catch (error) {
    logger.error(`document "${room.name}": the conversion from the previous format was not applied; it opens unconverted`, error)
    return
  }
  logger.info(`document "${room.name}": converted from the previous format (fragment "prosemirror") to Tiptap's`)
}
