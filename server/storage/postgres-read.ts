import type pg from 'pg'
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

type LogRow = { seq: string; data: Buffer }

/**
 * Read a document's log. One statement reads a short one. A longer one is
 * read again through a cursor, a page at a time: the cursor's query is one
 * statement, so every page comes from the same snapshot even while other
 * instances append and compact (pages read by separate queries could miss
 * a row committed out of seq order, or see half of a compaction). Each page
 * goes to `onPart` as it arrives, with the next already asked for.
 */
export async function readLog(
  pool: pg.Pool,
  table: string,
  name: string,
  onPart: ((updates: Uint8Array[]) => void) | undefined,
): Promise<StoredDocument> {
  const select = `SELECT seq, data FROM ${table} WHERE doc = $1 ORDER BY seq`
  const first = await pool.query<LogRow>(`${select} LIMIT ${SHORT_ROWS + 1}`, [name])
  if (first.rows.length <= SHORT_ROWS) {
    const { updates, bytes } = toUpdates(first.rows)
    return { updates, head: Number(first.rows.at(-1)?.seq ?? 0), bytes }
  }
  const client = await pool.connect()
  try {
    await client.query('BEGIN')
    await client.query(`DECLARE log_pages NO SCROLL CURSOR FOR ${select}`, [name])
    const page = () => client.query<LogRow>(`FETCH ${PAGE_ROWS} FROM log_pages`)
    const updates: Uint8Array[] = []
    let bytes = 0
    let head = '0'
    for (let next: Promise<pg.QueryResult<LogRow>> | null = page(); next; ) {
      const { rows }: pg.QueryResult<LogRow> = await next
      next = rows.length === PAGE_ROWS ? page() : null
      // Awaited on the next round; should `onPart` throw first, its failure is not left unhandled.
      next?.catch(() => {})
      if (rows.length === 0) break
      head = rows[rows.length - 1].seq
      const part = toUpdates(rows)
      bytes += part.bytes
      for (const update of part.updates) updates.push(update)
      onPart?.(part.updates)
    }
    await client.query('COMMIT')
    return { updates, head: Number(head), bytes }
  } catch (error) {
    await client.query('ROLLBACK').catch(() => {})
    throw error
  } finally {
    client.release()
  }
}

function toUpdates(rows: readonly LogRow[]): { updates: Uint8Array[]; bytes: number } {
  let bytes = 0
  const updates = rows.map((row) => {
    bytes += row.data.byteLength
    return new Uint8Array(row.data.buffer, row.data.byteOffset, row.data.byteLength)
  })
  return { updates, bytes }
}
