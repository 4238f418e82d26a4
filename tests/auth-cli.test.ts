/**
 * Token authentication as an operator runs it: the spawned `collab-relay`
 * with `--auth-secret` (or a public key file), real upgrades from raw `ws`
 * sockets and the stock y-websocket provider, `GET /auth`, the `token`
 * subcommand, and what the relay prints (never a token).
 */
import { generateKeyPairSync } from 'node:crypto'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import WebSocket from 'ws'
import { SignJWT, type JWTPayload } from 'jose'
import { CloseCode } from '../shared/close-codes.ts'
import { roomNameToPath } from '../shared/room-name.ts'
import { OPEN_RELAY_WARNING } from '../server/cli-args.ts'
import { connectClient, waitFor, waitSynced, type TestClient } from './support/harness.ts'
import { runCli, spawnCli, type SpawnedCli } from './support/spawn-cli.ts'

const SECRET = 'a relay secret of at least thirty-two bytes'
const WRONG_SECRET = 'some other secret, also thirty-two bytes or more'
const now = (): number => Math.floor(Date.now() / 1000)

async function sign(claims: JWTPayload, secret = SECRET): Promise<string> {
  return new SignJWT(claims).setProtectedHeader({ alg: 'HS256' }).sign(new TextEncoder().encode(secret))
}
const writeToken = (doc: string | string[], extra: JWTPayload = {}): Promise<string> => sign({ doc, access: 'write', exp: now() + 600, ...extra })

const clients: TestClient[] = []
const sockets: WebSocket[] = []
afterEach(() => {
  for (const client of clients.splice(0)) client.destroy()
  for (const socket of sockets.splice(0)) socket.terminate()
})

function client(wsUrl: string, document: string, token: string): TestClient {
  const created = connectClient(wsUrl, document, { params: { token } })
  clients.push(created)
  return created
}

interface UpgradeAnswer {
  status: number
  /** The `x-collab-error` header of a refusal. */
  error?: string
  socket?: WebSocket
}

/** Try one upgrade with a raw `ws` client: 101 and the open socket, or the refusal's status and reason. */
function upgrade(wsUrl: string, document: string, auth: { query?: string; bearer?: string } = {}): Promise<UpgradeAnswer> {
  const query = auth.query !== undefined ? `?token=${encodeURIComponent(auth.query)}` : ''
  const ws = new WebSocket(`${wsUrl}/${roomNameToPath(document)}${query}`, auth.bearer ? { headers: { authorization: `Bearer ${auth.bearer}` } } : {})
  sockets.push(ws)
  return new Promise((resolve, reject) => {
    ws.once('open', () => resolve({ status: 101, socket: ws }))
    ws.once('unexpected-response', (request, response) => {
      ws.on('error', () => {})
      response.resume()
      request.destroy()
      const header = response.headers['x-collab-error']
      resolve({ status: response.statusCode ?? 0, error: Array.isArray(header) ? header[0] : header })
    })
    ws.once('error', reject)
  })
}

async function authCheck(url: string, document: string, token?: string): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await fetch(`${url}/auth?document=${encodeURIComponent(document)}`, token ? { headers: { authorization: `Bearer ${token}` } } : {})
  return { status: response.status, body: (await response.json()) as Record<string, unknown> }
}

function userNames(viewer: TestClient): string[] {
  return [...viewer.provider.awareness.getStates().values()].map((state) => (state as { user?: { name?: string } }).user?.name ?? '')
}

