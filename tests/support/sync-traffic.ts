/**
 * What passes over a Hocuspocus provider's socket that bears on its unsynced
 * count. The count is a counter, not a set of changes: `startSync` sets it to
 * 1 and every applied SyncStatus takes one off. The relay sends its state
 * vector on join and again after answering the provider's (PROTOCOL.md), so
 * the provider answers two step 1s and gets two acknowledgements; an edit
 * made while those are on the way is counted off by them. A test asserting
 * the count after an edit first waits for `syncAcknowledged`.
 */
import * as decoding from 'lib0/decoding'
import WebSocket from 'ws'
import { HocuspocusMessage, readEnvelope } from '../../shared/hocuspocus-protocol.ts'

export interface SyncTraffic {
  /** Sync step 1 frames the server sent (each answered with a step 2 the server acknowledges). */
  step1s: number
  /** Step 2 and update frames the provider sent: each gets one SyncStatus. */
  acknowledgeable: number
  /** The SyncStatus answers, in order: true applied, false refused. */
  statuses: boolean[]
}

export const newSyncTraffic = (): SyncTraffic => ({ step1s: 0, acknowledgeable: 0, statuses: [] })

/** Both of the relay's step 1s answered, and every answer acknowledged. */
export const syncAcknowledged = (traffic: SyncTraffic): boolean =>
  traffic.step1s === 2 && traffic.statuses.length === traffic.acknowledgeable

/** Every frame the provider sent that gets a SyncStatus has got it. */
export const allAcknowledged = (traffic: SyncTraffic): boolean => traffic.statuses.length === traffic.acknowledgeable

/** The routed message type of a frame and a decoder of its body; null for v4's keyless Ping and Pong. */
function routed(frame: Uint8Array): { type: number; decoder: decoding.Decoder } | null {
  if (frame.length === 1) return null
  const { messageType, body } = readEnvelope(frame)
  return { type: messageType, decoder: decoding.createDecoder(body) }
}

/** A `ws` class for the provider's WebSocketPolyfill that records into `traffic`. */
export function recordingWebSocket(traffic: SyncTraffic): typeof WebSocket {
  return class extends WebSocket {
    constructor(...args: ConstructorParameters<typeof WebSocket>) {
      super(...args)
      // The provider sets binaryType to arraybuffer.
      this.on('message', (data: ArrayBuffer) => {
        const frame = routed(new Uint8Array(data))
        if (frame?.type === HocuspocusMessage.SYNC && decoding.readVarUint(frame.decoder) === 0) traffic.step1s++
        if (frame?.type === HocuspocusMessage.SYNC_STATUS) traffic.statuses.push(decoding.readVarInt(frame.decoder) === 1)
      })
    }

    override send(data: Uint8Array, ...rest: unknown[]): void {
      const frame = routed(data)
      if (frame?.type === HocuspocusMessage.SYNC && decoding.readVarUint(frame.decoder) !== 0) traffic.acknowledgeable++
      ;(super.send as (...args: unknown[]) => void)(data, ...rest)
    }
  } as typeof WebSocket
}
