/**
 * `sshd.presence` events: an SSH server in a container of the task — its binary on disk (under
 * the container's root, `/proc/PID/root`), its processes, the TCP ports they listen on — reported
 * per container whenever what is there changes (and once when first found), so that the rules can
 * alert on an sshd that is merely installed or listening, not only one that was started.
 */
import { randomUUID } from 'node:crypto'
import type { SshdPresenceEvent } from '@sidewatch/proto'
import type { ProcScanner } from './proc-scanner'
import { isSshdProcess, sshdBinaries } from './sshd-presence'
import { listeningSockets } from './ssh-peer'

/** Processes whose roots are looked at per container. */
const ROOTS_PER_CONTAINER = 4

export class SshdWatch {
  readonly #scanner: ProcScanner
  readonly #procRoot: string
  readonly #host: string | undefined
  /** The last report per container (key: container id, or '' for processes outside one). */
  readonly #last = new Map<string, string>()

  constructor (scanner: ProcScanner, options: { procRoot?: string, host?: string } = {}) {
    this.#scanner = scanner
    this.#procRoot = options.procRoot ?? '/proc'
    this.#host = options.host
  }

  /** What changed since the last check, as events. */
  check (): SshdPresenceEvent[] {
    // A few processes per container: their roots hold the container's files (outside containers
    // the processes may have different roots, an init's for one).
    const containers = new Map<string, { roots: number[], running: SshdPresenceEvent['sshd']['running'], listening: SshdPresenceEvent['sshd']['listening'] }>()
    for (const p of this.#scanner.processes()) {
      const key = p.containerId ?? ''
      let c = containers.get(key)
      if (c === undefined) { c = { roots: [], running: [], listening: [] }; containers.set(key, c) }
      if (c.roots.length < ROOTS_PER_CONTAINER) c.roots.push(p.pid)
      if (!isSshdProcess({ pid: p.pid, comm: p.comm, exe: p.exe, cmdline: p.cmdline })) continue
      c.running.push(p.exe === undefined ? { pid: p.pid } : { pid: p.pid, exe: p.exe })
      for (const e of listeningSockets(this.#procRoot, p.pid)) c.listening.push({ pid: p.pid, address: e.address, port: e.port })
    }
    const events: SshdPresenceEvent[] = []
    for (const [key, c] of containers) {
      const binaries = [...new Set(c.roots.flatMap((pid) => sshdBinaries(`${this.#procRoot}/${pid}/root`).map((path) => path.slice(`${this.#procRoot}/${pid}/root`.length))))].sort()
      const signature = JSON.stringify([binaries, c.running.map((r) => r.exe ?? ''), c.listening.map((l) => `${l.address}:${l.port}`)])
      const before = this.#last.get(key)
      this.#last.set(key, signature)
      if (signature === before) continue
      if (before === undefined && binaries.length === 0 && c.running.length === 0) continue // nothing there, nothing to say
      const sshd: SshdPresenceEvent['sshd'] = { binaries, running: c.running.slice(0, 256), listening: c.listening.slice(0, 256) }
      if (key !== '') sshd.container_id = key
      const event: SshdPresenceEvent = { id: randomUUID(), ts: new Date().toISOString(), source: 'agent.proc', kind: 'sshd.presence', sshd }
      if (this.#host !== undefined) event.host = this.#host
      events.push(event)
    }
    return events
  }
}
