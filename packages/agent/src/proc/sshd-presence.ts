/**
 * Is an SSH server in the task? A container image that ships sshd, or a process that runs one,
 * is a way in that the task definition never declared. Three kinds of evidence:
 *   - running: a process named like an SSH server (comm or executable file name, or an sshd title);
 *   - listening: a TCP socket in LISTEN held by such a process, on whatever port;
 *   - present: an SSH server binary at a usual path under a root (a container's /proc/PID/root).
 */
import { existsSync } from 'node:fs'
import { basename, join } from 'node:path'
import { listeningSockets, type Endpoint } from './ssh-peer'
import { parseSshdTitle } from './sshd-title'

export const SSHD_NAMES: ReadonlySet<string> = new Set(['sshd', 'sshd-session', 'sshd-auth', 'dropbear', 'tinysshd'])
export const SSHD_PATHS: readonly string[] = [
  'usr/sbin/sshd', 'usr/bin/sshd', 'usr/local/sbin/sshd', 'usr/local/bin/sshd', 'sbin/sshd',
  'usr/sbin/dropbear', 'usr/bin/dropbear', 'usr/sbin/tinysshd',
]

export interface SshdCandidate { pid: number, comm: string, exe?: string, cmdline?: string[] }

export interface SshdPresence {
  running: Array<{ pid: number, exe?: string }>
  listening: Array<{ pid: number } & Endpoint>
}

export function isSshdProcess (p: SshdCandidate): boolean {
  if (SSHD_NAMES.has(p.comm)) return true
  if (p.exe !== undefined && SSHD_NAMES.has(basename(p.exe))) return true
  return p.cmdline !== undefined && parseSshdTitle(p.cmdline) !== undefined
}

/** The SSH server processes among `processes` and the ports they listen on. */
export function sshdPresence (procRoot: string, processes: Iterable<SshdCandidate>): SshdPresence {
  const presence: SshdPresence = { running: [], listening: [] }
  for (const p of processes) {
    if (!isSshdProcess(p)) continue
    presence.running.push(p.exe === undefined ? { pid: p.pid } : { pid: p.pid, exe: p.exe })
    for (const endpoint of listeningSockets(procRoot, p.pid)) presence.listening.push({ pid: p.pid, ...endpoint })
  }
  return presence
}

/** The SSH server binaries installed under `root` (`/`, or a container's `/proc/PID/root`). */
export function sshdBinaries (root: string): string[] {
  return SSHD_PATHS.map((p) => join(root, p)).filter((p) => existsSync(p))
}
