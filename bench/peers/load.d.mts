// Types for load.mjs: just the parts bench/relay-server.ts uses, so that the
// type check passes whether or not the peers are installed.
import type { IncomingMessage } from 'node:http'
import type { WebSocket } from 'ws'

export interface HocuspocusServerModule {
  Server: new (options: { port: number; address: string; quiet: boolean; stopOnSignals: boolean }) => {
    listen(): Promise<unknown>
    destroy(): Promise<void>
    readonly address: { port: number }
    readonly hocuspocus: { getDocumentsCount(): number; getConnectionsCount(): number }
  }
}
export interface YWebsocketServerUtils {
  setupWSConnection(ws: WebSocket, request: IncomingMessage): void
  /** Every document the server holds, by name. */
  docs: Map<string, unknown>
}
export function loadHocuspocusServer(): Promise<HocuspocusServerModule>
export function loadYWebsocketServerUtils(): Promise<YWebsocketServerUtils>
/** The installed version of a peer, or a note that it is not installed. */
export function peerVersion(name: string): string
