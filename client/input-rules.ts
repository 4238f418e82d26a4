/**
 * Markdown-style shortcuts typed at the start of a block: `# ` to `### `,
 * `- ` or `* `, `1. `, `> `, three backticks, and `---` for a rule.
 */
import { InputRule, inputRules, textblockTypeInputRule, wrappingInputRule } from 'prosemirror-inputrules'
import type { Plugin } from 'prosemirror-state'
import { schema } from '../shared/schema.ts'

const { nodes } = schema

export function markdownInputRules(): Plugin {
  return inputRules({
    rules: [
      textblockTypeInputRule(/^(#{1,3})\s$/, nodes.heading, (match) => ({ level: match[1].length })),
      wrappingInputRule(/^\s*([-*])\s$/, nodes.bullet_list),
      wrappingInputRule(
        /^(\d+)\.\s$/,
        nodes.ordered_list,
        (match) => ({ order: Number(match[1]) }),
        (match, node) => node.childCount + node.attrs.order === Number(match[1]),
      ),
      wrappingInputRule(/^\s*>\s$/, nodes.blockquote),
      textblockTypeInputRule(/^```$/, nodes.code_block),
      new InputRule(/^---$/, (state, _match, start, end) => {
        const $start = state.doc.resolve(start)
        if ($start.parent.type !== nodes.paragraph) return null
        return state.tr.delete(start, end).replaceSelectionWith(nodes.horizontal_rule.create())
      }),
    ],
  })
}
