/**
 * The document as plain text: for search indexes, previews, notifications.
 */
import type { Node } from 'prosemirror-model'

/**
 * Plain text with the blocks kept apart: a blank line between top-level
 * blocks, a line break between the blocks inside a list or quote (each list
 * item starts on its own line), hard breaks as line breaks, code blocks as
 * they are. A task item starts with `[ ] ` or `[x] `; a table row is a line,
 * its cells apart by tabs (as spreadsheets paste them), a cell's blocks by
 * spaces; an image is its alt text. Horizontal rules, images without alt
 * text and formatting leave no trace.
 *
 * @example
 * toPlainText(parseMarkdown('# Plan\n\n- [ ] one\n- [x] two')) // 'Plan\n\n[ ] one\n[x] two'
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
  if (block.type.name === 'image') return block.attrs.alt ? String(block.attrs.alt) : null
  if (block.isLeaf) return null
  if (block.type.name === 'tableRow') return cellTexts(block).join('\t')
  const lines: string[] = []
  block.forEach((child) => {
    const text = blockText(child)
    if (text !== null) lines.push(text)
  })
  if (block.type.name === 'taskItem') return (block.attrs.checked ? '[x] ' : '[ ] ') + lines.join('\n')
  return lines.join('\n')
}

/** A row's cells, each on one line: tabs and line breaks inside one would read as the next cell or row. */
function cellTexts(row: Node): string[] {
  const cells: string[] = []
  row.forEach((cell) => {
    const parts: string[] = []
    cell.forEach((child) => {
      const text = blockText(child)
      if (text !== null) parts.push(text)
    })
    cells.push(parts.join(' ').replace(/\s+/g, ' ').trim())
  })
  return cells
}

function inlineText(block: Node): string {
  let text = ''
  block.forEach((inline) => {
    if (inline.isText) text += inline.text
    else if (inline.type.name === 'hardBreak') text += '\n'
  })
  return text
}