describe('collab-relay --auth-secret', () => {
  let cli: SpawnedCli
  beforeAll(async () => {
    cli = await spawnCli(['--port', '0', '--memory'], { env: { COLLAB_RELAY_AUTH_SECRET: SECRET } })
  })
  afterAll(async () => {
    await cli.stop('SIGKILL')
  })

  it('says at start which keys it requires, and not that it is open', () => {
    expect(cli.stderr).toContain('access: tokens required, signed with: 1 HS256 secret')
    expect(cli.stderr).not.toContain(OPEN_RELAY_WARNING)
    expect(cli.stderr).not.toContain('OPEN')
  })

  it('refuses an upgrade without a token, with garbage, signed with another key, or expired: 401 and the reason', async () => {
    expect(await upgrade(cli.wsUrl, 'team/plan')).toEqual({ status: 401, error: 'missing token' })
    expect(await upgrade(cli.wsUrl, 'team/plan', { query: 'garbage' })).toEqual({ status: 401, error: 'malformed token' })
    expect(await upgrade(cli.wsUrl, 'team/plan', { query: await sign({ doc: '*', access: 'write', exp: now() + 600 }, WRONG_SECRET) })).toEqual({
      status: 401,
      error: 'bad signature',
    })
    expect(await upgrade(cli.wsUrl, 'team/plan', { bearer: await sign({ doc: '*', access: 'write', exp: now() - 60 }) })).toEqual({
      status: 401,
      error: 'token expired',
    })
    expect(await upgrade(cli.wsUrl, 'team/plan', { query: await sign({ doc: '*', access: 'write' }) })).toEqual({ status: 401, error: 'token has no exp' })
  })

  it('refuses a good token for another document with 403', async () => {
    expect(await upgrade(cli.wsUrl, 'team/other', { query: await writeToken('team/plan') })).toEqual({ status: 403, error: 'token not valid for this document' })
    expect(await upgrade(cli.wsUrl, 'acme', { query: await writeToken('acme/*') })).toEqual({ status: 403, error: 'token not valid for this document' })
  })

  it('lets prefix and list grants in (101), and stock providers sync and edit with params: { token }', async () => {
    const prefix = await writeToken('acme/*')
    const list = await writeToken(['notes', 'acme/*'])
    expect((await upgrade(cli.wsUrl, 'acme/specs/q4 plan', { query: prefix })).status).toBe(101)
    expect((await upgrade(cli.wsUrl, 'notes', { bearer: list })).status).toBe(101)

    const a = client(cli.wsUrl, 'acme/specs/q4 plan', prefix)
    const b = client(cli.wsUrl, 'acme/specs/q4 plan', list)
    await Promise.all([waitSynced(a), waitSynced(b)])
    a.text.insert(0, 'from a. ')
    b.text.insert(0, 'from b. ')
    await waitFor(() => a.text.length === 16 && a.text.toString() === b.text.toString(), 'both providers hold both edits')
  })

  it('a read token syncs and reads; its name, from the token, is what the others see', async () => {
    const writer = client(cli.wsUrl, 'read/doc', await writeToken('read/doc', { name: 'Writer' }))
    await waitSynced(writer)
    writer.text.insert(0, 'for your eyes')
    const reader = client(cli.wsUrl, 'read/doc', await sign({ doc: 'read/*', access: 'read', exp: now() + 600, name: 'Reader Ada', color: '#336699' }))
    await waitSynced(reader)
    await waitFor(() => reader.text.toString() === 'for your eyes', 'the reader reads')

    reader.provider.awareness.setLocalStateField('user', { name: 'Someone else', color: '#000000' })
    await waitFor(() => userNames(writer).includes('Reader Ada'), "the writer sees the reader under the token's name")
    expect(userNames(writer)).not.toContain('Someone else')
    const readerState = writer.provider.awareness.getStates().get(reader.doc.clientID) as { user: { color: string } }
    expect(readerState.user.color).toBe('#336699')

    // Its edits stay its own.
    reader.text.insert(0, 'NOT ')
    writer.text.insert(writer.text.length, '!')
    await waitFor(() => reader.text.toString().endsWith('!'), 'the writer’s later edit reaches the reader')
    expect(writer.text.toString()).toBe('for your eyes!')
  })

  it('GET /auth?document= answers the grant as JSON with a token, and 401 JSON without', async () => {
    const token = await sign({ doc: 'acme/*', access: 'read', exp: now() + 600, sub: 'u-1', name: 'Ada' })
    const granted = await authCheck(cli.url, 'acme/x', token)
    expect(granted.status).toBe(200)
    expect(granted.body).toMatchObject({ document: 'acme/x', access: 'read', user: { id: 'u-1', name: 'Ada' } })
    expect(granted.body.expiresAt).toBeGreaterThan(Date.now())

    expect(await authCheck(cli.url, 'acme/x')).toEqual({ status: 401, body: { error: 'unauthorized', reason: 'missing token' } })
    expect(await authCheck(cli.url, 'other', token)).toEqual({ status: 403, body: { error: 'forbidden', reason: 'token not valid for this document' } })
  })

  it('accepts what `collab-relay token` prints, and refuses a --expires 2s token once it expires', async () => {
    const issued = await runCli(['token', '--doc', 'cli/*', '--access', 'write', '--expires', '1h', '--name', 'Ada', '--color', '#aabbcc', '--sub', 'u-9'], {
      env: { COLLAB_RELAY_AUTH_SECRET: SECRET },
    })
    expect(issued.code).toBe(0)
    expect(issued.stdout.endsWith('\n') && issued.stdout.trim().split('\n')).toHaveLength(1)
    const token = issued.stdout.trim()
    expect((await authCheck(cli.url, 'cli/doc', token)).body).toMatchObject({ access: 'write', user: { id: 'u-9', name: 'Ada', color: '#aabbcc' } })
    const writer = client(cli.wsUrl, 'cli/doc', token)
    await waitSynced(writer)

    const short = await runCli(['token', '--doc', 'cli/short', '--access', 'write', '--expires', '2s', '--auth-secret', SECRET])
    expect(short.code).toBe(0)
    const shortToken = short.stdout.trim()
    const answer = await upgrade(cli.wsUrl, 'cli/short', { query: shortToken })
    expect(answer.status).toBe(101)
    const closed = new Promise<number>((resolve) => answer.socket!.once('close', (code) => resolve(code)))
    // The open connection ends when the grant does; new attempts are refused once the clock tolerance (5 s) is past too.
    expect(await closed).toBe(CloseCode.TOKEN_EXPIRED.code)
    await waitFor(async () => (await upgrade(cli.wsUrl, 'cli/short', { query: shortToken })).error === 'token expired', 'the expired token refused', 15_000)
  }, 30_000)
})

