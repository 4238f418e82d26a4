import { DOMParser as LinkedomParser, parseHTML } from 'linkedom'
import { describe, expect, it } from 'vitest'
import { cleanDocument } from './clean.ts'
import { parseHtml, toHtml, type HtmlDom } from './html.ts'
import { parseMarkdown } from './markdown.ts'

// A DOM as the browser would pass one: an inert parse and a document to build in.
const page = '<!doctype html><html><head></head><body></body></html>'
const dom: HtmlDom = {
  document: parseHTML(page).document,
  parse: (html) => {
    const parsed = new LinkedomParser().parseFromString(page, 'text/html')
    parsed.body.innerHTML = html
    return parsed.body
  },
}
const read = (html: string) => cleanDocument(parseHtml(html, dom))

/** Classic XSS payloads: none may leave a script, a handler or a script URL in the document or its HTML. */
const XSS = [
  '<script>alert(1)</script>',
  '<p>x<script src="https://evil.example/x.js"></script></p>',
  '<img src=x onerror=alert(1)>',
  '<p><img src=x onerror="alert(1)">after</p>',
  '<a href="javascript:alert(1)">click</a>',
  '<a href=" JaVaScRiPt:alert(1)">click</a>',
  '<a href="&#106;avascript:alert(1)">entity</a>',
  '<a href="vbscript:msgbox(1)">vb</a>',
  '<a href="data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==">data</a>',
  '<svg onload=alert(1)><circle r=1></circle></svg>',
  '<svg><script>alert(1)</script></svg>',
  '<iframe src="javascript:alert(1)"></iframe>',
  '<p onclick="alert(1)" style="background:url(javascript:alert(1))">styled</p>',
  '<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>',
  '<form action="javascript:alert(1)"><button>go</button></form>',
  '<object data="javascript:alert(1)"></object><embed src="javascript:alert(1)">',
  '<body onload=alert(1)><p>body</p>',
  '<div><a href="java\tscript:alert(1)">tab</a></div>',
  '<img src="javascript:alert(1)">',
  '<img src=" JaVaScRiPt:alert(1)" alt="x">',
  '<img src="data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+">',
  '<img src="https://ok.example/a.png" onerror="alert(1)" onload="alert(2)">',
  '<table><tr><td><img src=x onerror=alert(1)></td></tr></table>',
  '<ul data-type="taskList"><li data-type="taskItem" onclick="alert(1)"><img src="vbscript:x"></li></ul>',
]

// Images are content now (Tiptap's image node): what may never appear is a handler or a script URL; `<img>` is checked on its own.
const DANGER = /<script|<svg|<iframe|<object|<embed|<form|\son\w+=|javascript:|vbscript:|data:/i

/** The `src` of every `<img>` in some HTML. */
const imageSources = (html: string): string[] => [...html.matchAll(/<img\b[^>]*>/gi)].map((tag) => /\ssrc="([^"]*)"/.exec(tag[0])?.[1] ?? '(none)')

