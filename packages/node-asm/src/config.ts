/**
 * The SDK's configuration: `start(options)` first, then `SIDEWATCH_*` environment variables, then
 * defaults. A bad value never throws: it is named in a problem message (printed once as
 * SW_ERR_CONFIG) and the default is used.
 */
import type { Mode } from '@sidewatch/proto'
import { parseAgentAddress, type AgentAddress } from './reporter/address'
import { defaultServiceName } from './service-name'

export interface Config {
  /** SIDEWATCH_DISABLED: nothing is patched, no socket is opened. */
  disabled: boolean
  /** SIDEWATCH_AGENT: `tcp://HOST:PORT` or `unix:/PATH`. */
  agent: AgentAddress
  /** SIDEWATCH_TOKEN: sent in the hello. */
  token: string | undefined
  /** SIDEWATCH_SERVICE: default from package.json in the working directory, or the script name. */
  service: string
  /** SIDEWATCH_MODE: the mode; unless `modePinned`, an agent's welcome may change it. */
  mode: Mode
  /** SIDEWATCH_INVENTORY: report the packages the app loads as `dependency` events (default on). */
  inventory: boolean
  /**
   * SIDEWATCH_HTTP_EVENTS: `security` (default) reports one by one only the requests and outbound
   * calls a security reader follows up and counts the rest in `http.summary` events; `all`
   * reports every request and call.
   */
  httpEvents: HttpEvents
  /** SIDEWATCH_SUMMARY_INTERVAL_MS: the window of one `http.summary` event. */
  summaryIntervalMs: number
  /** SIDEWATCH_REDACT: extra field, header and parameter names whose values never leave the process (comma-separated). */
  redact: string[]
  /** True when the application set the mode itself (SIDEWATCH_MODE or start({ mode })): the agent cannot change it. */
  modePinned?: boolean
  /** SIDEWATCH_QUEUE_SIZE: events kept while the agent is away; the oldest are dropped past it. */
  queueSize: number
  /** SIDEWATCH_BATCH_SIZE / SIDEWATCH_BATCH_BYTES: a batch is sent when it reaches either. */
  batchEvents: number
  batchBytes: number
  /** SIDEWATCH_FLUSH_INTERVAL_MS: the longest an event waits before its batch is sent. */
  flushIntervalMs: number
  /** SIDEWATCH_FLUSH_TIMEOUT_MS: the longest the SDK holds the process open on exit to deliver. */
  flushTimeoutMs: number
  /** How long the agent has to answer a hello before the connection is dropped. */
  handshakeTimeoutMs: number
  /** Reconnect backoff: first delay and cap. */
  reconnectMinMs: number
  reconnectMaxMs: number
  /** Unacknowledged batches on the wire before sending pauses. */
  maxInflightBatches: number
}

export type HttpEvents = 'security' | 'all'

/** What `start()` accepts; every field overrides its environment variable. */
export type StartOptions = Partial<Omit<Config, 'agent'>> & { agent?: string }

type IntKey = 'summaryIntervalMs' | 'queueSize' | 'batchEvents' | 'batchBytes' | 'flushIntervalMs' | 'flushTimeoutMs' |
  'handshakeTimeoutMs' | 'reconnectMinMs' | 'reconnectMaxMs' | 'maxInflightBatches'

/** Integer settings: environment variable (if any), default, allowed range. */
const INTEGERS: ReadonlyArray<{ key: IntKey, env?: string, def: number, min: number, max: number }> = [
  { key: 'summaryIntervalMs', env: 'SIDEWATCH_SUMMARY_INTERVAL_MS', def: 10_000, min: 100, max: 3_600_000 },
  { key: 'queueSize', env: 'SIDEWATCH_QUEUE_SIZE', def: 10_000, min: 1, max: 1_000_000 },
  { key: 'batchEvents', env: 'SIDEWATCH_BATCH_SIZE', def: 256, min: 1, max: 10_000 },
  { key: 'batchBytes', env: 'SIDEWATCH_BATCH_BYTES', def: 256 * 1024, min: 1024, max: 900 * 1024 },
  { key: 'flushIntervalMs', env: 'SIDEWATCH_FLUSH_INTERVAL_MS', def: 200, min: 1, max: 60_000 },
  { key: 'flushTimeoutMs', env: 'SIDEWATCH_FLUSH_TIMEOUT_MS', def: 2000, min: 0, max: 60_000 },
  { key: 'handshakeTimeoutMs', def: 5000, min: 10, max: 60_000 },
  { key: 'reconnectMinMs', def: 100, min: 1, max: 60_000 },
  { key: 'reconnectMaxMs', def: 10_000, min: 1, max: 600_000 },
  { key: 'maxInflightBatches', def: 8, min: 1, max: 1000 },
]

