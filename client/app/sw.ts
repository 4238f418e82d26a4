// The demo app's service worker: the app opens while the relay (or the whole
// server) is unreachable, and the editor then shows the document from this
// browser's copy (IndexedDB) and says it is offline.
//
// - Pages (`/`, `/d/…`): the network first, so a deploy is seen at once; the
//   last good copy when the network fails. Every document page is the same
//   shell, so one cached copy serves them all.
// - `/assets/…` (content-hashed by Vite) and `/lib/…`: from the cache, else
//   fetched and kept. Assets no cached shell refers to any more are dropped
//   whenever a shell is refreshed.
// - Everything else (the WebSocket, `/api`, `/auth`, `/healthz`) is left to
//   the network untouched: a stale answer there would be a lie.

// The page's TypeScript setup has the DOM lib, not the WebWorker one: the
// little of the service worker API used here is declared by hand.
interface ExtendableEvent extends Event {
  waitUntil(work: Promise<unknown>): void
}
interface FetchEvent extends ExtendableEvent {
  request: Request
  respondWith(response: Promise<Response>): void
}
interface WorkerScope {
  addEventListener(type: 'install' | 'activate', listener: (event: ExtendableEvent) => void): void
  addEventListener(type: 'fetch', listener: (event: FetchEvent) => void): void
  skipWaiting(): Promise<void>
  location: Location
}
const worker = self as unknown as WorkerScope

const CACHE = 'collab-app-v1'
const HOME = '/'
/** The key the document shell is kept under (any `/d/<name>` answers the same page). */
const DOCUMENT_SHELL = '/d/'
/** A page that answers the document shell when fetched at install time. */
const DOCUMENT_SHELL_SOURCE = '/d/shell'

const isShell = (path: string): boolean => path === HOME || path.startsWith(DOCUMENT_SHELL)
const isAsset = (path: string): boolean => path.startsWith('/assets/') || path.startsWith('/lib/')

/** The `/assets/…` a page loads (scripts, preloads, styles), read from its HTML. */
function assetsOf(html: string): string[] {
  return [...html.matchAll(/(?:src|href)="(\/assets\/[^"]+)"/g)].map((match) => match[1])
}

async function keepShell(cache: Cache, key: string, response: Response): Promise<void> {
  const html = await response.clone().text()
  await cache.put(key, response)
  await Promise.all(assetsOf(html).map(async (asset) => ((await cache.match(asset)) ? undefined : cache.add(asset))))
}

/** Drop cached assets that neither shell refers to (left from an earlier deploy). */
async function prune(cache: Cache): Promise<void> {
  const used = new Set<string>()
  for (const key of [HOME, DOCUMENT_SHELL]) {
    const shell = await cache.match(key)
    if (shell) for (const asset of assetsOf(await shell.text())) used.add(asset)
  }
  for (const request of await cache.keys()) {
    const path = new URL(request.url).pathname
    if (path.startsWith('/assets/') && !used.has(path)) await cache.delete(request)
  }
}

worker.addEventListener('install', (event) => {
  event.waitUntil(
    (async () => {
      const cache = await caches.open(CACHE)
      for (const [key, source] of [
        [HOME, HOME],
        [DOCUMENT_SHELL, DOCUMENT_SHELL_SOURCE],
      ]) {
        const response = await fetch(source, { cache: 'no-store' })
        if (response.ok) await keepShell(cache, key, response)
      }
      await worker.skipWaiting()
    })(),
  )
})

worker.addEventListener('activate', (event) => {
  event.waitUntil(caches.keys().then((names) => Promise.all(names.filter((name) => name !== CACHE).map((name) => caches.delete(name)))))
})

worker.addEventListener('fetch', (event) => {
  const { request } = event
  const url = new URL(request.url)
  if (request.method !== 'GET' || url.origin !== worker.location.origin) return
  if (request.mode === 'navigate' && isShell(url.pathname)) {
    event.respondWith(page(event, url.pathname === HOME ? HOME : DOCUMENT_SHELL))
  } else if (isAsset(url.pathname)) {
    event.respondWith(asset(request))
  }
})

async function page(event: FetchEvent, key: string): Promise<Response> {
  try {
    const response = await fetch(event.request)
    // Only a real page is kept: a 400 for a bad name or a 503 "not built" is
    // passed on, not cached. The page is answered at once; keeping it goes on after.
    if (response.ok) {
      const copy = response.clone()
      event.waitUntil(caches.open(CACHE).then(async (cache) => {
        await keepShell(cache, key, copy)
        await prune(cache)
      }))
    }
    return response
  } catch (error) {
    const cached = await (await caches.open(CACHE)).match(key)
    if (cached) return cached
    throw error
  }
}

async function asset(request: Request): Promise<Response> {
  const cache = await caches.open(CACHE)
  const cached = await cache.match(request)
  if (cached) return cached
  const response = await fetch(request)
  if (response.ok) await cache.put(request, response.clone())
  return response
}
