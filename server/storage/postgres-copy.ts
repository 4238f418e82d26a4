/**
 * Rows of `COPY (SELECT seq, data …) TO STDOUT (FORMAT binary)` read from
 * the stream's chunks as they come. PostgreSQL's binary COPY format:
 *
 *   header  = "PGCOPY\n\xff\r\n\0" int32(flags) int32(extensionLength) extension
 *   tuple   = int16(fieldCount) { int32(length) bytes }   (length -1: NULL)
 *   trailer = int16(-1)
 *
 * all integers big-endian. A `bigint` field is its 8 bytes, a `bytea` field
 * its raw bytes: no text to decode, half the bytes of `bytea`'s hex form.
 * Each chunk is copied once as it comes (a stream's chunks are not promised
 * to stay unchanged), and each update is a view into a copy.
 */

const SIGNATURE = Buffer.from('PGCOPY\n\xff\r\n\0', 'latin1')
const HEADER_FIXED = SIGNATURE.length + 8

export class CopyFormatError extends Error {
  constructor(message: string) {
    super(`binary COPY stream: ${message}`)
  }
}

/** A parser for one stream: `push` each chunk, then `end`. */
export class CopyLogRows {
  /** Copies of the chunks not parsed yet: the start of a row cut off, and what came after it. */
  private pending: Buffer[] = []
  private pendingBytes = 0
  /** Bytes the next row (or the header) needs before it can be read: a long row is copied once, not once per chunk. */
  private need = HEADER_FIXED
  private headerRead = false
  private ended = false
  /** The seq of the last row read (0 before any): the head, once the stream has ended. */
  lastSeq = 0

  /** The updates of the rows complete in what has come so far. */
  push(chunk: Uint8Array): Uint8Array[] {
    if (chunk.length === 0) return []
    if (this.ended) throw new CopyFormatError('data after the trailer')
    // Our own copy: the updates are views into it. (A row cut between chunks is copied once more, whole.)
    this.pending.push(Buffer.from(chunk))
    this.pendingBytes += chunk.length
    if (this.pendingBytes < this.need) return []
    const buffer = this.pending.length === 1 ? this.pending[0] : Buffer.concat(this.pending, this.pendingBytes)
    let at = 0
    const rows: Uint8Array[] = []
    this.need = 0
    if (!this.headerRead) {
      if (!buffer.subarray(0, SIGNATURE.length).equals(SIGNATURE)) throw new CopyFormatError('no PGCOPY signature')
      const extension = buffer.readUInt32BE(SIGNATURE.length + 4)
      if (buffer.length < HEADER_FIXED + extension) this.need = HEADER_FIXED + extension
      else {
        at = HEADER_FIXED + extension
        this.headerRead = true
      }
    }
    while (this.headerRead && this.need === 0) {
      if (at + 2 > buffer.length) {
        this.need = 2
        break
      }
      const fields = buffer.readInt16BE(at)
      if (fields === -1) {
        this.ended = true
        at += 2
        if (at !== buffer.length) throw new CopyFormatError('data after the trailer')
        break
      }
      if (fields !== 2) throw new CopyFormatError(`a row of ${fields} fields, not 2`)
      // seq: int32(8) and the bigint; data: int32(length) and the bytes.
      if (at + 18 > buffer.length) {
        this.need = 18
        break
      }
      if (buffer.readInt32BE(at + 2) !== 8) throw new CopyFormatError('seq is not a bigint')
      const length = buffer.readInt32BE(at + 14)
      if (length < 0) throw new CopyFormatError('a NULL update')
      if (at + 18 + length > buffer.length) {
        this.need = 18 + length
        break
      }
      rows.push(buffer.subarray(at + 18, at + 18 + length))
      this.lastSeq = Number(buffer.readBigInt64BE(at + 6))
      at += 18 + length
    }
    const rest = buffer.subarray(at)
    this.pending = rest.length > 0 ? [rest] : []
    this.pendingBytes = rest.length
    return rows
  }

  /** Throws unless the stream ended with its trailer and nothing after it. */
  end(): void {
    if (!this.ended) throw new CopyFormatError(this.headerRead ? 'ended without its trailer' : 'ended before its header')
  }
}
