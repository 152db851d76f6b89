/**
 * The event schema, defined once: TypeScript types, the runtime validator (validate.ts) and the
 * exported JSON Schema (event-schema.json, for the Python and Ruby clients) all come from here.
 *
 * Every event is a common envelope plus one body object named after its kind's namespace
 * (`exec` for process.exec, `flow` for net.flow, ...). Field names are snake_case in every kind.
 * Unknown properties are allowed so a newer client can talk to an older agent; later versions
 * add fields and never rename them.
 */
import { Type, type Static, type TSchema } from '@sinclair/typebox'

const Str = (maxLength = 1024) => Type.String({ maxLength })
const Int = (minimum = 0) => Type.Integer({ minimum })
const Opt = <T extends TSchema>(schema: T) => Type.Optional(schema)

export const Endpoint = Type.Object({
  address: Str(64),
  port: Type.Integer({ minimum: 0, maximum: 65535 }),
}, { description: 'An IP address (v4 dotted, v6 compressed) and port.' })

/** The task the event comes from (ECS task metadata v4 or the Kubernetes downward API). */
export const Task = Type.Object({
  cluster: Opt(Str(512)),
  arn: Opt(Str(512)),
  family: Opt(Str(256)),
  revision: Opt(Str(32)),
  availability_zone: Opt(Str(64)),
  launch_type: Opt(Str(32)),
  /** The task's own IP addresses (the awsvpc ENI's, or the pod's). */
  addresses: Opt(Type.Array(Str(64), { maxItems: 16 })),
  /** Kubernetes (EKS): the pod's name, namespace and uid, and the node it runs on (downward API). */
  pod: Opt(Str(256)),
  namespace: Opt(Str(256)),
  pod_uid: Opt(Str(64)),
  node: Opt(Str(256)),
}, { description: 'The task the event comes from.' })

export const EVENT_KINDS = [
  'http.request', 'http.client', 'process.exec', 'fs.op', 'attack', 'dependency',
  'process.start', 'process.exit', 'net.flow', 'login.ssh', 'cloudtrail', 'alert', 'agent.stats',
  'http.summary', 'sshd.presence',
] as const
export type EventKind = typeof EVENT_KINDS[number]

const envelope = {
  /** Unique per event (a UUID from the SDKs); receivers deduplicate by it. */
  id: Type.String({ minLength: 1, maxLength: 128, pattern: '^[A-Za-z0-9._:-]+$' }),
  /** RFC 3339 time in UTC or with an offset, e.g. `2026-11-26T14:52:15.123Z`. */
  ts: Type.String({ maxLength: 40, pattern: '^\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}(\\.\\d{1,9})?(Z|[+-]\\d{2}:\\d{2})$' }),
  /** Who observed it: `node-asm`, `python`, `ruby`, `agent.proc`, `agent.net`, `agent.cloudtrail`, `agent`, `rules`. */
  source: Type.String({ minLength: 1, maxLength: 64 }),
  /** The application's service name. */
  service: Opt(Str(256)),
  /** Runtime of the reporting process (`node` 20.20.2, `python` 3.11.7, ...). */
  runtime: Opt(Type.Object({ name: Str(32), version: Str(64) })),
  /** PID of the reporting process. */
  pid: Opt(Int()),
  /** Host name or container id of the reporter. */
  host: Opt(Str(256)),
  /** Container name (from task metadata) or id. */
  container: Opt(Str(256)),
  /** The container's runtime id (ECS `DockerId`), when the reporter's container is known. */
  container_id: Opt(Str(256)),
  task: Opt(Task),
  /** Id of the incoming HTTP request this happened in, when there is one. */
  request_id: Opt(Str(128)),
}

function kind<K extends EventKind, B extends Record<string, TSchema>> (name: K, body: B, description: string) {
  return Type.Object({ ...envelope, kind: Type.Literal(name), ...body }, { $id: name, description })
}

export const HttpRequest = Type.Object({
  method: Str(32),
  url: Str(8192),
  route: Opt(Str(1024)),
  status: Opt(Type.Integer({ minimum: 100, maximum: 999 })),
  duration_ms: Opt(Type.Number({ minimum: 0 })),
  client: Opt(Endpoint),
  local: Opt(Endpoint),
  user_agent: Opt(Str(1024)),
  blocked: Opt(Type.Boolean()),
})

