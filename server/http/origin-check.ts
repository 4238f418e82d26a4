/** The `x-collab-error` reason of an upgrade refused for its `Origin`. */
export const ORIGIN_NOT_ALLOWED = 'origin not allowed'

/**
 * Which browser pages may open WebSockets to the relay, judged by the
 * `Origin` header browsers put on every upgrade. Returns a check that says
 * whether a request's `Origin` passes; a request without one (a non-browser
 * client: `ws`, y-websocket under Node, curl) always passes, since only
 * browsers send it and only browsers can be tricked into connecting.
 *
 * Entries are exact origins, `scheme://host[:port]` as a browser writes
 * them (`https://app.example.com`, `http://localhost:5173`), or `*` for any.
 * `undefined` means any origin.
 *
 * Why any origin is a safe default: the CLI's authentication is a bearer
 * token the page must put in the URL or header itself. A page on another
 * site cannot read that token, so a cross-site WebSocket (CSWSH) carries
 * none and is refused by `authenticate`, just like any stranger. The check
 * matters when `authenticate` trusts something the browser attaches on its
 * own, a session cookie or HTTP auth: then any site the user visits could
 * open the user's documents, and `allowedOrigins` must list the sites that
 * may.
 *
 * Throws a RangeError for an entry that is not an origin (a path, a
 * missing scheme), so a typo does not silently lock every browser out.
 *
 * @example
 * const allowed = createOriginCheck(['https://app.example.com'])
 * allowed('https://app.example.com') // true
 * allowed('https://evil.example')    // false
 * allowed(undefined)                 // true (not a browser)
 */
export function createOriginCheck(allowedOrigins: readonly string[] | undefined): (origin: string | undefined) => boolean {
  if (allowedOrigins === undefined || allowedOrigins.includes('*')) return () => true
  const allowed = new Set<string>()
  for (const entry of allowedOrigins) {
    const url = URL.canParse(entry) ? new URL(entry) : null
    const bare = url !== null && url.pathname === '/' && !url.search && !url.hash && !url.username && !url.password && !/\/\/.*\/./.test(entry)
    if (!bare || url.origin === 'null') {
      throw new RangeError(`allowedOrigins: "${entry}" is not an origin (scheme://host[:port], no path), nor "*"`)
    }
    // `origin` is the browser's spelling: lower-case host, no default port, no trailing slash.
    allowed.add(url.origin)
  }
  return (origin) => origin === undefined || allowed.has(origin)
}
