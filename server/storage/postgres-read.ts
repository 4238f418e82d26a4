import pg from 'pg'
import type { StoredDocument } from './types.ts'

/**
 * Rows a first, plain read takes: a log this short (nearly every document,
 * since rooms compact their logs) is read by one statement, in one round trip.
 */
const SHORT_ROWS = 1_024
/**
 * Rows fetched at a time from a longer log. The first page of the trace
 * comes back in 10-50 ms where the whole of it takes 420-500 ms; the room
 * replays each page while the database prepares the next.
 */
const PAGE_ROWS = 8_192

/**
 * Rows come as arrays, and `bytea` straight from its hex form: the rows are
 * parsed on the relay's thread, and for the trace's 259,778 rows an object
 * per row and pg's own `bytea` parser (a pattern test and a substring per
 * value) took 390-470 ms against 255-330 ms this way (without `seq`, below).
 */
const parseBytea = pg.types.getTypeParser(pg.types.builtins.BYTEA, 'text') as (value: string) => Buffer
// `\x…` (hex, the default `bytea_output`); anything else (`escape`) through pg's own parser.
const fromHex = (value: string): Buffer => (value.charCodeAt(0) === 92 && value.charCodeAt(1) === 120 ? Buffer.from(value.slice(2), 'hex') : parseBytea(value))
const types = { getTypeParser: (oid: number, format?: string) => (oid === pg.types.builtins.BYTEA ? fromHex : pg.types.getTypeParser(oid, format as 'text')) }

/**
 * Read a document's log. One statement reads a short one. A longer one is
 * read again through a cursor, a page at a time, in a REPEATABLE READ
 * transaction: the head and every page come from one snapshot even while
 * other instances append and compact (pages read by separate statements
 * could miss a row committed out of seq order, or see half of a
 * compaction). The pages carry the bytes only, the head being read once.
 * Each page goes to `onPart` as it arrives, with the next already asked for.
 */
export async function readLog(
  pool: pg.Pool,
  table: string,
  name: string,
  onPart: ((updates: Uint8Array[]) => void) | undefined,
): Promise<StoredDocument> {
  const first = await pool.query<[string, Buffer]>({
    text: `SELECT seq, data FROM ${table} WHERE doc = $1 ORDER BY seq LIMIT ${SHORT_ROWS + 1}`,
    values: [name],
    rowMode: 'array',
    types,
  })
  if (first.rows.length <= SHORT_ROWS) {
    const { updates, bytes } = toUpdates(first.rows, 1)
    return { updates, head: Number(first.rows.at(-1)?.[0] ?? 0), bytes }
  }
  const client = await pool.connect()
  try {
    await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY')
    const { rows: headRow } = await client.query<{ head: string | null }>(`SELECT max(seq) AS head FROM ${table} WHERE doc = $1`, [name])
    await client.query(`DECLARE log_pages NO SCROLL CURSOR FOR SELECT data FROM ${table} WHERE doc = $1 ORDER BY seq`, [name])
    const page = () => client.query<[Buffer]>({ text: `FETCH ${PAGE_ROWS} FROM log_pages`, rowMode: 'array', types })
    const updates: Uint8Array[] = []
    let bytes = 0
    for (let next: Promise<pg.QueryResult<[Buffer]>> | null = page(); next; ) {
      const { rows }: pg.QueryResult<[Buffer]> = await next
      next = rows.length === PAGE_ROWS ? page() : null
      // Awaited on the next round; should `onPart` throw first, its failure is not left unhandled.
      next?.catch(() => {})
      if (rows.length === 0) break
      const part = toUpdates(rows, 0)
      bytes += part.bytes
      for (const update of part.updates) updates.push(update)
      onPart?.(part.updates)
    }
    await client.query('COMMIT')
    return { updates, head: Number(headRow[0]?.head ?? 0), bytes }
  } catch (error) {
    await client.query('ROLLBACK').catch(() => {})
    throw error
  } finally {
    client.release()
  }
}

/** The updates in rows whose `column` holds the bytes. */
function toUpdates(rows: readonly (readonly unknown[])[], column: number): { updates: Uint8Array[]; bytes: number } {
  let bytes = 0
  const updates = rows.map((row) => {
    const data = row[column] as Buffer
    bytes += data.byteLength
    return new Uint8Array(data.buffer, data.byteOffset, data.byteLength)
  })
  return { updates, bytes }
}
