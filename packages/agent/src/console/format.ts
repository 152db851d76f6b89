/** How values are shown on console pages (all as text; html.ts escapes them). */
import { PRIORITIES } from '../rules/rule-file'

/** `2026-11-27 10:00:00 UTC` from an RFC 3339 time or ms. */
export function showTime (ts: string | number): string {
  const d = new Date(ts)
  return Number.isNaN(d.getTime()) ? String(ts) : `${d.toISOString().slice(0, 19).replace('T', ' ')} UTC`
}

/** The task id (the last part of a task ARN), or what was stored. */
export function showTask (task: string | null | undefined): string {
  if (task === null || task === undefined || task === '') return ''
  return task.slice(task.lastIndexOf('/') + 1)
}

export function showBytes (n: unknown): string {
  if (typeof n !== 'number' || !Number.isFinite(n)) return '?'
  if (n < 1024) return `${n} B`
  const units = ['KiB', 'MiB', 'GiB', 'TiB']
  let v = n / 1024
  let i = 0
  while (v >= 1024 && i < units.length - 1) { v /= 1024; i++ }
  return `${v.toFixed(v < 10 ? 1 : 0)} ${units[i] as string}`
}

/** A CSS class for a priority: one of a fixed set, whatever the stored text is. */
export function priorityClass (priority: string): string {
  return (PRIORITIES as readonly string[]).includes(priority) ? `prio prio-${priority}` : 'prio'
}

export function showState (state: string): string {
  return state === 'false_positive' ? 'false positive' : state
}

export function stateClass (state: string): string {
  return ['new', 'acknowledged', 'resolved', 'false_positive'].includes(state) ? `state state-${state}` : 'state'
}

/** MITRE ATT&CK technique ids among a rule's tags (T1059, T1552.005). */
export function mitreTags (tags: readonly unknown[]): string[] {
  return tags.filter((t): t is string => typeof t === 'string' && /^T\d{4}(\.\d{3})?$/.test(t))
}
