/**
 * The network flags of the CLI, end to end with the spawned command: TLS
 * from two PEM files, allowed origins, per-address limits. (Their behaviour
 * in detail is tested on the library in upgrade-admission, tls and
 * slow-handshake tests; this is that the flags reach it.)
 */
import { mkdtempSync, writeFileSync } from 'node:fs'
import { request } from 'node:https'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { spawnCli, type SpawnedCli } from './support/spawn-cli.ts'
import { selfSignedCertificate } from './support/tls-cert.ts'
import { attemptUpgrade } from './support/upgrade-attempt.ts'

const relays: SpawnedCli[] = []
afterEach(async () => {
  await Promise.all(relays.splice(0).map((cli) => cli.stop('SIGKILL')))
})
const start = async (args: string[]): Promise<SpawnedCli> => {
  const cli = await spawnCli(['--port', '0', '--memory', ...args])
  relays.push(cli)
  return cli
}

function httpsGet(url: string, ca: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    request(url, { ca }, (response) => {
      let body = ''
      response.setEncoding('utf8')
      response.on('data', (chunk: string) => (body += chunk))
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body }))
    })
      .on('error', reject)
      .end()
  })
}

describe('collab-relay network flags', () => {
  it('--tls-cert and --tls-key: https and wss, the page included', async () => {
    const { cert, key } = selfSignedCertificate()
    const dir = mkdtempSync(join(tmpdir(), 'collab-cli-tls-'))
    writeFileSync(join(dir, 'cert.pem'), cert)
    writeFileSync(join(dir, 'key.pem'), key)
    const cli = await start(['--tls-cert', join(dir, 'cert.pem'), '--tls-key', join(dir, 'key.pem')])
    expect(cli.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/)
    expect(cli.stderr).toContain('TLS: serving https and wss')
    expect((await httpsGet(`${cli.url}/healthz`, cert)).status).toBe(200)
    expect((await httpsGet(`${cli.url}/`, cert)).body).toContain('<html')
    const outcome = await attemptUpgrade(`${cli.wsUrl}/doc`, { ca: cert })
    expect(outcome.opened).toBe(true)
    if (outcome.opened) outcome.ws.close()
  })

  it('--allowed-origins refuses other browser origins with 403', async () => {
    const cli = await start(['--allowed-origins', 'https://app.example.com'])
    const refused = await attemptUpgrade(`${cli.wsUrl}/doc`, { origin: 'https://evil.example' })
    expect(refused).toMatchObject({ opened: false, status: 403, reason: 'origin not allowed' })
    const allowed = await attemptUpgrade(`${cli.wsUrl}/doc`, { origin: 'https://app.example.com' })
    expect(allowed.opened).toBe(true)
    if (allowed.opened) allowed.ws.close()
  })

  it('--max-connections-per-ip answers 429 with Retry-After past the limit', async () => {
    const cli = await start(['--max-connections-per-ip', '2'])
    const first = await attemptUpgrade(`${cli.wsUrl}/a`)
    const second = await attemptUpgrade(`${cli.wsUrl}/b`)
    const third = await attemptUpgrade(`${cli.wsUrl}/c`)
    expect([first.opened, second.opened]).toEqual([true, true])
    expect(third).toMatchObject({ opened: false, status: 429 })
    if (!third.opened) expect(Number(third.retryAfter)).toBeGreaterThan(0)
    for (const outcome of [first, second]) if (outcome.opened) outcome.ws.close()
  })

  it('refuses bad network flags, naming them', async () => {
    const { runCli } = await import('./support/spawn-cli.ts')
    const missingKey = await runCli(['--tls-cert', '/nonexistent.pem'])
    expect(missingKey.code).toBe(2)
    expect(missingKey.stderr).toContain('--tls-key')
    const badOrigin = await runCli(['--allowed-origins', 'not an origin'])
    expect(badOrigin.code).toBe(2)
    expect(badOrigin.stderr).toContain('--allowed-origins')
  })
})
