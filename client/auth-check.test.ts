import { describe, expect, it } from 'vitest'
import { authUrlFor } from './auth-check.ts'

describe('authUrlFor', () => {
  it('is the relay’s /auth over HTTP(S), under its mount point, with the document as a query parameter', () => {
    expect(authUrlFor('ws://127.0.0.1:1234', 'team/specs/q4 plan')).toBe('http://127.0.0.1:1234/auth?document=team%2Fspecs%2Fq4+plan')
    expect(authUrlFor('wss://example.com/collab/', 'doc')).toBe('https://example.com/collab/auth?document=doc')
    expect(authUrlFor('ws://host/collab?x=1', '文書')).toBe('http://host/collab/auth?document=%E6%96%87%E6%9B%B8')
  })
})
