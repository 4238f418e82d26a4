/** Shows a hint in an empty document ("Start writing…"), drawn by CSS from a data attribute. */
import { Plugin } from 'prosemirror-state'
import { Decoration, DecorationSet } from 'prosemirror-view'

export function placeholderPlugin(text: string): Plugin {
  return new Plugin({
    props: {
      decorations(state) {
        const { doc } = state
        const only = doc.firstChild
        if (doc.childCount !== 1 || !only || !only.isTextblock || only.content.size > 0) return null
        return DecorationSet.create(doc, [
          Decoration.node(0, only.nodeSize, { class: 'collab-editor__placeholder', 'data-placeholder': text }),
        ])
      },
    },
  })
}
