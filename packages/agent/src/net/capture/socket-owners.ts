/**
 * Which local process owns a flow's socket: the 5-tuple matched in /proc/net/{tcp,tcp6,udp,udp6}
 * gives the socket's inode, a scan of /proc/PID/fd (links `socket:[INODE]`) gives the pid, and
 * /proc/PID/exe the executable.
 *
 * Cheap enough for a busy agent: nothing is read on a hit. A miss rescans the tables, at most once
 * per `minRescanMs`, and walks /proc/PID/fd only when the tables hold inodes it has not resolved
 * yet. `refresh()` lets the packet path ask for a scan when a new connection appears (a SYN), so
 * that a short connection is seen while its socket exists. Every tuple seen is remembered for
 * `rememberMs` (with its owner, resolved when seen), so a flow whose socket closed before its
 * record was emitted still attributes.
 *
 * An inode no process shows (its owner is in another PID namespace: on Fargate the app's
 * containers, unless the task shares its PID namespace) is not searched for again for
 * `retryUnownedMs`, so such sockets do not make every scan walk all of /proc.
 *
 * A flow without its own socket entry (a server's accepted socket already gone, or an
 * unconnected UDP socket) falls back to the socket bound to its local address and port, then to
 * one bound to the wildcard address (0.0.0.0, or :: which also takes IPv4 on a dual-stack socket).
 */
import { readdirSync, readlinkSync } from 'node:fs'
import { PROC_NET_TABLES, readProcNet } from './proc-net-table'

export interface SocketOwner {
  pid: number
  exe?: string
}

export interface SocketOwnersOptions {
  procRoot?: string
  /** A miss rescans at most this often (default 500 ms). */
  minRescanMs?: number
  /** Tuples and owners are remembered this long after they were last seen (default 2 minutes). */
  rememberMs?: number
  /** An inode no process was found for is looked for again after this long (default 5 s). */
  retryUnownedMs?: number
  now?: () => number
}

interface Seen<T> { value: T, seen: number }

const SOCKET_LINK = /^socket:\[(\d+)\]$/

export class SocketOwners {
  private readonly procRoot: string
  private readonly minRescanMs: number
  private readonly rememberMs: number
  private readonly now: () => number
  /** Tuple key → inode (0 when no process held the socket when seen). */
  private readonly tuples = new Map<string, Seen<number>>()
  private readonly owners = new Map<number, Seen<SocketOwner>>()
  /** Inodes no process was found for, and when that was last found out. */
  private readonly unowned = new Map<number, number>()
  private readonly retryUnownedMs: number
  private lastScan = -Infinity
  /** Table rescans and /proc/PID/fd walks done so far. */
  scans = 0
  fdWalks = 0

  constructor (options: SocketOwnersOptions = {}) {
    this.procRoot = options.procRoot ?? '/proc'
    this.minRescanMs = options.minRescanMs ?? 500
    this.rememberMs = options.rememberMs ?? 120_000
    this.retryUnownedMs = options.retryUnownedMs ?? 5000
    this.now = options.now ?? Date.now
  }

  lookup (proto: 'tcp' | 'udp', localAddr: string, localPort: number, remoteAddr: string, remotePort: number): SocketOwner | undefined {
    const found = this.find(proto, localAddr, localPort, remoteAddr, remotePort)
    if (found !== undefined) return found
    if (!this.refresh()) return undefined
    return this.find(proto, localAddr, localPort, remoteAddr, remotePort)
  }

