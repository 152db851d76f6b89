/**
 * The default service name: the `name` in the application's package.json (looked up once, at
 * start, in the working directory), else the entry script's base name, else `node`.
 */
import { readFileSync } from 'node:fs'
import { basename, extname, join } from 'node:path'

export function defaultServiceName (cwd: string = process.cwd(), entry: string | undefined = process.argv[1]): string {
  try {
    const pkg = JSON.parse(readFileSync(join(cwd, 'package.json'), 'utf8')) as { name?: unknown }
    if (typeof pkg.name === 'string' && pkg.name.length > 0 && pkg.name.length <= 256) return pkg.name
  } catch {
    // No readable package.json: fall through to the script name.
  }
  if (typeof entry === 'string' && entry.length > 0) {
    const name = basename(entry, extname(entry))
    if (name.length > 0) return name.slice(0, 256)
  }
  return 'node'
}
