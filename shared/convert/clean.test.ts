import { describe, expect, it } from 'vitest'
import { schema } from '../schema.ts'
import { cleanDocument } from './clean.ts'

const clean = (content: unknown[]) => cleanDocument(schema.nodeFromJSON({ type: 'doc', content })).toJSON().content

describe('cleanDocument on Tiptap’s nodes', () => {
  it('keeps attributes of the types and ranges Tiptap writes, and resets the rest to their defaults', () => {
    const p = { type: 'paragraph', content: [{ type: 'text', text: 'x' }] }
    const cell = (attrs: Record<string, unknown>) => ({ type: 'tableCell', attrs, content: [p] })
    expect(
      clean([
        { type: 'table', content: [{ type: 'tableRow', content: [cell({ colspan: 2, rowspan: 1, colwidth: [120, 80], align: 'center' }), cell({ colspan: '3', rowspan: -1, colwidth: [10, 20], align: 'justify' })] }] },
        { type: 'taskList', content: [{ type: 'taskItem', attrs: { checked: 'yes' }, content: [p] }] },
        { type: 'codeBlock', attrs: { language: 'js" onload="x' }, content: [{ type: 'text', text: 'c' }] },
        { type: 'orderedList', attrs: { start: 2, type: 'disc' }, content: [{ type: 'listItem', content: [p] }] },
        { type: 'image', attrs: { src: '/a.png', alt: '', title: 'T', width: '640', height: -3 } },
      ]),
    ).toEqual([
      {
        type: 'table',
        content: [
          {
            type: 'tableRow',
            content: [
              { type: 'tableCell', attrs: { colspan: 2, rowspan: 1, colwidth: [120, 80], align: 'center' }, content: [p] },
              { type: 'tableCell', attrs: { colspan: 1, rowspan: 1, colwidth: null, align: null }, content: [p] },
            ],
          },
        ],
      },
      { type: 'taskList', content: [{ type: 'taskItem', attrs: { checked: false }, content: [p] }] },
      { type: 'codeBlock', attrs: { language: null }, content: [{ type: 'text', text: 'c' }] },
      { type: 'orderedList', attrs: { start: 2, type: null }, content: [{ type: 'listItem', content: [p] }] },
      { type: 'image', attrs: { src: '/a.png', alt: null, title: 'T', width: 640, height: null } },
    ])
  })

  it('gives links Tiptap’s target and rel unless plausible ones are given, and drops images from other addresses', () => {
    const link = (attrs: Record<string, unknown>) => ({ type: 'paragraph', content: [{ type: 'text', text: 'l', marks: [{ type: 'link', attrs }] }] })
    const [kept, replaced] = clean([link({ href: 'https://x.example', target: '_self', rel: 'noopener', class: 'doc-link' }), link({ href: 'https://x.example', target: 'javascript:x', rel: '"><script>', class: '<b>' })]) as {
      content: { marks: { attrs: unknown }[] }[]
    }[]
    expect(kept.content[0].marks[0].attrs).toEqual({ href: 'https://x.example', target: '_self', rel: 'noopener', class: 'doc-link', title: null })
    expect(replaced.content[0].marks[0].attrs).toEqual({ href: 'https://x.example', target: '_blank', rel: 'noopener noreferrer nofollow', class: null, title: null })
    const images = clean(['javascript:alert(1)', 'data:image/png;base64,AAAA', 'ftp://x.example/a.png', 'https://x.example/a.png', './a.png'].map((src) => ({ type: 'image', attrs: { src } })))
    expect(images.map((image: { attrs: { src: string } }) => image.attrs.src)).toEqual(['https://x.example/a.png', './a.png'])
  })
})
