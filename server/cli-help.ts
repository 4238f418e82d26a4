/**
 * The CLI's help texts, built from `SETTINGS` so they cannot drift from the
 * options the parser takes.
 */
import { AUTH_FLAGS, MEMORY_SWITCH, SETTINGS, type Setting } from './cli-settings.ts'

/** Where the help texts start. */
const HELP_COLUMN = 36

/** The `--help` text, built from `SETTINGS` so it cannot drift. */
export function helpText(): string {
  const option = (name: string, text: string): string => {
    // Two spaces at least between the option and its text, however long the option.
    const head = `  ${name}`
    return `${head.padEnd(Math.max(HELP_COLUMN, head.length + 2))}${text}`
  }
  const rows = Object.values(SETTINGS).map((s: Setting) =>
    option(`--${s.flag} <value>`, `${s.help} (default ${s.default || 'none'}; env ${s.env}${s.repeatable ? ', comma-separated' : ''})`),
  )
  rows.push(option(`--${MEMORY_SWITCH.flag}`, `${MEMORY_SWITCH.help} (env ${MEMORY_SWITCH.env}=1)`))
  return [
    'Usage: collab-relay [options]',
    '       collab-relay token --doc NAME --access read|write --expires 1h [...]',
    '',
    'Starts the collaborative editing relay (y-websocket protocol) over HTTP and WebSockets.',
    `Without ${AUTH_FLAGS} it is open: anyone who can reach it can read and change every document.`,
    '',
    'Options:',
    ...rows,
    option('-h, --help', 'print this help and exit'),
    option('-v, --version', 'print the version and exit'),
    '',
    'Commands:',
    `${'  token'.padEnd(HELP_COLUMN)}print a token signed with the first --auth-secret ('collab-relay token --help')`,
    '',
  ].join('\n')
}

/** The `collab-relay token --help` text. */
export function tokenHelpText(): string {
  const option = (name: string, text: string): string => {
    const head = `  ${name}`
    return `${head.padEnd(Math.max(HELP_COLUMN, head.length + 2))}${text}`
  }
  return [
    'Usage: collab-relay token --doc NAME --access read|write --expires DURATION [options]',
    '',
    `Prints (one line on stdout) a token the relay accepts, signed (HS256) with the first --${SETTINGS.authSecrets.flag}`,
    `(or ${SETTINGS.authSecrets.env}). Public keys and JWKS verify tokens; they cannot sign them.`,
    '',
    'Options:',
    option('--doc <name>', 'a document, or a prefix ending in * (acme/*; * for all); repeat for several'),
    option('--access <read|write>', 'read: sees the document and presence; write: edits too'),
    option('--expires <duration>', 'lifetime: a whole number with s, m, h or d (90s, 15m, 8h, 30d)'),
    option('--name <name>', 'the name others see (the relay writes it into presence)'),
    option('--color <#rrggbb>', "the user's colour"),
    option('--sub <id>', 'a stable user ID'),
    option('--admin', 'mark the user an admin (with --doc *, may read /metrics)'),
    option(`--${SETTINGS.authSecrets.flag} <value>`, `the secret to sign with (env ${SETTINGS.authSecrets.env})`),
    option('-h, --help', 'print this help and exit'),
    '',
  ].join('\n')
}

