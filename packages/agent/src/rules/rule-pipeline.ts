/**
 * The rules as the running agent uses them: every event the agent stores passes through
 * `process()` (joined by the correlator, then evaluated), and the alerts it returns are stored
 * beside the events. `reload()` (SIGHUP) reads the rule files again and swaps the new set in only
 * when it has no problems; otherwise the last good set stays and the problems are returned for
 * the log. A timer closes fold windows on the clock (so a folded count is not held until the next
 * matching event) and writes the new_value state.
 */
import type { SidewatchEvent } from '@sidewatch/proto'
import { AgentError } from '../errors'
import { Correlator } from './correlator'
import type { AnyEvent } from './fields'
import { loadRules } from './load-rules'
import type { RuleProblem } from './rule-file'
import { RuleEngine, type Alert } from './rule-engine'
import type { RuleSet } from './rule-set'

export interface RulePipelineOptions {
  /** The user's rule files and directories, after the shipped pack. */
  paths: readonly string[]
  /** Leave out the shipped pack. */
  noDefaults?: boolean
  /** new_value state file. */
  statePath?: string
}

export interface RuleLoad { rules: number, files: number, problems: RuleProblem[] }

export class RulePipeline {
  readonly #options: RulePipelineOptions
  readonly #correlator = new Correlator()
  #engine: RuleEngine
  #set: RuleSet
  #timer: NodeJS.Timeout | undefined
  reloads = 0
  reloadFailures = 0

  /** Throws SW_ERR_RULES when the rules have problems at start-up. */
  constructor (options: RulePipelineOptions) {
    this.#options = options
    const set = this.#load()
    if (set.problems.length > 0) throw problemsError(set.problems)
    this.#set = set
    this.#engine = new RuleEngine(set, { statePath: options.statePath })
  }

  get rules (): number { return this.#set.rules.filter((r) => r.enabled).length }
  get stateError (): string | undefined { return this.#engine.stateError }
  get stats (): Record<string, number> {
    return { ...this.#engine.stats, rules: this.rules, reloads: this.reloads, reload_failures: this.reloadFailures, ...prefixed('joined_', this.#correlator.sizes) }
  }

  /** Joins and evaluates events; returns the alerts they made (and any fold windows that closed). */
  process (events: readonly SidewatchEvent[]): Alert[] {
    const alerts: Alert[] = []
    for (const event of events) {
      if (event.kind === 'alert' || event.kind === 'agent.stats') continue
      const e = event as unknown as AnyEvent
      this.#correlator.join(e)
      alerts.push(...this.#engine.evaluate(e))
    }
    return alerts
  }

  /** Reads the rule files again; keeps the current set when the new one has problems. */
  reload (): RuleLoad {
    const set = this.#load()
    if (set.problems.length > 0) {
      this.reloadFailures++
      return { rules: this.rules, files: set.files.length, problems: set.problems }
    }
    this.#engine.save()
    this.#set = set
    this.#engine = new RuleEngine(set, { statePath: this.#options.statePath })
    this.reloads++
    return { rules: this.rules, files: set.files.length, problems: [] }
  }

  /** Every `intervalMs`: close fold windows that ended, save state, forget old joins. */
  start (intervalMs: number, onAlerts: (alerts: Alert[]) => void): void {
    this.#timer = setInterval(() => {
      const now = Date.now()
      const closed = this.#engine.tick(now)
      if (closed.length > 0) onAlerts(closed)
      this.#correlator.prune(now)
      this.#engine.save()
    }, intervalMs).unref()
  }

  /** Stops the timer; returns the alerts of the fold windows still open. */
  stop (): Alert[] {
    clearInterval(this.#timer)
    const last = this.#engine.flush()
    this.#engine.save()
    return last
  }

  #load (): RuleSet & { files: string[] } {
    return loadRules(this.#options.paths, { defaults: this.#options.noDefaults !== true })
  }
}

export function problemsError (problems: RuleProblem[]): AgentError {
  return new AgentError('SW_ERR_RULES', `the rules have ${problems.length} problem${problems.length === 1 ? '' : 's'}: ${problems.map((p) => `${p.file}:${p.line}:${p.col}: ${p.message}`).join('; ')}`)
}

function prefixed (prefix: string, values: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.entries(values).map(([k, v]) => [prefix + k, v]))
}
