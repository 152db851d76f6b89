/**
 * Who the agent's task is, stamped on every event it stores: `task` (cluster, task ARN, family,
 * revision, availability zone, launch type, the task ENI's addresses) and, where an event names
 * its container by name or id, both (`container` the name, `container_id` the id).
 *
 * - ECS: the task metadata endpoint v4, `GET ${ECS_CONTAINER_METADATA_URI_V4}/task`. Read once
 *   at start-up; read again (at most every 10 s) when an event names a container id the document
 *   does not list yet, since the task's other containers start after the agent.
 * - Kubernetes (EKS on Fargate): the downward API, through environment variables the pod spec
 *   sets on the agent container (KUBERNETES_ENV below); there is nothing to fetch.
 *
 * CloudTrail events are left as they are: they describe the AWS account, not this task.
 * Fields an event already has are never overwritten.
 */
import type { SidewatchEvent } from '@sidewatch/proto'
import type { Logger } from '../log'
import { fetchTaskMetadata, taskFieldsOf, type EcsTaskFields } from '../net/capture/task-metadata'
import { containerNamesFromTaskMetadata } from '../proc/ecs-containers'

export interface TaskFields extends EcsTaskFields {
  pod?: string
  namespace?: string
  pod_uid?: string
  node?: string
}

/** The downward-API variables the agent reads on Kubernetes, and the pod field each is set from. */
export const KUBERNETES_ENV = {
  SIDEWATCH_POD_NAME: 'metadata.name',
  SIDEWATCH_POD_NAMESPACE: 'metadata.namespace',
  SIDEWATCH_POD_UID: 'metadata.uid',
  SIDEWATCH_NODE_NAME: 'spec.nodeName',
  SIDEWATCH_POD_IPS: 'status.podIPs',
} as const

/** Not in the downward API: the cluster's name, set as a plain value in the pod spec. */
export const KUBERNETES_CLUSTER_ENV = 'SIDEWATCH_CLUSTER'

/** The schema's bound on `task.addresses`. */
const MAX_ADDRESSES = 16
const REFETCH_MS = 10_000

/** The task fields from the downward-API environment; undefined when none of it is set. */
export function kubernetesTaskFields (env: NodeJS.ProcessEnv): TaskFields | undefined {
  const get = (name: string): string | undefined => {
    const value = env[name]?.trim()
    return value === undefined || value === '' ? undefined : value
  }
  const out: TaskFields = {}
  const pod = get('SIDEWATCH_POD_NAME')
  const namespace = get('SIDEWATCH_POD_NAMESPACE')
  const uid = get('SIDEWATCH_POD_UID')
  const node = get('SIDEWATCH_NODE_NAME')
  const cluster = get(KUBERNETES_CLUSTER_ENV)
  // status.podIPs arrives comma-separated (one address per family); status.podIP is one address.
  const ips = (get('SIDEWATCH_POD_IPS') ?? get('SIDEWATCH_POD_IP'))?.split(',').map((a) => a.trim()).filter((a) => a !== '')
  if (pod !== undefined) out.pod = pod
  if (namespace !== undefined) out.namespace = namespace
  if (uid !== undefined) out.pod_uid = uid
  if (node !== undefined) out.node = node
  if (cluster !== undefined) out.cluster = cluster
  if (ips !== undefined && ips.length > 0) out.addresses = ips.slice(0, MAX_ADDRESSES)
  return Object.keys(out).length === 0 ? undefined : out
}

type Stampable = SidewatchEvent & {
  task?: TaskFields
  container?: string
  container_id?: string
  process?: { container_id?: string }
}

export class TaskIdentity {
  readonly #uri: string | undefined
  readonly #log: Logger | undefined
  #task: Readonly<TaskFields> | undefined
  /** id → name and name → id of the task's containers. */
  #names = new Map<string, string>()
  #ids = new Map<string, string>()
  #lastFetch = -Infinity
  #fetching: Promise<void> | undefined

