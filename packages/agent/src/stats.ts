/**
 * agent.stats events: the agent's own counters every `stats_interval` and once at shutdown, and
 * the drop count an SDK reports in its hello.
 */
import { randomUUID } from 'node:crypto'
import { hostname } from 'node:os'
import type { AgentStatsEvent } from '@sidewatch/proto'
import type { Logger } from './log'
import type { AgentMetrics } from './metrics'

export function statsEvent (component: string, counters: Record<string, number>,
  envelope: Partial<Omit<AgentStatsEvent, 'kind' | 'stats'>> = {}): AgentStatsEvent {
  return {
    id: randomUUID(),
    ts: new Date().toISOString(),
    source: 'agent',
    ...envelope,
    kind: 'agent.stats',
    stats: { component, counters },
  }
}

export interface StatsWriter { write (events: readonly AgentStatsEvent[]): Promise<void> }

/** Counters of other components (e.g. `capture`), read at each report; absent ones are skipped. */
export type ComponentCounters = () => Record<string, Record<string, number>>

export class StatsReporter {
  #timer: NodeJS.Timeout | undefined
  #components: ComponentCounters[] = []
  #metrics: AgentMetrics
  #sinks: StatsWriter
  #log: Logger

  constructor (metrics: AgentMetrics, sinks: StatsWriter, log: Logger) {
    this.#metrics = metrics
    this.#sinks = sinks
    this.#log = log
  }

  /** Reports `read()`'s components too, one agent.stats event each. */
  addComponents (read: ComponentCounters): void {
    this.#components.push(read)
  }

  start (intervalMs: number): void {
    this.#timer = setInterval(() => { void this.report() }, intervalMs).unref()
  }

  /** Stops the timer and writes the last report. */
  async stop (): Promise<void> {
    clearInterval(this.#timer)
    await this.report()
  }

  async report (): Promise<void> {
    const envelope = { pid: process.pid, host: hostname() }
    const events = [statsEvent('agent', this.#metrics.snapshot(), envelope)]
    for (const read of this.#components) {
      try {
        for (const [component, counters] of Object.entries(read())) events.push(statsEvent(component, counters, envelope))
      } catch (err) {
        this.#log.error({ err }, 'could not read component counters')
      }
    }
    try {
      await this.#sinks.write(events)
    } catch (err) {
      this.#log.error({ code: 'SW_ERR_SINK', err }, 'could not write agent stats')
    }
  }
}
