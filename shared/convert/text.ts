/**
 * The document as plain text: for search indexes, previews, notifications.
 */
import type { Node } from 'prosemirror-model'

/**
 * Plain text with the blocks kept apart: a blank line between top-level
 * blocks, a line break between the blocks inside a list or quote (each list
 * item starts on its own line), hard breaks as line breaks, code blocks as
 * they are. Horizontal rules and formatting leave no trace.
 *
 * @example
 * toPlainText(parseMarkdown('# Plan\n\n- one\n- two')) // 'Plan\n\none\ntwo'
 */
export function toPlainText(doc: Node): string {
  const blocks: string[] = []
  doc.forEach((block) => {
    const text = blockText(block)
    if (text !== null) blocks.push(text)
  })
  return blocks.join('\n\n')
}

/** A block's text, its inner blocks one per line; null for blocks without text (a rule). */
function blockText(block: Node): string | null {
  if (block.isTextblock) return inlineText(block)
  if (block.isLeaf) return null
  const lines: string[] = []
  block.forEach((child) => {
    const text = blockText(child)
    if (text !== null) lines.push(text)
  })
  return lines.join('\n')
}

function inlineText(block: Node): string {
  let text = ''
  block.forEach((inline) => {
    if (inline.isText) text += inline.text
    else if (inline.type.name === 'hard_break') text += '\n'
  })
  return text
}