  /** `metadataUri`: ECS_CONTAINER_METADATA_URI_V4; `task`: fields known without fetching (Kubernetes). */
  constructor (options: { metadataUri?: string, task?: TaskFields, log?: Logger }) {
    this.#uri = options.metadataUri
    this.#log = options.log
    this.#task = options.task === undefined ? undefined : Object.freeze({ ...options.task })
  }

  /** ECS when ECS_CONTAINER_METADATA_URI_V4 is set, else the downward-API variables, else undefined. */
  static fromEnv (env: NodeJS.ProcessEnv, log?: Logger): TaskIdentity | undefined {
    const uri = env.ECS_CONTAINER_METADATA_URI_V4?.trim()
    if (uri !== undefined && uri !== '') return new TaskIdentity({ metadataUri: uri, log })
    const task = kubernetesTaskFields(env)
    return task === undefined ? undefined : new TaskIdentity({ task, log })
  }

  /** Read from the ECS task metadata (container ids resolve to names), not the downward API. */
  get ecs (): boolean { return this.#uri !== undefined }

  /** What events are stamped with, once known. */
  get task (): Readonly<TaskFields> | undefined { return this.#task }

  /** The task's containers (name → id), from the metadata. */
  get containers (): ReadonlyMap<string, string> { return this.#ids }

  /**
   * Reads the task metadata again (at most every 10 s; concurrent calls share one read). Failures
   * are logged and leave what was known; the next unknown container id tries again.
   */
  refresh (): Promise<void> {
    if (this.#uri === undefined) return Promise.resolve()
    if (this.#fetching !== undefined) return this.#fetching
    if (performance.now() - this.#lastFetch < REFETCH_MS) return Promise.resolve()
    this.#lastFetch = performance.now()
    const uri = this.#uri
    this.#fetching = (async () => {
      try {
        const doc = await fetchTaskMetadata(uri)
        const task = taskFieldsOf(doc)
        if (task.addresses !== undefined) task.addresses = task.addresses.slice(0, MAX_ADDRESSES)
        this.#task = Object.freeze(task)
        this.#names = containerNamesFromTaskMetadata(doc)
        this.#ids = new Map([...this.#names].map(([id, name]) => [name, id]))
      } catch (err) {
        this.#log?.warn({ code: 'SW_ERR_TASK_METADATA', err }, 'could not read the ECS task metadata; events go without the task until it answers')
      } finally {
        this.#fetching = undefined
      }
    })()
    return this.#fetching
  }

  /** The name for a container id (full, or a unique prefix of 12 or more characters); an unknown id triggers a refresh. */
  containerName (containerId: string): string | undefined {
    const name = this.#names.get(containerId) ?? this.#byPrefix(containerId)
    if (name === undefined) void this.refresh()
    return name
  }

  /** Docker's short ids; on Fargate every id starts with the task id, so only a unique match counts. */
  #byPrefix (prefix: string): string | undefined {
    if (prefix.length < 12) return undefined
    const found = [...this.#names].filter(([id]) => id.startsWith(prefix))
    return found.length === 1 ? found[0]?.[1] : undefined
  }

  /** Adds `task`, and a container's missing name or id, to each event (in place); returns `events`. */
  stamp<E extends readonly SidewatchEvent[]> (events: E): E {
    const task = this.#task
    for (const event of events as readonly Stampable[]) {
      if (event.kind === 'cloudtrail') continue
      if (task !== undefined && event.task === undefined) event.task = task
      if (this.#names.size > 0) this.#stampContainer(event)
    }
    return events
  }

  #stampContainer (event: Stampable): void {
    if (event.container_id !== undefined) {
      if (event.container === undefined) {
        const name = this.#names.get(event.container_id)
        if (name !== undefined) event.container = name
      }
      return
    }
    const container = event.container
    if (container === undefined) {
      const id = event.process?.container_id
      const name = id === undefined ? undefined : this.#names.get(id)
      if (name !== undefined) { event.container = name; event.container_id = id }
      return
    }
    const id = this.#ids.get(container)
    if (id !== undefined) { event.container_id = id; return }
    const name = this.#names.get(container)
    if (name !== undefined) { event.container = name; event.container_id = container }
  }
}