const Aggregate = {
  count: Type.Integer({ minimum: 1 }),
  /** Sum and maximum of the durations, in milliseconds. */
  duration_ms_sum: Type.Number({ minimum: 0 }),
  duration_ms_max: Type.Number({ minimum: 0 }),
}

/** Requests an SDK counted instead of reporting one by one, per (method, route, status). */
export const HttpServerAggregate = Type.Object({
  method: Str(32),
  /** The framework's route template; absent for plain http servers, whose paths are not counted apart. */
  route: Opt(Str(1024)),
  /** Absent when the connection closed before a response was sent. */
  status: Opt(Type.Integer({ minimum: 100, maximum: 999 })),
  ...Aggregate,
})

/** Outbound calls an SDK counted instead of reporting one by one, per (method, host, port, status). */
export const HttpClientAggregate = Type.Object({
  method: Str(32),
  host: Str(512),
  port: Opt(Type.Integer({ minimum: 0, maximum: 65535 })),
  status: Opt(Type.Integer({ minimum: 100, maximum: 999 })),
  ...Aggregate,
})

export const HttpSummary = Type.Object({
  /** The window the counts cover (RFC 3339). */
  start: Str(40),
  end: Str(40),
  server: Type.Array(HttpServerAggregate, { maxItems: 4096 }),
  client: Type.Array(HttpClientAggregate, { maxItems: 4096 }),
  /** Requests and calls counted only here, in no row, because the window had too many distinct rows. */
  overflow: Opt(Int()),
})

export const HttpClient = Type.Object({
  method: Str(32),
  url: Str(8192),
  host: Str(512),
  port: Opt(Type.Integer({ minimum: 0, maximum: 65535 })),
  status: Opt(Type.Integer({ minimum: 100, maximum: 999 })),
  error: Opt(Str(1024)),
  duration_ms: Opt(Type.Number({ minimum: 0 })),
  local: Opt(Endpoint),
  remote: Opt(Endpoint),
})

export const Exec = Type.Object({
  /** The API called: spawn, exec, execFile, fork, spawnSync, execSync, execFileSync, os.system, ... */
  method: Str(64),
  /** The executable or, with a shell, the shell. */
  file: Str(4096),
  args: Type.Array(Str(8192), { maxItems: 1024 }),
  shell: Type.Boolean(),
  /** The command line as run: the shell's command string when `shell`, else file and args joined. */
  command_line: Str(32768),
  cwd: Opt(Str(4096)),
  pid: Opt(Int()),
  sync: Opt(Type.Boolean()),
  error: Opt(Str(1024)),
  blocked: Opt(Type.Boolean()),
})

export const FsOp = Type.Object({
  op: Str(64),
  path: Str(4096),
  dest: Opt(Str(4096)),
  flags: Opt(Str(32)),
  api: Opt(Type.Union([Type.Literal('callback'), Type.Literal('sync'), Type.Literal('promise'), Type.Literal('stream')])),
  error: Opt(Str(1024)),
  blocked: Opt(Type.Boolean()),
})

export const ATTACK_CLASSES = ['shell_injection', 'command_injection', 'path_traversal', 'ssrf'] as const
export const Attack = Type.Object({
  class: Type.Union(ATTACK_CLASSES.map((c) => Type.Literal(c))),
  /** The call the input reached, e.g. `child_process.exec`, `fs.readFile`, `http.request`. */
  sink: Str(128),
  input: Type.Object({ name: Str(256), value: Str(1024), source: Opt(Str(32)) }),
  /** The sink argument the input reached (truncated). */
  target: Opt(Str(4096)),
  request: Opt(Type.Object({ method: Opt(Str(32)), route: Opt(Str(1024)), url: Opt(Str(8192)) })),
  /** First application stack frame outside node_modules, `file:line:column`. */
  frame: Opt(Str(2048)),
  blocked: Type.Boolean(),
})

export const Dependency = Type.Object({
  name: Str(256),
  version: Str(128),
  path: Opt(Str(4096)),
})

