/**
 * Runs a compiled rule set over events and makes alerts.
 *
 * - Rules are indexed by the event kinds they can match, so an event is tested only against the
 *   rules that could fire on it (a rule whose condition does not pin a kind is tried on all).
 * - Time is the event's own (`ts`), so replaying a file gives the same alerts as living it.
 * - Folding: the first match of a dedup key alerts at once; repeats inside the rule's fold window
 *   are counted, and when the window closes one more alert says how many there were (count) and
 *   which events (evidence, up to 32 ids).
 * - new_value: during the learning window (from the first event the engine saw, or the time kept
 *   in its state file) the values are learned; after it, a value never seen before alerts once
 *   (mode `first`), or every event with a value not learned passes on (mode `unlearned`, e.g. to
 *   a threshold: volume to destinations the task never used while learning).
 *   The learned values survive restarts in a JSON state file (written atomically).
 * - threshold: the sum (or count) of matching events per group over a sliding window; alerts when
 *   it goes over the limit, once, until the sum falls back under it.
 */
import { randomUUID } from 'node:crypto'
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs'
import { dirname } from 'node:path'
import { contextOf } from './correlator'
import type { AnyEvent } from './fields'
import type { CompiledRule, RuleSet } from './rule-set'

export interface Alert {
  id: string
  ts: string
  source: 'rules'
  kind: 'alert'
  service?: string
  container?: string
  host?: string
  task?: Record<string, unknown>
  alert: {
    rule: string
    priority: CompiledRule['priority']
    output: string
    tags?: string[]
    evidence: string[]
    dedup_key: string
    count: number
    context?: Record<string, unknown>
  }
}

export interface RuleEngineOptions {
  /** JSON file keeping new_value baselines and learning start across restarts. */
  statePath?: string
  /** At most this many learned values per rule (default 100,000); past it new values alert but are not kept. */
  maxLearned?: number
  /** At most this many open fold windows (default 10,000); past it the oldest is closed early. */
  maxFolds?: number
}

export interface RuleEngineStats {
  events: number
  matches: number
  alerts: number
  folded: number
  learned: number
}

interface Fold { rule: CompiledRule, key: string, startMs: number, repeats: number, evidence: string[], sample: AnyEvent }
interface Window { entries: Array<[number, number]>, sum: number, over: boolean }

const MAX_EVIDENCE = 32
const STATE_VERSION = 1

export class RuleEngine {
  readonly #byKind = new Map<string, CompiledRule[]>()
  readonly #anyKind: CompiledRule[] = []
  /** Rules for cloudtrail events, by the event names they pin, and those that pin none. */
  readonly #byCtName = new Map<string, CompiledRule[]>()
  readonly #ctAnyName: CompiledRule[] = []
  readonly #folds = new Map<string, Fold>()
  readonly #learned = new Map<string, Set<string>>()
  readonly #windows = new Map<string, Map<string, Window>>()
  readonly #options: Required<Omit<RuleEngineOptions, 'statePath'>> & { statePath?: string }
  #learningSinceMs: number | undefined
  #dirty = false
  /** The latest event time seen (what a flush stamps its alerts with). */
  #lastEventMs = -Infinity
  /** Why the state file could not be used, when it could not (the engine then starts afresh). */
  readonly stateError: string | undefined
  readonly stats: RuleEngineStats = { events: 0, matches: 0, alerts: 0, folded: 0, learned: 0 }

