/**
 * Turns the arguments of one fs call into the FsContext published for it: the path as a string,
 * resolved against the working directory, the second path of two-path calls, and the open flags
 * of calls that open a file. Calls on a file descriptor (`readFile(fd)`) and calls whose path is
 * not a string, Buffer or file: URL are not described (undefined): Node rejects the latter itself.
 */
import { constants } from 'node:fs'
import { resolve as resolvePath } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { FsApi, FsContext } from '../channels'

/** Where an op finds its open flags: a positional argument, or a key of its options argument. */
interface FlagsSpec {
  at: number
  key?: 'flag' | 'flags'
  default: string
}

export interface FsOpSpec {
  /** Second path argument (rename, copyFile, symlink, link): reported as `dest`. */
  dest?: true
  flags?: FlagsSpec
}

/**
 * The reported ops. Not here on purpose: stat/lstat/access/exists (the hottest calls, and they
 * change nothing), and fd-based calls (read, write, fstat, ...): the path was seen at open.
 */
export const FS_OPS: Readonly<Record<string, FsOpSpec>> = {
  open: { flags: { at: 1, default: 'r' } },
  readFile: { flags: { at: 1, key: 'flag', default: 'r' } },
  writeFile: { flags: { at: 2, key: 'flag', default: 'w' } },
  appendFile: { flags: { at: 2, key: 'flag', default: 'a' } },
  createReadStream: { flags: { at: 1, key: 'flags', default: 'r' } },
  createWriteStream: { flags: { at: 1, key: 'flags', default: 'w' } },
  unlink: {},
  rm: {},
  rmdir: {},
  rename: { dest: true },
  copyFile: { dest: true },
  readdir: {},
  mkdir: {},
  symlink: { dest: true },
  link: { dest: true },
  chmod: {},
  chown: {},
  lchown: {},
  truncate: {},
}

export const STREAM_OPS = ['createReadStream', 'createWriteStream'] as const
/** Ops with callback, Sync and fs.promises forms. */
export const PATH_OPS = Object.keys(FS_OPS).filter((op) => !op.startsWith('create'))

/** A path argument as a string, or undefined when it is not a path (an fd, null, a bad URL). */
export function pathString (value: unknown): string | undefined {
  if (typeof value === 'string') return value
  if (Buffer.isBuffer(value)) return value.toString('utf8')
  if (value instanceof URL) {
    try { return fileURLToPath(value) } catch { return undefined }
  }
  return undefined
}

/** A path that is absolute already and has no `//`, `.` or `..` segment: what resolving it would give. */
const NORMAL_ABSOLUTE = /^(?!.*\/\/)(?!.*\/\.\.?(?:\/|$))\/(?:.*[^/])?$/s

/** The path resolved against the working directory (most paths apps open are absolute and normal already). */
export function resolved (path: string): string {
  return NORMAL_ABSOLUTE.test(path) ? path : resolvePath(path)
}

export function describeFsCall (op: string, api: FsApi, args: ArrayLike<unknown>): FsContext | undefined {
  const spec = FS_OPS[op]
  if (spec === undefined) return undefined
  const path = pathString(args[0])
  if (path === undefined) return undefined
  const ctx: FsContext = { op, api, path, resolved: resolved(path) }
  if (spec.dest === true) {
    const dest = pathString(args[1])
    if (dest !== undefined) ctx.dest = dest
  }
  if (spec.flags !== undefined) ctx.flags = flagsOf(spec.flags, args[spec.flags.at])
  return ctx
}

function flagsOf (spec: FlagsSpec, arg: unknown): string {
  let flags = arg
  if (spec.key !== undefined) flags = arg !== null && typeof arg === 'object' ? (arg as Record<string, unknown>)[spec.key] : undefined
  if (typeof flags === 'string') return flags
  if (typeof flags === 'number') return numericFlags(flags)
  return spec.default
}

const FLAG_NAMES = ['O_CREAT', 'O_EXCL', 'O_TRUNC', 'O_APPEND', 'O_SYNC', 'O_DSYNC', 'O_DIRECTORY', 'O_NOFOLLOW', 'O_NOATIME', 'O_NONBLOCK'] as const

/** `O_WRONLY|O_CREAT|O_TRUNC` for the numeric form of open flags. */
export function numericFlags (flags: number): string {
  const access = flags & 3
  const names = [access === constants.O_RDWR ? 'O_RDWR' : access === constants.O_WRONLY ? 'O_WRONLY' : 'O_RDONLY']
  for (const name of FLAG_NAMES) {
    const bit = (constants as Record<string, number | undefined>)[name]
    if (bit !== undefined && bit !== 0 && (flags & bit) === bit) names.push(name)
  }
  return names.join('|')
}
