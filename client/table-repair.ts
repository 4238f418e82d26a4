/**
 * Keeping tables rectangular when several people change them.
 *
 * prosemirror-tables repairs a table after every change ("fixTables": pad
 * short rows, resolve overlapping spans). Two people adding a row and a
 * column at the same time (or one of them offline) merge into a table with
 * one short row. If every editor repaired what it received, each would add
 * the missing cell, the two additions would merge into a row now too long,
 * the other rows would then be padded by both in turn, and so on. (Stock,
 * a repair is also oddly timed: y-prosemirror writes nothing back to Yjs
 * while it applies a remote change, so the repair sits in one editor's
 * view, unshared, until the next update of that view writes it (a
 * keystroke, a click, someone's caret moving), into that person's undo
 * history.)
 *
 * So here: this person's own changes are repaired as they are made, as
 * prosemirror-tables does; tables that changes from others left broken are
 * repaired by one editor only, the same for everyone without negotiating
 * (`hasLowestClientId`), just after the change, as a change of its own that
 * is shared at once and kept out of its undo history. When no editor can
 * tell that it is the one, the table keeps its short row until someone
 * edits it, and that person's change repairs it. (Browser tests showed the
 * endless padding: two editors, each briefly unaware of the other after a
 * reconnection and so each repairing, grew a 4-column table to over a
 * hundred columns in seconds.)
 */
import type { Node } from 'prosemirror-model'
import { type EditorState, Plugin, type Transaction } from 'prosemirror-state'
import { fixTables } from 'prosemirror-tables'
import type { EditorView } from 'prosemirror-view'
import { ySyncPluginKey } from 'y-prosemirror'

/** A change that y-prosemirror made to show someone else's edit (or this person's undo, which Yjs applies). */
export const isFromYjs = (tr: Transaction): boolean =>
  (tr.getMeta(ySyncPluginKey) as { isChangeOrigin?: boolean } | undefined)?.isChangeOrigin === true

/** What `hasLowestClientId` reads from y-protocols' Awareness. */
export interface PresentClients {
  readonly clientID: number
  getStates(): Map<number, unknown>
}

/**
 * Whether this editor is the one to repair what others' changes broke: it
 * has the lowest Yjs client id of everyone present, so every editor picks
 * the same one. An editor that sees nobody else present does not act: the
 * change came from someone, so its view of who is here is incomplete, and
 * two editors each thinking itself alone would both repair, and then repair
 * each other's repairs without end. This happens after a reconnection:
 * y-protocols drops a returning person's presence as stale until their
 * next renewal (up to 15 s). The table is then repaired by the next person
 * to edit it.
 */
export function hasLowestClientId(awareness: PresentClients): boolean {
  let others = 0
  for (const id of awareness.getStates().keys()) {
    if (id === awareness.clientID) continue
    if (id < awareness.clientID) return false
    others++
  }
  return others > 0
}

/** tableEditing() (or any plugin) with its appendTransaction run only for this person's own changes. */
export function fixingOwnChangesOnly(plugin: Plugin): Plugin {
  const append = plugin.spec.appendTransaction
  return new Plugin({
    ...plugin.spec,
    appendTransaction: (transactions, oldState, newState) =>
      transactions.every(isFromYjs) ? null : append?.call(plugin, transactions, oldState, newState),
  })
}

/**
 * After changes from others, repairs the tables they touched, if this
 * editor is the one to (`isRepairer`). The repair is dispatched after the
 * change has been applied (a timeout), as this editor's own change, so the
 * binding sends it at once; `addToHistory: false` keeps it out of undo.
 */
export function repairingOthersChanges(isRepairer: () => boolean): Plugin {
  // The document before the first change from others not yet checked: fixTables compares it with the current one.
  let unchecked: Node | null = null
  let timer: ReturnType<typeof setTimeout> | undefined
  return new Plugin({
    appendTransaction(transactions, oldState) {
      if (unchecked === null && transactions.some((tr) => tr.docChanged && isFromYjs(tr))) unchecked = oldState.doc
      return null
    },
    view(view: EditorView) {
      const repair = (): void => {
        timer = undefined
        const before = unchecked
        unchecked = null
        if (!before || view.isDestroyed || !view.editable || !isRepairer()) return
        const tr = fixTables(view.state, { doc: before } as EditorState)
        if (tr) view.dispatch(tr.setMeta('addToHistory', false))
      }
      return {
        update() {
          if (unchecked !== null && timer === undefined) timer = setTimeout(repair, 0)
        },
        destroy() {
          clearTimeout(timer)
        },
      }
    },
  })
}
