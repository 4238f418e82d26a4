/**
 * Asking a plugin view to open its piece of UI (a dialog, a popover) from a
 * command. A command has only the state and `dispatch`, while the DOM
 * belongs to the plugin's view, so the request travels as transaction
 * metadata. The plugin's state counts requests rather than holding a flag:
 * the view compares the count with the last one it saw, so each request
 * opens the UI exactly once, however many transactions follow it and
 * without a second transaction to clear a flag.
 */
import { Plugin, PluginKey, type Transaction } from 'prosemirror-state'
import type { EditorView } from 'prosemirror-view'

/** A plugin view told, at each update, whether a new request to open came. */
export interface RequestedView {
  update(view: EditorView, requested: boolean): void
  destroy(): void
}

/** One kind of request: the command's half (`ask`) and the plugin's (`plugin`). */
export interface OpenRequests {
  /** Mark `tr` as one more request to open; returns `tr`. */
  ask(tr: Transaction): Transaction
  /** The plugin that counts the requests, with the view `createView` makes. */
  plugin(createView: (view: EditorView) => RequestedView): Plugin<number>
}

/**
 * The requests to open one piece of UI, under the plugin key `name`.
 *
 * @example
 * const dialogRequests = createOpenRequests('collabImageDialog')
 * const openDialog: Command = (state, dispatch) => {
 *   if (dispatch) dispatch(dialogRequests.ask(state.tr))
 *   return true
 * }
 * const dialogPlugin = (): Plugin => dialogRequests.plugin((view) => ({ update: (_view, requested) => void (requested && view.focus()), destroy() {} }))
 */
export function createOpenRequests(name: string): OpenRequests {
  const key = new PluginKey<number>(name)
  return {
    ask: (tr) => tr.setMeta(key, true),
    plugin: (createView) =>
      new Plugin<number>({
        key,
        state: {
          init: () => 0,
          apply: (tr, requests) => (tr.getMeta(key) ? requests + 1 : requests),
        },
        view: (editorView) => {
          // Those made before the view existed are not for it.
          let seen = key.getState(editorView.state) ?? 0
          const view = createView(editorView)
          return {
            update(editorView) {
              const requests = key.getState(editorView.state) ?? 0
              const requested = requests !== seen
              seen = requests
              view.update(editorView, requested)
            },
            destroy: () => view.destroy(),
          }
        },
      }),
  }
}