describe('HTML', () => {
  it('reads the schema’s elements: headings, lists (nested), quotes, code, rules, breaks, marks, links', () => {
    const doc = read(
      '<h1>T</h1><h2>S</h2><p>a <strong>b</strong> <b>b2</b> <em>i</em> <s>s</s> <del>d</del> <code>c</code> <a href="https://x.example" title="t">l</a><br>next</p>' +
        '<ul><li>one<ul><li>nested</li></ul></li></ul><ol start="4"><li>four</li></ol><blockquote><p>q</p></blockquote><pre>  code\n  kept</pre><hr>',
    )
    expect(doc.content.content.map((node) => node.type.name)).toEqual(['heading', 'heading', 'paragraph', 'bulletList', 'orderedList', 'blockquote', 'codeBlock', 'horizontalRule'])
    expect(doc.child(4).attrs.start).toBe(4)
    expect(doc.child(6).textContent).toBe('  code\n  kept')
    // (linkedom writes attributes last first)
    expect(toHtml(doc, dom)).toBe(
      '<h1>T</h1><h2>S</h2><p>a <strong>b</strong> <strong>b2</strong> <em>i</em> <s>s</s> <s>d</s> <code>c</code> ' +
        '<a rel="noopener noreferrer nofollow" title="t" href="https://x.example">l</a><br>next</p>' +
        '<ul><li><p>one</p><ul><li><p>nested</p></li></ul></li></ul><ol start="4"><li><p>four</p></li></ol><blockquote><p>q</p></blockquote>' +
        '<pre><code>  code\n  kept</code></pre><hr>',
    )
  })

  it('HTML → document → HTML is stable', () => {
    const once = toHtml(read('<h3>x</h3><p>y <em><strong>z</strong></em></p><ol><li>a<ol><li>b</li></ol></li></ol>'), dom)
    expect(toHtml(read(once), dom)).toBe(once)
  })

  it.each(XSS)('keeps no script, handler or script URL of %s', (payload) => {
    const doc = read(payload)
    const json = JSON.stringify(doc.toJSON())
    expect(json).not.toMatch(/javascript:|vbscript:|data:|onerror|onload|onclick|<script/i)
    doc.descendants((node) => {
      for (const mark of node.marks) if (mark.type.name === 'link') expect(mark.attrs.href).toMatch(/^(https?:|mailto:|[/#?.])/)
    })
    const html = toHtml(doc, dom)
    expect(html).not.toMatch(DANGER)
    // http(s), or relative (no scheme at all): nothing a browser would run.
    for (const src of imageSources(html)) expect(src).toMatch(/^(https?:|(?![a-z][a-z0-9+.-]*:))/i)
    doc.descendants((node) => {
      if (node.type.name === 'image') expect(node.attrs.src).toMatch(/^(https?:|(?![a-z][a-z0-9+.-]*:))/i)
    })
  })

  it('keeps an image only with a safe address, and never its handlers', () => {
    const html = toHtml(read('<p>a<img src="https://ok.example/a.png" alt="A" onerror="alert(1)">b</p><img src="javascript:alert(1)" onerror=alert(1)><img src="data:image/png;base64,AAAA"><img src="pics/c.png" onerror=alert(1)>'), dom)
    expect(html).toBe('<p>a</p><img alt="A" src="https://ok.example/a.png"><p>b</p><img alt="" src="pics/c.png">')
    // A cell whose only content was a refused image keeps an empty paragraph (cells hold blocks).
    expect(read('<table><tr><td><img src="javascript:alert(1)"></td></tr></table>').toJSON().content[0].content[0].content[0].content).toEqual([{ type: 'paragraph' }])
  })

  it('reads and writes Tiptap’s tables, task lists and images', () => {
    // As Tiptap's getHTML() writes them (with its colgroup and empty span, which carry nothing).
    const doc = read(
      '<table style="min-width: 50px;"><colgroup><col style="min-width: 25px;"><col></colgroup><tbody>' +
        '<tr><th colspan="1" rowspan="1"><p>a</p></th><th colspan="2" rowspan="1" colwidth="100,50" style="text-align: center"><p>b</p></th></tr>' +
        '<tr><td>1</td><td>2</td><td><ul><li>in a cell</li></ul></td></tr></tbody></table>' +
        '<ul data-type="taskList"><li data-checked="true" data-type="taskItem"><label><input type="checkbox" checked="checked"><span></span></label><div><p>done</p></div></li>' +
        '<li data-checked="false" data-type="taskItem"><label><input type="checkbox"><span></span></label><div><p>open</p></div></li></ul>' +
        '<img src="https://example.com/a.png" alt="A chart" title="Q3" width="320" height="200"><p><u>under</u></p>',
    )
    expect(doc.content.content.map((node) => node.type.name)).toEqual(['table', 'taskList', 'image', 'paragraph'])
    const header = doc.firstChild!.firstChild!.child(1)
    expect([header.type.name, header.attrs]).toEqual(['tableHeader', { colspan: 2, rowspan: 1, colwidth: [100, 50], align: 'center' }])
    expect(doc.child(1).content.content.map((item) => [item.type.name, item.attrs.checked, item.textContent])).toEqual([
      ['taskItem', true, 'done'],
      ['taskItem', false, 'open'],
    ])
    expect(doc.child(2).attrs).toEqual({ src: 'https://example.com/a.png', alt: 'A chart', title: 'Q3', width: 320, height: 200 })
    const html = toHtml(doc, dom)
    expect(html).toBe(
      '<table><tbody><tr><th><p>a</p></th><th style="text-align: center" colwidth="100,50" colspan="2"><p>b</p></th></tr>' +
        '<tr><td><p>1</p></td><td><p>2</p></td><td><ul><li><p>in a cell</p></li></ul></td></tr></tbody></table>' +
        '<ul data-type="taskList"><li data-checked="true" data-type="taskItem"><label contenteditable="false"><input disabled="disabled" checked="checked" type="checkbox"></label><div><p>done</p></div></li>' +
        '<li data-checked="false" data-type="taskItem"><label contenteditable="false"><input disabled="disabled" type="checkbox"></label><div><p>open</p></div></li></ul>' +
        '<img height="200" width="320" title="Q3" alt="A chart" src="https://example.com/a.png"><p><u>under</u></p>',
    )
    expect(read(html).toJSON()).toEqual(doc.toJSON())
  })

  it('keeps the text of what it drops, as text', () => {
    const doc = read('<p>before <a href="javascript:alert(1)">the link text</a> after</p>')
    expect(doc.textContent).toBe('before the link text after')
    expect(toHtml(doc, dom)).toBe('<p>before the link text after</p>')
  })

  it('gives scheme-less links https, keeps relative and mail links', () => {
    const doc = read('<p><a href="example.com/a">a</a> <a href="/local">b</a> <a href="mailto:x@example.com">c</a> <a href="#top">d</a></p>')
    const hrefs: string[] = []
    doc.descendants((node) => {
      for (const mark of node.marks) if (mark.type.name === 'link') hrefs.push(mark.attrs.href)
    })
    expect(hrefs).toEqual(['https://example.com/a', '/local', 'mailto:x@example.com', '#top'])
  })

  it('escapes text on the way out, whatever the document holds', () => {
    const doc = cleanDocument(parseMarkdown('<img src=x onerror=alert(1)> & "quotes"'))
    expect(toHtml(doc, dom)).toBe('<p>&lt;img src=x onerror=alert(1)&gt; &amp; "quotes"</p>')
  })
})
