import pg from 'pg'
import { to as copyTo } from 'pg-copy-streams'
import { CopyLogRows } from './postgres-copy.ts'
import type { StoredDocument } from './types.ts'

/**
 * Rows a first, plain read takes: a log this short (nearly every document,
 * since rooms compact their logs) is read by one statement, in one round trip.
 */
const SHORT_ROWS = 1_024
/**
 * Rows of a longer log handed to `onPart` at a time: the room replays each
 * page while the rest streams in.
 */
const PAGE_ROWS = 8_192

/**
 * A short log's rows come as arrays, and `bytea` straight from its hex form
 * (pg's own parser runs a pattern test and a substring per value, and an
 * object per row: 390-470 ms against 255-330 ms for the trace's 259,778 rows,
 * when long logs were read this way too).
 */
const parseBytea = pg.types.getTypeParser(pg.types.builtins.BYTEA, 'text') as (value: string) => Buffer
// `\x…` (hex, the default `bytea_output`); anything else (`escape`) through pg's own parser.
const fromHex = (value: string): Buffer => (value.charCodeAt(0) === 92 && value.charCodeAt(1) === 120 ? Buffer.from(value.slice(2), 'hex') : parseBytea(value))
const types = { getTypeParser: (oid: number, format?: string) => (oid === pg.types.builtins.BYTEA ? fromHex : pg.types.getTypeParser(oid, format as 'text')) }

/**
 * Read a document's log. One statement reads a short one. A longer one is
 * read again by one binary COPY: a single statement, so the rows (and the
 * head, the last row's seq) come from one snapshot even while other
 * instances append and compact. The rows stream in as PostgreSQL writes
 * them and go to `onPart` a page at a time.
 */
export async function readLog(
  pool: pg.Pool,
  tables: { log: string; deletions: string },
  name: string,
  onPart: ((updates: Uint8Array[]) => void) | undefined,
): Promise<StoredDocument> {
  const table = tables.log
  // The record of what was deleted under the name comes in the same round
  // trip, as a row of its own ahead of the log (seq -1; seqs start at 1).
  const first = await pool.query<[string, Buffer]>({
    text: `SELECT seq, data FROM (
             (SELECT -1::bigint AS seq, state_vector AS data FROM ${tables.deletions} WHERE doc = $1)
             UNION ALL
             (SELECT seq, data FROM ${table} WHERE doc = $1 ORDER BY seq LIMIT ${SHORT_ROWS + 1})
           ) AS found ORDER BY seq`,
    values: [name],
    rowMode: 'array',
    types,
  })
  // Number(): a host application may have set pg's int8 parser to give numbers rather than strings.
  const record = first.rows.length > 0 && Number(first.rows[0][0]) === -1 ? first.rows.shift()![1] : null
  const deleted = record ? { deleted: new Uint8Array(record.buffer, record.byteOffset, record.byteLength) } : {}
  if (first.rows.length <= SHORT_ROWS) {
    const { updates, bytes } = toUpdates(first.rows)
    return { updates, head: Number(first.rows.at(-1)?.[0] ?? 0), bytes, ...deleted }
  }
  const client = await pool.connect()
  let failed = true
  try {
    // COPY takes no parameters: the name goes in as a literal, quoted by the driver.
    const stream = client.query(
      copyTo(`COPY (SELECT seq, data FROM ${table} WHERE doc = ${client.escapeLiteral(name)} ORDER BY seq) TO STDOUT (FORMAT binary)`),
    )
    const rows = new CopyLogRows()
    const updates: Uint8Array[] = []
    let bytes = 0
    let page: Uint8Array[] = []
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      for (const update of rows.push(chunk)) {
        bytes += update.byteLength
        updates.push(update)
        page.push(update)
      }
      if (page.length >= PAGE_ROWS) {
        onPart?.(page)
        page = []
      }
    }
    rows.end()
    if (page.length > 0) onPart?.(page)
    failed = false
    return { updates, head: rows.lastSeq, bytes, ...deleted }
  } finally {
    // A COPY left midway (a failed part, a broken stream) leaves the connection unusable: it is closed.
    client.release(failed)
  }
}

/** The updates of (seq, data) rows. */
function toUpdates(rows: readonly (readonly [string, Buffer])[]): { updates: Uint8Array[]; bytes: number } {
  let bytes = 0
  const updates = rows.map((row) => {
    const data = row[1]
    bytes += data.byteLength
    return new Uint8Array(data.buffer, data.byteOffset, data.byteLength)
  })
  return { updates, bytes }
}
