/**
 * The alert list as a file: every alert of the current filter (not just the page), newest first,
 * as a JSON array or CSV. CSV cells that a spreadsheet would read as a formula (= + - @, tab, CR
 * first) are prefixed with an apostrophe: alert text is attacker text.
 */
import type { Database as Db } from 'better-sqlite3'
import type { ServerResponse } from 'node:http'
import { eachAlert, type AlertFilter, type AlertRow } from './alerts-query'

const FIELDS = ['seq', 'id', 'ts', 'priority', 'rule', 'service', 'container', 'task', 'count', 'state', 'output'] as const satisfies ReadonlyArray<keyof AlertRow>

export function exportAlerts (db: Db, filter: AlertFilter, format: 'json' | 'csv', res: ServerResponse, headers: Record<string, string>): void {
  const stamp = new Date().toISOString().replace(/[:.]/g, '-')
  res.writeHead(200, {
    ...headers,
    'content-type': format === 'json' ? 'application/json; charset=utf-8' : 'text/csv; charset=utf-8',
    'content-disposition': `attachment; filename="sidewatch-alerts-${stamp}.${format}"`,
  })
  const chunks: string[] = []
  let first = true
  if (format === 'csv') chunks.push(FIELDS.join(',') + '\r\n')
  else chunks.push('[')
  for (const row of eachAlert(db, filter)) {
    if (format === 'csv') chunks.push(FIELDS.map((f) => csvCell(row[f])).join(',') + '\r\n')
    else { chunks.push((first ? '\n' : ',\n') + JSON.stringify(Object.fromEntries(FIELDS.map((f) => [f, row[f]])))); first = false }
    if (chunks.length >= 1000) res.write(chunks.splice(0).join(''))
  }
  if (format === 'json') chunks.push('\n]\n')
  res.end(chunks.join(''))
}

export function csvCell (value: unknown): string {
  if (value === null || value === undefined) return ''
  let text = String(value)
  if (/^[=+\-@\t\r]/.test(text)) text = `'${text}`
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text
}
