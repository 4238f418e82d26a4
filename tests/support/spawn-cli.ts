/**
 * Run the real `collab-relay` command (`node bin/collab-relay.js`) as a child
 * process, the way an operator would, for CLI tests.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

/** The repository root, from this file's location (tests/support/). */
export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url))
const CLI = fileURLToPath(new URL('../../bin/collab-relay.js', import.meta.url))

export interface ExitResult {
  code: number | null
  signal: NodeJS.Signals | null
}

export interface CliRunOptions {
  /** Added to the environment. `undefined` removes a variable. */
  env?: Record<string, string | undefined>
  /**
   * Working directory. Default: a fresh temporary one, so the default
   * `./data` storage never carries documents from one run into the next.
   */
  cwd?: string
  /** Bound on the wait (for the listening line, or for the exit). Default 15 000 ms. */
  timeoutMs?: number
  /**
   * How the command is started: `node bin/collab-relay.js` (default), or
   * `npm exec -- collab-relay` from the repository, as `npx collab-relay`
   * does (npm, then a shell, then the relay). `process` is then npm's.
   */
  launcher?: 'node' | 'npm-exec'
  /** With the `node` launcher: the script to run instead of this checkout's bin/collab-relay.js. */
  entry?: string
}

export interface SpawnedCli {
  /** `http://HOST:PORT` as printed. */
  url: string
  /** `ws://HOST:PORT`, for clients. */
  wsUrl: string
  port: number
  process: ChildProcess
  /** Complete stdout lines so far (without the newline). */
  stdoutLines: string[]
  /** Everything written to stderr so far. */
  readonly stderr: string
  /** Resolves when the process exits. */
  exited: Promise<ExitResult>
  /** Send `signal` (default SIGTERM) and wait, bounded, for the exit; SIGKILL after `timeoutMs`. */
  stop(signal?: NodeJS.Signals, timeoutMs?: number): Promise<ExitResult>
}

const LISTENING = /^listening on (https?:\/\/(.+):(\d+))$/

/**
 * The parent's environment without any COLLAB_RELAY_* setting (so a developer's
 * shell cannot change what a test sees) and, unless npm starts the relay,
 * without npm's variables, plus `extra`.
 */
function childEnv(extra: Record<string, string | undefined> = {}, viaNpm = false): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {}
  for (const [key, value] of Object.entries(process.env)) {
    if (key.startsWith('COLLAB_RELAY_') || key === 'DATABASE_URL' || key === 'REDIS_URL') continue
    // `npm test` marks what it runs; a relay started directly must not look npm-started.
    if (!viaNpm && key.startsWith('npm_')) continue
    env[key] = value
  }
  for (const [key, value] of Object.entries(extra)) {
    if (value === undefined) delete env[key]
    else env[key] = value
  }
  return env
}

interface Child {
  process: ChildProcess
  stdoutLines: string[]
  stdout: () => string
  stderr: () => string
  exited: Promise<ExitResult>
  onLine(listener: (line: string) => void): void
}

function start(args: readonly string[], options: CliRunOptions): Child {
  const viaNpm = options.launcher === 'npm-exec'
  // npm finds the package's own bin only from inside the package.
  const child = spawn(viaNpm ? 'npm' : process.execPath, viaNpm ? ['exec', '--', 'collab-relay', ...args] : [options.entry ?? CLI, ...args], {
    cwd: viaNpm ? REPO_ROOT : (options.cwd ?? mkdtempSync(join(tmpdir(), 'collab-cli-'))),
    env: childEnv(options.env, viaNpm),
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  const stdoutLines: string[] = []
  const listeners: ((line: string) => void)[] = []
  let stdout = ''
  let partial = ''
  let stderr = ''
  child.stdout!.setEncoding('utf8')
  child.stderr!.setEncoding('utf8')
  child.stdout!.on('data', (chunk: string) => {
    stdout += chunk
    partial += chunk
    let newline: number
    while ((newline = partial.indexOf('\n')) >= 0) {
      const line = partial.slice(0, newline)
      partial = partial.slice(newline + 1)
      stdoutLines.push(line)
      for (const listener of listeners) listener(line)
    }
  })
  child.stderr!.on('data', (chunk: string) => {
    stderr += chunk
  })
  // 'close' rather than 'exit': it fires once the output pipes are drained too.
  const exited = new Promise<ExitResult>((resolve) => {
    child.once('close', (code, signal) => resolve({ code, signal }))
  })
  return {
    process: child,
    stdoutLines,
    stdout: () => stdout,
    stderr: () => stderr,
    exited,
    onLine: (listener) => listeners.push(listener),
  }
}

async function bounded<T>(promise: Promise<T>, timeoutMs: number, onTimeout: () => Error): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(onTimeout()), timeoutMs)
  })
  try {
    return await Promise.race([promise, timeout])
  } finally {
    clearTimeout(timer)
  }
}

/**
 * Start the CLI and wait for its `listening on http://HOST:PORT` line. Rejects
 * (and kills the child) if it exits first or does not listen within the bound.
 * Always `stop()` the result in `afterEach`/`finally`.
 */
export async function spawnCli(args: readonly string[], options: CliRunOptions = {}): Promise<SpawnedCli> {
  const timeoutMs = options.timeoutMs ?? 15_000
  const child = start(args, options)
  const listening = new Promise<RegExpExecArray>((resolve, reject) => {
    child.onLine((line) => {
      const match = LISTENING.exec(line)
      if (match) resolve(match)
    })
    void child.exited.then(({ code, signal }) =>
      reject(new Error(`collab-relay exited (code ${code}, signal ${signal}) before listening; stderr:\n${child.stderr()}`)),
    )
  })
  let match: RegExpExecArray
  try {
    match = await bounded(listening, timeoutMs, () => new Error(`collab-relay did not listen within ${timeoutMs} ms; stderr:\n${child.stderr()}`))
  } catch (error) {
    child.process.kill('SIGKILL')
    await child.exited
    throw error
  }

  const url = match[1]
  return {
    url,
    wsUrl: url.replace(/^http/, 'ws'),
    port: Number(match[3]),
    process: child.process,
    stdoutLines: child.stdoutLines,
    get stderr() {
      return child.stderr()
    },
    exited: child.exited,
    async stop(signal: NodeJS.Signals = 'SIGTERM', stopTimeoutMs = 15_000) {
      if (child.process.exitCode === null && child.process.signalCode === null) child.process.kill(signal)
      try {
        return await bounded(child.exited, stopTimeoutMs, () => new Error(`collab-relay did not exit within ${stopTimeoutMs} ms of ${signal}`))
      } catch (error) {
        child.process.kill('SIGKILL')
        await child.exited
        throw error
      }
    },
  }
}

export interface CliOutcome extends ExitResult {
  stdout: string
  stderr: string
}

/** Run the CLI to completion (for `--help`, `--version` and bad settings). SIGKILLs it past the bound. */
export async function runCli(args: readonly string[], options: CliRunOptions = {}): Promise<CliOutcome> {
  const timeoutMs = options.timeoutMs ?? 15_000
  const child = start(args, options)
  try {
    const result = await bounded(child.exited, timeoutMs, () => new Error(`collab-relay ${args.join(' ')} did not exit within ${timeoutMs} ms`))
    return { ...result, stdout: child.stdout(), stderr: child.stderr() }
  } catch (error) {
    child.process.kill('SIGKILL')
    await child.exited
    throw error
  }
}
