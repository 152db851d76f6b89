/**
 * SSH sessions among the scanner's processes. sshd processes are followed by their titles
 * (sshd-title.ts), which change under the same pid as a connection authenticates; a process
 * titled `USER@TTY` whose parent is not titled so too is a session (sshd forks each session's
 * shell with the session's title, and until it execs that child looks alike). Each session is
 * a login once: its user, terminal and the client address of the connection it holds.
 */
import type { LoginSshEvent } from '@sidewatch/proto'
import type { ProcessRecord, ReadContext } from './process-record'
import { readCmdline } from './process-record'
import { sshPeer } from './ssh-peer'
import { isSshdProcess } from './sshd-presence'
import { parseSshdTitle } from './sshd-title'

type Login = LoginSshEvent['login']

export class SshSessions {
  /** Records of sshd processes, whose titles are followed. */
  #sshd = new Set<ProcessRecord>()
  #reported = new Set<string>()
  #ctx: ReadContext
  #table: ReadonlyMap<number, ProcessRecord>

  constructor (ctx: ReadContext, table: ReadonlyMap<number, ProcessRecord>) {
    this.#ctx = ctx
    this.#table = table
  }

  /** A record entered the table. */
  add (r: ProcessRecord): void {
    if (isSshdProcess(r)) this.#sshd.add(r)
  }

  /** A record left the table (exited, or replaced after an exec or a reused pid). */
  remove (r: ProcessRecord): void {
    this.#sshd.delete(r)
    this.#reported.delete(identity(r))
  }

  /** Re-reads the titles that can still change; once per scan. */
  refreshTitles (): void {
    for (const r of this.#sshd) {
      if (this.#table.get(r.pid) === r) this.#refresh(r)
      else this.#sshd.delete(r)
    }
  }

  /** `r` is an SSH session's sshd process. */
  /** sshd processes are being watched (their titles change under the same pid). */
  get watching (): boolean {
    return this.#sshd.size > 0
  }

  isSession (r: ProcessRecord): boolean {
    if (!isSshdProcess(r) || parseSshdTitle(r.cmdline ?? [])?.kind !== 'session') return false
    const parent = this.#table.get(r.ppid)
    if (parent === undefined || !isSshdProcess(parent)) return true
    // The parent's title in the table may be older than the child's.
    this.#refresh(parent)
    return parseSshdTitle(parent.cmdline ?? [])?.kind !== 'session'
  }

  /** The sessions not reported yet, each marked reported. */
  takeNew (): ProcessRecord[] {
    const found: ProcessRecord[] = []
    for (const r of this.#sshd) {
      if (this.#table.get(r.pid) !== r || this.#reported.has(identity(r)) || !this.isSession(r)) continue
      this.#reported.add(identity(r))
      found.push(r)
    }
    return found
  }

  /**
   * The login of a session: the connection is held by the session process, or for a non-root
   * user by its privileged monitor (the `USER [priv]` parent).
   */
  login (r: ProcessRecord): Login | undefined {
    const title = parseSshdTitle(r.cmdline ?? [])
    if (title?.kind !== 'session') return undefined
    const parent = this.#table.get(r.ppid)
    const monitor = parent !== undefined && isSshdProcess(parent) && parseSshdTitle(parent.cmdline ?? [])?.kind === 'auth' ? [parent.pid] : []
    const ends = sshPeer(this.#ctx.procRoot, [r.pid, ...monitor])
    const login: Login = { user: title.user, pid: r.pid, method: 'ssh' }
    if (title.tty !== undefined) login.tty = title.tty
    if (ends !== undefined) login.peer = ends.peer
    return login
  }

  /**
   * Re-reads a title until it is a session's. The listener's is not final either: a
   * connection's process starts as a fork of the listener (its title too) and re-execs sshd,
   * the same binary, so no exec is seen.
   */
  #refresh (r: ProcessRecord): void {
    if (parseSshdTitle(r.cmdline ?? [])?.kind === 'session') return
    const cmdline = readCmdline(this.#ctx, `${this.#ctx.procRoot}/${r.pid}`)
    if (cmdline !== undefined && cmdline.args.length > 0) r.cmdline = cmdline.args
  }
}

function identity (r: ProcessRecord): string {
  return `${r.pid}:${r.startTicks}`
}
