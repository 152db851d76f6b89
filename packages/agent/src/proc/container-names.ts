/**
 * Container ids → task container names, from the ECS task metadata endpoint v4
 * (`$ECS_CONTAINER_METADATA_URI_V4/task`, `Containers[].DockerId` and `Name`). The agent often
 * starts before the task's other containers (they depend on it being healthy), so an id it does
 * not know yet makes it ask the endpoint again, at most every 10 seconds; until then the event
 * carries the id.
 */
import type { Logger } from '../log'
import { fetchTaskMetadata } from '../net/capture/task-metadata'
import { containerNamesFromTaskMetadata } from './ecs-containers'

const REFETCH_MS = 10_000

export class ContainerNames {
  readonly #uri: string
  readonly #log: Logger
  #names = new Map<string, string>()
  #lastFetch = -Infinity
  #fetching = false

  constructor (uri: string, log: Logger) {
    this.#uri = uri
    this.#log = log
  }

  /** The name for an id (full or a prefix of 12 or more characters), if the metadata has it. */
  lookup (containerId: string): string | undefined {
    const name = this.#names.get(containerId) ?? [...this.#names].find(([id]) => containerId.length >= 12 && id.startsWith(containerId))?.[1]
    if (name === undefined) void this.refresh()
    return name
  }

  async refresh (): Promise<void> {
    if (this.#fetching || Date.now() - this.#lastFetch < REFETCH_MS) return
    this.#fetching = true
    this.#lastFetch = Date.now()
    try {
      this.#names = containerNamesFromTaskMetadata(await fetchTaskMetadata(this.#uri))
    } catch (err) {
      this.#log.warn({ code: 'SW_ERR_PROC', err }, 'could not read container names from the ECS task metadata')
    } finally {
      this.#fetching = false
    }
  }
}
