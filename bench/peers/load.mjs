// The peer servers, resolved from this folder's own node_modules
// (`npm run bench:peers` installs them), so that they stay out of
// collab-relay's dependencies.
import { readFileSync } from 'node:fs'

export const loadHocuspocusServer = () => import('@hocuspocus/server')
export const loadYWebsocketServerUtils = () => import('@y/websocket-server/utils')

export function peerVersion(name) {
  try {
    return JSON.parse(readFileSync(new URL(`./node_modules/${name}/package.json`, import.meta.url), 'utf8')).version
  } catch {
    return 'not installed (npm run bench:peers)'
  }
}
