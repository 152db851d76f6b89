/**
 * The agent's configuration, from four layers: flags > environment > config file > defaults.
 * Each layer yields only the keys it sets; values are checked where they come from, so an error
 * names its source (`--listen`, `SIDEWATCH_SINKS`, `config file /etc/sidewatch.yaml: max_batch`).
 */
import { readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type * as Yaml from 'yaml'
import { DEFAULT_MAX_FRAME_SIZE, type Mode } from '@sidewatch/proto'
import {
  checkCapture, checkGroup, checkListen, checkMetrics, checkProc, checkSinks, checkToken, integer, oneOf, seconds, stringList,
} from './config-values'
import { AgentError, isAgentError, type AgentErrorCode } from './errors'

export interface AgentConfig {
  /** Listen specs: `unix:/PATH.sock`, `tcp://127.0.0.1:PORT`. */
  listen: string[]
  /** Shared secret clients send in hello; undefined accepts any client. */
  token: string | undefined
  /** Sink specs: `jsonl:FILE`, `jsonl:-`, `sqlite:FILE`. */
  sinks: string[]
  /**
   * Packet capture for net.flow events: `auto` (the task ENI, else the default-route interface),
   * `off`, or an interface name. Without capture, connections are polled from /proc/net.
   */
  capture: string
  /** A flow quiet this long ends with a record (`end: idle`). */
  flowIdleTimeoutMs: number
  /** /proc scanning: process.start/exit and login.ssh events (and /proc/net polling without capture). */
  proc: 'on' | 'off'
  /** Time between /proc scans. */
  procIntervalMs: number
  /** How long after the task's start executables are learned into the baseline. */
  exeLearnMs: number
  /** Executable names and SHA-256 hashes that are never `unexpected`. */
  allowExecutables: string[]
  allowSha256: string[]
  /** `HOST:PORT` of the /healthz and /metrics server; undefined for none. */
  metrics: string | undefined
  /** Sent to clients in welcome: `block` lets SDKs stop detected attacks. */
  mode: Mode
  maxFrameSize: number
  maxConnections: number
  maxBatch: number
  statsIntervalMs: number
  handshakeTimeoutMs: number
  /** A group that may connect to the unix socket too (mode 0660); undefined: the agent's user only (0600). */
  socketGroup: string | undefined
  /** The user's rule files and directories, loaded after the shipped pack. */
  rules: string[]
  /** Load the shipped rule pack (default true). */
  defaultRules: boolean
  /**
   * Where the agent keeps what must outlive it (the rules' learned values); undefined: beside the
   * first file sink, else $TMPDIR/sidewatch-data.
   */
  dataDir: string | undefined
  /** The spool's bound; past it the oldest events are dropped, counted and alerted on. */
  spoolMaxBytes: number
  /** `tcp://HOST:PORT` of the EventBridge CloudTrail endpoint (off unless given). */
  cloudtrailListen: string | undefined
}

/** The flags of `run` that feed the configuration. */
export interface RunFlags {
  config?: string
  listen?: string[]
  token?: string
  sink?: string[]
  capture?: string
  proc?: string
  metrics?: string
  'flow-idle-timeout'?: string
  rules?: string[]
  'data-dir'?: string
  'socket-group'?: string
  'cloudtrail-listen'?: string
}

export const DEFAULT_TCP_LISTEN = 'tcp://127.0.0.1:7878'
export const DEFAULT_SINK = 'sqlite:./sidewatch.db'

/** `${SIDEWATCH_RUN_DIR:-$TMPDIR/sidewatch}/agent.sock` */
export function defaultSocketPath (env: NodeJS.ProcessEnv = process.env): string {
  const dir = nonEmpty(env.SIDEWATCH_RUN_DIR) ?? join(tmpdir(), 'sidewatch')
  return join(dir, 'agent.sock')
}

export function defaultConfig (env: NodeJS.ProcessEnv = process.env): AgentConfig {
  return {
    listen: [DEFAULT_TCP_LISTEN, `unix:${defaultSocketPath(env)}`],
    token: undefined,
    sinks: [DEFAULT_SINK],
    capture: 'auto',
    flowIdleTimeoutMs: 60_000,
    rules: [],
    defaultRules: true,
    dataDir: undefined,
    spoolMaxBytes: 256 * 1024 * 1024,
    cloudtrailListen: undefined,
    proc: 'on',
    procIntervalMs: 100,
    exeLearnMs: 5 * 60_000,
    allowExecutables: [],
    allowSha256: [],
    metrics: undefined,
    mode: 'monitor',
    maxFrameSize: DEFAULT_MAX_FRAME_SIZE,
    maxConnections: 1024,
    maxBatch: 1000,
    statsIntervalMs: 60_000,
    handshakeTimeoutMs: 10_000,
    socketGroup: undefined,
  }
}

export function resolveConfig (flags: RunFlags, env: NodeJS.ProcessEnv): AgentConfig {
  const file = flags.config !== undefined ? readConfigFile(flags.config) : {}
  return { ...defaultConfig(env), ...file, ...fromEnv(env), ...fromFlags(flags) }
}

function fromFlags (flags: RunFlags): Partial<AgentConfig> {
  const out: Partial<AgentConfig> = {}
  // Bad values on the command line are usage errors; listen, sink and metrics keep their codes.
  const at = <T>(flag: string, fn: () => T): T => within(`--${flag}`, fn, 'SW_ERR_USAGE')
  if (flags.listen !== undefined) out.listen = at('listen', () => checkListen(flags.listen as string[]))
  if (flags.token !== undefined) out.token = at('token', () => checkToken(flags.token))
  if (flags.sink !== undefined) out.sinks = at('sink', () => checkSinks(flags.sink as string[]))
  if (flags.capture !== undefined) out.capture = at('capture', () => checkCapture(flags.capture))
  if (flags.proc !== undefined) out.proc = at('proc', () => checkProc(flags.proc))
  if (flags.metrics !== undefined) out.metrics = at('metrics', () => checkMetrics(flags.metrics))
  if (flags.rules !== undefined) out.rules = flags.rules
  if (flags['data-dir'] !== undefined) out.dataDir = flags['data-dir']
  if (flags['socket-group'] !== undefined) out.socketGroup = at('socket-group', () => checkGroup(flags['socket-group']))
  if (flags['cloudtrail-listen'] !== undefined) out.cloudtrailListen = at('cloudtrail-listen', () => checkTcpListen(flags['cloudtrail-listen'] as string))
  const idle = flags['flow-idle-timeout']
  if (idle !== undefined) out.flowIdleTimeoutMs = at('flow-idle-timeout', () => seconds(/^\d+(\.\d+)?$/.test(idle) ? Number(idle) : idle))
  return out
}

function fromEnv (env: NodeJS.ProcessEnv): Partial<AgentConfig> {
  const out: Partial<AgentConfig> = {}
  const token = nonEmpty(env.SIDEWATCH_TOKEN)
  const listen = nonEmpty(env.SIDEWATCH_LISTEN)
  const sinks = nonEmpty(env.SIDEWATCH_SINKS)
  if (token !== undefined) out.token = within('SIDEWATCH_TOKEN', () => checkToken(token))
  if (listen !== undefined) out.listen = within('SIDEWATCH_LISTEN', () => checkListen(splitList(listen)))
  if (sinks !== undefined) out.sinks = within('SIDEWATCH_SINKS', () => checkSinks(splitList(sinks)))
  const rules = nonEmpty(env.SIDEWATCH_RULES)
  if (rules !== undefined) out.rules = splitList(rules)
  const dataDir = nonEmpty(env.SIDEWATCH_DATA_DIR)
  if (dataDir !== undefined) out.dataDir = dataDir
  const group = nonEmpty(env.SIDEWATCH_SOCKET_GROUP)
  if (group !== undefined) out.socketGroup = within('SIDEWATCH_SOCKET_GROUP', () => checkGroup(group))
  return out
}

/** Config file keys (snake_case, as users write them) and how each sets the config. */
const FILE_KEYS: Record<string, (value: unknown, out: Partial<AgentConfig>) => void> = {
  listen: (v, out) => { out.listen = checkListen(stringList(v)) },
  token: (v, out) => { out.token = checkToken(v) },
  sinks: (v, out) => { out.sinks = checkSinks(stringList(v)) },
  capture: (v, out) => { out.capture = checkCapture(v) },
  proc: (v, out) => { out.proc = checkProc(v === true ? 'on' : v === false ? 'off' : v) },
  metrics: (v, out) => { out.metrics = v === null || v === false ? undefined : checkMetrics(typeof v === 'number' ? String(v) : v) },
  mode: (v, out) => { out.mode = oneOf(v, ['monitor', 'block'] as const) },
  max_frame_size: (v, out) => { out.maxFrameSize = integer(v, 1024, 64 * 1024 * 1024) },
  max_connections: (v, out) => { out.maxConnections = integer(v, 1, 100_000) },
  max_batch: (v, out) => { out.maxBatch = integer(v, 1, 100_000) },
  stats_interval: (v, out) => { out.statsIntervalMs = seconds(v) },
  handshake_timeout: (v, out) => { out.handshakeTimeoutMs = seconds(v) },
  flow_idle_timeout: (v, out) => { out.flowIdleTimeoutMs = seconds(v) },
  rules: (v, out) => { out.rules = stringList(v) },
  default_rules: (v, out) => {
    if (typeof v !== 'boolean') throw new AgentError('SW_ERR_CONFIG', `${JSON.stringify(v)} is not true or false`)
    out.defaultRules = v
  },
  data_dir: (v, out) => { out.dataDir = oneOfString(v) },
  socket_group: (v, out) => { out.socketGroup = checkGroup(typeof v === 'number' ? String(v) : v) },
  cloudtrail_listen: (v, out) => { out.cloudtrailListen = checkTcpListen(oneOfString(v)) },
  proc_interval: (v, out) => { out.procIntervalMs = seconds(v) },
  exe_learn: (v, out) => { out.exeLearnMs = seconds(v) },
  allow_executables: (v, out) => { out.allowExecutables = stringList(v) },
  allow_sha256: (v, out) => {
    const list = stringList(v)
    const bad = list.find((h) => !/^[0-9a-f]{64}$/.test(h))
    if (bad !== undefined) throw new AgentError('SW_ERR_CONFIG', `${JSON.stringify(bad)} is not a SHA-256 in lower-case hex`)
    out.allowSha256 = list
  },
  spool_max_bytes: (v, out) => { out.spoolMaxBytes = integer(v, 1024 * 1024, 1024 * 1024 * 1024 * 1024) },
}

function checkTcpListen (v: string): string {
  if (!/^tcp:\/\/(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+):\d{1,5}$/.test(v)) throw new AgentError('SW_ERR_CONFIG', `${JSON.stringify(v)} is not tcp://HOST:PORT`)
  return v
}

function oneOfString (v: unknown): string {
  if (typeof v !== 'string' || v.trim() === '') throw new AgentError('SW_ERR_CONFIG', 'must be a directory path')
  return v
}

export const CONFIG_FILE_KEYS: readonly string[] = Object.keys(FILE_KEYS)

/** Reads a YAML or JSON config file (JSON is YAML). Unknown keys are errors, not ignored. */
export function readConfigFile (path: string): Partial<AgentConfig> {
  let text: string
  try {
    text = readFileSync(path, 'utf8')
  } catch (err) {
    throw new AgentError('SW_ERR_CONFIG', `cannot read config file ${path}: ${(err as Error).message}`)
  }
  let doc: unknown
  try {
    // Loaded only when there is a file to read.
    doc = (require('yaml') as typeof Yaml).parse(text)
  } catch (err) {
    throw new AgentError('SW_ERR_CONFIG', `config file ${path} is not valid YAML or JSON: ${(err as Error).message.split('\n')[0]}`)
  }
  if (doc === null || doc === undefined) return {}
  if (typeof doc !== 'object' || Array.isArray(doc)) {
    throw new AgentError('SW_ERR_CONFIG', `config file ${path} must hold a mapping of keys, e.g. "listen: [tcp://127.0.0.1:7878]"`)
  }
  const out: Partial<AgentConfig> = {}
  for (const [key, value] of Object.entries(doc)) {
    const set = FILE_KEYS[key]
    if (set === undefined) {
      throw new AgentError('SW_ERR_CONFIG', `unknown key ${JSON.stringify(key)} in config file ${path}; known keys: ${CONFIG_FILE_KEYS.join(', ')}`)
    }
    within(`config file ${path}: ${key}`, () => set(value, out))
  }
  return out
}

/** Runs `fn`, prefixing an AgentError's message with where the value came from. */
function within<T> (source: string, fn: () => T, configCode: AgentErrorCode = 'SW_ERR_CONFIG'): T {
  try {
    return fn()
  } catch (err) {
    if (!isAgentError(err)) throw err
    throw new AgentError(err.code === 'SW_ERR_CONFIG' ? configCode : err.code, `${source}: ${err.message}`)
  }
}

function splitList (text: string): string[] {
  return text.split(',').map((s) => s.trim()).filter((s) => s !== '')
}

function nonEmpty (value: string | undefined): string | undefined {
  return value === undefined || value === '' ? undefined : value
}