  /** Rescans unless one ran in the last `minRescanMs` (or `force`). Returns whether it scanned. */
  refresh (force = false): boolean {
    const now = this.now()
    if (!force && now - this.lastScan < this.minRescanMs) return false
    this.lastScan = now
    this.scans++
    const unresolved = new Set<number>()
    for (const table of PROC_NET_TABLES) {
      for (const e of readProcNet(table, this.procRoot)) {
        const key = e.remotePort === 0 ? boundKey(e.proto, e.local, e.localPort) : tupleKey(e.proto, e.local, e.localPort, e.remote, e.remotePort)
        // A TIME_WAIT entry (inode 0) must not overwrite the inode seen while the socket was open.
        const had = this.tuples.get(key)
        if (e.inode === 0 && had !== undefined && had.value !== 0) had.seen = now
        else this.tuples.set(key, { value: e.inode, seen: now })
        if (e.inode === 0) continue
        const owner = this.owners.get(e.inode)
        if (owner !== undefined) owner.seen = now
        else if (!(now - (this.unowned.get(e.inode) ?? -Infinity) < this.retryUnownedMs)) unresolved.add(e.inode)
      }
    }
    if (unresolved.size > 0) {
      this.resolve(unresolved, now)
      for (const inode of unresolved) this.unowned.set(inode, now)
    }
    this.forget(now)
    return true
  }

  /** Tuples and owners currently remembered. */
  get size (): number {
    return this.tuples.size
  }

  private find (proto: 'tcp' | 'udp', localAddr: string, localPort: number, remoteAddr: string, remotePort: number): SocketOwner | undefined {
    return this.ownerOf(tupleKey(proto, localAddr, localPort, remoteAddr, remotePort)) ??
      this.ownerOf(boundKey(proto, localAddr, localPort)) ??
      (localAddr.includes(':') ? undefined : this.ownerOf(boundKey(proto, '0.0.0.0', localPort))) ??
      this.ownerOf(boundKey(proto, '::', localPort))
  }

  private ownerOf (key: string): SocketOwner | undefined {
    const inode = this.tuples.get(key)?.value
    return inode === undefined || inode === 0 ? undefined : this.owners.get(inode)?.value
  }

  /** Walks /proc/PID/fd for the inodes wanted; stops as soon as all are found. */
  private resolve (wanted: Set<number>, now: number): void {
    this.fdWalks++
    let pids: string[]
    try {
      pids = readdirSync(this.procRoot)
    } catch {
      return
    }
    for (const name of pids) {
      if (wanted.size === 0) return
      const c = name.charCodeAt(0)
      if (c < 48 || c > 57) continue
      const dir = `${this.procRoot}/${name}/fd`
      let fds: string[]
      try {
        fds = readdirSync(dir)
      } catch {
        continue // gone, or not ours to read
      }
      let exe: string | undefined | null = null
      for (const fd of fds) {
        let link: string
        try {
          link = readlinkSync(`${dir}/${fd}`)
        } catch {
          continue
        }
        const m = SOCKET_LINK.exec(link)
        if (m === null) continue
        const inode = Number(m[1])
        if (!wanted.has(inode)) continue
        wanted.delete(inode)
        if (exe === null) exe = this.exeOf(name)
        const owner: SocketOwner = exe === undefined ? { pid: Number(name) } : { pid: Number(name), exe }
        this.owners.set(inode, { value: owner, seen: now })
      }
    }
  }

  private exeOf (pid: string): string | undefined {
    try {
      const exe = readlinkSync(`${this.procRoot}/${pid}/exe`)
      return exe.endsWith(' (deleted)') ? exe.slice(0, -' (deleted)'.length) : exe
    } catch {
      return undefined
    }
  }

  private forget (now: number): void {
    const before = now - this.rememberMs
    for (const [key, t] of this.tuples) if (t.seen < before) this.tuples.delete(key)
    for (const [inode, o] of this.owners) if (o.seen < before) this.owners.delete(inode)
    for (const [inode, at] of this.unowned) if (at < now - this.retryUnownedMs) this.unowned.delete(inode)
  }
}

function tupleKey (proto: string, local: string, localPort: number, remote: string, remotePort: number): string {
  return `${proto} ${local} ${localPort} ${remote} ${remotePort}`
}

function boundKey (proto: string, local: string, localPort: number): string {
  return `${proto} ${local} ${localPort} * *`
}
