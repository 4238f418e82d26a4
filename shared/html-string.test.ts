import { describe, expect, it } from 'vitest'
import { attributesHtml, escapeHtml, specHtml } from './html-string.ts'

describe('specHtml', () => {
  it('writes a spec with its hole, void elements without an end tag, and the extra attributes on the outermost element', () => {
    expect(specHtml(['p', 0], 'Hi', { 'data-change': 'added' })).toBe('<p data-change="added">Hi</p>')
    expect(specHtml(['li', { 'data-type': 'taskItem' }, ['label', ['input', { type: 'checkbox', checked: null }]], ['div', 0]], 'x')).toBe(
      '<li data-type="taskItem"><label><input type="checkbox"></label><div>x</div></li>',
    )
    expect(specHtml(['br'], '')).toBe('<br>')
  })

  it('escapes text and values, and writes no handler or malformed name or tag', () => {
    expect(escapeHtml(`<a href="x">'&'</a>`)).toBe('&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;')
    expect(attributesHtml({ title: '"><script>', onerror: 'alert(1)', 'a b': 'x', '"x': 'y' })).toBe(' title="&quot;&gt;&lt;script&gt;"')
    expect(specHtml(['scr ipt>', 0], 'kept')).toBe('kept')
    expect(specHtml(['p', '<b>'], '')).toBe('<p>&lt;b&gt;</p>')
  })
})
