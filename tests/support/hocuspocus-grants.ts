/**
 * What the Hocuspocus provider tests share: tokens that are the grant itself,
 * as JSON (as in access-control.test.ts), and reading back what storage holds.
 */
import * as Y from 'yjs'
import { tokenOf, type Authenticate } from '../../server/http/authenticate.ts'
import type { Grant } from '../../server/relay/grant.ts'
import type { DocumentStorage } from '../../server/storage/types.ts'

/** Grants the token's JSON; the token `refuse` is refused (403), none at all 401. */
export const authenticate: Authenticate = (request) => {
  const token = tokenOf(request)
  if (!token) return { ok: false, status: 401, reason: 'missing token' }
  if (token === 'refuse') return { ok: false, status: 403, reason: 'not your document' }
  return { ok: true, grant: JSON.parse(token) as Grant }
}

export const grantToken = (grant: Grant): string => JSON.stringify(grant)

/** The text of the stored document's `text`. */
export async function storedText(storage: DocumentStorage, name: string): Promise<string> {
  const stored = await storage.load(name)
  const doc = new Y.Doc()
  for (const update of stored.updates) Y.applyUpdate(doc, update)
  return doc.getText('text').toString()
}

/**
 * A storage whose appends can be held back (`hold`) until `release`: for
 * checking that what waits for a commit does wait.
 */
export function holdableStorage(inner: DocumentStorage): { storage: DocumentStorage; hold(): void; release(): void; readonly waiting: number } {
  let held: Promise<void> | null = null
  let open: () => void = () => {}
  let waiting = 0
  return {
    storage: {
      ...inner,
      append: async (name, updates) => {
        if (held) {
          waiting++
          await held
          waiting--
        }
        return inner.append(name, updates)
      },
    },
    /** Appends held back now. */
    get waiting() {
      return waiting
    },
    hold() {
      held = new Promise((resolve) => (open = resolve))
    },
    release() {
      held = null
      open()
    },
  }
}