describe('collab-relay --auth-public-key', () => {
  it('accepts tokens signed with the private half of the key file (ES256), and only those', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'collab-auth-'))
    const pair = generateKeyPairSync('ec', { namedCurve: 'P-256' })
    const file = join(dir, 'relay.pub.pem')
    writeFileSync(file, pair.publicKey.export({ type: 'spki', format: 'pem' }))
    const cli = await spawnCli(['--port', '0', '--memory', '--auth-public-key', file])
    try {
      expect(cli.stderr).toContain(`access: tokens required, signed with: ES256 public key ${file}`)
      const claims = { doc: 'pk/doc', access: 'write', exp: now() + 600 }
      const good = await new SignJWT(claims).setProtectedHeader({ alg: 'ES256' }).sign(pair.privateKey)
      const other = await new SignJWT(claims).setProtectedHeader({ alg: 'ES256' }).sign(generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey)
      expect((await upgrade(cli.wsUrl, 'pk/doc', { query: good })).status).toBe(101)
      expect(await upgrade(cli.wsUrl, 'pk/doc', { query: other })).toEqual({ status: 401, error: 'bad signature' })
      expect(await upgrade(cli.wsUrl, 'pk/doc', { query: await sign(claims) })).toEqual({ status: 401, error: 'algorithm not accepted' })

      // The token command cannot sign with a public key.
      const refused = await runCli(['token', '--doc', 'pk/doc', '--access', 'read', '--expires', '1h', '--auth-public-key', file])
      expect(refused.code).toBe(2)
      expect(refused.stderr).toContain('cannot sign with --auth-public-key or --auth-jwks-url')
      expect(refused.stdout).toBe('')
    } finally {
      await cli.stop('SIGKILL')
    }
  })
})

describe('collab-relay without keys', () => {
  it('prints one loud line that it is open, and lets anyone in', async () => {
    const cli = await spawnCli(['--port', '0', '--memory'])
    try {
      expect(cli.stderr.split('\n').filter((line) => line === OPEN_RELAY_WARNING)).toHaveLength(1)
      expect(cli.stderr).not.toContain('access: tokens required')
      expect((await upgrade(cli.wsUrl, 'anything')).status).toBe(101)
    } finally {
      await cli.stop('SIGKILL')
    }
  })
})

