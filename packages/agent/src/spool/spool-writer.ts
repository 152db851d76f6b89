/**
 * Where the agent's sources write: events go into the spool (durable before write() resolves, so
 * an SDK's batch is acknowledged only once it is on disk) and the sink pumps are woken. When the
 * spool's bound made it drop records a sink had not read, an `alert` event says so (and the
 * counts are in agent.stats): losing events must never be silent.
 */
import { randomUUID } from 'node:crypto'
import { hostname } from 'node:os'
import type { SidewatchEvent } from '@sidewatch/proto'
import { AgentError } from '../errors'
import type { Logger } from '../log'
import type { SinkPump } from './sink-pump'
import type { Spool } from './spool'
import { spoolRecordText } from './spool-record'

export class SpoolWriter {
  readonly #spool: Spool
  readonly #pumps: readonly SinkPump[]
  readonly #log: Logger
  readonly #maxBytes: number
  #dropped = 0

  constructor (spool: Spool, pumps: readonly SinkPump[], log: Logger, maxBytes: number) {
    this.#spool = spool
    this.#pumps = pumps
    this.#log = log
    this.#maxBytes = maxBytes
  }

  async write (events: readonly SidewatchEvent[]): Promise<void> {
    if (events.length === 0) return
    try {
      this.#spool.append(events.map(spoolRecordText))
    } catch (err) {
      throw err instanceof AgentError ? err : new AgentError('SW_ERR_SPOOL', `cannot write to the spool: ${(err as Error).message}`, { cause: err })
    }
    this.#checkDropped()
    for (const pump of this.#pumps) pump.notify()
  }

  /** Counters for agent.stats (component `spool`). */
  counters (): Record<string, number> {
    const s = this.#spool.stats()
    const out: Record<string, number> = { bytes: s.bytes, segments: s.segments, appended: s.appended, torn: s.torn }
    for (const [sink, n] of Object.entries(s.dropped)) out[`dropped.${sink}`] = n
    for (const [sink, n] of Object.entries(s.backlog)) out[`backlog.${sink}`] = n
    for (const pump of this.#pumps) {
      out[`sent.${pump.sink.name}`] = pump.stats.sent
      out[`failures.${pump.sink.name}`] = pump.stats.failures
    }
    return out
  }

  #checkDropped (): void {
    const total = this.#spool.droppedTotal
    if (total <= this.#dropped) return
    const dropped = this.#spool.dropped
    const lost = Object.entries(dropped).filter(([, n]) => n > 0).map(([sink, n]) => `${n} for ${sink}`).join(', ')
    this.#dropped = total
    this.#log.error({ code: 'SW_ERR_SPOOL', dropped }, 'the spool is full: the oldest events were dropped')
    const alert = {
      id: randomUUID(),
      ts: new Date().toISOString(),
      source: 'agent',
      host: hostname(),
      pid: process.pid,
      kind: 'alert',
      alert: {
        rule: 'Spool full: events dropped',
        priority: 'error',
        output: `The agent's spool reached its bound of ${this.#maxBytes} bytes and dropped its oldest events (so far: ${lost}); a sink is down or too slow.`,
        tags: ['sidewatch', 'data_loss'],
        evidence: [],
        dedup_key: 'spool-full',
        count: 1,
      },
    } as SidewatchEvent
    this.#spool.append([spoolRecordText(alert)])
  }
}
