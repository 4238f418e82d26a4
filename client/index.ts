/**
 * The embeddable editor. Importing this module registers `<collab-editor>`;
 * `createCollabEditor` is the programmatic entry. Styles: `style.css`.
 */
import './styles.css'
import { defineCollabEditorElement } from './element.ts'

export { createCollabEditor, type CollabEditor, type CollabEditorOptions } from './editor.ts'
export { CollabEditorElement, defineCollabEditorElement, ELEMENT_NAME } from './element.ts'
export { statusLabel, type Access, type EditorProblem, type EditorStatus, type ConnectionState } from './sync-status.ts'
export type { TokenSource } from './connection.ts'
export { colorForName, PEOPLE_COLORS, type CollabUser } from './user.ts'
export { bindTitle, type TitleBinding } from './title.ts'
export { TITLE_NAME, readTitle } from '../shared/document-title.ts'
export { schema, FRAGMENT_NAME } from '../shared/schema.ts'
export { CloseCode, describeCloseCode } from '../shared/close-codes.ts'

if (typeof customElements !== 'undefined') defineCollabEditorElement()
