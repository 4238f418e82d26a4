import { describe, expect, it } from 'vitest'
import { checkLinkUrl, UNSAFE_LINK_MESSAGE } from './link-popover.ts'

describe('checkLinkUrl', () => {
  it('accepts web, mailto and relative addresses as typed', () => {
    for (const url of ['https://example.com/a?b=c#d', 'http://example.com', 'HTTPS://EXAMPLE.COM', 'mailto:ada@example.com', '/docs/intro', '#section', '?q=1', './next', '../up']) {
      expect(checkLinkUrl(url)).toEqual({ ok: true, href: url })
    }
  })

  it('trims, and completes a bare host to https: and a bare e-mail address to mailto:', () => {
    expect(checkLinkUrl('  https://example.com  ')).toEqual({ ok: true, href: 'https://example.com' })
    expect(checkLinkUrl('example.com/docs')).toEqual({ ok: true, href: 'https://example.com/docs' })
    expect(checkLinkUrl('ada@example.com')).toEqual({ ok: true, href: 'mailto:ada@example.com' })
  })

  it('refuses scripts, data and every other scheme, however spelled, with a message', () => {
    for (const url of ['javascript:alert(1)', ' JavaScript:alert(1)', 'vbscript:msgbox(1)', 'data:text/html,<script>alert(1)</script>', 'file:///etc/passwd', 'ftp://example.com']) {
      expect(checkLinkUrl(url)).toEqual({ ok: false, message: UNSAFE_LINK_MESSAGE })
    }
  })

  it('asks for an address when there is none', () => {
    expect(checkLinkUrl('   ')).toEqual({ ok: false, message: 'Enter an address.' })
  })
})
