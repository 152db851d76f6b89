/**
 * Path traversal: a request input steered a file-system call outside the directory the app meant.
 *
 * The path handed to fs often no longer contains the input: `path.join(base, '../../etc/passwd')`
 * gives `/etc/passwd` (dd-trace's LFI rule misses exactly this). So an input counts as having
 * reached the path either when it occurs in it as is, or when its normalised tail — what is left
 * after its leading `..` segments — is the tail of the resolved path. Only inputs that can move a
 * path at all are considered: with a `..` segment, absolute, `file:`, `~/`, or a NUL byte.
 */
import { posix } from 'node:path'
import type { RequestInput } from '../channels'
import { inputValues } from './decoded-values'
import type { Finding } from './finding'

export function detectPathTraversal (path: string, resolved: string, inputs: readonly RequestInput[], op?: string): Finding | undefined {
  for (const input of inputs) {
    for (const value of inputValues(input)) {
      if (!canMovePath(value)) continue
      const reason = value.includes('\0') && path.includes(value.slice(0, value.indexOf('\0') + 1))
        ? 'input holds a NUL byte that would cut the path short'
        : traversal(path, resolved, value)
      if (reason !== undefined) {
        return { class: 'path_traversal', input, target: resolved, reason: op === undefined ? reason : `${op}: ${reason}` }
      }
    }
  }
  return undefined
}

/** The fast path: a plain file name (`report.v2.final.pdf`, `..hidden`) cannot leave a directory. */
function canMovePath (value: string): boolean {
  const first = value.charCodeAt(0)
  return first === 47 /* / */ || value.startsWith('~/') || value.startsWith('file:') || value.includes('\0') || hasDotDotSegment(value)
}

function hasDotDotSegment (value: string): boolean {
  for (let at = value.indexOf('..'); at !== -1; at = value.indexOf('..', at + 1)) {
    const before = at === 0 ? '/' : value[at - 1]
    const after = at + 2 === value.length ? '/' : value[at + 2]
    if (before === '/' && after === '/') return true
  }
  return false
}

function traversal (path: string, resolved: string, value: string): string | undefined {
  const at = path.indexOf(value)
  if (at !== -1) return leavesPrefix(path, at, value)
  return normalisedAway(resolved, value)
}

/**
 * The input occurs as is: the text before it is the app's, so the directory it meant is known.
 * At the very start the app used the input as the path: that is traversal when the input is the
 * whole absolute path (a `/` or `/app` that merely begins it proves nothing), or climbs above the
 * working directory. A string starting `file:` is a relative name to fs; only URL objects convert.
 */
function leavesPrefix (path: string, at: number, value: string): string | undefined {
  if (at === 0) {
    const normal = posix.normalize(value)
    if (normal[0] === '/') return normal === posix.normalize(path) ? 'input is an absolute path used as the whole path' : undefined
    return normal === '..' || normal.startsWith('../') ? 'input climbs above the working directory' : undefined
  }
  // `base + name` or `base/` + name: the intended directory is where the app's own text ends.
  const dir = posix.dirname(posix.normalize(path.slice(0, at) + 'x'))
  const target = posix.normalize(path)
  const inside = dir === '.'
    ? target !== '..' && !target.startsWith('../')
    : dir === '/' || target === dir || target.startsWith(dir + '/')
  return inside ? undefined : `input leads out of ${dir}`
}

/** The input no longer occurs: look for its normalised tail at the end of the resolved path. */
function normalisedAway (resolved: string, value: string): string | undefined {
  if (value.startsWith('~/')) {
    // The app expanded `~` to a home directory itself (fs never does).
    return !resolved.includes('~') && resolved.endsWith(posix.normalize(value.slice(1))) ? 'input names a file in the home directory' : undefined
  }
  const normal = posix.normalize(value.startsWith('file://') ? fileUrlPath(value) : value)
  if (normal[0] === '/') {
    return resolved === normal ? 'input is an absolute path that became the whole path' : undefined
  }
  let tail = normal
  while (tail.startsWith('../')) tail = tail.slice(3)
  if (tail.endsWith('/')) tail = tail.slice(0, -1)
  // Only `..` segments left inside the input (`a/../b`): the path stays where the app put it.
  if (tail === normal || tail === '..' || tail === '' || tail === '.') return undefined
  return resolved.endsWith('/' + tail) ? `input climbs ${plural(countUps(normal), 'directory', 'directories')} out of the app's directory` : undefined
}

function countUps (normal: string): number {
  let n = 0
  for (let i = 0; normal.startsWith('../', i); i += 3) n++
  return n
}

/** `file:///etc/passwd` and `file://localhost/etc/passwd` both name `/etc/passwd`. */
function fileUrlPath (url: string): string {
  const slash = url.indexOf('/', 7)
  return slash === -1 ? '/' : url.slice(slash)
}

function plural (n: number, one: string, many: string): string {
  return `${n} ${n === 1 ? one : many}`
}
