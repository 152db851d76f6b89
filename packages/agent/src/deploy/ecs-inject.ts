/**
 * Adds the sidewatch-agent sidecar to an ECS task definition (the JSON `aws ecs
 * register-task-definition --cli-input-json` takes, or `describe-task-definition` printed) and
 * wires the app containers to it:
 *
 * - the task: `pidMode: "task"` (the agent sees every container's processes; Fargate platform
 *   1.4.0 or later), `networkMode` must already be `awsvpc` (the containers share a loopback);
 * - the agent container: `essential: false`, its own CPU and memory, the health check on
 *   /healthz, the deployment key from SSM Parameter Store through `secrets`, the app's log
 *   configuration with its own stream prefix, SYS_PTRACE (to read the app's /proc entries);
 * - each app container: `dependsOn` the agent HEALTHY, NODE_OPTIONS with the SDK preload,
 *   SIDEWATCH_AGENT.
 *
 * Idempotent: injecting into its own output changes nothing. Every other key is kept as it was,
 * in its order. The read-only keys `describe-task-definition` adds are dropped, so the output can
 * be registered as it is.
 */
import { AgentError } from '../errors'
import {
  AGENT_ADDRESS, AGENT_COMMAND, AGENT_CONTAINER, AGENT_CPU_UNITS, AGENT_MEMORY_LIMIT_MIB, AGENT_MEMORY_RESERVATION_MIB,
  DEFAULT_IMAGE, DEFAULT_SINKS, HEALTH_CHECK_COMMAND, KEY_ENV, SSM_PARAMETER_ARN, withSdkPreload,
} from './sidecar'

export interface InjectOptions {
  /** The agent's image; default: the one already in the task, else DEFAULT_IMAGE. */
  image?: string
  /** SSM parameter ARN of the deployment key; default: the one already in the task, if any. */
  keyParameter?: string
  /** Sink specs for SIDEWATCH_SINKS; default: the ones already in the task, else DEFAULT_SINKS. */
  sinks?: string[]
  /** Names of the containers to wire to the agent; default: every container but the agent. */
  apps?: string[]
}

export interface InjectResult<T> {
  output: T
  /** Things the user must know or do (printed on stderr). */
  notes: string[]
}

type Json = Record<string, unknown>
interface KeyValue { name: string, value: string }
interface Secret { name: string, valueFrom: string }
interface Dependency { containerName: string, condition: string }

/** Keys describe-task-definition prints that register-task-definition refuses. */
const READ_ONLY_KEYS = ['taskDefinitionArn', 'revision', 'status', 'requiresAttributes', 'compatibilities', 'registeredAt', 'registeredBy', 'deregisteredAt']

function bad (message: string): AgentError {
  return new AgentError('SW_ERR_TASK_DEFINITION', message)
}

