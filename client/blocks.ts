/**
 * Tables, task lists and images in the editor, as one list of plugins for
 * `createCollabEditor`: their node views, table editing, the table toolbar
 * and the image dialog (both drawn inside the editor's root).
 */
import type { Plugin } from 'prosemirror-state'
import type { Awareness } from 'y-protocols/awareness'
import { openImageDialog, imageDialogPlugin } from './image-dialog.ts'
import { imagePlugin } from './images.ts'
import { tableToolbarPlugin } from './table-toolbar.ts'
import { hasLowestClientId } from './table-repair.ts'
import { tablePlugins } from './tables.ts'
import { taskItemPlugin } from './task-item-view.ts'

/**
 * The plugins, for after the keymaps and the gap cursor: prosemirror-tables
 * handles arrow keys and clicks in tables broadly, so it comes late. The
 * awareness says who else is here, to choose which editor repairs tables
 * (table-repair.ts).
 */
export function blockPlugins(root: HTMLElement, awareness: Awareness): Plugin[] {
  return [
    taskItemPlugin(),
    imagePlugin((view) => openImageDialog(view.state, view.dispatch, view)),
    tableToolbarPlugin(root),
    imageDialogPlugin(root),
    ...tablePlugins({ isRepairer: () => hasLowestClientId(awareness) }),
  ]
}
