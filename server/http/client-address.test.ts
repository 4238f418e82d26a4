import { describe, expect, it } from 'vitest'
import { clientAddress, createTrustedProxies, limitKey, normalizeAddress } from './client-address.ts'

describe('normalizeAddress', () => {
  it('spells one address one way', () => {
    expect(normalizeAddress('203.0.113.7')).toBe('203.0.113.7')
    expect(normalizeAddress(' 203.0.113.7 ')).toBe('203.0.113.7')
    expect(normalizeAddress('::ffff:203.0.113.7')).toBe('203.0.113.7')
    expect(normalizeAddress('203.0.113.7:54321')).toBe('203.0.113.7')
    expect(normalizeAddress('[2001:DB8::1]:443')).toBe('2001:db8::1')
    expect(normalizeAddress('[2001:db8::1]')).toBe('2001:db8::1')
    expect(normalizeAddress('fe80::1%eth0')).toBe('fe80::1')
  })

  it('refuses what is not an address', () => {
    for (const text of ['', 'unknown', 'example.com', '203.0.113', '1.2.3.4.5', '::g', '_hidden']) expect(normalizeAddress(text), text).toBeNull()
  })
})

describe('createTrustedProxies', () => {
  it('matches IPv4 and IPv6 ranges and single addresses', () => {
    const proxies = createTrustedProxies(['10.0.0.0/8', '192.168.1.0/24', '::1/128', 'fd00::/8', '127.0.0.1'])
    for (const address of ['10.0.0.1', '10.255.255.255', '192.168.1.200', '::1', 'fd12:3456::9', '127.0.0.1']) expect(proxies.has(address), address).toBe(true)
    for (const address of ['11.0.0.1', '192.168.2.1', '::2', 'fe80::1', '127.0.0.2', 'not-an-ip']) expect(proxies.has(address), address).toBe(false)
  })

  it('takes /0 as everything of that family', () => {
    const proxies = createTrustedProxies(['0.0.0.0/0'])
    expect(proxies.has('198.51.100.1')).toBe(true)
    expect(proxies.has('2001:db8::1')).toBe(false)
  })

  it('refuses a range it cannot read, naming it', () => {
    for (const range of ['10.0.0.0/33', '::1/129', '10.0.0.0/', '10.0.0.0/8x', 'localhost', '10.0.0/8', '']) {
      expect(() => createTrustedProxies([range]), range).toThrow(new RangeError(`trustProxy: "${range}" is not an IPv4 or IPv6 address or CIDR range (like 10.0.0.0/8 or ::1/128)`))
    }
  })
})

describe('clientAddress', () => {
  const proxies = createTrustedProxies(['10.0.0.0/8', '::1/128', '127.0.0.1'])

  it('is the peer when no proxy is trusted, whatever X-Forwarded-For says', () => {
    expect(clientAddress('203.0.113.7', '198.51.100.1', null)).toBe('203.0.113.7')
    expect(clientAddress('::ffff:203.0.113.7', undefined, null)).toBe('203.0.113.7')
  })

  it('is the peer when the peer is not a trusted proxy', () => {
    expect(clientAddress('203.0.113.7', '198.51.100.1', proxies)).toBe('203.0.113.7')
  })

  it('is the peer when a trusted proxy sends no header', () => {
    expect(clientAddress('10.0.0.5', undefined, proxies)).toBe('10.0.0.5')
    expect(clientAddress('10.0.0.5', '', proxies)).toBe('10.0.0.5')
  })

  it('walks from the right past trusted hops to the first untrusted address', () => {
    expect(clientAddress('10.0.0.5', '198.51.100.1', proxies)).toBe('198.51.100.1')
    // The client wrote "1.1.1.1" itself; the proxies appended the rest.
    expect(clientAddress('10.0.0.5', '1.1.1.1, 198.51.100.1, 10.0.0.9', proxies)).toBe('198.51.100.1')
    expect(clientAddress('::ffff:127.0.0.1', '2001:db8::7, ::1', proxies)).toBe('2001:db8::7')
    // Several headers arrive joined by commas; empty entries are skipped.
    expect(clientAddress('::1', '198.51.100.1,, 10.1.1.1 ,', proxies)).toBe('198.51.100.1')
  })

  it('takes the leftmost hop when every hop is trusted', () => {
    expect(clientAddress('10.0.0.5', '10.0.0.1, 10.0.0.2', proxies)).toBe('10.0.0.1')
  })

  it('believes no further than the last checked hop when a trusted hop passed on garbage', () => {
    expect(clientAddress('10.0.0.5', 'unknown, 10.0.0.7', proxies)).toBe('10.0.0.7')
    expect(clientAddress('10.0.0.5', '198.51.100.1, garbage', proxies)).toBe('10.0.0.5')
  })

  it('is null only without a peer address', () => {
    expect(clientAddress(undefined, '198.51.100.1', proxies)).toBeNull()
  })
})

describe('limitKey', () => {
  it('counts IPv4 addresses one by one and IPv6 ones per /64', () => {
    expect(limitKey('203.0.113.7')).toBe('203.0.113.7')
    expect(limitKey('2001:db8:1:2:aaaa::1')).toBe('2001:db8:1:2::/64')
    expect(limitKey('2001:db8:1:2:ffff:ffff:ffff:ffff')).toBe('2001:db8:1:2::/64')
    expect(limitKey('2001:0db8:0001:0002::9')).toBe('2001:db8:1:2::/64')
    expect(limitKey('2001:db8::1')).toBe('2001:db8:0:0::/64')
    expect(limitKey('::1')).toBe('0:0:0:0::/64')
    expect(limitKey('64:ff9b::198.51.100.1')).toBe('64:ff9b:0:0::/64')
    expect(limitKey('2001:db8:1:3::1')).not.toBe(limitKey('2001:db8:1:2::1'))
  })
})
