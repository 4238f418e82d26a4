import { pino, type DestinationStream, type Logger } from 'pino'
import type { RelayLogger } from '../relay/relay-socket.ts'

/** The levels `--log-level` takes, most verbose first; `silent` logs nothing. */
export const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'silent'] as const
export type LogLevel = (typeof LOG_LEVELS)[number]

/** `json`: one JSON object a line (for log collectors); `pretty`: one readable line per record (for people). */
export const LOG_FORMATS = ['json', 'pretty'] as const
export type LogFormat = (typeof LOG_FORMATS)[number]

/** Options for `createPinoLogger`. */
export interface PinoLoggerOptions {
  /** Records below this level are not written. Default `info`. */
  level?: LogLevel
  /** Default `json`. */
  format?: LogFormat
  /**
   * Where lines go. Default: file descriptor 2 (stderr), written
   * synchronously, so that nothing is lost when the process exits right
   * after logging (the CLI exits as soon as shutdown is done).
   */
  destination?: { write(line: string): unknown }
}

/** A `RelayLogger` writing through pino; `pino` is the logger itself, for records with fields of your own. */
export interface PinoRelayLogger extends RelayLogger {
  readonly pino: Logger
}

const PRETTY_LEVELS: Record<number, string> = { 10: 'TRACE', 20: 'DEBUG', 30: 'INFO', 40: 'WARN', 50: 'ERROR', 60: 'FATAL' }

/**
 * One line per record for a terminal: `HH:MM:SS.mmm LEVEL message: error`.
 * Tiny on purpose (pino-pretty is a package of its own with many more); it
 * parses the JSON pino wrote, which costs nothing at a terminal's pace.
 */
function prettyStream(out: { write(line: string): unknown }): DestinationStream {
  return {
    write(line: string) {
      let record: { level?: number; time?: number; msg?: string; err?: { type?: string; message?: string }; error?: string }
      try {
        record = JSON.parse(line)
      } catch {
        out.write(line)
        return
      }
      const time = new Date(record.time ?? Date.now()).toTimeString().slice(0, 8)
      const millis = String(new Date(record.time ?? Date.now()).getMilliseconds()).padStart(3, '0')
      const level = (PRETTY_LEVELS[record.level ?? 30] ?? 'INFO').padEnd(5)
      const error = record.err
        ? `: ${record.err.type && record.err.type !== 'Error' ? `${record.err.type}: ` : ''}${record.err.message ?? ''}`
        : record.error !== undefined
          ? `: ${record.error}`
          : ''
      out.write(`${time}.${millis} ${level} ${record.msg ?? ''}${error}\n`)
    },
  }
}

/**
 * A `RelayLogger` on pino: JSON lines (`{"level":"info","time":…,"msg":…}`)
 * or readable lines, at a chosen level. Messages are the relay's own
 * sentences; the relay never puts tokens or document content in them.
 * `error`'s second argument is logged as `err` (type, message, stack), or
 * as `error` (its text) when it is not an `Error`.
 *
 * @example
 * const logger = createPinoLogger({ level: 'warn' })
 * const relay = createRelay({ logger })
 */
export function createPinoLogger(options: PinoLoggerOptions = {}): PinoRelayLogger {
  const level = options.level ?? 'info'
  if (!(LOG_LEVELS as readonly string[]).includes(level)) throw new RangeError(`createPinoLogger: level must be one of ${LOG_LEVELS.join(', ')}, got ${level}`)
  const format = options.format ?? 'json'
  const out = options.destination ?? pino.destination({ dest: 2, sync: true })
  const logger = pino(
    {
      level,
      base: { pid: process.pid },
      // Level names rather than numbers: what log collectors and people expect to filter on.
      formatters: format === 'json' ? { level: (label) => ({ level: label }) } : {},
      timestamp: format === 'json' ? pino.stdTimeFunctions.isoTime : pino.stdTimeFunctions.epochTime,
    },
    format === 'pretty' ? prettyStream(out) : (out as DestinationStream),
  )
  return {
    pino: logger,
    info: (message) => logger.info(message),
    warn: (message) => logger.warn(message),
    error: (message, error) => {
      if (error === undefined || error === null || error === '') logger.error(message)
      else if (error instanceof Error) logger.error({ err: error }, message)
      // Something thrown that is not an Error: its text, without a stack that would point here.
      else logger.error({ error: String(error) }, message)
    },
  }
}
