/**
 * One process read from /proc/PID: everything the process.start event carries, read once when
 * the process is first seen. A process can exit between any two reads: the stat and status
 * files decide whether it existed at all, later files that are gone leave their fields out and
 * mark the record `partial` (the short-lived process is still evidence).
 *
 * Reads are synchronous on purpose: /proc files are generated in memory, and a synchronous
 * open/read/close is several times cheaper than a trip through the thread pool. The scanner
 * yields to the event loop between batches.
 */
import { closeSync, openSync, readlinkSync, readSync } from 'node:fs'
import { isInetSocket } from './inet-socket'
import { startTimeIso } from './boot-time'
import { containerIdFromCgroup } from './cgroup'
import { DEFAULT_CMDLINE_BYTES, parseCmdline } from './cmdline'
import { parseExeLink } from './exe-link'
import type { ExeHasher } from './exe-hasher'
import type { UserNames } from './passwd'
import { PF_KTHREAD, parseStat, type ProcStat } from './stat'
import { parseStatusIds } from './status'
import { ttyName } from './tty'

export interface ProcessRecord {
  pid: number
  ppid: number
  /** Clock ticks after boot: with pid, the identity of the process (pids are reused). */
  startTicks: number
  startTime: string
  comm: string
  state: string
  session: number
  ttyNr: number
  tty?: string
  /** The /proc/PID/exe link as read, to notice an exec. */
  exeLink?: string
  exe?: string
  exeDeleted?: boolean
  sha256?: string
  cmdline?: string[]
  cmdlineTruncated?: boolean
  cwd?: string
  uid?: number
  euid?: number
  gid?: number
  egid?: number
  user?: string
  containerId?: string
  /** Standard input and output are both network sockets (a reverse shell's shape). */
  stdioSocket?: boolean
  /** Some files could not be read because the process exited (or turned zombie) meanwhile. */
  partial: boolean
  /** When the scanner first saw it (ms since the epoch). */
  seenAt: number
}

export interface ReadContext {
  procRoot: string
  bootTimeS: number
  ticksPerSecond: number
  cmdlineBytes?: number
  userNames?: UserNames
  hasher?: ExeHasher
  /** A buffer for the small files, reused across reads. */
  buffer: Buffer
}

export type ReadResult =
  | { kind: 'gone' }
  | { kind: 'kernel-thread' }
  | { kind: 'process', record: ProcessRecord, hash: (() => Promise<string | undefined>) | undefined }

export function readProcess (ctx: ReadContext, pid: number, now: number = Date.now()): ReadResult {
  const dir = `${ctx.procRoot}/${pid}`
  const stat = readStat(ctx, dir)
  if (stat === undefined) return { kind: 'gone' }
  if ((stat.flags & PF_KTHREAD) !== 0) return { kind: 'kernel-thread' }
  const startTime = startTimeIso(ctx.bootTimeS, stat.startTicks, ctx.ticksPerSecond)
  if (startTime === undefined) return { kind: 'gone' } // not a stat line of a live process
  const record: ProcessRecord = {
    pid,
    ppid: stat.ppid,
    startTicks: stat.startTicks,
    startTime,
    comm: stat.comm,
    state: stat.state,
    session: stat.session,
    ttyNr: stat.ttyNr,
    partial: false,
    seenAt: now,
  }
  const tty = ttyName(stat.ttyNr)
  if (tty !== undefined) record.tty = tty
  // Opened first so the file stays readable if the process exits during the other reads.
  const hash = ctx.hasher?.open(`${dir}/exe`)
  const exeLink = readLink(`${dir}/exe`)
  if (exeLink !== undefined) {
    const { path, deleted } = parseExeLink(exeLink)
    record.exeLink = exeLink
    record.exe = path
    record.exeDeleted = deleted
  } else {
    record.partial = true
  }
  // status is there for as long as the pid is, zombies included: without it the process is
  // already being torn down, and what stat said of it (ppid 0, session -1) is not worth a record.
  const status = readText(ctx, `${dir}/status`)
  const ids = status === undefined ? undefined : parseStatusIds(status)
  if (ids === undefined) return { kind: 'gone' } // an exe opened above is closed by its hash job
  Object.assign(record, ids)
  const user = ctx.userNames?.lookup(`${dir}/root`, ids.uid)
  if (user !== undefined) record.user = user
  const cwd = readLink(`${dir}/cwd`)
  if (cwd !== undefined) record.cwd = cwd
  // stdin and stdout both network connections: what a reverse shell looks like (`sh -i <&3 >&3`,
  // nc -e, ...). Both merely sockets is not enough: a Node parent's pipes are unix socketpairs.
  const stdin = readLink(`${dir}/fd/0`)
  if (stdin?.startsWith('socket:[') === true && readLink(`${dir}/fd/1`)?.startsWith('socket:[') === true && isInetSocket(dir, Number(stdin.slice(8, -1)))) record.stdioSocket = true
  const cmdline = readCmdline(ctx, dir)
  if (cmdline !== undefined) {
    record.cmdline = cmdline.args
    if (cmdline.truncated) record.cmdlineTruncated = true
  }
  const cgroup = readText(ctx, `${dir}/cgroup`)
  if (cgroup !== undefined) {
    const id = containerIdFromCgroup(cgroup)
    if (id !== undefined) record.containerId = id
  }
  if (cgroup === undefined || cmdline === undefined) record.partial = true
  return { kind: 'process', record, hash }
}

/** The stat line of `dir`, or undefined when the process is gone. */
export function readStat (ctx: ReadContext, dir: string): ProcStat | undefined {
  const text = readText(ctx, `${dir}/stat`)
  return text === undefined ? undefined : parseStat(text)
}

/** The command line, re-read (sshd retitles itself as a session goes on). */
export function readCmdline (ctx: ReadContext, dir: string): ReturnType<typeof parseCmdline> | undefined {
  const limit = ctx.cmdlineBytes ?? DEFAULT_CMDLINE_BYTES
  const buffer = limit + 1 <= ctx.buffer.length ? ctx.buffer : Buffer.allocUnsafe(limit + 1)
  const length = readInto(`${dir}/cmdline`, buffer, limit + 1)
  return length === undefined ? undefined : parseCmdline(buffer, length, limit)
}

export function readLink (path: string): string | undefined {
  try {
    return readlinkSync(path)
  } catch {
    return undefined
  }
}

function readText (ctx: ReadContext, path: string): string | undefined {
  const length = readInto(path, ctx.buffer, ctx.buffer.length)
  return length === undefined ? undefined : ctx.buffer.toString('utf8', 0, length)
}

/** Up to `max` bytes of a file (one or more reads: /proc files may come a page at a time). */
function readInto (path: string, buffer: Buffer, max: number): number | undefined {
  let fd: number
  try {
    fd = openSync(path, 'r')
  } catch {
    return undefined
  }
  try {
    let length = 0
    for (;;) {
      const n = readSync(fd, buffer, length, max - length, null)
      if (n === 0) break
      length += n
      if (length >= max) break
    }
    return length
  } catch {
    return undefined
  } finally {
    closeSync(fd)
  }
}
