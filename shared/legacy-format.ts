/**
 * The one-time conversion of documents written before the editor took
 * Tiptap's names (version 0.1 and earlier). Those kept their rich text in
 * the Y.XmlFragment `prosemirror`, with ProseMirror's example names
 * (`code_block`, `horizontal_rule`, `bullet_list`, `ordered_list` with
 * `order`, `list_item`, `hard_break`) and links of `{ href, title }`. Now
 * the text is in Tiptap's fragment (`FRAGMENT_NAME`), with Tiptap's names
 * (`shared/schema.ts`).
 *
 * The conversion copies the old fragment into the new one at the Yjs level,
 * element by element, renaming as it goes: everything else (text,
 * formatting, attributes the schema does not know) is carried over as it
 * is, so nothing is lost to a schema check. It then empties the old
 * fragment, in the same transaction. It runs only while the new fragment is
 * empty, so it happens once: after it, or once anyone has written the new
 * fragment, it does nothing.
 *
 * A relay applies it as an update through its one way into a document
 * (`legacyFormatUpdate`), never by changing its copy on the side.
 */
import { digest } from 'lib0/hash/sha256'
import * as Y from 'yjs'
import { FRAGMENT_NAME, schema } from './schema.ts'

/** The fragment documents of the previous format keep their rich text in. */
export const LEGACY_FRAGMENT_NAME = 'prosemirror'

/** Old node names and their Tiptap names; the names not listed were the same. */
const NODE_NAMES: Readonly<Record<string, string>> = {
  code_block: 'codeBlock',
  horizontal_rule: 'horizontalRule',
  bullet_list: 'bulletList',
  ordered_list: 'orderedList',
  list_item: 'listItem',
  hard_break: 'hardBreak',
}

/**
 * A link's attributes in full, with the schema's (Tiptap's) defaults for
 * those the old format had not: y-prosemirror and Tiptap's binding both
 * rewrite formatting whose stored attributes differ from the mark's, so a
 * link stored with only `href` and `title` would be written again by the
 * first editor that opened it.
 */
const LINK_ATTRS: Readonly<Record<string, unknown>> = schema.marks.link.create({ href: '' }).attrs

/** y-prosemirror's suffix on the name of a mark that may overlap itself. */
const MARK_HASH = /--[a-zA-Z0-9+/=]{8}$/

/**
 * Whether `doc` is in the previous format: its old fragment holds content
 * and its new one none. Defines no type on `doc` that it does not hold
 * already; a document whose names hold other kinds of types is not.
 */
export function isLegacyFormat(doc: Y.Doc): boolean {
  if (!doc.share.has(LEGACY_FRAGMENT_NAME)) return false
  try {
    if (doc.getXmlFragment(LEGACY_FRAGMENT_NAME).length === 0) return false
    return !doc.share.has(FRAGMENT_NAME) || doc.getXmlFragment(FRAGMENT_NAME).length === 0
  } catch {
    // `prosemirror` or `default` is a Y.Text or Y.Map of someone else's: not ours to convert.
    return false
  }
}

/**
 * Convert `doc` in place when it is in the previous format: its content
 * moves, renamed, to the fragment `FRAGMENT_NAME`, and the old fragment is
 * emptied, in one transaction with `origin`. True when it converted; false
 * (and nothing changes) otherwise, so calling it again is harmless.
 *
 * @example
 * convertLegacyFormat(ydoc, 'format-upgrade') // true the first time, false after
 */
export function convertLegacyFormat(doc: Y.Doc, origin: unknown): boolean {
  if (!isLegacyFormat(doc)) return false
  const legacy = doc.getXmlFragment(LEGACY_FRAGMENT_NAME)
  const target = doc.getXmlFragment(FRAGMENT_NAME)
  doc.transact(() => {
    const converted = legacy.toArray().flatMap((child) => convertChild(child))
    target.insert(0, converted)
    legacy.delete(0, legacy.length)
  }, origin)
  return true
}

/**
 * The conversion of `doc` as a Yjs update (v1), or null when `doc` is not in
 * the previous format. Worked out on a copy: `doc` is not changed.
 *
 * The update is the same for the same stored state wherever it is worked
 * out: it is written under a client ID derived from the document's state
 * vector (one the document does not use yet). Two relay instances that
 * load the document at once and both convert it write the very same
 * items, which Yjs applies once, rather than the content twice.
 *
 * @example
 * const update = legacyFormatUpdate(room.doc)
 * if (update) room.submit(update, { kind: 'server', label: 'format-upgrade' })
 */
export function legacyFormatUpdate(doc: Y.Doc): Uint8Array | null {
  if (!isLegacyFormat(doc)) return null
  const copy = new Y.Doc()
  try {
    Y.applyUpdate(copy, Y.encodeStateAsUpdate(doc))
    copy.clientID = conversionClientId(doc)
    let update: Uint8Array | null = null
    copy.on('update', (change: Uint8Array) => {
      update = change
    })
    convertLegacyFormat(copy, null)
    return update
  } finally {
    copy.destroy()
  }
}

/** A client ID from the document's state vector: the same for the same state, and not one the document has. */
function conversionClientId(doc: Y.Doc): number {
  const hash = digest(Y.encodeStateVector(doc))
  let id = ((hash[0] << 24) | (hash[1] << 16) | (hash[2] << 8) | hash[3]) >>> 0
  while (doc.store.clients.has(id)) id = (id + 1) >>> 0
  return id
}

function convertChild(child: Y.XmlElement | Y.XmlText | Y.XmlHook): (Y.XmlElement | Y.XmlText)[] {
  // y-prosemirror writes no hooks; one would be someone else's and cannot be copied.
  if (child instanceof Y.XmlHook) return []
  if (child instanceof Y.XmlText) return [convertText(child)]
  const element = new Y.XmlElement(NODE_NAMES[child.nodeName] ?? child.nodeName)
  const attrs = child.getAttributes() as Record<string, unknown>
  if (child.nodeName === 'ordered_list') {
    attrs.start = attrs.order ?? 1
    delete attrs.order
  }
  for (const [key, value] of Object.entries(attrs)) element.setAttribute(key, value as string)
  element.insert(0, child.toArray().flatMap((grandchild) => convertChild(grandchild)))
  return [element]
}

function convertText(text: Y.XmlText): Y.XmlText {
  const copy = new Y.XmlText()
  const delta = (text.toDelta() as { insert: unknown; attributes?: Record<string, unknown> }[])
    // Embedded Yjs types cannot move to another parent (y-prosemirror writes none).
    .filter((op) => !(op.insert instanceof Y.AbstractType))
    .map((op) => (op.attributes ? { insert: op.insert, attributes: convertMarks(op.attributes) } : { insert: op.insert }))
  copy.applyDelta(delta)
  return copy
}

function convertMarks(attributes: Record<string, unknown>): Record<string, unknown> {
  const marks: Record<string, unknown> = {}
  for (const [key, value] of Object.entries(attributes)) {
    const isLink = key.replace(MARK_HASH, '') === 'link'
    marks[key] = isLink && value !== null && typeof value === 'object' ? { ...LINK_ATTRS, ...(value as Record<string, unknown>) } : value
  }
  return marks
}
