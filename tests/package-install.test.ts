/**
 * The package as someone else gets it: `npm pack`, then installed from that
 * tarball into a clean folder, beside a host app that brings its own `hono`
 * and `@hono/node-server` (the oldest versions of the peer ranges we
 * support). Nothing here uses this checkout's node_modules on the package
 * side; the clients are this checkout's stock y-websocket.
 */
import { spawnSync } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import WebSocket from 'ws'
import { afterEach, beforeAll, describe, expect, it } from 'vitest'
import { FRAGMENT_NAME } from '../shared/schema.ts'
import { connectClient, waitFor, waitSynced, type TestClient } from './support/harness.ts'
import { REPO_ROOT, spawnCli, type SpawnedCli } from './support/spawn-cli.ts'

/** The lower ends of package.json's peerDependencies: what the host app installs. */
const HOST_HONO = '4.10.0'
const HOST_NODE_SERVER = '2.0.0'
const INSTALL_TIMEOUT_MS = 600_000

const pkg = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as {
  version: string
  peerDependencies: Record<string, string>
  devDependencies: Record<string, string>
}
const work = mkdtempSync(join(tmpdir(), 'collab-package-'))
const host = join(work, 'host-app')
let packedFiles: string[] = []
let installOutput = ''

const processes: SpawnedCli[] = []
const clients: TestClient[] = []
afterEach(async () => {
  for (const client of clients.splice(0)) client.destroy()
  await Promise.all(processes.splice(0).map((child) => child.stop('SIGKILL')))
})

function run(command: string, args: string[], cwd: string): string {
  const result = spawnSync(command, args, { cwd, encoding: 'utf8', timeout: INSTALL_TIMEOUT_MS, env: { ...process.env, npm_config_update_notifier: 'false' } })
  const output = `${result.stdout}\n${result.stderr}`
  if (result.status !== 0) throw new Error(`${command} ${args.join(' ')} failed (${result.status ?? result.signal}):\n${output}`)
  return output
}

beforeAll(() => {
  // dist/ is already built from these sources (npm ci, or the test runner): pack it as it is.
  const packed = JSON.parse(run('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', work], REPO_ROOT)) as {
    filename: string
    files: { path: string }[]
  }[]
  packedFiles = packed[0].files.map((file) => file.path)

  spawnSync('mkdir', ['-p', host])
  writeFileSync(
    join(host, 'package.json'),
    JSON.stringify({
      name: 'host-app',
      private: true,
      type: 'module',
      dependencies: {
        'collab-relay': `file:${join(work, packed[0].filename)}`,
        hono: HOST_HONO,
        '@hono/node-server': HOST_NODE_SERVER,
        // A second copy, under another name, for the test of what goes wrong when copies differ.
        'other-node-server': `npm:@hono/node-server@${pkg.devDependencies['@hono/node-server'].replace(/^\^/, '')}`,
      },
    }),
  )
  // A real install, native SQLite build included (a minute or two on 2 cores).
  installOutput = run('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline'], host)
}, INSTALL_TIMEOUT_MS)

