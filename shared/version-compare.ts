/**
 * What changed between two states of one document, as HTML: the newer
 * document's structure with added text in `<ins>`, removed text in `<del>`
 * and whole blocks added or removed marked `data-change`.
 *
 * Yjs knows exactly what changed, so nothing is guessed by a text diff: both
 * states go into one document (`gc: false`, so what the newer one deleted is
 * still there), and each piece of it is classed by whether a snapshot of the
 * older state and one of the newer state can see it (the way y-prosemirror
 * renders its snapshot view). Every inserted piece carries the Yjs client ID
 * that wrote it, which `clients` maps to a person; a deletion carries no
 * writer in Yjs, so removed text has no name.
 *
 * The HTML is written by the schema's own `toDOM` (safe link and image
 * addresses, no handlers) through `specHtml`, which escapes all text and
 * attribute values.
 */
import { Mark, type Node } from 'prosemirror-model'
import * as Y from 'yjs'
import { TITLE_NAME } from './document-title.ts'
import { attributesHtml, escapeHtml, specHtml } from './html-string.ts'
import { FRAGMENT_NAME, schema } from './schema.ts'

/** The comparison of two document states. */
export interface VersionComparison {
  /** The newer document as HTML, changes marked (see the module comment). Safe to insert as HTML. */
  html: string
  /** Characters added (an image, rule or line break counts as one). */
  added: number
  /** Characters removed, counted the same way. */
  removed: number
  /** Names of the people who added something, distinct, in document order (those `clients` names). */
  authors: string[]
}

type Change = 'added' | 'removed' | null

/** What `toDelta` reports for a run seen by one snapshot only. */
interface YChange {
  type: 'added' | 'removed'
  user: number
}

interface Walk {
  older: Y.Snapshot
  newer: Y.Snapshot
  clients: Readonly<Record<string, string>>
  added: number
  removed: number
  authors: Set<string>
}

/**
 * Compare two states of a document (each `Y.encodeStateAsUpdate` of it).
 * `clients` maps Yjs client IDs (decimal) to names, as versions record them;
 * for a comparison across several versions pass the union of their maps
 * (a client ID is one editor's, so the maps never disagree).
 * The order matters only for the words: what `newer` has and `older` lacks
 * is "added".
 *
 * @example
 * const { html, authors } = compareVersions(draft.state, Y.encodeStateAsUpdate(ydoc), { '2849': 'Grace' })
 * // html: '<p>Ship <del>it</del><ins data-author="Grace" title="Added by Grace">today</ins></p>', authors: ['Grace']
 */
export function compareVersions(older: Uint8Array, newer: Uint8Array, clients: Readonly<Record<string, string>>): VersionComparison {
  const olderDoc = docOf([older])
  const newerDoc = docOf([newer])
  // Older first: where the newer state holds a deleted piece only as a
  // tombstone (the relay collects garbage), the older one brings its content.
  const both = docOf([older, newer])
  try {
    const walk: Walk = { older: Y.snapshot(olderDoc), newer: Y.snapshot(newerDoc), clients, added: 0, removed: 0, authors: new Set() }
    const html = titleHtml(both, walk) + childrenHtml(fragmentOf(both), walk)
    return { html, added: walk.added, removed: walk.removed, authors: [...walk.authors] }
  } finally {
    for (const doc of [olderDoc, newerDoc, both]) doc.destroy()
  }
}

function docOf(states: Uint8Array[]): Y.Doc {
  const doc = new Y.Doc({ gc: false })
  for (const state of states) Y.applyUpdate(doc, state)
  return doc
}

// A document whose fragment name holds another kind of type reads as empty, as elsewhere.
function fragmentOf(doc: Y.Doc): Y.XmlFragment | null {
  try {
    return doc.getXmlFragment(FRAGMENT_NAME)
  } catch {
    return null
  }
}

