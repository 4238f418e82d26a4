/**
 * How a task item looks in the editor: a real checkbox before its text.
 * Clicking it (or Mod-Enter with the caret in the item, see task-list.ts)
 * sets the item's `checked` through a transaction, so the change is shared
 * and is one step of this person's undo. The checkbox is off in a read-only
 * editor. Its accessible name is the task's text ("Buy milk, checkbox,
 * checked"); it is not a Tab stop, because Tab in a list indents.
 */
import type { Node } from 'prosemirror-model'
import { Plugin } from 'prosemirror-state'
import type { EditorView, NodeView, ViewMutationRecord } from 'prosemirror-view'
import { schema } from '../shared/schema.ts'
import { setTaskCheckedAsStep } from './task-list.ts'

const CHECKBOX_CLASS = 'collab-editor__task-checkbox'
/** Long tasks make long names; a screen reader needs only the start to tell tasks apart. */
const NAME_MAX_CHARS = 80

/** The checkbox's accessible name: the task's first line, or a word for an empty task. */
export function taskName(item: Node): string {
  const text = (item.firstChild?.textContent ?? '').trim().replace(/\s+/g, ' ')
  if (!text) return 'Empty task'
  return text.length > NAME_MAX_CHARS ? `${text.slice(0, NAME_MAX_CHARS - 1)}…` : text
}

class TaskItemView implements NodeView {
  readonly dom: HTMLLIElement
  readonly contentDOM: HTMLDivElement
  private readonly label: HTMLLabelElement
  private readonly checkbox: HTMLInputElement

  constructor(
    private node: Node,
    private readonly view: EditorView,
    private readonly getPos: () => number | undefined,
  ) {
    // The schema's own rendering (li > label > input, div), so that styles and copied HTML match.
    this.dom = document.createElement('li')
    this.dom.dataset.type = 'taskItem'
    this.label = document.createElement('label')
    this.label.contentEditable = 'false'
    this.checkbox = document.createElement('input')
    this.checkbox.type = 'checkbox'
    this.checkbox.className = CHECKBOX_CLASS
    this.checkbox.tabIndex = -1
    this.checkbox.disabled = !view.editable
    this.label.append(this.checkbox)
    this.contentDOM = document.createElement('div')
    this.dom.append(this.label, this.contentDOM)
    // A click must not move focus from the text to the checkbox: the caret stays where it was.
    this.label.addEventListener('mousedown', (event) => event.preventDefault())
    this.checkbox.addEventListener('change', this.onChange)
    this.render()
  }

  private render(): void {
    const checked = this.node.attrs.checked === true
    this.dom.dataset.checked = String(checked)
    this.checkbox.checked = checked
    this.checkbox.setAttribute('aria-label', taskName(this.node))
  }

  private onChange = (): void => {
    const pos = this.getPos()
    if (pos !== undefined && this.view.editable) setTaskCheckedAsStep(this.view, pos, this.checkbox.checked)
    // What the document says, whether or not the change went through (a read-only editor drops it).
    this.checkbox.checked = this.node.attrs.checked === true
  }

  update(node: Node): boolean {
    if (node.type !== this.node.type) return false
    this.node = node
    this.render()
    return true
  }

  /** Events on the checkbox are its own; ProseMirror would take a click there for a click in the text. */
  stopEvent(event: Event): boolean {
    return event.target instanceof globalThis.Node && this.label.contains(event.target)
  }

  /** The checkbox and the item's attributes are drawn here, not by ProseMirror: changes to them are not edits. */
  ignoreMutation(mutation: ViewMutationRecord): boolean {
    if (mutation.type === 'selection') return false
    return this.label.contains(mutation.target) || (mutation.target === this.dom && mutation.type === 'attributes')
  }

  destroy(): void {
    this.checkbox.removeEventListener('change', this.onChange)
  }
}

/** The task item node view, and the checkboxes switched off while the editor is read-only. */
export function taskItemPlugin(): Plugin {
  return new Plugin({
    props: {
      nodeViews: {
        [schema.nodes.taskItem.name]: (node, view, getPos) => new TaskItemView(node, view, getPos),
      },
    },
    view(view) {
      let editable = view.editable
      return {
        // Access can change at any time (a token's grant, a refusal); node views are not told.
        update(view) {
          if (view.editable === editable) return
          editable = view.editable
          for (const box of view.dom.querySelectorAll<HTMLInputElement>(`input.${CHECKBOX_CLASS}`)) box.disabled = !editable
        },
      }
    },
  })
}
