/**
 * Connection records without capture: /proc/net/tcp and tcp6 polled every `intervalMs`. The
 * fallback when the agent may not capture (no CAP_NET_RAW, libpcap failing) or capture is off.
 *
 * A connection is recorded once, when it is gone: left the table, or reached TIME_WAIT / CLOSE
 * (one that opened and closed between two polls is recorded when first seen so). `first` and
 * `last` are the polls that saw it open; packet and byte counts are 0 and `end` is `poll`,
 * because a socket table has neither. The initiator: the remote end of a connection to a local
 * listening port (it was accepted); else the end whose port looks like a client's (ephemeral
 * against a lower one, as the flow tracker decides); else the local end.
 * A connection seen from both ends (over loopback) is one record. Connections already closed
 * (TIME_WAIT) at the first poll ended before the agent started and are not recorded.
 */
import type { FlowScope } from '../flow-tracker'
import type { FlowEventRecord } from './flow-event'
import { readProcNet, TCP_LISTEN, type ProcNetEntry } from './proc-net-table'

const TCP_TIME_WAIT = 0x06
const TCP_CLOSE = 0x07

export interface ProcNetPollerOptions {
  isTaskAddress: (address: string) => boolean
  onRecord: (record: FlowEventRecord) => void
  /** New connections appeared this poll (their sockets exist now: a moment to look up owners). */
  onNew?: () => void
  intervalMs?: number
  procRoot?: string
  /** Milliseconds since the epoch. */
  now?: () => number
}

interface Conn {
  src: string
  sport: number
  dst: string
  dport: number
  firstMs: number
  lastMs: number
}

export class ProcNetPoller {
  readonly #options: ProcNetPollerOptions
  readonly #now: () => number
  readonly #open = new Map<string, Conn>()
  /** Keys recorded while their entry lingers (TIME_WAIT), so they are not recorded again. */
  #done = new Set<string>()
  #timer: NodeJS.Timeout | undefined
  #first = true
  #counters = { polls: 0, connections: 0, 'records.poll': 0, errors: 0 }

  constructor (options: ProcNetPollerOptions) {
    this.#options = options
    this.#now = options.now ?? Date.now
  }

  /** Polls now and then every `intervalMs` (default 1 s). */
  start (): void {
    this.poll()
    this.#timer = setInterval(() => this.poll(), this.#options.intervalMs ?? 1000).unref()
  }

  poll (): void {
    try {
      this.#poll()
    } catch {
      this.#counters.errors++
    }
  }

  /** Stops polling and records the connections still open. */
  close (): void {
    clearInterval(this.#timer)
    const now = this.#now()
    for (const [key, conn] of this.#open) this.#record(key, conn, now)
  }

  counters (): Record<string, number> {
    return { ...this.#counters, flows: this.#open.size }
  }

  #poll (): void {
    const now = this.#now()
    this.#counters.polls++
    const entries: ProcNetEntry[] = [...readProcNet('tcp', this.#options.procRoot), ...readProcNet('tcp6', this.#options.procRoot)]
    const listening = new Set<string>()
    for (const e of entries) if (e.state === TCP_LISTEN) listening.add(`${e.local} ${e.localPort}`)
    const isListening = (address: string, port: number): boolean =>
      listening.has(`${address} ${port}`) || listening.has(`0.0.0.0 ${port}`) || listening.has(`:: ${port}`)

    const seen = new Set<string>()
    const done = new Set<string>()
    let fresh = 0
    for (const e of entries) {
      if (e.state === TCP_LISTEN || e.remotePort === 0) continue
      const key = connectionKey(e)
      const gone = e.state === TCP_TIME_WAIT || e.state === TCP_CLOSE
      const conn = this.#open.get(key)
      if (conn !== undefined) {
        if (gone) {
          this.#record(key, conn, conn.lastMs)
          done.add(key)
        } else {
          conn.lastMs = now
          seen.add(key)
        }
        continue
      }
      if (this.#done.has(key) || done.has(key) || (gone && this.#first)) { done.add(key); continue }
      if (seen.has(key)) continue // the other end of a loopback connection
      const remoteInitiated = isListening(e.local, e.localPort) ||
        (!isListening(e.remote, e.remotePort) && portRank(e.remotePort) > portRank(e.localPort))
      const created: Conn = remoteInitiated
        ? { src: e.remote, sport: e.remotePort, dst: e.local, dport: e.localPort, firstMs: now, lastMs: now }
        : { src: e.local, sport: e.localPort, dst: e.remote, dport: e.remotePort, firstMs: now, lastMs: now }
      this.#counters.connections++
      fresh++
      if (gone) {
        this.#record(key, created, now)
        done.add(key)
      } else {
        this.#open.set(key, created)
        seen.add(key)
      }
    }
    for (const [key, conn] of this.#open) if (!seen.has(key)) this.#record(key, conn, conn.lastMs)
    this.#done = done
    this.#first = false
    if (fresh > 0) this.#options.onNew?.()
  }

  #record (key: string, conn: Conn, lastMs: number): void {
    this.#open.delete(key)
    this.#counters['records.poll']++
    const srcTask = this.#options.isTaskAddress(conn.src)
    const dstTask = this.#options.isTaskAddress(conn.dst)
    const scope: FlowScope = srcTask && dstTask ? 'intra-task' : srcTask ? 'outbound' : 'inbound'
    this.#options.onRecord({
      proto: 'tcp',
      src: conn.src,
      sport: conn.sport,
      dst: conn.dst,
      dport: conn.dport,
      first: conn.firstMs / 1000,
      last: lastMs / 1000,
      src_pkts: 0,
      src_bytes: 0,
      dst_pkts: 0,
      dst_bytes: 0,
      end: 'poll',
      scope,
      tcp_flags: '',
    })
  }
}

/** 0 well-known (< 1024), 1 registered (< 32768), 2 ephemeral: the higher side looks like the client. */
function portRank (port: number): number {
  return port < 1024 ? 0 : port < 32768 ? 1 : 2
}

/** The same for both ends of a connection: the lower endpoint first. */
function connectionKey (e: ProcNetEntry): string {
  const a = `${e.local} ${e.localPort}`
  const b = `${e.remote} ${e.remotePort}`
  return a < b ? `${a} ${b}` : `${b} ${a}`
}
