/**
 * The dependency inventory: name and version of every package the application has loaded,
 * reported once each as a `dependency` event, for the agent's vulnerability checks.
 *
 * It reads `require.cache` (every CommonJS module loaded so far) at start and then on an
 * unref'd timer, looking only at paths it has not seen; each new package root's package.json is
 * read once, off the application's call path. ES modules loaded with `import` are not in
 * require.cache and are not inventoried yet.
 */
import { readFileSync } from 'node:fs'
import { join, sep } from 'node:path'
import type { DependencyEvent } from '@sidewatch/proto'
import { withoutFsReports } from './instrumentations/fs'
import { cut, envelope, type Identity } from './reporter/envelope'
import { internalError } from './warn'

const NODE_MODULES = `${sep}node_modules${sep}`
/** How often newly loaded modules are looked at. */
export const SCAN_INTERVAL_MS = 5000

/** The package root of a module path: `/app/node_modules/@scope/name` for any file under it. */
export function packageRoot (file: string): string | undefined {
  const at = file.lastIndexOf(NODE_MODULES)
  if (at < 0) return undefined
  const rest = file.slice(at + NODE_MODULES.length).split(sep)
  const parts = rest[0]?.startsWith('@') === true ? rest.slice(0, 2) : rest.slice(0, 1)
  if (parts.length === 0 || parts.some((p) => p === '')) return undefined
  return join(file.slice(0, at + NODE_MODULES.length), ...parts)
}

export class DependencyInventory {
  readonly #identity: Identity
  readonly #report: (event: DependencyEvent) => void
  readonly #seenFiles = new Set<string>()
  readonly #seenRoots = new Set<string>()
  #timer: NodeJS.Timeout | undefined

  constructor (identity: Identity, report: (event: DependencyEvent) => void) {
    this.#identity = identity
    this.#report = report
  }

  start (): void {
    this.scan()
    this.#timer = setInterval(() => this.scan(), SCAN_INTERVAL_MS)
    this.#timer.unref()
  }

  stop (): void {
    clearInterval(this.#timer)
    this.#timer = undefined
  }

  /** Reports the packages loaded since the last scan. */
  scan (): void {
    try {
      for (const file of Object.keys(require.cache)) {
        if (this.#seenFiles.has(file)) continue
        this.#seenFiles.add(file)
        const root = packageRoot(file)
        if (root === undefined || this.#seenRoots.has(root)) continue
        this.#seenRoots.add(root)
        const pkg = readPackage(root)
        if (pkg !== undefined) this.#report({ ...envelope(this.#identity), kind: 'dependency', dependency: { name: cut(pkg.name, 256), version: cut(pkg.version, 128), path: cut(root, 4096) } })
      }
    } catch (err) {
      internalError('the dependency inventory', err)
    }
  }
}

function readPackage (root: string): { name: string, version: string } | undefined {
  try {
    const json = JSON.parse(withoutFsReports(() => readFileSync(join(root, 'package.json'), 'utf8'))) as { name?: unknown, version?: unknown }
    return typeof json.name === 'string' && typeof json.version === 'string' ? { name: json.name, version: json.version } : undefined
  } catch {
    return undefined
  }
}