export const DEFAULT_AGENT = 'tcp://127.0.0.1:7878'
const TRUE = /^(1|true|yes|on)$/i
const FALSE = /^(0|false|no|off|)$/i

export interface ConfigResult {
  config: Config
  /** One sentence per bad setting, naming it, its value, what was expected and what is used. */
  problems: string[]
}

export function readConfig (options: StartOptions = {}, env: NodeJS.ProcessEnv = process.env): ConfigResult {
  const problems: string[] = []
  const disabledText = env.SIDEWATCH_DISABLED ?? ''
  let disabled = options.disabled ?? TRUE.test(disabledText.trim())
  if (options.disabled === undefined && !TRUE.test(disabledText.trim()) && !FALSE.test(disabledText.trim())) {
    problems.push(`SIDEWATCH_DISABLED=${JSON.stringify(disabledText)} is not 1/true/yes/on or 0/false/no/off; using enabled`)
    disabled = false
  }

  const agentText = options.agent ?? env.SIDEWATCH_AGENT ?? DEFAULT_AGENT
  let agent = parseAgentAddress(agentText)
  if ('error' in agent) {
    problems.push(`SIDEWATCH_AGENT=${JSON.stringify(agentText)} ${agent.error}; using ${DEFAULT_AGENT}`)
    agent = parseAgentAddress(DEFAULT_AGENT) as AgentAddress
  }

  const modeText = options.mode ?? env.SIDEWATCH_MODE ?? 'monitor'
  let mode: Mode = 'monitor'
  let modePinned = false
  if (modeText === 'monitor' || modeText === 'block') {
    mode = modeText
    modePinned = options.mode !== undefined || env.SIDEWATCH_MODE !== undefined
  } else problems.push(`SIDEWATCH_MODE=${JSON.stringify(modeText)} is not monitor or block; using monitor`)

  let service = options.service ?? env.SIDEWATCH_SERVICE
  if (service !== undefined && (service.length === 0 || service.length > 256)) {
    problems.push(`SIDEWATCH_SERVICE must be 1-256 characters (got ${service.length}); using the default name`)
    service = undefined
  }

  const inventoryText = (env.SIDEWATCH_INVENTORY ?? '').trim()
  let inventory = options.inventory ?? !(FALSE.test(inventoryText) && inventoryText !== '')
  if (options.inventory === undefined && !TRUE.test(inventoryText) && !FALSE.test(inventoryText)) {
    problems.push(`SIDEWATCH_INVENTORY=${JSON.stringify(inventoryText)} is not 1/true/yes/on or 0/false/no/off; using on`)
    inventory = true
  }
  const httpEventsText = options.httpEvents ?? env.SIDEWATCH_HTTP_EVENTS ?? 'security'
  let httpEvents: HttpEvents = 'security'
  if (httpEventsText === 'security' || httpEventsText === 'all') httpEvents = httpEventsText
  else problems.push(`SIDEWATCH_HTTP_EVENTS=${JSON.stringify(httpEventsText)} is not security or all; using security`)
  const redact = options.redact ?? (env.SIDEWATCH_REDACT ?? '').split(',').map((n) => n.trim()).filter((n) => n.length > 0)
  const token = options.token ?? (env.SIDEWATCH_TOKEN === '' ? undefined : env.SIDEWATCH_TOKEN)
  const ints = {} as Record<IntKey, number>
  for (const spec of INTEGERS) ints[spec.key] = readInteger(spec, options[spec.key], env, problems)
  if (ints.reconnectMaxMs < ints.reconnectMinMs) ints.reconnectMaxMs = ints.reconnectMinMs

  return {
    config: { disabled, agent, token, service: service ?? defaultServiceName(), mode, modePinned, inventory, httpEvents, redact, ...ints },
    problems,
  }
}

/** An option (a number) or its environment variable (text); the default when absent or invalid. */
function readInteger (spec: typeof INTEGERS[number], option: number | undefined, env: NodeJS.ProcessEnv, problems: string[]): number {
  let value: number
  let setting: string
  if (option !== undefined) {
    value = option
    setting = `${spec.key}=${String(option)}`
  } else {
    const text = spec.env === undefined ? undefined : env[spec.env]
    if (text === undefined || text === '') return spec.def
    value = /^\s*\d+\s*$/.test(text) ? Number(text) : NaN
    setting = `${String(spec.env)}=${JSON.stringify(text)}`
  }
  if (!Number.isSafeInteger(value) || value < spec.min || value > spec.max) {
    problems.push(`${setting} is not an integer from ${spec.min} to ${spec.max}; using ${spec.def}`)
    return spec.def
  }
  return value
}
