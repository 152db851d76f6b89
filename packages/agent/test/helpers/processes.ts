// Real processes for the /proc scanner tests: children that are killed at teardown whatever
// happens, a scanner polled until an event shows up (with a deadline, never sleep-and-hope), and
// the schema check every emitted event must pass.
import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process'
import { readdirSync, readFileSync } from 'node:fs'
import { validateEvent } from '@sidewatch/proto/schema'
import type { ProcScanner } from '../../src/proc/proc-scanner'
import type { ProcEvent } from '../../src/proc/process-events'

type Teardown = { teardown: (fn: () => unknown) => void }

/** Spawns `command` in its own process group; the group is SIGKILLed at teardown. */
export function spawnTracked (t: Teardown, command: string, args: string[], options: SpawnOptions = {}): ChildProcess & { pid: number } {
  const child = spawn(command, args, { stdio: 'ignore', detached: true, ...options })
  if (child.pid === undefined) throw new Error(`could not start ${command}`)
  const pid = child.pid
  child.on('error', () => {})
  t.teardown(() => {
    try { process.kill(-pid, 'SIGKILL') } catch {}
    try { process.kill(pid, 'SIGKILL') } catch {}
  })
  return child as ChildProcess & { pid: number }
}

/**
 * SIGKILLs every process descending from `pid` (not `pid` itself), children first found by
 * walking /proc: what a daemon started in its own sessions (an sshd session's commands) does not
 * die with the daemon's process group.
 */
export function killDescendants (pid: number): void {
  const children = new Map<number, number[]>()
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8')
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1])
      children.set(ppid, [...children.get(ppid) ?? [], Number(name)])
    } catch {}
  }
  const stack = [...children.get(pid) ?? []]
  while (stack.length > 0) {
    const next = stack.pop() as number
    try { process.kill(next, 'SIGKILL') } catch {}
    stack.push(...children.get(next) ?? [])
  }
}

/** Resolves with the child's exit code once it has exited (at once when it already has). */
export function exited (child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(child.exitCode)
  return new Promise((resolve) => child.once('exit', (code) => resolve(code)))
}

/** Every event scanned so far, each checked against the proto schema as it arrives. */
export class ScanLog {
  readonly events: ProcEvent[] = []
  /** Events the schema rejected: which process and why (not the whole event, see until()). */
  readonly invalid: Array<{ kind: string, pid: number | undefined, comm: string | undefined, issue: unknown }> = []

  constructor (readonly scanner: ProcScanner) {}

  async scan (): Promise<ProcEvent[]> {
    const events = await this.scanner.scan()
    for (const event of events) {
      const issue = validateEvent(event)
      if (issue !== undefined) {
        const p = event.kind === 'login.ssh' ? { pid: event.login.pid, comm: undefined } : { pid: event.process.pid, comm: event.process.comm }
        this.invalid.push({ kind: event.kind, ...p, issue })
      }
      this.events.push(event)
    }
    return events
  }

  /** Scans until `match` finds an event among all so far; fails after `ms`. */
  async until<E extends ProcEvent> (what: string, match: (e: ProcEvent) => e is E, ms?: number): Promise<E>
  async until (what: string, match: (e: ProcEvent) => boolean, ms?: number): Promise<ProcEvent>
  async until (what: string, match: (e: ProcEvent) => boolean, ms = 10000): Promise<ProcEvent> {
    const deadline = Date.now() + ms
    for (;;) {
      const found = this.events.find(match)
      if (found !== undefined) return found
      if (Date.now() > deadline) {
        // pid<ppid and comm only: command lines of unrelated processes on the machine stay out of test logs.
        const recent = this.events.slice(-40).map((e) => e.kind === 'login.ssh' ? `login ${e.login.pid}` : `${e.kind} ${e.process.pid}<${e.process.ppid ?? '?'} ${e.process.comm ?? ''}`)
        throw new Error(`timed out after ${ms} ms waiting for ${what}; last events: ${recent.join(', ')}`)
      }
      await this.scan()
      await new Promise((resolve) => setTimeout(resolve, 20))
    }
  }
}

export type StartOrExit = Extract<ProcEvent, { kind: 'process.start' | 'process.exit' }>
export type Login = Extract<ProcEvent, { kind: 'login.ssh' }>

/**
 * A process.start of `pid`, running `exe` when given. A scan can catch a child between fork and
 * exec (still the parent's program; the exec is a second start), so tests that check what the
 * child runs name the executable.
 */
export const isStart = (pid: number, exe?: string) => (e: ProcEvent): e is StartOrExit =>
  e.kind === 'process.start' && e.process.pid === pid && (exe === undefined || e.process.exe === exe)
export const isExit = (pid: number) => (e: ProcEvent): e is StartOrExit => e.kind === 'process.exit' && e.process.pid === pid