  constructor (set: RuleSet, options: RuleEngineOptions = {}) {
    this.#options = { maxLearned: options.maxLearned ?? 100_000, maxFolds: options.maxFolds ?? 10_000, statePath: options.statePath }
    for (const rule of set.rules) {
      if (!rule.enabled) continue
      if (rule.kinds === undefined) { this.#anyKind.push(rule); continue }
      if (rule.kinds.has('cloudtrail')) {
        if (rule.ctNames === undefined) this.#ctAnyName.push(rule)
        else for (const name of rule.ctNames) this.#byCtName.set(name, [...(this.#byCtName.get(name) ?? []), rule])
      }
      for (const kind of rule.kinds) {
        if (kind === 'cloudtrail') continue
        const list = this.#byKind.get(kind) ?? []
        list.push(rule)
        this.#byKind.set(kind, list)
      }
    }
    this.stateError = options.statePath === undefined ? undefined : this.#load(options.statePath)
  }

  /** The alerts this event makes now (folded repeats come later, from tick()). */
  evaluate (event: AnyEvent): Alert[] {
    this.stats.events++
    const nowMs = eventTime(event)
    if (nowMs > this.#lastEventMs) this.#lastEventMs = nowMs
    this.#learningSinceMs ??= nowMs
    const alerts: Alert[] = this.tick(nowMs)
    if (event.kind === 'cloudtrail') {
      // Most CloudTrail rules are about one API call or a few: only theirs are tried.
      const named = this.#byCtName.get(event.cloudtrail?.event_name)
      if (named !== undefined) for (const rule of named) this.#try(rule, event, nowMs, alerts)
      for (const rule of this.#ctAnyName) this.#try(rule, event, nowMs, alerts)
    } else {
      const rules = this.#byKind.get(event.kind)
      if (rules !== undefined) for (const rule of rules) this.#try(rule, event, nowMs, alerts)
    }
    for (const rule of this.#anyKind) this.#try(rule, event, nowMs, alerts)
    return alerts
  }

  /** Closes the fold windows that ended by `nowMs`: one alert for each that had repeats. */
  tick (nowMs: number): Alert[] {
    const out: Alert[] = []
    for (const [key, fold] of this.#folds) {
      if (fold.startMs + fold.rule.foldMs > nowMs) break // Map order = opening order; windows differ per rule, close enough
      this.#folds.delete(key)
      // Stamped when the window closed, or — closed early, at flush — at the latest event time.
      if (fold.repeats > 0) out.push(this.#alert(fold.rule, fold.sample, fold.key, fold.repeats, fold.evidence, Math.min(fold.startMs + fold.rule.foldMs, Math.max(nowMs === Infinity ? this.#lastEventMs : nowMs, fold.startMs)), true))
    }
    return out
  }

  /** Closes every fold window (at shutdown or the end of input). */
  flush (): Alert[] {
    return this.tick(Infinity)
  }

  /** Writes the learned values if they changed. */
  save (): void {
    const path = this.#options.statePath
    if (path === undefined || !this.#dirty) return
    const state = { version: STATE_VERSION, learning_since: this.#learningSinceMs, learned: Object.fromEntries([...this.#learned].map(([rule, values]) => [rule, [...values]])) }
    mkdirSync(dirname(path), { recursive: true })
    const tmp = `${path}.${process.pid}.tmp`
    writeFileSync(tmp, JSON.stringify(state))
    renameSync(tmp, path)
    this.#dirty = false
  }

  #try (rule: CompiledRule, event: AnyEvent, nowMs: number, alerts: Alert[]): void {
    if (!rule.test(event)) return
    this.stats.matches++
    if (rule.newValue !== undefined && !this.#isNew(rule, event, nowMs)) return
    if (rule.threshold !== undefined && !this.#crosses(rule, event, nowMs)) return
    const key = `${rule.name}\u0000${rule.dedupKey(event)}`
    const fold = this.#folds.get(key)
    if (fold !== undefined && nowMs < fold.startMs + rule.foldMs) {
      fold.repeats++
      if (fold.evidence.length < MAX_EVIDENCE) fold.evidence.push(event.id)
      fold.sample = event
      this.stats.folded++
      return
    }
    if (fold !== undefined) {
      this.#folds.delete(key)
      if (fold.repeats > 0) alerts.push(this.#alert(rule, fold.sample, fold.key, fold.repeats, fold.evidence, fold.startMs + rule.foldMs, true))
    }
    if (this.#folds.size >= this.#options.maxFolds) {
      const [oldestKey, oldest] = this.#folds.entries().next().value as [string, Fold]
      this.#folds.delete(oldestKey)
      if (oldest.repeats > 0) alerts.push(this.#alert(oldest.rule, oldest.sample, oldest.key, oldest.repeats, oldest.evidence, nowMs, true))
    }
    const dedup = rule.dedupKey(event)
    this.#folds.set(key, { rule, key: dedup, startMs: nowMs, repeats: 0, evidence: [], sample: event })
    alerts.push(this.#alert(rule, event, dedup, 1, [event.id], nowMs, false))
  }

  #isNew (rule: CompiledRule, event: AnyEvent, nowMs: number): boolean {
    const nv = rule.newValue as NonNullable<CompiledRule['newValue']>
    const value = nv.key(event)
    if (value === undefined) return false
    let learned = this.#learned.get(rule.name)
    if (learned === undefined) { learned = new Set(); this.#learned.set(rule.name, learned) }
    const learning = nowMs < (this.#learningSinceMs as number) + nv.learnMs
    if (nv.mode === 'unlearned') {
      // Every event whose value was not seen while learning passes (a threshold may follow).
      if (learning && !learned.has(value) && learned.size < this.#options.maxLearned) {
        learned.add(value)
        this.stats.learned++
        this.#dirty = true
      }
      return !learning && !learned.has(value)
    }
    if (learned.has(value)) return false
    if (learned.size < this.#options.maxLearned) {
      learned.add(value)
      this.stats.learned++
      this.#dirty = true
    }
    return nowMs >= (this.#learningSinceMs as number) + nv.learnMs
  }

  #crosses (rule: CompiledRule, event: AnyEvent, nowMs: number): boolean {
    const th = rule.threshold as NonNullable<CompiledRule['threshold']>
    let groups = this.#windows.get(rule.name)
    if (groups === undefined) { groups = new Map(); this.#windows.set(rule.name, groups) }
    const group = th.group(event)
    let w = groups.get(group)
    if (w === undefined) {
      if (groups.size >= this.#options.maxFolds) groups.delete(groups.keys().next().value as string)
      w = { entries: [], sum: 0, over: false }
      groups.set(group, w)
    }
    const amount = th.amount(event)
    w.entries.push([nowMs, amount])
    w.sum += amount
    while (w.entries.length > 0 && (w.entries[0] as [number, number])[0] <= nowMs - th.windowMs) w.sum -= (w.entries.shift() as [number, number])[1]
    if (w.sum > th.over) {
      if (w.over) return false
      w.over = true
      return true
    }
    w.over = false
    return false
  }

  /** An alert for `event`; `repeats` for the one closing a fold window (count = the repeats folded). */
  #alert (rule: CompiledRule, event: AnyEvent, dedupKey: string, count: number, evidence: string[], atMs: number, repeats: boolean): Alert {
    this.stats.alerts++
    const alert: Alert = {
      id: randomUUID(),
      ts: new Date(Number.isFinite(atMs) ? atMs : Date.now()).toISOString(),
      source: 'rules',
      kind: 'alert',
      alert: {
        rule: rule.name,
        priority: rule.priority,
        output: repeats ? `${rule.output.render(event)} (repeated ${count} more time${count === 1 ? '' : 's'} within ${rule.foldMs / 1000} s)` : rule.output.render(event),
        evidence: [...evidence],
        dedup_key: dedupKey.slice(0, 1024),
        count,
      },
    }
    if (rule.tags.length > 0) alert.alert.tags = rule.tags
    const context: Record<string, unknown> = {}
    if (rule.desc !== '') context.explanation = rule.desc
    const joined = contextOf(event)
    if (joined !== undefined && joined.related.length > 0) {
      const { related, ...rest } = joined
      Object.assign(context, rest, { related })
      for (const id of related) if (alert.alert.evidence.length < 256 && !alert.alert.evidence.includes(id)) alert.alert.evidence.push(id)
    }
    if (event.kind === 'cloudtrail') {
      // Who did what, from the record (the alert's evidence holds its event id, ct-<eventID>).
      const ct = event.cloudtrail as Record<string, unknown>
      context.cloudtrail = { event_id: ct.event_id, event_name: ct.event_name, event_source: ct.event_source, principal: ct.principal, source_ip: ct.source_ip, region: ct.region }
    }
    if (Object.keys(context).length > 0) alert.alert.context = context
    for (const key of ['service', 'container', 'host', 'task'] as const) if (event[key] !== undefined) (alert as unknown as Record<string, unknown>)[key] = event[key]
    return alert
  }

  /** Reads the state file; returns why it could not be used (a missing file is a first start). */
  #load (path: string): string | undefined {
    let text: string
    try {
      text = readFileSync(path, 'utf8')
    } catch (err) {
      return (err as NodeJS.ErrnoException).code === 'ENOENT' ? undefined : `cannot read ${path}: ${(err as Error).message}`
    }
    let state: { version?: unknown, learning_since?: unknown, learned?: unknown }
    try {
      state = JSON.parse(text)
    } catch (err) {
      return `${path} is not JSON (${(err as Error).message}); learning starts afresh`
    }
    if (state.version !== STATE_VERSION || typeof state.learned !== 'object' || state.learned === null) return `${path} is not a rule state file of version ${STATE_VERSION}; learning starts afresh`
    if (typeof state.learning_since === 'number') this.#learningSinceMs = state.learning_since
    for (const [rule, values] of Object.entries(state.learned as Record<string, unknown>)) {
      if (Array.isArray(values)) this.#learned.set(rule, new Set(values.filter((v): v is string => typeof v === 'string')))
    }
    return undefined
  }
}

/** The last `ts` read and its time: events come in bursts that share one (CloudTrail's are to the second). */
let lastTs = ''
let lastMs = 0

function eventTime (event: AnyEvent): number {
  const ts = event.ts
  if (ts === lastTs) return lastMs
  const t = typeof ts === 'string' ? Date.parse(ts) : NaN
  if (!Number.isFinite(t)) return Date.now()
  lastTs = ts
  lastMs = t
  return t
}
