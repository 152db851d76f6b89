/**
 * The fields conditions and outputs can name, each with its type and how to read it from an
 * event. Namespaced by what they describe: `evt.*` (the envelope, every kind), `proc.*` (the
 * process an event is about: a scanned process, the child an SDK started, a flow's owner, an
 * SSH session), `net.*` (flows), `http.*`, `attack.*`, `fs.*`, `exec.*`, `login.*`, `ct.*`
 * (CloudTrail; `ct.request.PATH`, `ct.response.PATH` and `ct.record.PATH` reach into the record,
 * `[N]` indexes an array and `[*]` takes all its elements).
 *
 * A field an event does not carry reads as undefined, and every comparison with undefined is
 * false (`exists` tests for it). A field that reads as an array matches when any element does.
 */
import { basename } from 'node:path'
import { contextOf } from './correlator'

/** `any`: a value of the CloudTrail record, compared as text (numbers also by value). */
export type FieldType = 'string' | 'number' | 'bool' | 'ip' | 'any'

export interface FieldDef {
  name: string
  type: FieldType
  desc: string
  get: (event: AnyEvent) => unknown
}

// Events reach the rules validated against the schema; fields read them loosely.
export type AnyEvent = Record<string, any> & { kind: string }

type PerKind = Record<string, (e: AnyEvent) => unknown>

function byKind (getters: PerKind): (e: AnyEvent) => unknown {
  return (e) => getters[e.kind]?.(e)
}

const procPid: PerKind = {
  'process.start': (e) => e.process?.pid,
  'process.exit': (e) => e.process?.pid,
  'process.exec': (e) => e.exec?.pid,
  'net.flow': (e) => e.flow?.process?.pid,
  'login.ssh': (e) => e.login?.pid,
}
const procExe: PerKind = {
  'process.start': (e) => e.process?.exe,
  'process.exit': (e) => e.process?.exe,
  'process.exec': (e) => e.exec?.file,
  'net.flow': (e) => e.flow?.process?.exe,
}
const scanned = (get: (p: Record<string, any>) => unknown): PerKind => ({
  'process.start': (e) => e.process === undefined ? undefined : get(e.process),
  'process.exit': (e) => e.process === undefined ? undefined : get(e.process),
})

function procName (e: AnyEvent): unknown {
  const exe = procExe[e.kind]?.(e)
  if (typeof exe === 'string' && exe !== '') return basename(exe)
  return e.kind === 'process.start' || e.kind === 'process.exit' ? e.process?.comm : undefined
}

function procCmdline (e: AnyEvent): unknown {
  if (e.kind === 'process.exec') return e.exec?.command_line
  if (e.kind === 'process.start' || e.kind === 'process.exit') {
    const args = e.process?.cmdline
    return Array.isArray(args) ? args.join(' ') : undefined
  }
  return undefined
}

/** A field of the event, else of the process the correlator joined to it. */
function orJoined (own: (e: AnyEvent) => unknown, joined: (p: NonNullable<ReturnType<typeof contextOf>>['process'] & object) => unknown): (e: AnyEvent) => unknown {
  return (e) => {
    const v = own(e)
    if (v !== undefined) return v
    const p = contextOf(e)?.process
    return p === undefined ? undefined : joined(p)
  }
}

function parent (e: AnyEvent): NonNullable<ReturnType<typeof contextOf>>['process'] {
  return contextOf(e)?.parents?.[0]
}

