/**
 * A self-signed certificate for `localhost` and `127.0.0.1`, made with the
 * machine's `openssl` for TLS tests. It is its own CA: pass `cert` as `ca`
 * to clients and they verify the relay properly.
 */
import { execFileSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

export interface TestCertificate {
  /** PEM certificate (also the CA to trust). */
  cert: string
  /** PEM private key. */
  key: string
}

let made: TestCertificate | null = null

/** Made once per test process (about 100 ms of RSA key generation). */
export function selfSignedCertificate(): TestCertificate {
  if (made) return made
  const dir = mkdtempSync(join(tmpdir(), 'collab-relay-tls-'))
  try {
    const keyFile = join(dir, 'key.pem')
    const certFile = join(dir, 'cert.pem')
    execFileSync('openssl', [
      'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', keyFile, '-out', certFile,
      '-subj', '/CN=localhost', '-days', '1', '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1',
    ], { stdio: 'pipe' })
    made = { cert: readFileSync(certFile, 'utf8'), key: readFileSync(keyFile, 'utf8') }
    return made
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}
