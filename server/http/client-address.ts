import { BlockList, isIP, isIPv4 } from 'node:net'

/**
 * Who is on the other end of a request: the peer's address, or, when the
 * peer is a proxy we trust, the address that proxy says it forwarded for.
 *
 * `X-Forwarded-For` is a list each proxy appends its own peer to, so only its
 * right end can be believed, and only as far as the hops are ours: walk it
 * from the right, past every trusted hop, and the first address that is not
 * one of ours is the client. Everything to its left was written by the client
 * itself and is ignored (the same walk as `proxy-addr`, which Express uses).
 */
export interface TrustedProxies {
  /** Whether `address` (normalized, see `normalizeAddress`) is one of the trusted ranges. */
  has(address: string): boolean
}

/**
 * The trusted proxy ranges: CIDRs (`10.0.0.0/8`, `::1/128`) or single
 * addresses (`127.0.0.1`, a /32 or /128). IPv4 ranges also match IPv4
 * peers seen through a dual-stack socket (`::ffff:10.1.2.3`), which
 * `normalizeAddress` turns back into `10.1.2.3`.
 *
 * Throws a RangeError naming the entry that is not a range.
 *
 * @example
 * const proxies = createTrustedProxies(['10.0.0.0/8', '::1/128'])
 * clientAddress('10.0.0.7', '198.51.100.4, 10.0.0.9', proxies) // '198.51.100.4'
 */
export function createTrustedProxies(ranges: readonly string[]): TrustedProxies {
  const list = new BlockList()
  for (const range of ranges) {
    const slash = range.indexOf('/')
    const address = slash < 0 ? range : range.slice(0, slash)
    const family = isIP(address)
    const bits = family === 4 ? 32 : 128
    const prefixText = slash < 0 ? String(bits) : range.slice(slash + 1)
    const prefix = /^\d{1,3}$/.test(prefixText) ? Number(prefixText) : NaN
    if (family === 0 || !(prefix >= 0 && prefix <= bits)) {
      throw new RangeError(`trustProxy: "${range}" is not an IPv4 or IPv6 address or CIDR range (like 10.0.0.0/8 or ::1/128)`)
    }
    list.addSubnet(address, prefix, family === 4 ? 'ipv4' : 'ipv6')
  }
  return {
    has(address) {
      const family = isIP(address)
      return family !== 0 && list.check(address, family === 4 ? 'ipv4' : 'ipv6')
    },
  }
}

/**
 * An address as one spelling: IPv4-mapped IPv6 (`::ffff:1.2.3.4`, what a
 * dual-stack socket reports for IPv4 peers) as plain IPv4, brackets, an
 * IPv4 port (`1.2.3.4:5678`, some proxies add one) and an IPv6 zone
 * dropped, IPv6 in lower case. Null when it is not an IP address.
 */
export function normalizeAddress(text: string): string | null {
  let address = text.trim()
  const bracketed = /^\[([^\]]+)\](?::\d+)?$/.exec(address)
  if (bracketed) address = bracketed[1]
  else if (/^\d{1,3}(\.\d{1,3}){3}:\d+$/.test(address)) address = address.slice(0, address.lastIndexOf(':'))
  address = address.replace(/%.*$/, '').toLowerCase()
  const mapped = /^::ffff:(\d{1,3}(\.\d{1,3}){3})$/.exec(address)
  if (mapped) address = mapped[1]
  return isIP(address) === 0 ? null : address
}

/**
 * The client's address for a request that reached us from `peer`, with the
 * `X-Forwarded-For` header it carried (several headers joined by commas, as
 * Node joins them). Without trusted proxies, or from a peer outside them, the
 * header is ignored: anyone can send one. Null only when `peer` itself is not
 * an address (a socket already gone).
 */
export function clientAddress(peer: string | undefined, forwardedFor: string | undefined, trusted: TrustedProxies | null): string | null {
  let address = peer === undefined ? null : normalizeAddress(peer)
  if (address === null || trusted === null || !trusted.has(address) || !forwardedFor) return address
  const hops = forwardedFor.split(',')
  for (let i = hops.length - 1; i >= 0; i--) {
    if (hops[i].trim() === '') continue
    const hop = normalizeAddress(hops[i])
    // A trusted proxy passed on something that is not an address: believe
    // no further than the last hop we could check.
    if (hop === null) return address
    address = hop
    if (!trusted.has(hop)) return hop
  }
  // Every hop was a proxy of ours: the leftmost is the closest to a client there is.
  return address
}

/**
 * The key per-address limits count under: an IPv4 address as it is, an IPv6
 * address by its /64 prefix. One IPv6 subscriber is usually handed a whole
 * /64 (RFC 6177), so counting single IPv6 addresses would let one client
 * take 2^64 fresh identities.
 */
export function limitKey(address: string): string {
  if (isIPv4(address)) return address
  const [head, tail = ''] = address.split('::')
  const groups = (part: string): string[] => (part === '' ? [] : part.split(':'))
  const left = groups(head)
  if (address.includes('::')) {
    // An embedded IPv4 tail (`64:ff9b::1.2.3.4`) counts as two groups.
    const right = groups(tail).flatMap((group) => (group.includes('.') ? ['0', '0'] : [group]))
    left.push(...Array<string>(Math.max(0, 8 - left.length - right.length)).fill('0'), ...right)
  }
  return `${left
    .slice(0, 4)
    .map((group) => group.replace(/^0+(?=.)/, ''))
    .join(':')}::/64`
}