describe('collab-relay token and auth flags: errors', () => {
  it('token without a secret exits 2, saying what is missing', async () => {
    const result = await runCli(['token', '--doc', 'd', '--access', 'read', '--expires', '1h'])
    expect(result.code).toBe(2)
    expect(result.stderr).toContain('token: no secret to sign with: give --auth-secret or COLLAB_RELAY_AUTH_SECRET')
    expect(result.stdout).toBe('')
  })

  it('token with a bad claim exits 2, naming the flag', async () => {
    const result = await runCli(['token', '--doc', 'd', '--access', 'owner', '--expires', '1h'], { env: { COLLAB_RELAY_AUTH_SECRET: SECRET } })
    expect(result.code).toBe(2)
    expect(result.stderr).toContain('--access: expected read or write, got "owner"')
    expect(result.stderr).toContain("Run 'collab-relay token --help'")
  })

  const dir = mkdtempSync(join(tmpdir(), 'collab-auth-bad-'))
  const notPem = join(dir, 'not.pem')
  writeFileSync(notPem, 'not a key\n')
  it.each([
    [['--auth-secret', 'too-short-a-secret'], {}, '--auth-secret: the secret is 18 bytes; HS256 needs at least 32'],
    [[], { COLLAB_RELAY_AUTH_SECRET: 'too-short-a-secret' }, 'COLLAB_RELAY_AUTH_SECRET: the secret is 18 bytes'],
    [['--auth-public-key', join(dir, 'missing.pem')], {}, `--auth-public-key: cannot read the key file "${join(dir, 'missing.pem')}"`],
    [['--auth-public-key', notPem], {}, `--auth-public-key "${notPem}": not a PEM key`],
    [['--auth-jwks-url', 'idp.example/jwks'], {}, '--auth-jwks-url "idp.example/jwks": not a URL'],
    [[], { COLLAB_RELAY_AUTH_JWKS_URL: 'ftp://idp.example/jwks' }, 'COLLAB_RELAY_AUTH_JWKS_URL "ftp://idp.example/jwks": expected an https://'],
  ] as const)('%j %j exits 2: %s', async (argv, env, message) => {
    const result = await runCli(['--port', '0', '--memory', ...argv], { env })
    expect(result.code).toBe(2)
    expect(result.stderr).toContain(message)
    expect(result.stdout).toBe('')
    // A secret, even a bad one, is never echoed.
    expect(result.stderr).not.toContain('too-short-a-secret')
  })
})

describe('collab-relay: tokens never reach the output', () => {
  it('prints neither accepted nor refused tokens, nor the secret, whether they came in the query or a header', async () => {
    const cli = await spawnCli(['--port', '0', '--memory', '--auth-secret', SECRET, '--room-idle-ms', '0'])
    let stopped = false
    try {
      const accepted = await writeToken('leak/*', { name: 'Leaky' })
      const expired = await sign({ doc: 'leak/*', access: 'write', exp: now() - 60 })
      const forged = await sign({ doc: '*', access: 'write', exp: now() + 600 }, WRONG_SECRET)
      const wrongDocument = await writeToken('elsewhere')

      const writer = client(cli.wsUrl, 'leak/doc', accepted)
      await waitSynced(writer)
      writer.text.insert(0, 'hello')
      expect((await upgrade(cli.wsUrl, 'leak/doc', { bearer: accepted })).status).toBe(101)
      expect((await upgrade(cli.wsUrl, 'leak/doc', { query: expired })).status).toBe(401)
      expect((await upgrade(cli.wsUrl, 'leak/doc', { bearer: forged })).status).toBe(401)
      expect((await upgrade(cli.wsUrl, 'leak/doc', { query: wrongDocument })).status).toBe(403)
      expect((await authCheck(cli.url, 'leak/doc', accepted)).status).toBe(200)
      // A malformed frame: the relay closes that connection (1007).
      const raw = (await upgrade(cli.wsUrl, 'leak/doc', { query: accepted })).socket!
      raw.send(new Uint8Array([0, 2, 5, 1, 2, 3]))
      await new Promise((resolve) => raw.once('close', resolve))

      for (const client of clients.splice(0)) client.destroy()
      expect((await cli.stop('SIGTERM')).code).toBe(0)
      stopped = true
      const output = `${cli.stdoutLines.join('\n')}\n${cli.stderr}`
      expect(output).toContain('listening on')
      for (const token of [accepted, expired, forged, wrongDocument]) {
        expect(output).not.toContain(token)
        // Nor any part of one: each of its three parts is distinctive.
        for (const part of token.split('.').slice(1)) expect(output).not.toContain(part)
      }
      expect(output).not.toContain(SECRET)
    } finally {
      if (!stopped) await cli.stop('SIGKILL')
    }
  })
})
