/**
 * Fans every batch out to all configured sinks. A batch counts as taken only when every sink took
 * it, so the client is not acknowledged for events one sink lost.
 */
import type { SidewatchEvent } from '@sidewatch/proto'
import type { Logger } from '../log'
import type { RawBatch, Sink } from './sink'

export class SinkSet {
  readonly sinks: readonly Sink[]
  #log: Logger

  constructor (sinks: readonly Sink[], log: Logger) {
    this.sinks = sinks
    this.#log = log
  }

  /**
   * `raw`, when given, is the same events as their JSON (the collector's, as received): sinks
   * that take JSON as it is get that instead of serialising the events again.
   */
  async write (events: readonly SidewatchEvent[], raw?: RawBatch): Promise<void> {
    if (events.length === 0) return
    const results = await Promise.allSettled(this.sinks.map((sink) => raw !== undefined && sink.writeRaw !== undefined ? sink.writeRaw(raw) : sink.write(events)))
    const failed = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected')
    if (failed.length > 0) throw failed[0]?.reason
  }

  /** Flushes every sink; a failing sink is logged and does not stop the others. */
  async flush (): Promise<void> {
    await this.#each('flush', (sink) => sink.flush())
  }

  async close (): Promise<void> {
    await this.#each('close', (sink) => sink.close())
  }

  async #each (what: string, fn: (sink: Sink) => Promise<void>): Promise<void> {
    await Promise.all(this.sinks.map(async (sink) => {
      try {
        await fn(sink)
      } catch (err) {
        this.#log.error({ code: 'SW_ERR_SINK', sink: sink.name, err }, `sink ${what} failed`)
      }
    }))
  }
}
