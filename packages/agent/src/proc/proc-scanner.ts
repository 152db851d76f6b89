/**
 * The process scanner: reads /proc of the task's shared PID namespace every `intervalMs` and
 * turns what changed into process.start, process.exit and login.ssh events.
 *
 * A scan is incremental. Listing /proc is the only work per process on every scan; a process is
 * read in full once, when its pid first appears (pid + start time is its identity). What can
 * change under a known pid is checked where it happens: processes younger than `recheckMs` are
 * re-checked for an exec (a shell forks, then the child execs), older ones in turn (all every
 * `verifyCycleMs`, at most `verifyPerScan` a scan) for an exec or a reused pid, and sshd
 * processes for their title (a connection turns into a login). A process that vanishes while it
 * is read is normal: it is counted, never an error.
 *
 * Executables are hashed without blocking the scan (exe-hasher.ts); a scan's events come out
 * when its hashes are done, and always in scan order.
 */
import { readdirSync, readFileSync } from 'node:fs'
import { setTimeout as delay, setImmediate as yieldToLoop } from 'node:timers/promises'
import { AgentError } from '../errors'
import { readBootTime } from './boot-time'
import { clockTicks } from './clock-ticks'
import type { ExeBaseline } from './exe-baseline'
import { ExeHasher, type ExeHasherOptions } from './exe-hasher'
import { ancestors } from './parent-chain'
import { UserNames } from './passwd'
import { loginEvent, processBody, processEvent, type EventEnvelope, type ProcEvent, type ProposedProcessFields } from './process-events'
import { readCmdline, readLink, readProcess, readStat, type ProcessRecord, type ReadContext } from './process-record'
import { isShell, SHELL_NAMES } from './shells'
import { SshSessions } from './ssh-sessions'
import { sshdPresence, type SshdPresence } from './sshd-presence'

export const DEFAULT_INTERVAL_MS = 100
export const DEFAULT_RECHECK_MS = 1000
export const DEFAULT_VERIFY_PER_SCAN = 32
export const DEFAULT_VERIFY_CYCLE_MS = 5000
export const DEFAULT_MAX_ANCESTORS = 8
/** Without new processes, a full walk of /proc (exits, old processes' execs) at least this often. */
export const FULL_SCAN_MS = 1000

/** The last pid created in the reader's PID namespace (last field of /proc/loadavg); undefined if unreadable. */
function readLastPid (procRoot: string): string | undefined {
  try {
    const text = readFileSync(`${procRoot}/loadavg`, 'latin1')
    const at = text.lastIndexOf(' ')
    return at === -1 ? undefined : text.slice(at + 1).trim()
  } catch {
    return undefined
  }
}
/** The first wait before a missing command line is read again, doubled three times (see #settleCmdlines). */
const EXEC_SETTLE_MS = 10

export interface ProcScannerOptions {
  /** The proc file system to read (default /proc). */
  procRoot?: string
  /** Time between scans started by start() (default 100 ms). */
  intervalMs?: number
  /** Hash executables (default true). */
  hash?: boolean
  hasher?: ExeHasherOptions
  /** Bytes of each command line kept (default 4096). */
  cmdlineBytes?: number
  /** Decides and learns "unexpected" executables; saved after each scan that learned something. */
  baseline?: ExeBaseline
  /** Executable and command names taken for shells. */
  shellNames?: ReadonlySet<string>
  /** The container name for a container id (e.g. from ECS task metadata, ecs-containers.ts); the event's `container`. */
  containerName?: (containerId: string) => string | undefined
  /** Fields for every event's envelope (service, host, task). */
  envelope?: EventEnvelope
  /** Processes first seen less than this long ago are re-checked for an exec on every scan. */
  recheckMs?: number
  /** Older processes are re-checked in turn for an exec or a reused pid, all of them every verifyCycleMs (default 5 s)... */
  verifyCycleMs?: number
  /** ...but at most this many per scan (default 32). */
  verifyPerScan?: number
  /** Ancestors put in each process event. */
  maxAncestors?: number
  /** Reading new processes yields to the event loop after this much work (ms). */
  yieldMs?: number
}

