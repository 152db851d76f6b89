/**
 * The container an SDK client runs in, so its events carry `container_id` (and, through the task
 * identity, the container's name) without the app having to say. The hello names the client's
 * pid; with the task's shared PID namespace (ECS `pidMode: task`, Kubernetes
 * `shareProcessNamespace`) that pid is the agent's too, and /proc/PID/cgroup names the container.
 *
 * A TCP client is believed only when that pid holds the connection's socket: its
 * /proc/PID/net/tcp* lists the connection (client port → agent port) under an inode that is one of
 * its fds. A unix-socket client cannot be checked that way from Node; the hello's token already
 * vouches for it. Anything unreadable (another PID namespace, a process gone) gives undefined:
 * the events then go without, as before.
 */
import { readFileSync } from 'node:fs'
import { containerIdFromCgroup } from '../proc/cgroup'
import { socketInodes } from '../proc/socket-inodes'
import { tcpSockets } from '../proc/ssh-peer'

/** The connection as the agent sees it: its own port and the client's, or a unix socket. */
export type PeerSocket = { kind: 'tcp', agentPort: number, clientPort: number } | { kind: 'unix' }

export function peerContainerId (pid: number, peer: PeerSocket, procRoot = '/proc'): string | undefined {
  if (!Number.isSafeInteger(pid) || pid <= 0) return undefined
  const dir = `${procRoot}/${pid}`
  const cgroup = read(`${dir}/cgroup`)
  const id = cgroup === undefined ? undefined : containerIdFromCgroup(cgroup)
  if (id === undefined) return undefined
  if (peer.kind === 'unix') return id
  return holdsConnection(procRoot, pid, peer.clientPort, peer.agentPort) ? id : undefined
}

function holdsConnection (procRoot: string, pid: number, clientPort: number, agentPort: number): boolean {
  const inodes = new Set(tcpSockets(procRoot, pid).filter((s) => s.local.port === clientPort && s.remote.port === agentPort).map((s) => s.inode))
  if (inodes.size === 0) return false
  for (const inode of socketInodes(procRoot, pid)) if (inodes.has(inode)) return true
  return false
}

function read (path: string): string | undefined {
  try {
    return readFileSync(path, 'latin1')
  } catch {
    return undefined
  }
}
