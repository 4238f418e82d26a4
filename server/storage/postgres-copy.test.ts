import { describe, expect, it } from 'vitest'
import { CopyFormatError, CopyLogRows } from './postgres-copy.ts'

/** A binary COPY stream of (seq bigint, data bytea) rows, as PostgreSQL writes it. */
function copyStream(rows: { seq: number; data: number[] }[], extension: number[] = []): Buffer {
  const parts: Buffer[] = [Buffer.from('PGCOPY\n\xff\r\n\0', 'latin1')]
  const header = Buffer.alloc(8)
  header.writeUInt32BE(extension.length, 4)
  parts.push(header, Buffer.from(extension))
  for (const row of rows) {
    const head = Buffer.alloc(18)
    head.writeInt16BE(2, 0)
    head.writeInt32BE(8, 2)
    head.writeBigInt64BE(BigInt(row.seq), 6)
    head.writeInt32BE(row.data.length, 14)
    parts.push(head, Buffer.from(row.data))
  }
  const trailer = Buffer.alloc(2)
  trailer.writeInt16BE(-1)
  parts.push(trailer)
  return Buffer.concat(parts)
}

const plain = (rows: Uint8Array[]) => rows.map((row) => [...row])
const DATA = (rows: { data: number[] }[]) => rows.map((row) => row.data)

const ROWS = [
  { seq: 1, data: [1, 2, 3] },
  { seq: 2, data: [] },
  { seq: 2 ** 40, data: Array.from({ length: 300 }, (_, i) => i % 256) },
  { seq: 2 ** 40 + 1, data: [255] },
]

describe('CopyLogRows', () => {
  it('reads every row whatever the chunks, cut at every byte', () => {
    const stream = copyStream(ROWS, [9, 9, 9])
    for (let cut = 0; cut <= stream.length; cut++) {
      const parser = new CopyLogRows()
      const rows = [...parser.push(stream.subarray(0, cut)), ...parser.push(stream.subarray(cut))]
      parser.end()
      expect(plain(rows), `cut at ${cut}`).toEqual(DATA(ROWS))
      expect(parser.lastSeq).toBe(2 ** 40 + 1)
    }
  })

  it('reads a stream that comes a byte at a time, and keeps its rows when the chunks are reused', () => {
    const stream = copyStream(ROWS)
    const parser = new CopyLogRows()
    const rows: Uint8Array[] = []
    const chunk = Buffer.alloc(1)
    for (const byte of stream) {
      chunk[0] = byte
      rows.push(...parser.push(chunk))
    }
    parser.end()
    expect(plain(rows)).toEqual(DATA(ROWS))
  })

  it('refuses what is not a log stream, naming what is wrong', () => {
    const good = copyStream(ROWS)
    const read = (bytes: Buffer) => {
      const parser = new CopyLogRows()
      parser.push(bytes)
      parser.end()
    }
    expect(() => read(Buffer.concat([Buffer.from('PGCOPX'), good.subarray(6)]))).toThrow(/no PGCOPY signature/)
    expect(() => read(good.subarray(0, good.length - 2))).toThrow(/without its trailer/)
    expect(() => read(good.subarray(0, 5))).toThrow(/before its header/)
    expect(() => read(Buffer.concat([good, Buffer.from([0])]))).toThrow(/after the trailer/)
    const threeFields = Buffer.from(good)
    threeFields.writeInt16BE(3, 19)
    expect(() => read(threeFields)).toThrow(/3 fields/)
    const nullData = Buffer.from(good)
    nullData.writeInt32BE(-1, 19 + 14)
    expect(() => read(nullData)).toThrow(CopyFormatError)
  })
})
