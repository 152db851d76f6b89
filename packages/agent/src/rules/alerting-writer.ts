/**
 * The agent's event path with rules: every batch from every source (SDK connections, flows,
 * processes) goes through the rule pipeline, and the batch is stored together with the alerts it
 * made. A rule that throws is a bug, not a reason to lose events: the batch is stored without
 * alerts, and the failure logged (SW_ERR_RULES) and counted.
 */
import type { SidewatchEvent } from '@sidewatch/proto'
import type { Logger } from '../log'
import type { RulePipeline } from './rule-pipeline'

export interface EventWriter { write (events: readonly SidewatchEvent[]): Promise<void> }

export class AlertingWriter implements EventWriter {
  readonly #store: EventWriter
  readonly #rules: RulePipeline
  readonly #log: Logger
  failures = 0

  constructor (store: EventWriter, rules: RulePipeline, log: Logger) {
    this.#store = store
    this.#rules = rules
    this.#log = log
  }

  async write (events: readonly SidewatchEvent[]): Promise<void> {
    let alerts: SidewatchEvent[] = []
    try {
      alerts = this.#rules.process(events) as unknown as SidewatchEvent[]
    } catch (err) {
      this.failures++
      this.#log.error({ code: 'SW_ERR_RULES', err }, 'the rules failed on a batch; it is stored without alerts')
    }
    await this.#store.write(alerts.length === 0 ? events : [...events, ...alerts])
  }
}
