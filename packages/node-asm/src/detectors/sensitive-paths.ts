/**
 * Files whose reading is an event on its own, inside a request or not: password hashes, process
 * environments (where Fargate tasks keep their secrets), SSH keys, AWS credentials and mounted
 * secrets. Checked on resolved absolute paths; kept to prefix and suffix tests so that it can run
 * on every fs call.
 */
import { posix } from 'node:path'

const EXACT: ReadonlyMap<string, string> = new Map([
  ['/etc/shadow', 'password hashes'],
  ['/etc/gshadow', 'password hashes'],
  ['/etc/shadow-', 'password hashes'],
  ['/etc/sudoers', 'sudo configuration'],
  ['/proc/self/environ', 'process environment'],
  ['/proc/thread-self/environ', 'process environment'],
])

const PREFIXES: ReadonlyArray<readonly [string, string]> = [
  ['/var/run/secrets/', 'mounted secrets'],
  ['/run/secrets/', 'mounted secrets'],
  ['/etc/ssh/ssh_host_', 'SSH host keys'],
]

/** Every sensitive path matches this (after normalising, which `//` and `/.` may need): most paths are ruled out by one match. */
const CANDIDATE = /^\/(?:etc\/|proc\/|var\/run\/secrets\/|run\/secrets\/)|\/\.ssh\/|\/\.aws\/|\/\/|\/\./

export function isSensitivePath (resolved: string): string | undefined {
  if (!CANDIDATE.test(resolved)) return undefined
  // `//etc/shadow` and `/etc/./shadow` name the same file: normalise only when it could matter.
  const path = resolved.includes('//') || resolved.includes('/.') ? posix.normalize(resolved) : resolved
  const exact = EXACT.get(path)
  if (exact !== undefined) return exact
  for (const [prefix, label] of PREFIXES) if (path.startsWith(prefix)) return label
  if (path.includes('/.ssh/')) return 'SSH keys'
  if (path.endsWith('/.aws/credentials') || path.endsWith('/.aws/config')) return 'AWS credentials'
  if (path.startsWith('/proc/') && path.endsWith('/environ') && isProcessEnviron(path)) return 'process environment'
  return undefined
}

const DIGITS = /^\d+$/
const numeric = (s: string | undefined): boolean => s !== undefined && DIGITS.test(s)

/** `/proc/<pid>/environ` and `/proc/<pid>/task/<tid>/environ`. */
function isProcessEnviron (path: string): boolean {
  const parts = path.split('/') // ['', 'proc', pid, ..., 'environ']
  if (parts.length === 4) return numeric(parts[2])
  return parts.length === 6 && (numeric(parts[2]) || parts[2] === 'self') && parts[3] === 'task' && numeric(parts[4])
}
