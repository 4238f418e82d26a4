import type { Connection } from './connection.ts'
import type { GrantedUser } from './grant.ts'

/**
 * Where a change to a document comes from. Every origin takes the same way
 * in (`UpdatePipeline.submit`): checked, stored, applied, relayed.
 */
export type UpdateOrigin =
  /** A client's WebSocket connection. */
  | { kind: 'connection'; connection: Connection }
  /** The server itself: the HTTP API, a script, an agent; `label` says which (for logs and hooks). */
  | { kind: 'server'; label: string; user?: GrantedUser }
  /** Another relay instance sharing the document (scale-out). */
  | { kind: 'instance'; instanceId: string }

/** An origin as hooks see it: what it was, without handles on connections. */
export interface OriginInfo {
  kind: UpdateOrigin['kind']
  /** The server-side label, or the instance ID. */
  label?: string
  /** The granted user behind it, when known. */
  user?: GrantedUser
}

export function originInfo(origin: UpdateOrigin): OriginInfo {
  switch (origin.kind) {
    case 'connection':
      return { kind: 'connection', ...(origin.connection.grant.user ? { user: origin.connection.grant.user } : {}) }
    case 'server':
      return { kind: 'server', label: origin.label, ...(origin.user ? { user: origin.user } : {}) }
    case 'instance':
      return { kind: 'instance', label: origin.instanceId }
  }
}
