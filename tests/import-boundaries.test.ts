/**
 * The layering rules, checked on the source text: server/ and client/ never
 * import each other, and shared/ (which the browser bundles) imports neither,
 * nor Node built-ins, nor `ws`.
 */
import { readdirSync, readFileSync } from 'node:fs'
import { builtinModules } from 'node:module'
import { dirname, join, relative, resolve, sep } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'

const REPO_ROOT = fileURLToPath(new URL('..', import.meta.url))
const AREAS = ['server', 'client', 'shared'] as const
type Area = (typeof AREAS)[number]

/** Static imports, side-effect imports, re-exports and dynamic `import('…')`. */
const SPECIFIER = /(?:\bimport|\bexport)\s+(?:type\s+)?(?:[\w*{}\s,$]+?\s+from\s+)?['"]([^'"]+)['"]|\bimport\s*\(\s*['"]([^'"]+)['"]\s*\)/g

function importSpecifiers(source: string): string[] {
  // Comments may mention imports (JSDoc examples do); they are not imports.
  const code = source.replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|[^:'"])\/\/.*$/gm, '$1')
  return [...code.matchAll(SPECIFIER)].map((match) => match[1] ?? match[2])
}

function sourceFiles(dir: string): string[] {
  let entries
  try {
    entries = readdirSync(dir, { withFileTypes: true })
  } catch {
    return [] // an area that does not exist yet has nothing to break
  }
  return entries.flatMap((entry) => {
    const path = join(dir, entry.name)
    if (entry.isDirectory()) return entry.name === 'node_modules' ? [] : sourceFiles(path)
    return /\.(ts|tsx|mts)$/.test(entry.name) && !entry.name.endsWith('.d.ts') ? [path] : []
  })
}

/** The area a relative specifier lands in, or null outside them all. */
function areaOf(fromFile: string, specifier: string): Area | null {
  const target = relative(REPO_ROOT, resolve(dirname(fromFile), specifier))
  const top = target.split(sep)[0]
  return (AREAS as readonly string[]).includes(top) ? (top as Area) : null
}

const isNodeBuiltin = (specifier: string): boolean =>
  specifier.startsWith('node:') || builtinModules.includes(specifier.split('/')[0])

interface Import {
  file: string
  area: Area
  specifier: string
}

const imports: Import[] = AREAS.flatMap((area) =>
  sourceFiles(join(REPO_ROOT, area)).flatMap((file) =>
    importSpecifiers(readFileSync(file, 'utf8')).map((specifier) => ({ file, area, specifier })),
  ),
)

const show = (found: Import[]): string[] => found.map(({ file, specifier }) => `${relative(REPO_ROOT, file)} imports '${specifier}'`)

function crossing(from: Area, to: Area): Import[] {
  return imports.filter((i) => i.area === from && i.specifier.startsWith('.') && areaOf(i.file, i.specifier) === to)
}

describe('import boundaries', () => {
  it('reads every kind of import specifier, and none from comments', () => {
    const source = [
      "import * as Y from 'yjs'",
      "import type { A } from './a.ts'",
      'import {',
      '  b,',
      '  type C,',
      "} from '../b.ts'",
      "import './side-effect.ts'",
      "export * from './c.ts'",
      "export { d } from \"./d.ts\"",
      "const e = await import('./e.ts')",
      "// import { f } from './commented.ts'",
      "/** @example import { g } from 'commented-too' */",
      "const url = 'http://example.com' // import 'x'",
    ].join('\n')
    expect(importSpecifiers(source)).toEqual(['yjs', './a.ts', '../b.ts', './side-effect.ts', './c.ts', './d.ts', './e.ts'])
  })

  it('finds the project sources and their imports', () => {
    const files = new Set(imports.map((i) => relative(REPO_ROOT, i.file).split(sep).join('/')))
    expect(files).toContain('server/relay/room.ts')
    expect(files).toContain('shared/awareness-codec.ts')
    // A known cross-area import resolves to where it points.
    expect(crossing('server', 'shared').length).toBeGreaterThan(0)
  })

  it('server/ never imports from client/', () => {
    expect(show(crossing('server', 'client'))).toEqual([])
  })

  it('client/ never imports from server/', () => {
    expect(show(crossing('client', 'server'))).toEqual([])
  })

  it('shared/ imports neither server/ nor client/', () => {
    expect(show([...crossing('shared', 'server'), ...crossing('shared', 'client')])).toEqual([])
  })

  it('shared/ imports no Node built-ins and no ws (the browser bundles it)', () => {
    const found = imports.filter((i) => i.area === 'shared' && (isNodeBuiltin(i.specifier) || i.specifier === 'ws' || i.specifier.startsWith('ws/')))
    expect(show(found)).toEqual([])
  })
})
