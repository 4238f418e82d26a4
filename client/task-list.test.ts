import { describe, expect, it } from 'vitest'
import type { Node } from 'prosemirror-model'
import { EditorState, type Transaction } from 'prosemirror-state'
import type { EditorView } from 'prosemirror-view'
import { schema } from '../shared/schema.ts'
import { run, stateOf } from './editor-states.testing.ts'
import { toggleBulletList, toggleTaskList } from './commands.ts'
import { markdownInputRules } from './input-rules.ts'
import { taskName } from './task-item-view.ts'
import { liftItem, liftTaskAtStart, sinkItem, splitItem, taskItemAt, toggleTaskAtCaret } from './task-list.ts'

const { nodes } = schema
const p = (text = '') => nodes.paragraph.create(null, text ? schema.text(text) : null)
const task = (text: string, checked = false, ...more: Node[]) => nodes.taskItem.create({ checked }, [p(text), ...more])
const tasks = (...items: Node[]) => nodes.taskList.create(null, items)
const doc = (...blocks: Node[]) => nodes.doc.create(null, blocks)

/** Where the text `needle` starts, inside its textblock. */
function posOf(document: Node, needle: string): number {
  let found = -1
  document.descendants((node, pos) => {
    if (found < 0 && node.isText && node.text!.includes(needle)) found = pos + node.text!.indexOf(needle)
    return found < 0
  })
  if (found < 0) throw new Error(`no "${needle}"`)
  return found
}

/** The document as nested arrays: task items as `[x] text` / `[ ] text`, other textblocks as their text. */
function outline(node: Node): unknown {
  if (node.isTextblock) return node.textContent
  if (node.type === nodes.taskItem) {
    const [first, ...rest] = node.children
    const head = `[${node.attrs.checked ? 'x' : ' '}] ${first.textContent}`
    return rest.length ? [head, ...rest.map(outline)] : head
  }
  return { [node.type.name]: node.children.map(outline) }
}

/** Type `text` at the caret as a browser would, through the input rules. */
function typeText(state: EditorState, text: string): EditorState {
  const rules = markdownInputRules()
  let current = state
  for (const char of text) {
    const view = { state: current, composing: false, dispatch: (tr: Transaction) => (current = current.apply(tr)) } as unknown as EditorView
    const { from, to } = current.selection
    const handled = rules.props.handleTextInput!.call(rules, view, from, to, char, () => current.tr)
    if (!handled) current = current.apply(current.tr.insertText(char, from, to))
  }
  return current
}

describe('typing [ ] or [x] at the start of a paragraph', () => {
  it('makes an open or a done task, joined to the task list before it', () => {
    const state = typeText(stateOf(doc(p()), 1), '[ ] Buy milk')
    expect(outline(state.doc)).toEqual({ doc: [{ taskList: ['[ ] Buy milk'] }] })
    // In the empty paragraph after a task list.
    const list = doc(tasks(task('Buy milk')), p())
    const after = stateOf(list, list.content.size - 1)
    expect(outline(typeText(after, '[x] Call Bob').doc)).toEqual({ doc: [{ taskList: ['[ ] Buy milk', '[x] Call Bob'] }] })
    expect(outline(typeText(stateOf(doc(p()), 1), '[] Empty brackets').doc)).toEqual({ doc: [{ taskList: ['[ ] Empty brackets'] }] })
  })

  it('is left as text in a heading and in a list item’s first paragraph', () => {
    const heading = stateOf(doc(nodes.heading.create({ level: 2 })), 1)
    expect(typeText(heading, '[ ] x').doc.textContent).toBe('[ ] x')
    const bullet = stateOf(doc(nodes.bulletList.create(null, nodes.listItem.create(null, p()))), 3)
    expect(typeText(bullet, '[ ] x').doc.textContent).toBe('[ ] x')
  })
})

