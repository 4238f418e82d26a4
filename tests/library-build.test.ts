/**
 * The package entry points as a user gets them: compiled JavaScript that
 * plain Node (no TypeScript loader) can import, built by `npm run build`
 * (which `npm ci` and the test command run).
 */
import { execFileSync } from 'node:child_process'
import { existsSync, readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'

const root = fileURLToPath(new URL('..', import.meta.url))
const pkg = JSON.parse(readFileSync(`${root}package.json`, 'utf8')) as { exports: Record<string, string | Record<string, string>> }

describe('built library', () => {
  it('every export in package.json points at a file that exists', () => {
    for (const [entry, target] of Object.entries(pkg.exports)) {
      const files = typeof target === 'string' ? [target] : Object.values(target)
      for (const file of files) expect(existsSync(`${root}${file}`), `${entry} → ${file}`).toBe(true)
    }
  })

  it('the server entry runs in plain Node: a relay starts, answers /healthz and closes', () => {
    const script = `
      const { createRelay, serveRelay, createMemoryStorage } = await import(${JSON.stringify(`${root}dist/node/server/index.js`)})
      const server = await serveRelay(createRelay({ storage: createMemoryStorage() }), { port: 0 })
      const health = await (await fetch(server.url + '/healthz')).json()
      await server.close()
      console.log(JSON.stringify(health))
    `
    const output = execFileSync(process.execPath, ['--input-type=module', '-e', script], { cwd: root, encoding: 'utf8', timeout: 20_000 })
    const health = JSON.parse(output.trim().split('\n').at(-1)!) as { status: string; version: string }
    expect(health.status).toBe('ok')
    expect(health.version).toMatch(/^\d+\.\d+\.\d+/)
  })

  it('serves the editor from the library: serveRelay(relay, { editor: true }) answers /, /d/<name> and /lib/', () => {
    const script = `
      const { createRelay, serveRelay, mountEditorApp } = await import(${JSON.stringify(`${root}dist/node/server/index.js`)})
      if (typeof mountEditorApp !== 'function') throw new Error('mountEditorApp is not exported')
      const server = await serveRelay(createRelay(), { port: 0, editor: true })
      const statuses = {}
      for (const path of ['/', '/d/team%2Fplan', '/lib/collab-editor.js', '/lib/collab-editor.css', '/healthz']) {
        const response = await fetch(server.url + path)
        statuses[path] = response.status + ' ' + (response.headers.get('content-type') ?? '').split(';')[0]
        await response.arrayBuffer()
      }
      await server.close()
      console.log(JSON.stringify(statuses))
    `
    const output = execFileSync(process.execPath, ['--input-type=module', '-e', script], { cwd: root, encoding: 'utf8', timeout: 20_000 })
    expect(JSON.parse(output.trim().split('\n').at(-1)!)).toEqual({
      '/': '200 text/html',
      '/d/team%2Fplan': '200 text/html',
      '/lib/collab-editor.js': '200 text/javascript',
      '/lib/collab-editor.css': '200 text/css',
      '/healthz': '200 application/json',
    })
  })
})