export const Process = Type.Object({
  pid: Int(),
  ppid: Opt(Int()),
  exe: Opt(Str(4096)),
  exe_deleted: Opt(Type.Boolean()),
  sha256: Opt(Type.String({ pattern: '^[0-9a-f]{64}$' })),
  comm: Opt(Str(64)),
  cmdline: Opt(Type.Array(Str(8192), { maxItems: 1024 })),
  cwd: Opt(Str(4096)),
  uid: Opt(Int()),
  gid: Opt(Int()),
  user: Opt(Str(256)),
  start_time: Opt(Str(40)),
  tty: Opt(Str(64)),
  sid: Opt(Int()),
  container_id: Opt(Str(256)),
  exit_code: Opt(Type.Integer()),
  /** Effective ids, only when they differ from the real ones (setuid). */
  euid: Opt(Int()),
  egid: Opt(Int()),
  /** The command line was longer than what is kept. */
  cmdline_truncated: Opt(Type.Boolean()),
  /** It has a controlling terminal (an interactive session). */
  interactive: Opt(Type.Boolean()),
  /** It is a shell (by executable or command name). */
  shell: Opt(Type.Boolean()),
  /** The sshd session process it descends from, when it came in over SSH. */
  ssh_pid: Opt(Int()),
  /** Parent, grandparent, ... (nearest first, up to 8). */
  ancestors: Opt(Type.Array(Type.Object({ pid: Int(), comm: Str(64), exe: Opt(Str(4096)) }), { maxItems: 64 })),
  /** The executable baseline's verdict: not learned and not allowlisted (absent while learning). */
  unexpected: Opt(Type.Boolean()),
  /** A second start for the same process: it ran another program (exec). */
  exec: Opt(Type.Boolean()),
  /** Its standard input and output are both sockets (the shape of a reverse shell). */
  stdio_socket: Opt(Type.Boolean()),
})

export const Flow = Type.Object({
  proto: Type.Union([Type.Literal('tcp'), Type.Literal('udp')]),
  src: Str(64),
  sport: Type.Integer({ minimum: 0, maximum: 65535 }),
  dst: Str(64),
  dport: Type.Integer({ minimum: 0, maximum: 65535 }),
  first: Type.Number(),
  last: Type.Number(),
  src_pkts: Int(),
  src_bytes: Int(),
  dst_pkts: Int(),
  dst_bytes: Int(),
  end: Type.Union(['fin', 'rst', 'idle', 'active', 'eof', 'evicted', 'poll'].map((e) => Type.Literal(e))),
  scope: Type.Union(['intra-task', 'inbound', 'outbound'].map((s) => Type.Literal(s))),
  tcp_flags: Opt(Str(16)),
  process: Opt(Type.Object({ pid: Int(), exe: Opt(Str(4096)), sha256: Opt(Str(64)) })),
})

/** An SSH server in a container: its binaries on disk, its processes, its listening sockets. */
export const SshdPresence = Type.Object({
  container_id: Opt(Str(256)),
  binaries: Type.Array(Str(4096), { maxItems: 64 }),
  running: Type.Array(Type.Object({ pid: Int(), exe: Opt(Str(4096)) }), { maxItems: 256 }),
  listening: Type.Array(Type.Object({ pid: Int(), address: Str(64), port: Type.Integer({ minimum: 0, maximum: 65535 }) }), { maxItems: 256 }),
})

export const Login = Type.Object({
  user: Str(256),
  pid: Opt(Int()),
  tty: Opt(Str(64)),
  peer: Opt(Endpoint),
  method: Opt(Str(32)),
})

export const CloudTrail = Type.Object({
  event_id: Str(128),
  event_name: Str(256),
  event_source: Str(256),
  event_time: Str(40),
  region: Opt(Str(64)),
  source_ip: Opt(Str(256)),
  principal: Opt(Str(2048)),
  error_code: Opt(Str(256)),
  /** The CloudTrail record as delivered. */
  record: Type.Record(Type.String(), Type.Unknown()),
})

export const PRIORITIES = ['emergency', 'alert', 'critical', 'error', 'warning', 'notice', 'informational', 'debug'] as const
export const Alert = Type.Object({
  rule: Str(256),
  priority: Type.Union(PRIORITIES.map((p) => Type.Literal(p))),
  output: Str(8192),
  tags: Opt(Type.Array(Str(128), { maxItems: 64 })),
  /** Ids of the events that made the rule fire. */
  evidence: Type.Array(Str(128), { maxItems: 256 }),
  dedup_key: Opt(Str(1024)),
  count: Opt(Type.Integer({ minimum: 1 })),
  /**
   * What the agent joined to the event that fired the rule, from every layer: `process` (the
   * process and its parent chain, with executable hashes), `flow`, `request`, `exec`, `attack`,
   * and `related` (the ids of those events).
   */
  context: Opt(Type.Record(Type.String(), Type.Unknown())),
})

