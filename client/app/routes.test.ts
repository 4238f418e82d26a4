import { describe, expect, it } from 'vitest'
import { documentFromPath, shareLink, tokenFromFragment } from './routes.ts'

describe('demo app routes', () => {
  it('reads the token from the fragment, however it is spelled', () => {
    expect(tokenFromFragment('#token=abc.def-ghi')).toBe('abc.def-ghi')
    expect(tokenFromFragment('#token=read%3Adoc%3A1')).toBe('read:doc:1')
    expect(tokenFromFragment('token=x&other=1')).toBe('x')
    expect(tokenFromFragment('')).toBeNull()
    expect(tokenFromFragment('#token=')).toBeNull()
    expect(tokenFromFragment('#section-2')).toBeNull()
  })

  it('builds share links with the token only when asked, and they round-trip', () => {
    expect(shareLink('http://h:1', 'team/q4 plan', null)).toBe('http://h:1/d/team/q4%20plan')
    const link = new URL(shareLink('http://h:1', 'team/q4 plan', 'write:a b:1'))
    expect(link.search).toBe('')
    expect(documentFromPath(link.pathname)).toBe('team/q4 plan')
    expect(tokenFromFragment(link.hash)).toBe('write:a b:1')
  })
})
