/**
 * The sockets a process holds: the inodes of its /proc/PID/fd links that read `socket:[N]`.
 * Matched against /proc/PID/net/tcp* they give the process's connections and listening ports.
 * Reading another process's fd directory needs the same uid or CAP_SYS_PTRACE (the agent runs
 * as root in the task); an unreadable or vanished directory gives an empty set.
 */
import { readdirSync, readlinkSync } from 'node:fs'
import { join } from 'node:path'

export function socketInodes (procRoot: string, pid: number): Set<number> {
  const inodes = new Set<number>()
  const dir = join(procRoot, String(pid), 'fd')
  let fds: string[]
  try {
    fds = readdirSync(dir)
  } catch {
    return inodes
  }
  for (const fd of fds) {
    let link: string
    try {
      link = readlinkSync(join(dir, fd))
    } catch {
      continue
    }
    if (link.startsWith('socket:[')) inodes.add(Number(link.slice(8, -1)))
  }
  return inodes
}
