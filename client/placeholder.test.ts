import { describe, expect, it } from 'vitest'
import { EditorState } from 'prosemirror-state'
import type { DecorationSet } from 'prosemirror-view'
import { schema } from '../shared/schema.ts'
import { placeholderPlugin } from './placeholder.ts'

const decorationsOf = (doc: ReturnType<typeof schema.node>): number => {
  const plugin = placeholderPlugin('Start writing…')
  const state = EditorState.create({ schema, doc, plugins: [plugin] })
  const set = plugin.props.decorations!.call(plugin, state) as DecorationSet | null
  return set ? set.find().length : 0
}

describe('placeholder', () => {
  it('shows in an empty document only', () => {
    const { doc, paragraph, heading } = schema.nodes
    expect(decorationsOf(doc.create(null, paragraph.create()))).toBe(1)
    expect(decorationsOf(doc.create(null, paragraph.create(null, schema.text('x'))))).toBe(0)
    expect(decorationsOf(doc.create(null, [paragraph.create(), paragraph.create()]))).toBe(0)
    expect(decorationsOf(doc.create(null, heading.create()))).toBe(1)
  })
})