/** What a process's session looks like to the rules: a terminal, a shell, an SSH login. */
export interface SessionFacts {
  tty?: string
  interactive: boolean
  shell: boolean
  /** The sshd session process it descends from (or is). */
  sshPid?: number
  /** The nearest ancestor that is a shell with a terminal (the shell someone types into). */
  interactiveShellPid?: number
}

export interface ProcCounters {
  scans: number
  /** Scans that found the PID namespace quiet and read no more than /proc/loadavg. */
  quick_scans: number
  /** Processes in the table after the last scan. */
  processes: number
  new: number
  exited: number
  execs: number
  pids_reused: number
  vanished_mid_read: number
  ssh_logins: number
  skipped_ticks: number
  scan_cpu_us: number
  last_scan_cpu_us: number
}

interface Pending {
  record: ProcessRecord
  hash: (() => Promise<string | undefined>) | undefined
  /** A known process that exec'd another program. */
  exec?: boolean
}

interface ReadPhase {
  started: Pending[]
  exited: ProcessRecord[]
  logins: ProcessRecord[]
}

export class ProcScanner {
  readonly procRoot: string
  readonly intervalMs: number
  readonly hasher: ExeHasher | undefined
  readonly baseline: ExeBaseline | undefined
  #table = new Map<number, ProcessRecord>()
  #kernelThreads = new Set<number>()
  #ctx: ReadContext
  #options: ProcScannerOptions
  #shellNames: ReadonlySet<string>
  #counters: ProcCounters = {
    scans: 0, quick_scans: 0, processes: 0, new: 0, exited: 0, execs: 0, pids_reused: 0, vanished_mid_read: 0, ssh_logins: 0, skipped_ticks: 0, scan_cpu_us: 0, last_scan_cpu_us: 0,
  }
  #verifyCursor = 0
  /** The last pid of /proc/loadavg at the last full scan, and when that was (the idle path). */
  #lastPid: string | undefined
  #lastFullScan = -Infinity
  #scansSinceFull = 0
  /** Records first seen less than recheckMs ago (checked for an exec on every scan). */
  #young: ProcessRecord[] = []
  #ssh: SshSessions
  #reading: Promise<unknown> = Promise.resolve()
  #busy = false
  #emitted: Promise<unknown> = Promise.resolve()
  #timer: NodeJS.Timeout | undefined

  /** SW_ERR_PROC when `procRoot` is not a readable proc file system. Nothing runs until scan() or start(). */
  constructor (options: ProcScannerOptions = {}) {
    this.#options = options
    this.procRoot = options.procRoot ?? '/proc'
    this.intervalMs = options.intervalMs ?? DEFAULT_INTERVAL_MS
    this.hasher = options.hash === false ? undefined : new ExeHasher(options.hasher)
    this.baseline = options.baseline
    this.#shellNames = options.shellNames ?? SHELL_NAMES
    this.#ctx = {
      procRoot: this.procRoot,
      bootTimeS: readBootTime(this.procRoot),
      ticksPerSecond: clockTicks(),
      userNames: new UserNames(),
      buffer: Buffer.allocUnsafe(16384),
      ...(options.cmdlineBytes === undefined ? {} : { cmdlineBytes: options.cmdlineBytes }),
      ...(this.hasher === undefined ? {} : { hasher: this.hasher }),
    }
    this.#ssh = new SshSessions(this.#ctx, this.#table)
  }

  /**
   * One scan: the events since the previous one (the first reports every process). Scans may be
   * called concurrently; they read one at a time and resolve in order.
   */
  async scan (): Promise<ProcEvent[]> {
    const read = this.#reading.then(async () => await this.#read())
    this.#reading = read.catch(() => {})
    const phase = await read
    const previous = this.#emitted
    const events = (async () => {
      await Promise.all(phase.started.map(async (p) => {
        const sha256 = await p.hash?.()
        if (sha256 !== undefined) p.record.sha256 = sha256
      }))
      await this.#settleCmdlines(phase.started)
      await previous
      return this.#events(phase)
    })()
    this.#emitted = events.catch(() => {})
    return await events
  }

  /**
   * A process read in the middle of an exec has its new executable but no command line yet:
   * those are read again a few times over 150 ms (a process that really has none keeps none).
   */
  async #settleCmdlines (started: Pending[]): Promise<void> {
    let unsettled = started.map((p) => p.record).filter((r) => (r.cmdline === undefined || r.cmdline.length === 0) && r.state !== 'Z')
    for (let wait = EXEC_SETTLE_MS; unsettled.length > 0 && wait <= EXEC_SETTLE_MS * 8; wait *= 2) {
      await delay(wait)
      unsettled = unsettled.filter((record) => {
        const cmdline = readCmdline(this.#ctx, `${this.procRoot}/${record.pid}`)
        if (cmdline === undefined) return false // gone
        if (cmdline.args.length === 0) return true
        record.cmdline = cmdline.args
        if (cmdline.truncated) record.cmdlineTruncated = true
        return false
      })
    }
  }

  /** Scans every intervalMs (a tick is skipped while the previous scan still reads) until stop(). */
  start (onEvents: (events: ProcEvent[]) => void, onError: (err: unknown) => void = () => {}): void {
    if (this.#timer !== undefined) return
    const tick = (): void => {
      if (this.#busy) { this.#counters.skipped_ticks++; return }
      this.scan().then(onEvents, onError)
    }
    this.#timer = setInterval(tick, this.intervalMs)
    tick()
  }

  /** Stops the timer; resolves when the last scan's events are out. */
  async stop (): Promise<void> {
    if (this.#timer !== undefined) clearInterval(this.#timer)
    this.#timer = undefined
    await this.#reading
    await this.#emitted
  }

  get (pid: number): ProcessRecord | undefined {
    return this.#table.get(pid)
  }

  processes (): IterableIterator<ProcessRecord> {
    return this.#table.values()
  }

  /** The parent, grandparent, ... of `pid` from the table, nearest first. */
  ancestors (pid: number, max = 32): ProcessRecord[] {
    return ancestors(this.#table, pid, max)
  }

  /** Terminal, shell and SSH facts of `pid` (all false for an unknown pid). */
  session (pid: number): SessionFacts {
    const r = this.#table.get(pid)
    if (r === undefined) return { interactive: false, shell: false }
    const facts: SessionFacts = { interactive: r.tty !== undefined, shell: isShell(r.exe, r.comm, this.#shellNames) }
    if (r.tty !== undefined) facts.tty = r.tty
    for (const p of [r, ...this.ancestors(pid)]) {
      if (facts.interactiveShellPid === undefined && p.tty !== undefined && isShell(p.exe, p.comm, this.#shellNames)) facts.interactiveShellPid = p.pid
      if (facts.sshPid === undefined && this.#ssh.isSession(p)) facts.sshPid = p.pid
    }
    return facts
  }

  /** SSH servers running in the table and the TCP ports they listen on. */
  sshd (): SshdPresence {
    return sshdPresence(this.procRoot, this.#table.values())
  }

  /** Counters for agent.stats: the scanner's and the hasher's. */
  counters (): Record<string, number> {
    return { ...this.#counters, ...this.hasher?.counters ?? {} }
  }

  async #read (): Promise<ReadPhase> {
    this.#busy = true
    try {
      return await this.#readUnlocked()
    } finally {
      this.#busy = false
    }
  }

  async #readUnlocked (): Promise<ReadPhase> {
    let cpu = process.cpuUsage()
    // The idle path: when no process was created since the last scan (the PID namespace's last
    // pid, the last field of /proc/loadavg, has not moved), none is young enough to be checked
    // for an exec, no sshd is being watched, and the last full scan is recent, there is nothing
    // new to read: only exits and old processes' execs wait, until the next full scan (at most
    // FULL_SCAN_MS). An idle task costs a small file read per tick instead of a walk of /proc.
    const lastPid = readLastPid(this.procRoot)
    const quietMs = performance.now() - this.#lastFullScan
    if (lastPid !== undefined && lastPid === this.#lastPid && this.#young.length === 0 && !this.#ssh.watching && quietMs < FULL_SCAN_MS) {
      this.#counters.quick_scans++
      this.#scansSinceFull++
      const used = process.cpuUsage(cpu)
      this.#counters.scans++
      this.#counters.scan_cpu_us += used.user + used.system
      this.#counters.last_scan_cpu_us = used.user + used.system
      return { started: [], exited: [], logins: [] }
    }
    this.#lastPid = lastPid
    this.#lastFullScan = performance.now()
    const scansCovered = this.#scansSinceFull + 1
    this.#scansSinceFull = 0
    let cpuUs = 0
    let sliceStart = performance.now()
    const yieldMs = this.#options.yieldMs ?? 8
    let names: string[]
    try {
      names = readdirSync(this.procRoot)
    } catch (err) {
      throw new AgentError('SW_ERR_PROC', `cannot list ${this.procRoot}: ${(err as Error).message}`, { cause: err })
    }
    const now = Date.now()
    const phase: ReadPhase = { started: [], exited: [], logins: [] }
    const present = new Set<number>()
    const known: ProcessRecord[] = []
    for (const name of names) {
      const c = name.charCodeAt(0)
      if (c < 48 || c > 57) continue
      const pid = Number(name)
      present.add(pid)
      const record = this.#table.get(pid)
      if (record !== undefined) { known.push(record); continue }
      if (this.#kernelThreads.has(pid)) continue
      this.#readNew(pid, now, phase)
      if (performance.now() - sliceStart > yieldMs) {
        const used = process.cpuUsage(cpu)
        cpuUs += used.user + used.system
        await yieldToLoop()
        cpu = process.cpuUsage()
        sliceStart = performance.now()
      }
    }
    for (const [pid, record] of this.#table) {
      if (present.has(pid)) continue
      this.#table.delete(pid)
      this.#ssh.remove(record)
      phase.exited.push(record)
    }
    for (const pid of this.#kernelThreads) if (!present.has(pid)) this.#kernelThreads.delete(pid)
    this.#recheck(known, now, phase, scansCovered)
    phase.logins.push(...this.#ssh.takeNew())
    const used = process.cpuUsage(cpu)
    cpuUs += used.user + used.system
    this.#counters.scans++
    this.#counters.processes = this.#table.size
    this.#counters.scan_cpu_us += cpuUs
    this.#counters.last_scan_cpu_us = cpuUs
    return phase
  }

  #readNew (pid: number, now: number, phase: ReadPhase): ProcessRecord | undefined {
    const result = readProcess(this.#ctx, pid, now)
    if (result.kind === 'gone') { this.#counters.vanished_mid_read++; return undefined }
    if (result.kind === 'kernel-thread') { this.#kernelThreads.add(pid); return undefined }
    const { record, hash } = result
    if (record.partial && record.state !== 'Z') this.#counters.vanished_mid_read++
    this.#table.set(pid, record)
    this.#young.push(record)
    this.#ssh.add(record)
    this.#counters.new++
    phase.started.push({ record, hash })
    return record
  }

  /**
   * Exec, pid reuse and sshd title checks of known processes (see the file comment). Only the
   * young ones, this scan's turn of the old ones and the sshd processes are looked at: the cost
   * of a scan does not grow with the processes that just sit there.
   */
  #recheck (known: ProcessRecord[], now: number, phase: ReadPhase, scansCovered = 1): void {
    const recheckMs = this.#options.recheckMs ?? DEFAULT_RECHECK_MS
    this.#young = this.#young.filter((r) => now - r.seenAt < recheckMs && this.#table.get(r.pid) === r)
    for (const r of this.#young.slice()) {
      // A changed link is an exec; an unreadable one a process that ended or turned zombie.
      const link = readLink(`${this.procRoot}/${r.pid}/exe`)
      if (link !== undefined && link !== r.exeLink) this.#reread(r, now, phase)
    }
    // Enough per scan to go round every verifyCycleMs, at most verifyPerScan (for each tick this
    // full scan stands for, the quick ones since the last included).
    const perCycle = Math.ceil(scansCovered * known.length * this.intervalMs / (this.#options.verifyCycleMs ?? DEFAULT_VERIFY_CYCLE_MS))
    const verify = Math.min(scansCovered * (this.#options.verifyPerScan ?? DEFAULT_VERIFY_PER_SCAN), perCycle, known.length)
    for (let i = 0; i < verify; i++) {
      const r = known[(this.#verifyCursor + i) % known.length]
      if (r === undefined || this.#table.get(r.pid) !== r) continue
      const dir = `${this.procRoot}/${r.pid}`
      const link = readLink(`${dir}/exe`)
      const stat = link === undefined ? undefined : readStat(this.#ctx, dir)
      if (stat !== undefined && stat.state !== 'Z' && (link !== r.exeLink || stat.startTicks !== r.startTicks || stat.comm !== r.comm)) this.#reread(r, now, phase)
    }
    this.#verifyCursor = known.length === 0 ? 0 : (this.#verifyCursor + verify) % known.length
    this.#ssh.refreshTitles()
  }

  /** Reads a known pid again after a change: an exec (same start time) or a new process under a reused pid. */
  #reread (old: ProcessRecord, now: number, phase: ReadPhase): boolean {
    this.#table.delete(old.pid)
    const record = this.#readNew(old.pid, old.seenAt, phase)
    if (record === undefined) { // it ended between the checks
      this.#table.set(old.pid, old)
      return false
    }
    this.#ssh.remove(old)
    this.#counters.new-- // counted by #readNew, but not new unless the pid was reused
    if (record.startTicks === old.startTicks) {
      this.#counters.execs++
      const pending = phase.started[phase.started.length - 1]
      if (pending !== undefined) pending.exec = true
    } else {
      this.#counters.pids_reused++
      this.#counters.new++
      record.seenAt = now
      phase.exited.push(old)
    }
    return true
  }

  #events (phase: ReadPhase): ProcEvent[] {
    const events: ProcEvent[] = []
    for (const r of phase.exited) {
      this.#counters.exited++
      events.push(processEvent('process.exit', processBody(r, this.#facts(r, false)), this.#envelope(r)))
    }
    phase.started.sort((a, b) => a.record.startTicks - b.record.startTicks || a.record.pid - b.record.pid)
    for (const { record, exec } of phase.started) {
      this.baseline?.observe(record)
      const facts = this.#facts(record, true)
      if (exec === true) facts.exec = true
      events.push(processEvent('process.start', processBody(record, facts), this.#envelope(record)))
    }
    for (const r of phase.logins) {
      const login = this.#ssh.login(r)
      if (login === undefined) continue
      this.#counters.ssh_logins++
      events.push(loginEvent(login, this.#envelope(r)))
    }
    this.baseline?.save()
    return events
  }

  /** The proposed fields of a record; the table-based ones (ancestors, SSH session) only for a start, whose pid is still in the table. */
  #facts (r: ProcessRecord, withAncestors: boolean): ProposedProcessFields {
    const facts: ProposedProcessFields = { interactive: r.tty !== undefined, shell: isShell(r.exe, r.comm, this.#shellNames) }
    if (withAncestors) {
      const sshPid = this.session(r.pid).sshPid
      if (sshPid !== undefined) facts.ssh_pid = sshPid
      facts.ancestors = this.ancestors(r.pid, this.#options.maxAncestors ?? DEFAULT_MAX_ANCESTORS)
        .map((a) => a.exe === undefined ? { pid: a.pid, comm: a.comm } : { pid: a.pid, comm: a.comm, exe: a.exe })
    }
    const unexpected = this.baseline?.unexpected(r)
    if (unexpected !== undefined) facts.unexpected = unexpected
    return facts
  }

  #envelope (r: ProcessRecord): EventEnvelope {
    const envelope = this.#options.envelope ?? {}
    if (r.containerId === undefined) return envelope
    return { ...envelope, container: this.#options.containerName?.(r.containerId) ?? r.containerId }
  }
}
