/**
 * Processes as the kernel sees them (Linux /proc), for tests about what a
 * supervisor or npm leaves running: who is whose child, and whether a pid
 * is still alive.
 */
import { readdirSync, readFileSync } from 'node:fs'

export interface ProcessEntry {
  pid: number
  ppid: number
  /** The command line, arguments joined by spaces. */
  command: string
}

function readEntry(pid: number): ProcessEntry | null {
  try {
    // The command name in /proc/<pid>/stat is in parentheses and may hold spaces: read after the last ')'.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    if (fields[0] === 'Z') return null // a zombie has exited already
    const command = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean).join(' ')
    return { pid, ppid: Number(fields[1]), command }
  } catch {
    return null // exited while we looked
  }
}

/** Every live process. */
export function listProcesses(): ProcessEntry[] {
  return readdirSync('/proc')
    .filter((name) => /^\d+$/.test(name))
    .map((name) => readEntry(Number(name)))
    .filter((entry): entry is ProcessEntry => entry !== null)
}

/** Live processes whose command line contains `text`. */
export function processesMatching(text: string): ProcessEntry[] {
  return listProcesses().filter((entry) => entry.command.includes(text) && entry.pid !== process.pid)
}

/** Whether `pid` is a live (not zombie) process. */
export function isAlive(pid: number): boolean {
  return readEntry(pid) !== null
}

/** The processes below `pid`, children first. */
export function descendantsOf(pid: number): ProcessEntry[] {
  const all = listProcesses()
  const found: ProcessEntry[] = []
  let frontier = [pid]
  while (frontier.length > 0) {
    const children = all.filter((entry) => frontier.includes(entry.ppid))
    found.push(...children)
    frontier = children.map((entry) => entry.pid)
  }
  return found
}
