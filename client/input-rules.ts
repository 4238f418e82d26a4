/**
 * Markdown-style shortcuts typed at the start of a block: `# ` to `### `,
 * `- ` or `* `, `1. `, `> `, three backticks, `---` for a rule, and `[ ] ` or
 * `[x] ` for a task (task-list.ts).
 */
import { InputRule, inputRules, textblockTypeInputRule, wrappingInputRule } from 'prosemirror-inputrules'
import type { Plugin } from 'prosemirror-state'
import { schema } from '../shared/schema.ts'
import { taskListInputRule } from './task-list.ts'

const { nodes } = schema

export function markdownInputRules(): Plugin {
  return inputRules({
    rules: [
      textblockTypeInputRule(/^(#{1,3})\s$/, nodes.heading, (match) => ({ level: match[1].length })),
      wrappingInputRule(/^\s*([-*])\s$/, nodes.bulletList),
      wrappingInputRule(
        /^(\d+)\.\s$/,
        nodes.orderedList,
        (match) => ({ start: Number(match[1]) }),
        (match, node) => node.childCount + node.attrs.start === Number(match[1]),
      ),
      wrappingInputRule(/^\s*>\s$/, nodes.blockquote),
      taskListInputRule(),
      textblockTypeInputRule(/^```$/, nodes.codeBlock),
      new InputRule(/^---$/, (state, _match, start, end) => {
        const $start = state.doc.resolve(start)
        if ($start.parent.type !== nodes.paragraph) return null
        return state.tr.delete(start, end).replaceSelectionWith(nodes.horizontalRule.create())
      }),
    ],
  })
}