const DEFS: FieldDef[] = [
  // The envelope.
  { name: 'evt.kind', type: 'string', desc: 'the event kind (process.start, net.flow, ...)', get: (e) => e.kind },
  { name: 'evt.id', type: 'string', desc: 'the event id', get: (e) => e.id },
  { name: 'evt.time', type: 'string', desc: 'the event time, RFC 3339', get: (e) => e.ts },
  { name: 'evt.source', type: 'string', desc: 'who observed it: node-asm, python, ruby, agent.proc, agent.net, ...', get: (e) => e.source },
  { name: 'evt.service', type: 'string', desc: "the application's service name", get: (e) => e.service },
  { name: 'evt.container', type: 'string', desc: 'the container name or id', get: (e) => e.container },
  { name: 'evt.host', type: 'string', desc: 'the host name or container id of the reporter', get: (e) => e.host },
  { name: 'evt.pid', type: 'number', desc: 'the pid of the reporting process', get: (e) => e.pid },
  { name: 'evt.request_id', type: 'string', desc: 'the incoming HTTP request it happened in', get: (e) => e.request_id },
  { name: 'evt.task.family', type: 'string', desc: 'the task definition family', get: (e) => e.task?.family },
  { name: 'evt.task.arn', type: 'string', desc: 'the task ARN', get: (e) => e.task?.arn },

  // The process an event is about.
  { name: 'proc.pid', type: 'number', desc: 'pid', get: byKind(procPid) },
  { name: 'proc.ppid', type: 'number', desc: 'parent pid', get: byKind(scanned((p) => p.ppid)) },
  { name: 'proc.exe', type: 'string', desc: 'executable path', get: byKind(procExe) },
  { name: 'proc.name', type: 'string', desc: 'executable name (the base name of proc.exe, else comm)', get: procName },
  { name: 'proc.comm', type: 'string', desc: 'the kernel comm (first 15 bytes of the name)', get: byKind(scanned((p) => p.comm)) },
  { name: 'proc.cmdline', type: 'string', desc: 'the command line, arguments joined by spaces', get: procCmdline },
  { name: 'proc.sha256', type: 'string', desc: 'SHA-256 of the executable', get: orJoined(byKind({ ...scanned((p) => p.sha256), 'net.flow': (e) => e.flow?.process?.sha256 }), (p) => p.sha256) },
  { name: 'proc.exe_deleted', type: 'bool', desc: 'the executable was deleted while running', get: byKind(scanned((p) => p.exe_deleted ?? false)) },
  { name: 'proc.cwd', type: 'string', desc: 'working directory', get: byKind({ ...scanned((p) => p.cwd), 'process.exec': (e) => e.exec?.cwd }) },
  { name: 'proc.uid', type: 'number', desc: 'user id', get: byKind(scanned((p) => p.uid)) },
  { name: 'proc.gid', type: 'number', desc: 'group id', get: byKind(scanned((p) => p.gid)) },
  { name: 'proc.user', type: 'string', desc: 'user name', get: orJoined(byKind({ ...scanned((p) => p.user), 'login.ssh': (e) => e.login?.user }), (p) => p.user) },
  { name: 'proc.tty', type: 'string', desc: 'controlling terminal (/dev/pts/N)', get: byKind({ ...scanned((p) => p.tty), 'login.ssh': (e) => e.login?.tty }) },
  { name: 'proc.sid', type: 'number', desc: 'session id', get: byKind(scanned((p) => p.sid)) },
  { name: 'proc.container_id', type: 'string', desc: 'container id from the cgroup', get: byKind(scanned((p) => p.container_id)) },
  { name: 'proc.pname', type: 'string', desc: "the parent's executable name (joined from the process table)", get: (e) => parent(e)?.name },
  { name: 'proc.pexe', type: 'string', desc: "the parent's executable path", get: (e) => parent(e)?.exe },
  { name: 'proc.pcmdline', type: 'string', desc: "the parent's command line", get: (e) => parent(e)?.cmdline },
  { name: 'proc.aname', type: 'string', desc: 'the names of all known ancestors (matches when any does)', get: (e) => contextOf(e)?.parents?.map((p) => p.name).filter((n) => n !== undefined) },
  { name: 'proc.interactive', type: 'bool', desc: 'it has a controlling terminal', get: byKind(scanned((p) => p.interactive ?? false)) },
  { name: 'proc.is_shell', type: 'bool', desc: 'it is a shell', get: byKind(scanned((p) => p.shell ?? false)) },
  { name: 'proc.ssh_pid', type: 'number', desc: 'the sshd session it descends from', get: byKind(scanned((p) => p.ssh_pid)) },
  { name: 'proc.unexpected', type: 'bool', desc: "the executable baseline's verdict (absent while learning)", get: byKind(scanned((p) => p.unexpected)) },
  { name: 'proc.stdio_socket', type: 'bool', desc: 'standard input and output are both sockets (a reverse shell)', get: byKind(scanned((p) => p.stdio_socket ?? false)) },
  { name: 'proc.euid', type: 'number', desc: 'effective user id, when it differs from proc.uid', get: byKind(scanned((p) => p.euid)) },
  { name: 'proc.exit_code', type: 'number', desc: 'exit code (process.exit)', get: (e) => e.kind === 'process.exit' ? e.process?.exit_code : undefined },

  // An SDK's child process (process.exec).
  { name: 'exec.method', type: 'string', desc: 'the API called: spawn, exec, execFile, ...', get: (e) => e.exec?.method },
  { name: 'exec.file', type: 'string', desc: 'the executable (or the shell)', get: (e) => e.exec?.file },
  { name: 'exec.command_line', type: 'string', desc: 'the command line as run', get: (e) => e.exec?.command_line },
  { name: 'exec.shell', type: 'bool', desc: 'run through a shell', get: (e) => e.exec?.shell },
  { name: 'exec.blocked', type: 'bool', desc: 'blocked by the SDK', get: (e) => e.exec?.blocked ?? (e.kind === 'process.exec' ? false : undefined) },

  // Flows.
  { name: 'net.proto', type: 'string', desc: 'tcp or udp', get: (e) => e.flow?.proto },
  { name: 'net.src', type: 'ip', desc: 'the initiator address', get: (e) => e.flow?.src },
  { name: 'net.sport', type: 'number', desc: 'the initiator port', get: (e) => e.flow?.sport },
  { name: 'net.dst', type: 'ip', desc: 'the responder address', get: (e) => e.flow?.dst },
  { name: 'net.dport', type: 'number', desc: 'the responder port', get: (e) => e.flow?.dport },
  { name: 'net.src_bytes', type: 'number', desc: 'IP bytes from the initiator', get: (e) => e.flow?.src_bytes },
  { name: 'net.dst_bytes', type: 'number', desc: 'IP bytes from the responder', get: (e) => e.flow?.dst_bytes },
  { name: 'net.src_pkts', type: 'number', desc: 'packets from the initiator', get: (e) => e.flow?.src_pkts },
  { name: 'net.dst_pkts', type: 'number', desc: 'packets from the responder', get: (e) => e.flow?.dst_pkts },
  { name: 'net.bytes', type: 'number', desc: 'IP bytes both ways', get: (e) => e.flow === undefined ? undefined : e.flow.src_bytes + e.flow.dst_bytes },
  { name: 'net.duration', type: 'number', desc: 'seconds from the first to the last packet', get: (e) => e.flow === undefined ? undefined : e.flow.last - e.flow.first },
  { name: 'net.end', type: 'string', desc: 'how the record ended: fin, rst, idle, active, eof, evicted, poll', get: (e) => e.flow?.end },
  { name: 'net.scope', type: 'string', desc: 'intra-task, inbound or outbound', get: (e) => e.flow?.scope },
  { name: 'net.tcp_flags', type: 'string', desc: 'TCP flags seen, as letters SAFRPUEC', get: (e) => e.flow?.tcp_flags },

  // HTTP, incoming (http.request) and outgoing (http.client).
  { name: 'http.method', type: 'string', desc: 'request method', get: (e) => e.kind === 'http.request' || e.kind === 'http.client' ? e.http?.method : undefined },
  { name: 'http.url', type: 'string', desc: 'URL', get: (e) => e.kind === 'http.request' || e.kind === 'http.client' ? e.http?.url : undefined },
  { name: 'http.route', type: 'string', desc: "the framework's route (http.request)", get: (e) => e.kind === 'http.request' ? e.http?.route : undefined },
  { name: 'http.status', type: 'number', desc: 'response status', get: (e) => e.kind === 'http.request' || e.kind === 'http.client' ? e.http?.status : undefined },
  { name: 'http.duration_ms', type: 'number', desc: 'duration in milliseconds', get: (e) => e.kind === 'http.request' || e.kind === 'http.client' ? e.http?.duration_ms : undefined },
  { name: 'http.client_ip', type: 'ip', desc: "the requesting client's address (http.request)", get: (e) => e.kind === 'http.request' ? e.http?.client?.address : undefined },
  { name: 'http.user_agent', type: 'string', desc: 'User-Agent (http.request)', get: (e) => e.kind === 'http.request' ? e.http?.user_agent : undefined },
  { name: 'http.host', type: 'string', desc: 'the host called (http.client)', get: (e) => e.kind === 'http.client' ? e.http?.host : undefined },
  { name: 'http.port', type: 'number', desc: 'the port called (http.client)', get: (e) => e.kind === 'http.client' ? e.http?.port : undefined },
  { name: 'http.remote_ip', type: 'ip', desc: 'the address called (http.client)', get: (e) => e.kind === 'http.client' ? e.http?.remote?.address : undefined },
  { name: 'http.error', type: 'string', desc: 'the error of a failed call (http.client)', get: (e) => e.kind === 'http.client' ? e.http?.error : undefined },
  { name: 'http.blocked', type: 'bool', desc: 'blocked by the SDK (http.request)', get: (e) => e.kind === 'http.request' ? e.http?.blocked ?? false : undefined },

  // Attacks an SDK detected.
  { name: 'attack.class', type: 'string', desc: 'shell_injection, command_injection, path_traversal, ssrf', get: (e) => e.attack?.class },
  { name: 'attack.sink', type: 'string', desc: 'the call the input reached, e.g. child_process.exec', get: (e) => e.attack?.sink },
  { name: 'attack.input.name', type: 'string', desc: 'the input, e.g. query.name', get: (e) => e.attack?.input?.name },
  { name: 'attack.input.value', type: 'string', desc: "the input's value", get: (e) => e.attack?.input?.value },
  { name: 'attack.input.source', type: 'string', desc: 'query, body, params, headers, cookies, path', get: (e) => e.attack?.input?.source },
  { name: 'attack.target', type: 'string', desc: 'the argument the input reached', get: (e) => e.attack?.target },
  { name: 'attack.frame', type: 'string', desc: 'the application stack frame, file:line:column', get: (e) => e.attack?.frame },
  { name: 'attack.url', type: 'string', desc: "the request's URL", get: (e) => e.attack?.request?.url },
  { name: 'attack.route', type: 'string', desc: "the request's route", get: (e) => e.attack?.request?.route },
  { name: 'attack.blocked', type: 'bool', desc: 'blocked by the SDK', get: (e) => e.attack?.blocked },

  // File system calls an SDK saw.
  { name: 'fs.op', type: 'string', desc: 'the operation: open, readFile, writeFile, unlink, ...', get: (e) => e.fs?.op },
  { name: 'fs.path', type: 'string', desc: 'the path (resolved)', get: (e) => e.fs?.path },
  { name: 'fs.dest', type: 'string', desc: 'the destination of a rename, copy or link', get: (e) => e.fs?.dest },
  { name: 'fs.flags', type: 'string', desc: 'open flags, e.g. r, w, a+', get: (e) => e.fs?.flags },
  { name: 'fs.blocked', type: 'bool', desc: 'blocked by the SDK', get: (e) => e.fs === undefined ? undefined : e.fs.blocked ?? false },

  // SSH logins.
  { name: 'login.user', type: 'string', desc: 'the user logged in', get: (e) => e.login?.user },
  { name: 'login.tty', type: 'string', desc: "the session's terminal", get: (e) => e.login?.tty },
  { name: 'login.peer_ip', type: 'ip', desc: 'the address the login came from', get: (e) => e.login?.peer?.address },
  { name: 'login.peer_port', type: 'number', desc: 'the port the login came from', get: (e) => e.login?.peer?.port },
  { name: 'login.method', type: 'string', desc: 'how it authenticated, when known', get: (e) => e.login?.method },

  // SSH servers in a container (sshd.presence).
  { name: 'sshd.binaries', type: 'string', desc: 'SSH server binaries installed in the container (matches when any does)', get: (e) => e.sshd?.binaries },
  { name: 'sshd.installed', type: 'bool', desc: 'an SSH server binary is installed in the container', get: (e) => e.sshd === undefined ? undefined : e.sshd.binaries.length > 0 },
  { name: 'sshd.running', type: 'bool', desc: 'an SSH server process runs in the container', get: (e) => e.sshd === undefined ? undefined : e.sshd.running.length > 0 },
  { name: 'sshd.listening_port', type: 'number', desc: 'TCP ports an SSH server listens on (matches when any does)', get: (e) => e.sshd?.listening?.map((l: { port: number }) => l.port) },
  { name: 'sshd.container_id', type: 'string', desc: 'the container it is in', get: (e) => e.sshd?.container_id },

  // CloudTrail.
  { name: 'ct.id', type: 'string', desc: 'eventID', get: (e) => e.cloudtrail?.event_id },
  { name: 'ct.name', type: 'string', desc: 'eventName, e.g. ExecuteCommand', get: (e) => e.cloudtrail?.event_name },
  { name: 'ct.source', type: 'string', desc: 'eventSource, e.g. ecs.amazonaws.com', get: (e) => e.cloudtrail?.event_source },
  { name: 'ct.time', type: 'string', desc: 'eventTime', get: (e) => e.cloudtrail?.event_time },
  { name: 'ct.region', type: 'string', desc: 'awsRegion', get: (e) => e.cloudtrail?.region },
  { name: 'ct.src_ip', type: 'string', desc: 'sourceIPAddress (an address, or a service name)', get: (e) => e.cloudtrail?.source_ip },
  { name: 'ct.principal', type: 'string', desc: 'who made the call (the identity ARN)', get: (e) => e.cloudtrail?.principal },
  { name: 'ct.error', type: 'string', desc: 'errorCode', get: (e) => e.cloudtrail?.error_code },
  { name: 'ct.error_message', type: 'string', desc: 'errorMessage', get: (e) => e.cloudtrail?.record?.errorMessage },
  { name: 'ct.user.access_key', type: 'string', desc: 'userIdentity.accessKeyId', get: (e) => e.cloudtrail?.record?.userIdentity?.accessKeyId },
  { name: 'ct.user.session_issuer', type: 'string', desc: "the role or user whose session it is (userIdentity.sessionContext.sessionIssuer.arn)", get: (e) => e.cloudtrail?.record?.userIdentity?.sessionContext?.sessionIssuer?.arn },
  { name: 'ct.resources', type: 'string', desc: 'the ARNs of resources[] (matches when any does)', get: (e) => { const r = e.cloudtrail?.record?.resources; return Array.isArray(r) ? r.map((x: { ARN?: unknown }) => x?.ARN).filter((a: unknown) => typeof a === 'string') : undefined } },
  { name: 'ct.user_agent', type: 'string', desc: 'userAgent', get: (e) => e.cloudtrail?.record?.userAgent },
  { name: 'ct.readonly', type: 'bool', desc: 'readOnly', get: (e) => e.cloudtrail?.record?.readOnly },
  { name: 'ct.user.type', type: 'string', desc: 'userIdentity.type', get: (e) => e.cloudtrail?.record?.userIdentity?.type },
  { name: 'ct.user.arn', type: 'string', desc: 'userIdentity.arn', get: (e) => e.cloudtrail?.record?.userIdentity?.arn },
  { name: 'ct.user.account', type: 'string', desc: 'userIdentity.accountId', get: (e) => e.cloudtrail?.record?.userIdentity?.accountId },
  { name: 'ct.user.mfa', type: 'bool', desc: 'userIdentity.sessionContext.attributes.mfaAuthenticated', get: (e) => mfa(e.cloudtrail?.record?.userIdentity) },
]

