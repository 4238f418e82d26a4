/**
 * Rewrites of markdown-it's token stream, so that what GitHub-flavoured
 * Markdown writes lands on the schema's (Tiptap's) blocks. markdown-it
 * parses; these only regroup its tokens, and prosemirror-markdown then maps
 * the tokens onto nodes (`markdown.ts`):
 *
 * - table cells get a paragraph around their text (cells hold blocks);
 * - a bullet list whose items all start with `[ ]` or `[x]` becomes a task
 *   list (`task_list` / `task_item` tokens, `meta.checked`);
 * - an image standing in a paragraph is lifted out of it, between the
 *   paragraph's text before and after (images are blocks, as in Tiptap's
 *   default); one inside a link, emphasis or a heading becomes its alt text.
 *
 * Why not `markdown-it-task-lists`: it serves markdown-it's own HTML
 * renderer, turning the box into an `html_inline` `<input>` token and
 * classes on the list, which we would have to parse back out; it has not
 * been released since 2018. Telling the box apart here is a few lines.
 */
import type MarkdownIt from 'markdown-it'
import type { StateCore, Token } from 'markdown-it'

/** A task item's marker as written: `[ ]`, `[x]` or `[X]`, then a space or the end of the line. */
const TASK_MARKER = /^\[([ xX])\](?=[ \t]|$)/

/**
 * The markdown-it plugin: adds the three rewrites as core rules, after
 * markdown-it's own (so text tokens are joined and escapes resolved).
 *
 * @example
 * const md = MarkdownIt('commonmark').enable('table').use(schemaBlocks)
 */
export function schemaBlocks(md: MarkdownIt): void {
  md.core.ruler.push('cell_paragraphs', (state) => {
    state.tokens = wrapCells(state)
  })
  md.core.ruler.push('task_lists', (state) => {
    markTaskLists(state.tokens)
  })
  md.core.ruler.push('block_images', (state) => {
    state.tokens = liftImages(state)
  })
}

function wrapCells(state: StateCore): Token[] {
  const out: Token[] = []
  for (let i = 0; i < state.tokens.length; i++) {
    const token = state.tokens[i]
    const previous = state.tokens[i - 1]
    if (token.type === 'inline' && (previous?.type === 'th_open' || previous?.type === 'td_open')) {
      const open = new state.Token('paragraph_open', 'p', 1)
      const close = new state.Token('paragraph_close', 'p', -1)
      open.level = close.level = token.level
      token.level++
      out.push(open, token, close)
    } else {
      out.push(token)
    }
  }
  return out
}

function markTaskLists(tokens: Token[]): void {
  for (let i = 0; i < tokens.length; i++) {
    if (tokens[i].type !== 'bullet_list_open') continue
    const level = tokens[i].level
    const items: number[] = []
    let close = i + 1
    for (; close < tokens.length && !(tokens[close].type === 'bullet_list_close' && tokens[close].level === level); close++) {
      if (tokens[close].type === 'list_item_open' && tokens[close].level === level + 1) items.push(close)
    }
    const markers = items.map((at) => taskMarker(tokens, at))
    if (close >= tokens.length || markers.some((marker) => marker === null)) continue
    tokens[i].type = 'task_list_open'
    tokens[close].type = 'task_list_close'
    items.forEach((at, n) => {
      const inline = tokens[at + 2]
      const first = inline.children![0]
      first.content = first.content.replace(/^\[[ xX]\][ \t]*/, '')
      inline.content = inline.content.replace(/^\[[ xX]\][ \t]*/, '')
      tokens[at].type = 'task_item_open'
      tokens[at].meta = { checked: markers[n] !== ' ' }
      let end = at + 1
      while (!(tokens[end].type === 'list_item_close' && tokens[end].level === tokens[at].level)) end++
      tokens[end].type = 'task_item_close'
    })
  }
}

/**
 * The marker of the list item opening at `at` (' ', 'x' or 'X'), or null
 * when it is no task item. The raw source is what is tested: text reading
 * `[ ]` that was escaped (`\[ ]`) stays text.
 */
function taskMarker(tokens: Token[], at: number): string | null {
  const inline = tokens[at + 2]
  if (tokens[at + 1]?.type !== 'paragraph_open' || inline?.type !== 'inline') return null
  const marker = TASK_MARKER.exec(inline.content)?.[1]
  const first = inline.children?.[0]
  if (marker === undefined || first?.type !== 'text' || !TASK_MARKER.test(first.content)) return null
  return marker
}

function liftImages(state: StateCore): Token[] {
  const out: Token[] = []
  for (let i = 0; i < state.tokens.length; i++) {
    const token = state.tokens[i]
    if (token.type !== 'inline' || !token.children?.some((child) => child.type === 'image')) {
      out.push(token)
      continue
    }
    const inParagraph = state.tokens[i - 1]?.type === 'paragraph_open' && state.tokens[i + 1]?.type === 'paragraph_close'
    if (!inParagraph) {
      token.children = token.children.map((child) => (child.type === 'image' ? altText(state, child) : child))
      out.push(token)
      continue
    }
    // The paragraph's tokens are rebuilt around the images: its open token (out already) is taken back, its close skipped.
    const open = out.pop()!
    i++
    let segment: Token[] = []
    let depth = 0
    const flush = (): void => {
      const kept = trimSegment(segment)
      segment = []
      if (kept.length === 0) return
      const inline = new state.Token('inline', '', 0)
      inline.level = token.level
      inline.children = kept
      const paragraphOpen = new state.Token('paragraph_open', 'p', 1)
      const paragraphClose = new state.Token('paragraph_close', 'p', -1)
      paragraphOpen.level = paragraphClose.level = open.level
      paragraphOpen.hidden = paragraphClose.hidden = open.hidden
      out.push(paragraphOpen, inline, paragraphClose)
    }
    for (const child of token.children) {
      if (child.type === 'image' && depth === 0) {
        flush()
        child.level = open.level
        out.push(child)
        continue
      }
      depth += child.nesting
      segment.push(child.type === 'image' ? altText(state, child) : child)
    }
    // An image alone in a list item leaves no paragraph; the item gets an empty one first (`createAndFill`).
    flush()
  }
  return out
}

/** Inline tokens without the line breaks and spaces an image left at either end; empty if nothing else remains. */
function trimSegment(tokens: Token[]): Token[] {
  const kept = [...tokens]
  const blank = (token: Token): boolean => token.type === 'softbreak' || token.type === 'hardbreak' || (token.type === 'text' && token.content.trim() === '')
  while (kept.length > 0 && blank(kept[0])) kept.shift()
  while (kept.length > 0 && blank(kept[kept.length - 1])) kept.pop()
  if (kept.length === 0) return kept
  if (kept[0].type === 'text') kept[0].content = kept[0].content.replace(/^\s+/, '')
  const last = kept[kept.length - 1]
  if (last.type === 'text') last.content = last.content.replace(/\s+$/, '')
  return kept
}

/** An image where no block may stand, as a text token of its alt text. */
function altText(state: StateCore, image: Token): Token {
  const text = new state.Token('text', '', 0)
  text.content = imageAlt(image)
  return text
}

/** An image token's alt text: the text of its label, without the label's formatting. */
export function imageAlt(image: Token): string {
  return (image.children ?? []).map((child) => (child.type === 'text' || child.type === 'code_inline' ? child.content : '')).join('')
}