const visible = (item: Y.Item, snapshot: Y.Snapshot): boolean =>
  (snapshot.sv.get(item.id.client) ?? 0) > item.id.clock && !Y.isDeleted(snapshot.ds, item.id)

function changeOf(item: Y.Item, walk: Walk): Change | undefined {
  const before = visible(item, walk.older)
  const after = visible(item, walk.newer)
  if (before && after) return null
  if (after) return 'added'
  return before ? 'removed' : undefined
}

/** The person behind an insertion, when the versions know them ('' is someone known to have written, but not as whom). */
const authorOf = (client: number, walk: Walk): string | undefined => walk.clients[String(client)] || undefined

/** The attributes that mark an added or removed piece, with its author when known. */
function markerAttributes(change: Change, client: number, walk: Walk): Record<string, string> {
  if (change === 'removed') return { 'data-change': 'removed' }
  if (change !== 'added') return {}
  const author = authorOf(client, walk)
  if (author === undefined) return { 'data-change': 'added' }
  walk.authors.add(author)
  return { 'data-change': 'added', 'data-author': author, title: `Added by ${author}` }
}

function titleHtml(doc: Y.Doc, walk: Walk): string {
  if (!doc.share.has(TITLE_NAME)) return ''
  let title: Y.Text
  try {
    title = doc.getText(TITLE_NAME)
  } catch {
    return ''
  }
  const runs = runsOf(title, walk)
  // An unchanged title is left out: the comparison is about what changed.
  if (!runs.some((run) => run.change !== null)) return ''
  return `<p data-part="title">${runs.map((run) => runHtml(run, walk)).join('')}</p>`
}

/** The children of an element (or the fragment) visible in either state, in order. */
function childrenHtml(parent: Y.XmlFragment | Y.XmlElement | null, walk: Walk): string {
  let html = ''
  for (let item = parent?._start ?? null; item !== null; item = item.right) {
    if (!item.countable || !(item.content instanceof Y.ContentType)) continue
    const change = changeOf(item, walk)
    if (change === undefined) continue
    const type = item.content.type
    if (type instanceof Y.XmlElement) html += elementHtml(type, item, change, walk)
    else if (type instanceof Y.XmlText) html += runsOf(type, walk).map((run) => runHtml(run, walk)).join('')
  }
  return html
}

function elementHtml(element: Y.XmlElement, item: Y.Item, change: Change, walk: Walk): string {
  const inner = childrenHtml(element, walk)
  const type = schema.nodes[element.nodeName]
  // An element the schema does not know keeps its text, without its markup.
  if (type === undefined || type.isText || !type.spec.toDOM) return inner
  // A removed block is shown as it was; any other as it is now.
  const attrs = element.getAttributes(change === 'removed' ? walk.older : walk.newer)
  const node = nodeOf(type.name, attrs)
  if (node === null) return inner
  if (type.isLeaf && change !== null) walk[change] += 1
  const extra = markerAttributes(change, item.id.client, walk)
  if (change === null && !sameValue(attrs, element.getAttributes(walk.older))) extra['data-change'] = 'changed'
  return specHtml(type.spec.toDOM(node), inner, extra)
}

function nodeOf(name: string, attrs: Record<string, unknown>): Node | null {
  const type = schema.nodes[name]
  try {
    return type.create(attrs)
  } catch {
    // Attributes the schema refuses (a heading level that is not a number) render as the defaults.
    try {
      return type.create()
    } catch {
      return null
    }
  }
}

/** A stretch of text with one change, one author and one formatting. */
interface Run {
  text: string
  change: Change
  client: number
  /** Formatting as y-prosemirror stores it: mark name → its attributes. */
  attributes: Record<string, unknown>
  /** The formatting differs between the states (a run present in both). */
  reformatted: boolean
}

/**
 * The text of `text` visible in either state, in runs. Yjs gives the runs
 * with the newer formatting (`toDelta(newer, older)`), and again with the
 * older formatting (`toDelta(older, newer)`): both walk the same pieces in
 * the same order, so their strings match, and where the formatting of a
 * stretch differs between the two, someone reformatted it.
 */
