/**
 * Adds the sidewatch-agent sidecar to a Kubernetes pod (EKS on Fargate, or any cluster): a Pod,
 * or a workload's pod template (Deployment, StatefulSet, DaemonSet, ReplicaSet, Job, CronJob).
 * YAML (several documents: each one with a pod in it is injected, the rest kept) or JSON.
 *
 * - the pod: `shareProcessNamespace: true` (the agent sees every container's processes);
 * - the agent: a native sidecar (an init container with `restartPolicy: Always`, Kubernetes
 *   1.29+), so the app containers start once its startup probe (GET /healthz) passes — the
 *   pod's `dependsOn: HEALTHY`; its own requests and limits; the task identity from the
 *   downward API (SIDEWATCH_POD_NAME, ...; task-identity.ts); the deployment key from a Secret;
 *   a non-root user with NET_RAW and SYS_PTRACE only;
 * - each app container: NODE_OPTIONS with the SDK preload, SIDEWATCH_AGENT.
 *
 * Idempotent, like the task definition's.
 */
import type * as Yaml from 'yaml'
import { AgentError } from '../errors'
import { KUBERNETES_CLUSTER_ENV, KUBERNETES_ENV } from '../identity/task-identity'
import type { InjectOptions, InjectResult } from './ecs-inject'
import {
  AGENT_ADDRESS, AGENT_COMMAND, AGENT_CONTAINER, AGENT_MEMORY_LIMIT_MIB, AGENT_MEMORY_RESERVATION_MIB, DEFAULT_IMAGE, DEFAULT_SINKS,
  HEALTH_CHECK_COMMAND, KEY_ENV, withSdkPreload,
} from './sidecar'

export interface PodInjectOptions extends Omit<InjectOptions, 'keyParameter'> {
  /** `NAME` or `NAME:KEY` of the Secret holding the deployment key (KEY defaults to `key`). */
  keySecret?: string
  /** The cluster's name for SIDEWATCH_CLUSTER (not in the downward API). */
  cluster?: string
}

type Json = Record<string, unknown>
interface EnvVar { name: string, value?: string, valueFrom?: Json }

/** The user id of the image's `sidewatch` user (packages/agent/Dockerfile). */
export const AGENT_UID = 10001
const DATA_VOLUME = 'sidewatch-data'
const DATA_DIR = '/var/lib/sidewatch'

function bad (message: string): AgentError {
  return new AgentError('SW_ERR_POD_SPEC', message)
}

