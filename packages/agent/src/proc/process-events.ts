/**
 * The events the process scanner produces, built from its records: process.start,
 * process.exit and login.ssh, in the proto schema's shape (snake_case, length limits applied).
 *
 * Besides the basics, a process carries `euid`/`egid` when they differ from the real ids,
 * `cmdline_truncated`, `interactive`, `shell`, `ssh_pid`, `ancestors`, `unexpected` and `exec`
 * (all in the schema's Process).
 */
import { randomUUID } from 'node:crypto'
import type { Envelope, LoginSshEvent, ProcessExitEvent, ProcessStartEvent } from '@sidewatch/proto'
import type { ProcessRecord } from './process-record'

export const EVENT_SOURCE = 'agent.proc'

type Process = ProcessStartEvent['process']
type Login = LoginSshEvent['login']

/** Facts about a process beyond the schema's Process fields (proposed for it). */
export interface ProposedProcessFields {
  euid?: number
  egid?: number
  cmdline_truncated?: boolean
  /** Has a controlling terminal. */
  interactive?: boolean
  /** Its executable or command name is a shell's. */
  shell?: boolean
  /** The sshd session process it descends from. */
  ssh_pid?: number
  /** Its parent, grandparent, ... as far as the table knows, nearest first. */
  ancestors?: Array<{ pid: number, comm: string, exe?: string }>
  /** Not in the executable baseline and not allowlisted (absent while the baseline learns). */
  unexpected?: boolean
  /** This start is an exec: the same process (pid and start time) as an earlier start now runs another program. */
  exec?: boolean
}

export type ProcessBody = Process & ProposedProcessFields
export type ProcEvent = (ProcessStartEvent | ProcessExitEvent) & { process: ProcessBody } | LoginSshEvent
export type EventEnvelope = Partial<Omit<Envelope, 'id' | 'ts' | 'source'>>

const MAX_ARG = 8192

/** The schema fields of a record; `facts` adds the proposed ones. */
export function processBody (r: ProcessRecord, facts: ProposedProcessFields = {}): ProcessBody {
  const p: ProcessBody = { pid: r.pid, comm: r.comm, start_time: r.startTime }
  if (r.ppid >= 0) p.ppid = r.ppid
  if (r.session >= 0) p.sid = r.session
  if (r.exe !== undefined) { p.exe = r.exe; p.exe_deleted = r.exeDeleted === true }
  if (r.sha256 !== undefined) p.sha256 = r.sha256
  if (r.cmdline !== undefined) p.cmdline = r.cmdline.map((a) => a.length > MAX_ARG ? a.slice(0, MAX_ARG) : a)
  if (r.cwd !== undefined) p.cwd = r.cwd
  if (r.uid !== undefined) p.uid = r.uid
  if (r.gid !== undefined) p.gid = r.gid
  if (r.user !== undefined) p.user = r.user
  if (r.tty !== undefined) p.tty = r.tty
  if (r.containerId !== undefined) p.container_id = r.containerId
  if (r.euid !== undefined && r.euid !== r.uid) p.euid = r.euid
  if (r.egid !== undefined && r.egid !== r.gid) p.egid = r.egid
  if (r.cmdlineTruncated === true) p.cmdline_truncated = true
  if (r.stdioSocket === true) p.stdio_socket = true
  return Object.assign(p, facts)
}

export function processEvent (kind: 'process.start' | 'process.exit', body: ProcessBody, envelope: EventEnvelope = {}): ProcEvent {
  return { id: randomUUID(), ts: new Date().toISOString(), source: EVENT_SOURCE, ...envelope, kind, process: body }
}

export function loginEvent (login: Login, envelope: EventEnvelope = {}): LoginSshEvent {
  return { id: randomUUID(), ts: new Date().toISOString(), source: EVENT_SOURCE, ...envelope, kind: 'login.ssh', login }
}
