/**
 * The alert list: alerts (the `alerts` table the store keeps beside the alert events) filtered by
 * priority (this one and the more urgent ones), rule, container, triage state and time range,
 * newest first, a page at a time, with the total count.
 */
import type { Database as Db } from 'better-sqlite3'
import { AgentError } from '../errors'
import { PRIORITIES, type Priority } from '../rules/rule-file'
import { parsePage, parseTime } from './time-range'

export const ALERT_STATES = ['new', 'acknowledged', 'resolved', 'false_positive'] as const
export type AlertState = typeof ALERT_STATES[number]
export const PAGE_SIZE = 50

export interface AlertFilter {
  priority?: Priority
  rule?: string
  container?: string
  state?: AlertState
  sinceMs?: number
  untilMs?: number
  page: number
}

export interface AlertRow {
  seq: number
  id: string
  ts: string
  rule: string
  priority: string
  container: string | null
  task: string | null
  service: string | null
  count: number
  state: AlertState
  output: string
}

export interface AlertPage { rows: AlertRow[], total: number, page: number, pages: number }

/** The filter in a query string (`priority`, `rule`, `container`, `state`, `since`, `until`, `page`). */
export function parseAlertFilter (params: URLSearchParams, nowMs = Date.now()): AlertFilter {
  const filter: AlertFilter = { page: parsePage(params.get('page')) }
  const text = (name: string): string | undefined => {
    const v = params.get(name)
    return v === null || v.trim() === '' ? undefined : v.trim()
  }
  const priority = text('priority')
  if (priority !== undefined) {
    if (!(PRIORITIES as readonly string[]).includes(priority)) throw new AgentError('SW_ERR_BAD_QUERY', `priority ${JSON.stringify(priority.slice(0, 100))} is not one of ${PRIORITIES.join(', ')}`)
    filter.priority = priority as Priority
  }
  const state = text('state')
  if (state !== undefined) {
    if (!(ALERT_STATES as readonly string[]).includes(state)) throw new AgentError('SW_ERR_BAD_QUERY', `state ${JSON.stringify(state.slice(0, 100))} is not one of ${ALERT_STATES.join(', ')}`)
    filter.state = state as AlertState
  }
  const rule = text('rule')
  if (rule !== undefined) filter.rule = rule
  const container = text('container')
  if (container !== undefined) filter.container = container
  const since = text('since')
  if (since !== undefined) filter.sinceMs = parseTime('since', since, nowMs)
  const until = text('until')
  if (until !== undefined) filter.untilMs = parseTime('until', until, nowMs)
  return filter
}

/** The query string of a filter (without the page unless asked), for links and the export. */
export function filterQuery (params: URLSearchParams, page?: number): string {
  const out = new URLSearchParams()
  for (const name of ['priority', 'rule', 'container', 'state', 'since', 'until']) {
    const v = params.get(name)
    if (v !== null && v.trim() !== '') out.set(name, v.trim())
  }
  if (page !== undefined && page > 1) out.set('page', String(page))
  const s = out.toString()
  return s === '' ? '' : `?${s}`
}

function conditions (filter: Omit<AlertFilter, 'page'>): { where: string, params: unknown[] } {
  const where: string[] = []
  const params: unknown[] = []
  if (filter.priority !== undefined) {
    const urgent = PRIORITIES.slice(0, PRIORITIES.indexOf(filter.priority) + 1)
    where.push(`a.priority IN (${urgent.map(() => '?').join(', ')})`)
    params.push(...urgent)
  }
  if (filter.rule !== undefined) { where.push('a.rule = ?'); params.push(filter.rule) }
  if (filter.container !== undefined) { where.push('a.container = ?'); params.push(filter.container) }
  if (filter.state !== undefined) { where.push('a.state = ?'); params.push(filter.state) }
  if (filter.sinceMs !== undefined) { where.push('a.ts_ms >= ?'); params.push(filter.sinceMs) }
  if (filter.untilMs !== undefined) { where.push('a.ts_ms < ?'); params.push(filter.untilMs) }
  return { where: where.length === 0 ? '' : `WHERE ${where.join(' AND ')}`, params }
}

const COLUMNS = `a.seq, e.id, e.ts, a.rule, a.priority, a.container, a.task, a.service, a.count, a.state,
  coalesce(json_extract(e.json, '$.alert.output'), '') AS output`

export function listAlerts (db: Db, filter: AlertFilter, pageSize = PAGE_SIZE): AlertPage {
  const { where, params } = conditions(filter)
  const total = (db.prepare(`SELECT count(*) AS n FROM alerts a ${where}`).get(...params) as { n: number }).n
  const pages = Math.max(1, Math.ceil(total / pageSize))
  // The page is chosen in the alerts table alone; only its rows are joined to their events (joining
  // first would read every matching event's row before sorting and skipping).
  const rows = db.prepare(`SELECT ${COLUMNS} FROM (SELECT * FROM alerts a ${where}
    ORDER BY a.ts_ms DESC, a.seq DESC LIMIT ? OFFSET ?) a JOIN events e ON e.seq = a.seq
    ORDER BY a.ts_ms DESC, a.seq DESC`).all(...params, pageSize, (filter.page - 1) * pageSize) as AlertRow[]
  return { rows, total, page: filter.page, pages }
}

/** Every alert of the filter, newest first, for the export (at most `max`). */
export function * eachAlert (db: Db, filter: AlertFilter, max = 1_000_000): Generator<AlertRow> {
  const { where, params } = conditions(filter)
  yield * db.prepare(`SELECT ${COLUMNS} FROM alerts a JOIN events e ON e.seq = a.seq ${where}
    ORDER BY a.ts_ms DESC, a.seq DESC LIMIT ?`).iterate(...params, max) as Iterable<AlertRow>
}

/** One alert by its sequence number. */
export function getAlert (db: Db, seq: number): AlertRow | undefined {
  return db.prepare(`SELECT ${COLUMNS} FROM alerts a JOIN events e ON e.seq = a.seq WHERE a.seq = ?`).get(seq) as AlertRow | undefined
}

/** How many alerts matching the filter arrived after `afterSeq`, and the newest seq (live updates). */
export function newerAlerts (db: Db, filter: AlertFilter, afterSeq: number): { count: number, newest: number } {
  const { where, params } = conditions(filter)
  const row = db.prepare(`SELECT count(*) AS count, coalesce(max(a.seq), ?) AS newest FROM alerts a
    ${where === '' ? 'WHERE' : `${where} AND`} a.seq > ?`).get(afterSeq, ...params, afterSeq) as { count: number, newest: number }
  return row
}

export function newestAlertSeq (db: Db): number {
  return (db.prepare('SELECT coalesce(max(seq), 0) AS s FROM alerts').get() as { s: number }).s
}

/** The values the filter menus offer: rules and containers that have alerts. */
export function filterChoices (db: Db): { rules: string[], containers: string[] } {
  const rules = (db.prepare('SELECT DISTINCT rule FROM alerts ORDER BY rule LIMIT 500').all() as Array<{ rule: string }>).map((r) => r.rule)
  const containers = (db.prepare('SELECT DISTINCT container FROM alerts WHERE container IS NOT NULL ORDER BY container LIMIT 500').all() as Array<{ container: string }>).map((r) => r.container)
  return { rules, containers }
}