describe('npm pack', () => {
  it('holds the built entry points, the licence and the docs, and none of the repository’s sources or tests', () => {
    for (const file of [
      'package.json',
      'LICENSE',
      'README.md',
      'bin/collab-relay.js',
      'dist/node/server/index.js',
      'dist/node/server/index.d.ts',
      'dist/node/server/main.js',
      'dist/node/shared/index.js',
      'dist/lib/collab-editor.js',
      'dist/lib/collab-editor.css',
      'dist/lib/types/client/index.d.ts',
      'dist/app/index.html',
      'dist/app/doc.html',
      'examples/embed.html',
    ]) {
      expect(packedFiles, file).toContain(file)
    }
    expect(packedFiles.filter((file) => /^(tests|bench|server|client|scripts|node_modules)\//.test(file))).toEqual([])
  })
})

describe('installed from the tarball into a clean folder', () => {
  it('installs with no engine warnings, no benchmark-only packages, and one native build (better-sqlite3) to approve', () => {
    expect(installOutput).not.toMatch(/EBADENGINE/)
    // npm 11 lists packages with install scripts it was not told to allow. From a
    // tarball it also lists collab-relay's own `prepare` (it never lists that for
    // a registry install, and never runs it for a tarball).
    const listed = [...installOutput.matchAll(/install-scripts\s+(@?[^@\s]+)@\S+ \(/g)].map((match) => match[1])
    expect(listed.filter((name) => name !== 'collab-relay')).toEqual(listed.includes('better-sqlite3') ? ['better-sqlite3'] : [])
    for (const absent of ['@hocuspocus/server', '@y/websocket-server', 'leveldown', 'tsx', 'esbuild', 'vite', 'vitest']) {
      expect(existsSync(join(host, 'node_modules', absent)), absent).toBe(false)
    }
    expect(existsSync(join(host, 'node_modules/better-sqlite3/build/Release/better_sqlite3.node'))).toBe(true)
  })

  it('shares the host app’s hono and @hono/node-server (peer dependencies): one copy of each', () => {
    const version = (path: string): string => (JSON.parse(readFileSync(join(host, 'node_modules', path, 'package.json'), 'utf8')) as { version: string }).version
    expect(version('hono')).toBe(HOST_HONO)
    expect(version('@hono/node-server')).toBe(HOST_NODE_SERVER)
    expect(existsSync(join(host, 'node_modules/collab-relay/node_modules/hono'))).toBe(false)
    expect(existsSync(join(host, 'node_modules/collab-relay/node_modules/@hono'))).toBe(false)
  })

  it('runs the README’s “mount it into an existing Hono app” snippet with the host’s copies: stock clients co-edit', async () => {
    const readme = readFileSync(join(REPO_ROOT, 'README.md'), 'utf8')
    const section = readme.slice(readme.indexOf('### Mount it into an existing Hono app'))
    const snippet = /```ts\n([\s\S]*?)```/.exec(section)![1]
    // Two edits to run it here: a free port, and a line saying which.
    expect(snippet).toContain('port: 8080')
    expect(snippet).toMatch(/^serve\(\{/m)
    const script = snippet
      .replace('port: 8080', "port: 0, hostname: '127.0.0.1'")
      .replace(/^serve\(\{/m, 'const server = serve({')
      .concat("\nserver.once('listening', () => console.log(`listening on http://127.0.0.1:${server.address().port}`))\n")
    writeFileSync(join(host, 'mounted.mjs'), script)

    const app = await spawnCli([], { entry: join(host, 'mounted.mjs'), cwd: host })
    processes.push(app)
    expect(await (await fetch(`${app.url}/`)).text()).toBe('my app')
    const a = connectClient(`${app.wsUrl}/collab`, 'mounted doc')
    const b = connectClient(`${app.wsUrl}/collab`, 'mounted doc')
    clients.push(a, b)
    await Promise.all([waitSynced(a, 10_000), waitSynced(b, 10_000)])
    a.text.insert(0, 'through the host app')
    await waitFor(() => b.text.toString() === 'through the host app', 'b to receive a’s edit')
    expect(app.stderr).toBe('')
  })

  it('logs why an upgrade fails when the app is served by another copy of @hono/node-server', async () => {
    writeFileSync(
      join(host, 'two-copies.mjs'),
      `import { Hono } from 'hono'
import { serve } from 'other-node-server'
import { createRelay, createRelayApp, createWebSocketServer } from 'collab-relay'
const app = new Hono()
app.route('/', createRelayApp(createRelay()))
const server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1', websocket: { server: createWebSocketServer() } })
server.once('listening', () => console.log('listening on http://127.0.0.1:' + server.address().port))
`,
    )
    const app = await spawnCli([], { entry: join(host, 'two-copies.mjs'), cwd: host })
    processes.push(app)
    const status = await new Promise<number>((resolve, reject) => {
      const ws = new WebSocket(`${app.wsUrl}/doc`)
      ws.once('unexpected-response', (_request, response) => resolve(response.statusCode ?? 0))
      ws.once('open', () => reject(new Error('the upgrade unexpectedly succeeded')))
      ws.once('error', () => {})
    })
    expect(status).toBe(500)
    await waitFor(() => app.stderr.includes('another copy of @hono/node-server'), 'the relay to log why the upgrade failed')
  })

  it('runs `collab-relay` from the installed package: the editor, the library and a stock client, then SIGTERM exits 0', async () => {
    const cli = await spawnCli(['--port', '0', '--data', join(work, 'data')], {
      entry: join(host, 'node_modules/.bin/collab-relay'),
      cwd: host,
    })
    processes.push(cli)
    for (const [path, type] of [
      ['/', 'text/html'],
      ['/d/team%2Fplan', 'text/html'],
      ['/lib/collab-editor.js', 'text/javascript'],
      ['/lib/collab-editor.css', 'text/css'],
    ]) {
      const response = await fetch(`${cli.url}${path}`)
      expect(response.status, path).toBe(200)
      expect(response.headers.get('content-type'), path).toContain(type)
      await response.arrayBuffer()
    }
    const client = connectClient(cli.wsUrl, 'installed')
    clients.push(client)
    await waitSynced(client, 10_000)
    expect(cli.stderr).toContain('SQLite at')
    expect(await cli.stop('SIGTERM')).toEqual({ code: 0, signal: null })
  })

  it('imports collab-relay, collab-relay/shared and collab-relay/client from the clean folder', () => {
    writeFileSync(
      join(host, 'imports.mjs'),
      `const server = await import('collab-relay')
const shared = await import('collab-relay/shared')
const client = await import('collab-relay/client')
console.log(JSON.stringify({
  server: ['createRelay', 'serveRelay', 'createRelayApp', 'mountEditorApp', 'createSqliteStorage'].filter((name) => typeof server[name] === 'function'),
  shared: Object.keys(shared).length > 0,
  client: ['createCollabEditor', 'statusLabel', 'defineCollabEditorElement'].filter((name) => typeof client[name] === 'function'),
  fragment: client.FRAGMENT_NAME,
}))
`,
    )
    const output = run(process.execPath, ['imports.mjs'], host)
    expect(JSON.parse(output.trim().split('\n')[0])).toEqual({
      server: ['createRelay', 'serveRelay', 'createRelayApp', 'mountEditorApp', 'createSqliteStorage'],
      shared: true,
      client: ['createCollabEditor', 'statusLabel', 'defineCollabEditorElement'],
      fragment: FRAGMENT_NAME,
    })
    expect(existsSync(join(host, 'node_modules/collab-relay/dist/lib/collab-editor.css'))).toBe(true)
  })
})