describe('task list commands', () => {
  it('Enter splits a done task into a new open one, at its end or in its middle', () => {
    const start = doc(tasks(task('Done thing', true)))
    const atEnd = typeText(run(stateOf(start, posOf(start, 'thing') + 5), splitItem), 'Next')
    expect(outline(atEnd.doc)).toEqual({ doc: [{ taskList: ['[x] Done thing', '[ ] Next'] }] })
    const inMiddle = run(stateOf(start, posOf(start, 'thing')), splitItem)
    expect(outline(inMiddle.doc)).toEqual({ doc: [{ taskList: ['[x] Done ', '[ ] thing'] }] })
  })

  it('Tab nests a task under the one before, Shift-Tab brings it back, in task and bullet lists alike', () => {
    const start = doc(tasks(task('One'), task('Two')))
    const sunk = run(stateOf(start, posOf(start, 'Two')), sinkItem)
    expect(outline(sunk.doc)).toEqual({ doc: [{ taskList: [['[ ] One', { taskList: ['[ ] Two'] }]] }] })
    const lifted = run(sunk, liftItem)
    expect(outline(lifted.doc)).toEqual({ doc: [{ taskList: ['[ ] One', '[ ] Two'] }] })
    const bullets = doc(nodes.bulletList.create(null, [nodes.listItem.create(null, p('a')), nodes.listItem.create(null, p('b'))]))
    expect(outline(run(stateOf(bullets, posOf(bullets, 'b')), sinkItem).doc)).toEqual({
      doc: [{ bulletList: [{ listItem: ['a', { bulletList: [{ listItem: ['b'] }] }] }] }],
    })
  })

  it('Tab acts on the innermost list: a task list inside a bullet item', () => {
    const nested = doc(nodes.bulletList.create(null, nodes.listItem.create(null, [p('outer'), tasks(task('t1'), task('t2'))])))
    const sunk = run(stateOf(nested, posOf(nested, 't2')), sinkItem)
    expect(outline(sunk.doc)).toEqual({ doc: [{ bulletList: [{ listItem: ['outer', { taskList: [['[ ] t1', { taskList: ['[ ] t2'] }]] }] }] }] })
  })

  it('Backspace at the start of a task makes it a paragraph; elsewhere it is left to the default', () => {
    const start = doc(tasks(task('One'), task('Two')))
    const lifted = run(stateOf(start, posOf(start, 'Two')), liftTaskAtStart)
    expect(outline(lifted.doc)).toEqual({ doc: [{ taskList: ['[ ] One'] }, 'Two'] })
    expect(liftTaskAtStart(stateOf(start, posOf(start, 'Two') + 1))).toBe(false)
    expect(liftTaskAtStart(stateOf(doc(p('plain')), 1))).toBe(false)
  })

  it('Mod-Enter checks and unchecks the task the caret is in', () => {
    const start = doc(tasks(task('One'), task('Two')))
    const checked = run(stateOf(start, posOf(start, 'Two') + 2), toggleTaskAtCaret)
    expect(outline(checked.doc)).toEqual({ doc: [{ taskList: ['[ ] One', '[x] Two'] }] })
    expect(taskItemAt(checked)).toMatchObject({ checked: true })
    expect(outline(run(checked, toggleTaskAtCaret).doc)).toEqual({ doc: [{ taskList: ['[ ] One', '[ ] Two'] }] })
    expect(toggleTaskAtCaret(stateOf(doc(p('plain')), 1))).toBe(false)
  })

  it('the toolbar’s task list button makes, switches and removes task lists', () => {
    const made = run(stateOf(doc(p('Plan')), 1), toggleTaskList)
    expect(outline(made.doc)).toEqual({ doc: [{ taskList: ['[ ] Plan'] }] })
    const bullets = run(made, toggleBulletList)
    expect(outline(bullets.doc)).toEqual({ doc: [{ bulletList: [{ listItem: ['Plan'] }] }] })
    expect(bullets.selection.head).toBe(made.selection.head)
    const back = run(bullets, toggleTaskList)
    expect(outline(back.doc)).toEqual({ doc: [{ taskList: ['[ ] Plan'] }] })
    expect(outline(run(back, toggleTaskList).doc)).toEqual({ doc: ['Plan'] })
  })
})

describe('taskName', () => {
  it('names a checkbox after its task’s first line, shortened, or says it is empty', () => {
    expect(taskName(task('  Buy   milk ', false, p('details')))).toBe('Buy milk')
    expect(taskName(task(''))).toBe('Empty task')
    const long = taskName(task('x'.repeat(200)))
    expect(long).toHaveLength(80)
    expect(long.endsWith('…')).toBe(true)
  })
})