function mfa (identity: Record<string, any> | undefined): boolean | undefined {
  const value = identity?.sessionContext?.attributes?.mfaAuthenticated
  return value === undefined ? undefined : value === true || value === 'true'
}

const FIELDS = new Map(DEFS.map((d) => [d.name, d]))

/** Prefixes whose rest is a path into the CloudTrail record. */
const PATH_FIELDS: Array<{ prefix: string, root: (e: AnyEvent) => unknown, desc: string }> = [
  { prefix: 'ct.request.', root: (e) => e.cloudtrail?.record?.requestParameters, desc: 'requestParameters' },
  { prefix: 'ct.response.', root: (e) => e.cloudtrail?.record?.responseElements, desc: 'responseElements' },
  { prefix: 'ct.record.', root: (e) => e.cloudtrail?.record, desc: 'the record' },
]

/** The field named, or undefined when there is none. Path fields are made on demand. */
export function lookupField (name: string): FieldDef | undefined {
  const known = FIELDS.get(name)
  if (known !== undefined) return known
  for (const { prefix, root, desc } of PATH_FIELDS) {
    if (!name.startsWith(prefix)) continue
    const steps = parsePath(name.slice(prefix.length))
    if (steps === undefined) return undefined
    return { name, type: 'any', desc: `${desc}.${name.slice(prefix.length)}`, get: (e) => walk(root(e), steps, 0) }
  }
  return undefined
}