function isObject (value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

export interface PodDocuments {
  format: 'json' | 'yaml'
  docs: unknown[]
}

/** JSON when the text is a JSON object, else YAML (one or more documents). */
export function parsePodDocuments (text: string, source = 'the pod spec'): PodDocuments {
  let jsonError: Error | undefined
  if (text.trimStart().startsWith('{')) {
    try {
      return { format: 'json', docs: [JSON.parse(text)] }
    } catch (err) {
      jsonError = err as Error // JSON documents separated by --- are YAML
    }
  }
  const yaml = require('yaml') as typeof Yaml
  const docs = yaml.parseAllDocuments(text)
  if (!Array.isArray(docs)) throw bad(`${source} is empty`)
  const out: unknown[] = []
  for (const doc of docs) {
    const error = doc.errors[0]
    if (error !== undefined && jsonError !== undefined) throw bad(`${source} is not JSON: ${jsonError.message}`)
    if (error !== undefined) throw bad(`${source} is not YAML or JSON: ${error.message.split('\n')[0] ?? error.message}`)
    const value: unknown = doc.toJS()
    if (value !== null && value !== undefined) out.push(value)
  }
  if (out.length === 0) throw bad(`${source} is empty`)
  return { format: 'yaml', docs: out }
}

export function formatPodDocuments (result: PodDocuments): string {
  if (result.format === 'json') return `${JSON.stringify(result.docs[0], null, 2)}\n`
  const yaml = require('yaml') as typeof Yaml
  return result.docs.map((doc) => yaml.stringify(doc, { lineWidth: 0, aliasDuplicateObjects: false })).join('---\n')
}

/** The pod spec inside a Pod or a workload, or undefined for anything else (a Service, a ConfigMap). */
export function podSpecOf (doc: unknown): Json | undefined {
  if (!isObject(doc) || !isObject(doc.spec)) return undefined
  const spec = doc.spec
  if (doc.kind === 'Pod' || (doc.kind === undefined && spec.containers !== undefined)) return spec
  if (isObject(spec.template) && isObject(spec.template.spec)) return spec.template.spec
  const job = spec.jobTemplate
  if (isObject(job) && isObject(job.spec) && isObject(job.spec.template) && isObject(job.spec.template.spec)) return job.spec.template.spec
  return undefined
}

/** Injects into every document that holds a pod; at least one must. The documents are changed in place. */
export function injectPods (parsed: PodDocuments, options: PodInjectOptions = {}): InjectResult<PodDocuments> {
  const notes = new Set<string>()
  let pods = 0
  parsed.docs.forEach((doc, i) => {
    const spec = podSpecOf(doc)
    if (spec === undefined) return
    pods++
    const where = parsed.docs.length > 1 ? `document ${i + 1} (${String((doc as Json).kind ?? 'no kind')})` : String((doc as Json).kind ?? 'the pod')
    for (const note of injectPodSpec(spec, options, where)) notes.add(note)
  })
  if (pods === 0) {
    const kinds = parsed.docs.map((d) => isObject(d) ? String(d.kind ?? 'no kind') : typeof d).join(', ')
    throw bad(`no pod found (got ${kinds}): expected a Pod, or a Deployment, StatefulSet, DaemonSet, ReplicaSet, Job or CronJob with a pod template`)
  }
  return { output: parsed, notes: [...notes] }
}

/** Injects into one pod spec (in place); returns the notes. */
export function injectPodSpec (spec: Json, options: PodInjectOptions = {}, where = 'the pod'): string[] {
  const notes: string[] = []
  const containers = spec.containers
  if (!Array.isArray(containers) || containers.length === 0) throw bad(`${where} has no containers (expected spec.containers, a non-empty array)`)
  const inits = spec.initContainers === undefined ? [] : spec.initContainers
  if (!Array.isArray(inits)) throw bad(`${where}: initContainers must be an array`)
  for (const [list, key] of [[containers, 'containers'], [inits, 'initContainers']] as const) {
    list.forEach((c: unknown, i: number) => {
      if (!isObject(c) || typeof c.name !== 'string' || c.name === '') throw bad(`${where}: ${key}[${i}] has no name`)
    })
  }
  if (spec.hostNetwork === true) throw bad(`${where} uses hostNetwork: the SDKs would reach the node's loopback, not the agent's; remove hostNetwork`)
  if (options.image !== undefined && /\s/.test(options.image)) throw new AgentError('SW_ERR_USAGE', `--image ${JSON.stringify(options.image)} is not an image reference`)

  const all = [...containers, ...inits] as Json[]
  const existing = all.find((c) => c.name === AGENT_CONTAINER)
  const agent = agentContainer(existing, options)
  const apps = appContainers(containers as Json[], options.apps, existing !== undefined)

  spec.shareProcessNamespace = true
  spec.containers = (containers as Json[]).map((c) => apps.includes(c) ? wireApp(c, where, notes) : c)
  if (existing === undefined) {
    spec.initContainers = [...inits, agent]
  } else {
    // Where the user put it stays: a regular container (clusters before 1.29) has no restartPolicy.
    const replace = (list: Json[]): Json[] => list.map((c) => c === existing ? agent : c)
    if ((inits as Json[]).includes(existing)) spec.initContainers = replace(inits as Json[])
    else { delete agent.restartPolicy; delete agent.startupProbe; spec.containers = replace(spec.containers as Json[]) }
  }
  const volumes = Array.isArray(spec.volumes) ? spec.volumes as Json[] : []
  if (!volumes.some((v) => v.name === DATA_VOLUME)) spec.volumes = [...volumes, { name: DATA_VOLUME, emptyDir: {} }]

  if (agent.image === DEFAULT_IMAGE) notes.push(`image ${DEFAULT_IMAGE} is the tag of a local build (docker build -f packages/agent/Dockerfile .); push it to a registry the cluster can pull from and pass --image`)
  if (!(agent.env as EnvVar[]).some((e) => e.name === KEY_ENV)) notes.push(`no deployment key: pass --key-secret NAME[:KEY] (a Secret in the pod's namespace) to give the agent ${KEY_ENV}`)
  if (apps.length > 0) notes.push('the app images must have @sidewatch/node-asm installed (npm install @sidewatch/node-asm): NODE_OPTIONS now preloads it')
  notes.push('the agent runs as a native sidecar (an init container with restartPolicy: Always): Kubernetes 1.29 or later')
  return notes
}

/** The named containers; by default the ones wired before (with SIDEWATCH_AGENT), else all but the agent. */
function appContainers (containers: Json[], names: string[] | undefined, injected: boolean): Json[] {
  const others = containers.filter((c) => c.name !== AGENT_CONTAINER)
  if (names === undefined) {
    const wired = others.filter((c) => Array.isArray(c.env) && (c.env as EnvVar[]).some((e) => e.name === 'SIDEWATCH_AGENT'))
    return injected && wired.length > 0 ? wired : others
  }
  for (const name of names) {
    if (!others.some((c) => c.name === name)) throw new AgentError('SW_ERR_USAGE', `--app ${name}: no container of that name; the pod has ${others.map((c) => String(c.name)).join(', ')}`)
  }
  return others.filter((c) => names.includes(c.name as string))
}

function envOf (value: unknown, where: string): EnvVar[] {
  if (value === undefined) return []
  if (!Array.isArray(value) || !value.every((e) => isObject(e) && typeof e.name === 'string')) throw bad(`${where}: env must be an array of {name, value} or {name, valueFrom}`)
  return value as EnvVar[]
}

/** `env` with each of `vars` set: replaced in place when present, appended when not. */
function setEnv (env: EnvVar[], vars: EnvVar[]): EnvVar[] {
  const out = env.map((e) => vars.find((v) => v.name === e.name) ?? e)
  for (const v of vars) if (!out.some((e) => e.name === v.name)) out.push(v)
  return out
}

function agentContainer (existing: Json | undefined, options: PodInjectOptions): Json {
  const before = existing ?? {}
  const env = envOf(before.env, `container ${AGENT_CONTAINER}`)
  const sinks = options.sinks ?? env.find((e) => e.name === 'SIDEWATCH_SINKS')?.value?.split(',') ?? DEFAULT_SINKS
  const vars: EnvVar[] = [{ name: 'SIDEWATCH_SINKS', value: sinks.join(',') }]
  for (const [name, fieldPath] of Object.entries(KUBERNETES_ENV)) vars.push({ name, valueFrom: { fieldRef: { fieldPath } } })
  if (options.cluster !== undefined) vars.push({ name: KUBERNETES_CLUSTER_ENV, value: options.cluster })
  if (options.keySecret !== undefined) {
    const [name, key = 'key'] = options.keySecret.split(':')
    if (name === undefined || !/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/.test(name) || !/^[-._a-zA-Z0-9]+$/.test(key)) {
      throw new AgentError('SW_ERR_USAGE', `--key-secret ${JSON.stringify(options.keySecret)} is not NAME or NAME:KEY of a Secret (lower-case DNS name, key of letters, digits, -._)`)
    }
    vars.push({ name: KEY_ENV, valueFrom: { secretKeyRef: { name, key } } })
  }
  const probe = (): Json => ({ exec: { command: [...HEALTH_CHECK_COMMAND] } })
  const mounts = Array.isArray(before.volumeMounts) ? before.volumeMounts as Json[] : []
  return {
    ...before,
    name: AGENT_CONTAINER,
    image: options.image ?? (typeof before.image === 'string' ? before.image : DEFAULT_IMAGE),
    restartPolicy: 'Always',
    args: AGENT_COMMAND,
    env: setEnv(env, vars),
    resources: { requests: { cpu: '125m', memory: `${AGENT_MEMORY_RESERVATION_MIB}Mi` }, limits: { memory: `${AGENT_MEMORY_LIMIT_MIB}Mi` } },
    startupProbe: { ...probe(), periodSeconds: 2, timeoutSeconds: 5, failureThreshold: 30 },
    livenessProbe: { ...probe(), periodSeconds: 10, timeoutSeconds: 5, failureThreshold: 3 },
    // NET_RAW for capture, SYS_PTRACE to read the app's /proc entries (packages/agent/Dockerfile).
    securityContext: { runAsNonRoot: true, runAsUser: AGENT_UID, capabilities: { drop: ['ALL'], add: ['NET_RAW', 'SYS_PTRACE'] } },
    volumeMounts: mounts.some((m) => m.name === DATA_VOLUME) ? mounts : [...mounts, { name: DATA_VOLUME, mountPath: DATA_DIR }],
  }
}

function wireApp (app: Json, where: string, notes: string[]): Json {
  const env = envOf(app.env, `${where}: container ${String(app.name)}`)
  const nodeOptions = env.find((e) => e.name === 'NODE_OPTIONS')
  const vars: EnvVar[] = []
  if (nodeOptions?.valueFrom !== undefined) {
    notes.push(`container ${String(app.name)} takes NODE_OPTIONS from valueFrom: add ${'-r @sidewatch/node-asm/register'} to it yourself`)
  } else {
    vars.push({ name: 'NODE_OPTIONS', value: withSdkPreload(nodeOptions?.value) })
  }
  const agentAt = env.find((e) => e.name === 'SIDEWATCH_AGENT')
  if (agentAt === undefined) vars.push({ name: 'SIDEWATCH_AGENT', value: AGENT_ADDRESS })
  else if (agentAt.value !== AGENT_ADDRESS) notes.push(`container ${String(app.name)} keeps its SIDEWATCH_AGENT${agentAt.value === undefined ? ' (valueFrom)' : `=${agentAt.value}`}, but the agent listens on ${AGENT_ADDRESS}`)
  return { ...app, env: setEnv(env, vars) }
}
