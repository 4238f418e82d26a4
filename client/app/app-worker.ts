// Registers the service worker (sw.ts) that lets the app's pages open while
// the server cannot be reached. Without service workers (an old browser, a
// page not served over https or from localhost) the app works as before,
// online only.
export function registerAppWorker(): void {
  if (!('serviceWorker' in navigator)) return
  // After the page has loaded: installing fetches the pages and their
  // assets again, which should not compete with opening this one.
  const register = (): void => {
    navigator.serviceWorker.register('/sw.js').catch(() => {
      // Not fatal: the page is already here; it just will not open offline.
    })
  }
  if (document.readyState === 'complete') register()
  else window.addEventListener('load', register, { once: true })
}