/** Every fixed field, for documentation and `rules fields`. */
export function listFields (): readonly FieldDef[] {
  return DEFS
}

type Step = string | number | '*'

/** `a.b[0].c[*]` → ['a', 'b', 0, 'c', '*']; undefined when malformed. */
function parsePath (path: string): Step[] | undefined {
  const steps: Step[] = []
  const re = /([A-Za-z0-9_$-]+)|\[(\d+|\*)\]|(\.)/gy
  let expectName = true
  let m: RegExpExecArray | null
  while (re.lastIndex < path.length && (m = re.exec(path)) !== null) {
    if (m[1] !== undefined) { if (!expectName) return undefined; steps.push(m[1]); expectName = false } else if (m[2] !== undefined) {
      if (expectName) return undefined
      steps.push(m[2] === '*' ? '*' : Number(m[2]))
    } else {
      if (expectName) return undefined
      expectName = true
    }
  }
  if (re.lastIndex !== path.length || expectName || steps.length === 0) return undefined
  return steps
}

function walk (value: unknown, steps: Step[], i: number): unknown {
  if (i === steps.length) return typeof value === 'object' && value !== null && !Array.isArray(value) ? JSON.stringify(value) : value
  if (value === null || value === undefined) return undefined
  const step = steps[i] as Step
  if (step === '*') {
    if (!Array.isArray(value)) return undefined
    const out: unknown[] = []
    for (const item of value) {
      const got = walk(item, steps, i + 1)
      if (Array.isArray(got)) out.push(...got)
      else if (got !== undefined) out.push(got)
    }
    return out
  }
  if (typeof step === 'number') return Array.isArray(value) ? walk(value[step], steps, i + 1) : undefined
  return typeof value === 'object' ? walk((value as Record<string, unknown>)[step], steps, i + 1) : undefined
}
