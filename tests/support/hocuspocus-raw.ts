/**
 * Hand-made frames of the Hocuspocus dialect (shared/PROTOCOL.md), for tests
 * that speak it over a raw socket on the relay's root URL.
 */
import * as encoding from 'lib0/encoding'
import WebSocket from 'ws'
import { HocuspocusMessage } from '../../shared/hocuspocus-protocol.ts'
import { RawSocket } from './harness.ts'

/** A raw socket on the root URL, once open; `cleanup` gets its termination. */
export async function rawRoot(wsUrl: string, cleanup: (done: () => void) => void): Promise<RawSocket> {
  const raw = new RawSocket(new WebSocket(wsUrl))
  await new Promise((resolve, reject) => {
    raw.ws.once('open', resolve)
    raw.ws.once('error', reject)
  })
  cleanup(() => raw.ws.terminate())
  return raw
}

/** A frame: the routing key, the message type, then what `write` adds. */
export function hocuspocusFrame(key: string, type: number, write: (encoder: encoding.Encoder) => void = () => {}): Uint8Array {
  const encoder = encoding.createEncoder()
  encoding.writeVarString(encoder, key)
  encoding.writeVarUint(encoder, type)
  write(encoder)
  return encoding.toUint8Array(encoder)
}

/** The provider's Auth message for `key`, with `token` (empty by default). */
export const authFrame = (key: string, token = ''): Uint8Array =>
  hocuspocusFrame(key, HocuspocusMessage.AUTH, (encoder) => {
    encoding.writeVarUint(encoder, 0)
    encoding.writeVarString(encoder, token)
  })

/** The provider's Close message: it detaches the document from the socket. */
export const closeFrame = (key: string): Uint8Array => hocuspocusFrame(key, HocuspocusMessage.CLOSE)