export const Stats = Type.Object({
  /** What is counting: `agent`, `sdk`, `capture`, `spool`, ... */
  component: Str(64),
  counters: Type.Record(Type.String({ maxLength: 128 }), Type.Number()),
})

export const HttpRequestEvent = kind('http.request', { http: HttpRequest }, 'An incoming HTTP request seen by an SDK, at its end.')
export const HttpClientEvent = kind('http.client', { http: HttpClient }, 'An outbound HTTP call made by the application.')
export const ProcessExecEvent = kind('process.exec', { exec: Exec }, 'A child process started by the application (SDK view).')
export const FsOpEvent = kind('fs.op', { fs: FsOp }, 'A file-system call made by the application.')
export const AttackEvent = kind('attack', { attack: Attack }, 'Request input reached a dangerous call.')
export const DependencyEvent = kind('dependency', { dependency: Dependency }, 'A package the application loaded.')
export const ProcessStartEvent = kind('process.start', { process: Process }, 'A process appeared in the task (agent /proc view).')
export const ProcessExitEvent = kind('process.exit', { process: Process }, 'A process left the task.')
export const NetFlowEvent = kind('net.flow', { flow: Flow }, 'One TCP or UDP flow record.')
export const LoginSshEvent = kind('login.ssh', { login: Login }, 'An SSH session into a container.')
export const CloudTrailEvent = kind('cloudtrail', { cloudtrail: CloudTrail }, 'One AWS CloudTrail record.')
export const AlertEvent = kind('alert', { alert: Alert }, 'A rule fired.')
export const AgentStatsEvent = kind('agent.stats', { stats: Stats }, 'Counters of an agent component or an SDK.')
export const SshdPresenceEvent = kind('sshd.presence', { sshd: SshdPresence }, 'An SSH server found in a container (installed, running or listening), when that changes.')
export const HttpSummaryEvent = kind('http.summary', { http: HttpSummary },
  'Incoming requests and outbound calls an SDK counted over a window instead of reporting each (the unremarkable ones).')

export const EVENT_SCHEMAS = {
  'http.request': HttpRequestEvent,
  'http.client': HttpClientEvent,
  'process.exec': ProcessExecEvent,
  'fs.op': FsOpEvent,
  attack: AttackEvent,
  dependency: DependencyEvent,
  'process.start': ProcessStartEvent,
  'process.exit': ProcessExitEvent,
  'net.flow': NetFlowEvent,
  'login.ssh': LoginSshEvent,
  cloudtrail: CloudTrailEvent,
  alert: AlertEvent,
  'agent.stats': AgentStatsEvent,
  'http.summary': HttpSummaryEvent,
  'sshd.presence': SshdPresenceEvent,
} as const satisfies Record<EventKind, TSchema>

export type HttpRequestEvent = Static<typeof HttpRequestEvent>
export type HttpClientEvent = Static<typeof HttpClientEvent>
export type ProcessExecEvent = Static<typeof ProcessExecEvent>
export type FsOpEvent = Static<typeof FsOpEvent>
export type AttackEvent = Static<typeof AttackEvent>
export type DependencyEvent = Static<typeof DependencyEvent>
export type ProcessStartEvent = Static<typeof ProcessStartEvent>
export type ProcessExitEvent = Static<typeof ProcessExitEvent>
export type NetFlowEvent = Static<typeof NetFlowEvent>
export type LoginSshEvent = Static<typeof LoginSshEvent>
export type CloudTrailEvent = Static<typeof CloudTrailEvent>
export type AlertEvent = Static<typeof AlertEvent>
export type AgentStatsEvent = Static<typeof AgentStatsEvent>
export type HttpSummaryEvent = Static<typeof HttpSummaryEvent>
export type SshdPresenceEvent = Static<typeof SshdPresenceEvent>

export type SidewatchEvent =
  | HttpRequestEvent | HttpClientEvent | ProcessExecEvent | FsOpEvent | AttackEvent | DependencyEvent
  | ProcessStartEvent | ProcessExitEvent | NetFlowEvent | LoginSshEvent | CloudTrailEvent | AlertEvent
  | AgentStatsEvent | HttpSummaryEvent | SshdPresenceEvent

/** The event of one kind, e.g. `EventOf<'process.exec'>`. */
export type EventOf<K extends EventKind> = Extract<SidewatchEvent, { kind: K }>
/** The envelope fields common to every kind. */
export type Envelope = Omit<ProcessExecEvent, 'kind' | 'exec'>
