/**
 * The client address of an SSH session: the established TCP socket held by the session's sshd
 * process (or, for a non-root user, by its privileged monitor, the parent), matched by inode in
 * that process's own network namespace (/proc/PID/net/tcp and tcp6).
 */
import { readFileSync } from 'node:fs'
import { parseNetTcp, TCP_ESTABLISHED, TCP_LISTEN, type TcpSocket } from './net-tcp'
import { socketInodes } from './socket-inodes'

export interface Endpoint { address: string, port: number }

/** The TCP sockets in `pid`'s network namespace (empty when unreadable). */
export function tcpSockets (procRoot: string, pid: number): TcpSocket[] {
  const sockets: TcpSocket[] = []
  for (const name of ['tcp', 'tcp6']) {
    try {
      sockets.push(...parseNetTcp(readFileSync(`${procRoot}/${pid}/net/${name}`, 'latin1')))
    } catch {}
  }
  return sockets
}

/** The first established connection held by one of `pids` (tried in order): its remote and local ends. */
export function sshPeer (procRoot: string, pids: readonly number[]): { peer: Endpoint, local: Endpoint } | undefined {
  for (const pid of pids) {
    const inodes = socketInodes(procRoot, pid)
    if (inodes.size === 0) continue
    const socket = tcpSockets(procRoot, pid).find((s) => s.state === TCP_ESTABLISHED && inodes.has(s.inode))
    if (socket !== undefined) return { peer: socket.remote, local: socket.local }
  }
  return undefined
}

/** The TCP ports `pid` listens on. */
export function listeningSockets (procRoot: string, pid: number): Endpoint[] {
  const inodes = socketInodes(procRoot, pid)
  if (inodes.size === 0) return []
  return tcpSockets(procRoot, pid).filter((s) => s.state === TCP_LISTEN && inodes.has(s.inode)).map((s) => s.local)
}
