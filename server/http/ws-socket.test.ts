import { describe, expect, it } from 'vitest'
import * as wsModule from 'ws'
import { binaryFrameHeader } from './ws-socket.ts'

/** `ws`'s frame parser: exported at run time, absent from @types/ws. */
interface FrameReceiver {
  on(event: 'message', listener: (data: Buffer, isBinary: boolean) => void): void
  on(event: 'error', listener: (error: Error) => void): void
  write(chunk: Buffer): void
}
const { Receiver } = wsModule as unknown as { Receiver: new (options: { isServer: boolean; maxPayload: number }) => FrameReceiver }

/** What `ws`'s own frame parser (a client's side) makes of one header and payload. */
function parsed(header: Buffer, payload: Uint8Array): Promise<{ data: Buffer; isBinary: boolean }> {
  return new Promise((resolve, reject) => {
    const receiver = new Receiver({ isServer: false, maxPayload: 0 })
    receiver.on('message', (data: Buffer, isBinary: boolean) => resolve({ data, isBinary }))
    receiver.on('error', reject)
    receiver.write(Buffer.concat([header, payload]))
  })
}

describe('binaryFrameHeader', () => {
  // Each length form of RFC 6455 §5.2 at its edges: 7 bits, 16 bits, 64 bits.
  it.each([0, 1, 125, 126, 127, 65_535, 65_536, 200_000])('frames a %i-byte payload as one final binary message', async (length) => {
    const payload = Uint8Array.from({ length }, (_, i) => (i * 31 + 7) & 0xff)
    const header = binaryFrameHeader(length)
    expect(header.byteLength).toBe(length < 126 ? 2 : length < 65_536 ? 4 : 10)
    const { data, isBinary } = await parsed(header, payload)
    expect(isBinary).toBe(true)
    expect(data.equals(Buffer.from(payload))).toBe(true)
  })

  it('writes the 64-bit length big-endian, high bytes included', () => {
    // Above what a test can send, so checked byte by byte: 2^40 + 258.
    expect([...binaryFrameHeader(2 ** 40 + 258)]).toEqual([0x82, 127, 0, 0, 1, 0, 0, 0, 1, 2])
  })
})