function isObject (value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

/** The task definition in `text`: the object itself, or `describe-task-definition`'s `{ taskDefinition: {...} }`. */
export function parseTaskDefinition (text: string, source = 'the task definition'): Json {
  let doc: unknown
  try {
    doc = JSON.parse(text)
  } catch (err) {
    throw bad(`${source} is not JSON: ${(err as Error).message}`)
  }
  if (isObject(doc) && isObject(doc.taskDefinition) && doc.containerDefinitions === undefined) doc = doc.taskDefinition
  if (!isObject(doc)) throw bad(`${source} must be a JSON object (a task definition), not ${Array.isArray(doc) ? 'an array' : typeof doc === 'object' ? 'null' : typeof doc}`)
  return doc
}

export function injectTaskDefinition (input: Json, options: InjectOptions = {}): InjectResult<Json> {
  const notes: string[] = []
  const containers = input.containerDefinitions
  if (!Array.isArray(containers) || containers.length === 0) {
    throw bad('the task definition has no containerDefinitions (expected a non-empty array of containers)')
  }
  containers.forEach((c, i) => {
    if (!isObject(c) || typeof c.name !== 'string' || c.name === '') throw bad(`containerDefinitions[${i}] has no name (every container needs "name", a string)`)
  })
  const defs = containers as Json[]
  if (input.networkMode !== 'awsvpc') {
    const got = input.networkMode === undefined ? 'not set (ECS then uses bridge)' : JSON.stringify(input.networkMode)
    throw bad(`networkMode is ${got}; the sidecar needs "awsvpc" (Fargate's only mode), where the task's containers share one loopback the SDKs reach the agent on`)
  }
  const os = isObject(input.runtimePlatform) ? input.runtimePlatform.operatingSystemFamily : undefined
  if (typeof os === 'string' && os !== 'LINUX') throw bad(`runtimePlatform.operatingSystemFamily is ${JSON.stringify(os)}; the agent runs on Linux only`)
  if (input.pidMode !== undefined && input.pidMode !== 'task') {
    throw bad(`pidMode is ${JSON.stringify(input.pidMode)}; the agent needs "task" to see the processes of every container in the task`)
  }
  checkOptions(options)

  const existing = defs.find((c) => c.name === AGENT_CONTAINER)
  const apps = appContainers(defs, options.apps, existing !== undefined)
  const out: Json = {}
  for (const [key, value] of Object.entries(input)) if (!READ_ONLY_KEYS.includes(key)) out[key] = value
  out.pidMode = 'task'

  const agent = agentContainer(existing, defs, options, notes)
  const wired = defs.map((c) => c === existing ? agent : apps.includes(c) ? wireApp(c, notes) : c)
  out.containerDefinitions = existing === undefined ? [...wired, agent] : wired
  checkResources(out, notes)

  if (Array.isArray(agent.secrets) && agent.secrets.length > 0 && typeof out.executionRoleArn !== 'string') {
    notes.push('the deployment key comes from SSM through `secrets`: the task needs an executionRoleArn whose role may ssm:GetParameters on that parameter (and kms:Decrypt for a SecureString with your own key)')
  }
  if (agent.secrets === undefined) notes.push(`no deployment key: pass --key-parameter arn:aws:ssm:REGION:ACCOUNT:parameter/NAME to give the agent ${KEY_ENV} (needed for an https sink or --cloudtrail-listen)`)
  if (agent.image === DEFAULT_IMAGE) notes.push(`image ${DEFAULT_IMAGE} is the tag of a local build (docker build -f packages/agent/Dockerfile .); push it to a registry the task can pull from and pass --image`)
  if (apps.length > 0) notes.push(`the app images must have @sidewatch/node-asm installed (npm install @sidewatch/node-asm): NODE_OPTIONS now preloads it in ${apps.map((c) => c.name as string).join(', ')}`)
  notes.push('pidMode "task" needs Fargate platform version 1.4.0 or later (LATEST)')
  return { output: out, notes }
}

function checkOptions (options: InjectOptions): void {
  if (options.image !== undefined && !/^[^\s]+$/.test(options.image)) throw new AgentError('SW_ERR_USAGE', `--image ${JSON.stringify(options.image)} is not an image reference (no spaces; e.g. 111122223333.dkr.ecr.us-west-2.amazonaws.com/sidewatch-agent:0.1.0)`)
  if (options.keyParameter !== undefined && !SSM_PARAMETER_ARN.test(options.keyParameter)) {
    throw new AgentError('SW_ERR_USAGE', `--key-parameter ${JSON.stringify(options.keyParameter)} is not an SSM parameter ARN (expected arn:aws:ssm:REGION:ACCOUNT:parameter/NAME)`)
  }
}

/** The named containers; by default the ones wired before (depending on the agent), else all but the agent. */
function appContainers (defs: Json[], names: string[] | undefined, injected: boolean): Json[] {
  const others = defs.filter((c) => c.name !== AGENT_CONTAINER)
  if (names === undefined) {
    const wired = others.filter((c) => Array.isArray(c.dependsOn) && (c.dependsOn as Dependency[]).some((d) => d.containerName === AGENT_CONTAINER))
    return injected && wired.length > 0 ? wired : others
  }
  for (const name of names) {
    if (name === AGENT_CONTAINER) throw new AgentError('SW_ERR_USAGE', `--app ${name}: that is the agent's own container`)
    if (!others.some((c) => c.name === name)) {
      throw new AgentError('SW_ERR_USAGE', `--app ${name}: no container of that name; the task has ${others.map((c) => String(c.name)).join(', ')}`)
    }
  }
  return others.filter((c) => names.includes(c.name as string))
}

/** The agent's container: ours where it matters, the user's own additions kept. */
function agentContainer (existing: Json | undefined, defs: Json[], options: InjectOptions, notes: string[]): Json {
  const before = existing ?? {}
  const env = keyValues(before.environment, 'environment of the existing sidewatch-agent container')
  const sinks = options.sinks ?? env.find((e) => e.name === 'SIDEWATCH_SINKS')?.value.split(',') ?? DEFAULT_SINKS
  const secrets = (Array.isArray(before.secrets) ? before.secrets as Secret[] : []).filter((s) => s.name !== KEY_ENV || options.keyParameter === undefined)
  if (options.keyParameter !== undefined) secrets.push({ name: KEY_ENV, valueFrom: options.keyParameter })
  const agent: Json = {
    ...before,
    name: AGENT_CONTAINER,
    image: options.image ?? (typeof before.image === 'string' ? before.image : DEFAULT_IMAGE),
    essential: false,
    cpu: AGENT_CPU_UNITS,
    memoryReservation: AGENT_MEMORY_RESERVATION_MIB,
    memory: AGENT_MEMORY_LIMIT_MIB,
    command: AGENT_COMMAND,
    environment: setValues(env, { SIDEWATCH_SINKS: sinks.join(',') }),
    healthCheck: { command: ['CMD', ...HEALTH_CHECK_COMMAND], interval: 10, timeout: 5, retries: 3, startPeriod: 15 },
    linuxParameters: withPtrace(before.linuxParameters),
  }
  if (secrets.length > 0) agent.secrets = secrets
  else delete agent.secrets
  const logs = agentLogging(before.logConfiguration, defs)
  if (logs !== undefined) agent.logConfiguration = logs
  else notes.push('no awslogs logConfiguration found in the task: the agent container logs nowhere until you give it one')
  return agent
}

/**
 * SYS_PTRACE added to the agent's capabilities (the one Fargate lets a task add): the agent's
 * user reads /proc/PID/exe, cwd, fd and root of the app's processes (packages/agent/Dockerfile).
 * NET_RAW, the other one it uses, is in the default set. The user's other settings are kept.
 */
function withPtrace (value: unknown): Json {
  const params = isObject(value) ? value : {}
  const caps = isObject(params.capabilities) ? params.capabilities : {}
  const add = Array.isArray(caps.add) ? caps.add as unknown[] : []
  return { ...params, capabilities: { ...caps, add: add.includes('SYS_PTRACE') ? add : [...add, 'SYS_PTRACE'] } }
}

/** The agent's own log configuration if it has one, else the first app container's awslogs with the stream prefix `sidewatch`. */
function agentLogging (own: unknown, defs: Json[]): Json | undefined {
  if (isObject(own)) return own
  for (const c of defs) {
    const logs = c.logConfiguration
    if (!isObject(logs) || logs.logDriver !== 'awslogs' || !isObject(logs.options)) continue
    return { ...logs, options: { ...logs.options, 'awslogs-stream-prefix': 'sidewatch' } }
  }
  return undefined
}

function wireApp (app: Json, notes: string[]): Json {
  const env = keyValues(app.environment, `environment of container ${String(app.name)}`)
  const nodeOptions = env.find((e) => e.name === 'NODE_OPTIONS')?.value
  const agentAt = env.find((e) => e.name === 'SIDEWATCH_AGENT')?.value ?? AGENT_ADDRESS
  if (agentAt !== AGENT_ADDRESS) notes.push(`container ${String(app.name)} keeps its SIDEWATCH_AGENT=${agentAt}, but the agent listens on ${AGENT_ADDRESS}`)
  const dependsOn = (Array.isArray(app.dependsOn) ? app.dependsOn as Dependency[] : []).filter((d) => d.containerName !== AGENT_CONTAINER)
  return {
    ...app,
    environment: setValues(env, { NODE_OPTIONS: withSdkPreload(nodeOptions), SIDEWATCH_AGENT: agentAt }),
    dependsOn: [...dependsOn, { containerName: AGENT_CONTAINER, condition: 'HEALTHY' }],
  }
}

function keyValues (value: unknown, where: string): KeyValue[] {
  if (value === undefined) return []
  if (!Array.isArray(value) || !value.every((e) => isObject(e) && typeof e.name === 'string' && typeof e.value === 'string')) {
    throw bad(`${where} must be an array of {"name": string, "value": string}`)
  }
  return value as KeyValue[]
}

/** `list` with each of `values` set: replaced in place when present, appended when not. */
function setValues (list: KeyValue[], values: Record<string, string>): KeyValue[] {
  const out = list.map((e) => e.name in values ? { name: e.name, value: values[e.name] as string } : e)
  for (const [name, value] of Object.entries(values)) if (!out.some((e) => e.name === name)) out.push({ name, value })
  return out
}

/**
 * Fargate checks that the containers fit the task: the sum of container cpu within the task's
 * cpu, and of hard memory limits within its memory. Said before registering, with the numbers.
 */
function checkResources (task: Json, notes: string[]): void {
  const defs = task.containerDefinitions as Json[]
  const units = (value: unknown): number | undefined => {
    const n = typeof value === 'string' ? Number(value) : value
    return typeof n === 'number' && Number.isFinite(n) ? n : undefined
  }
  const taskCpu = units(task.cpu)
  const taskMemory = units(task.memory)
  const cpu = defs.reduce((sum, c) => sum + (units(c.cpu) ?? 0), 0)
  const memory = defs.reduce((sum, c) => sum + (units(c.memory) ?? units(c.memoryReservation) ?? 0), 0)
  if (taskCpu !== undefined && cpu > taskCpu) {
    throw bad(`with the agent's ${AGENT_CPU_UNITS} CPU units the containers ask for ${cpu}, more than the task's cpu ${taskCpu}: raise the task's cpu (e.g. to ${nextFargateCpu(cpu)}) or lower an app container's`)
  }
  if (taskMemory !== undefined && memory > taskMemory) {
    throw bad(`with the agent's ${AGENT_MEMORY_LIMIT_MIB} MiB the containers ask for ${memory} MiB, more than the task's memory ${taskMemory}: raise the task's memory or lower an app container's`)
  }
  if (taskCpu === undefined || taskMemory === undefined) notes.push('the task has no task-level cpu and memory: Fargate requires both')
}

function nextFargateCpu (units: number): number {
  return [256, 512, 1024, 2048, 4096, 8192, 16384].find((n) => n >= units) ?? units
}