function runsOf(text: Y.Text, walk: Walk): Run[] {
  const computeYChange = (type: YChange['type'], id: Y.ID): YChange => ({ type, user: id.client })
  type Op = { insert: unknown; attributes?: Record<string, unknown> }
  const strings = (ops: Op[]): { text: string; attributes: Record<string, unknown> }[] =>
    ops.filter((op): op is Op & { insert: string } => typeof op.insert === 'string').map((op) => ({ text: op.insert, attributes: op.attributes ?? {} }))
  const now = strings(text.toDelta(walk.newer, walk.older, computeYChange) as Op[])
  const then = strings(text.toDelta(walk.older, walk.newer, computeYChange) as Op[])
  const aligned = now.map((op) => op.text).join('') === then.map((op) => op.text).join('')
  const runs: Run[] = []
  let t = 0
  let offset = 0 // into then[t]
  for (const op of now) {
    const { ychange, ...attributes } = op.attributes as { ychange?: YChange } & Record<string, unknown>
    const change = ychange?.type ?? null
    const client = ychange?.user ?? 0
    if (!aligned) {
      runs.push({ text: op.text, change, client, attributes, reformatted: false })
      continue
    }
    // Cut this run where the older formatting changes within it.
    let rest = op.text
    while (rest.length > 0) {
      const older = then[t]
      const length = Math.min(rest.length, older.text.length - offset)
      const { ychange: _, ...olderAttributes } = older.attributes
      const piece = rest.slice(0, length)
      // Removed text is shown as it looked then; the rest as it looks now.
      const shown = change === 'removed' ? olderAttributes : attributes
      runs.push({ text: piece, change, client, attributes: shown, reformatted: change === null && !sameValue(attributes, olderAttributes) })
      rest = rest.slice(length)
      offset += length
      if (offset === older.text.length) {
        t += 1
        offset = 0
      }
    }
  }
  return runs
}

function runHtml(run: Run, walk: Walk): string {
  let html = escapeHtml(run.text)
  for (const mark of [...marksOf(run.attributes)].reverse()) {
    const spec = mark.type.spec.toDOM?.(mark, true)
    if (spec) html = specHtml(spec, html)
  }
  if (run.change === null) return run.reformatted ? `<span data-change="formatted" title="Formatting changed">${html}</span>` : html
  walk[run.change] += run.text.length
  const { 'data-change': _, ...attrs } = markerAttributes(run.change, run.client, walk)
  const tag = run.change === 'added' ? 'ins' : 'del'
  return `<${tag}${attributesHtml(attrs)}>${html}</${tag}>`
}

/** The marks of a run, in the schema's order (outermost first), leaving out what the schema does not know. */
function marksOf(attributes: Record<string, unknown>): readonly Mark[] {
  const marks: Mark[] = []
  for (const [key, value] of Object.entries(attributes)) {
    // y-prosemirror names a mark that may occur twice `name--hash`.
    const type = schema.marks[key.replace(/--[^-]*$/, '')]
    if (type === undefined || value === null) continue
    try {
      marks.push(type.create(typeof value === 'object' ? (value as Record<string, unknown>) : {}))
    } catch {
      // A link without an address: its text stays, unlinked.
    }
  }
  return Mark.setFrom(marks)
}

/** Whether two attribute values are the same, whatever the order of their keys. */
function sameValue(a: unknown, b: unknown): boolean {
  return stable(a) === stable(b)
}

function stable(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(stable).join(',')}]`
  if (typeof value === 'object' && value !== null) {
    return `{${Object.keys(value)
      .sort()
      .filter((key) => (value as Record<string, unknown>)[key] !== undefined)
      .map((key) => `${JSON.stringify(key)}:${stable((value as Record<string, unknown>)[key])}`)
      .join(',')}}`
  }
  return JSON.stringify(value) ?? 'undefined'
}
