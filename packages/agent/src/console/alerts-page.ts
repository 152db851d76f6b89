/** The alert list view: the filter form, the export links, a page of alerts, live updates. */
import type { Database as Db } from 'better-sqlite3'
import { PRIORITIES } from '../rules/rule-file'
import { ALERT_STATES, filterChoices, filterQuery, listAlerts, newestAlertSeq, parseAlertFilter, type AlertPage } from './alerts-query'
import { priorityClass, showState, showTask, showTime, stateClass } from './format'
import { html, type SafeHtml } from './html'

export function alertsView (db: Db, params: URLSearchParams, error?: string): SafeHtml {
  let list: AlertPage | undefined
  if (error === undefined) list = listAlerts(db, parseAlertFilter(params))
  const choices = filterChoices(db)
  const query = filterQuery(params)
  const option = (name: string, value: string, label: string): SafeHtml =>
    html`<option value="${value}"${params.get(name) === value ? html` selected` : ''}>${label}</option>`
  const select = (name: string, label: string, values: readonly string[], show: (v: string) => string = (v) => v): SafeHtml => html`
    <label>${label} <select name="${name}">${option(name, '', 'any')}${values.map((v) => option(name, v, show(v)))}</select></label>`
  const text = (name: string, label: string, hint: string): SafeHtml =>
    html`<label>${label} <input type="text" name="${name}" value="${params.get(name) ?? ''}" placeholder="${hint}" size="16"></label>`
  const newest = newestAlertSeq(db)
  return html`
<h1>Alerts</h1>
<form method="get" action="/alerts" class="filters" id="alert-filters">
  ${select('priority', 'Priority at least', PRIORITIES)}
  ${select('rule', 'Rule', choices.rules)}
  ${select('container', 'Container', choices.containers)}
  ${select('state', 'State', ALERT_STATES, showState)}
  ${text('since', 'From', '1h or 2026-01-31T12:00')}
  ${text('until', 'To', 'now')}
  <button type="submit">Filter</button>
  <a href="/alerts">Clear</a>
</form>
${error !== undefined ? html`<p class="error" role="alert">${error}</p>` : ''}
<p class="live" id="live" hidden data-url="/api/alerts/newer${query === '' ? '?' : `${query}&`}after=${newest}"><a href="/alerts${query}">New alerts: <span id="live-count">0</span> — show them</a></p>
${list === undefined ? '' : listView(list, query)}`
}

function listView (list: AlertPage, query: string): SafeHtml {
  const pageLink = (n: number, label: string): SafeHtml => html`<a href="/alerts${pageQuery(query, n)}">${label}</a>`
  return html`
<p class="summary"><span id="alert-total">${list.total}</span> alert${list.total === 1 ? '' : 's'} · page ${list.page} of ${list.pages}
  · export <a href="/alerts/export.json${query}" download>JSON</a> <a href="/alerts/export.csv${query}" download>CSV</a></p>
<table class="alerts">
<thead><tr><th>Time</th><th>Priority</th><th>Rule</th><th>Task / container</th><th>Count</th><th>State</th><th>Output</th></tr></thead>
<tbody>
${list.rows.map((a) => html`<tr>
  <td class="time">${showTime(a.ts)}</td>
  <td><span class="${priorityClass(a.priority)}">${a.priority}</span></td>
  <td><a href="/alerts/${a.seq}">${a.rule}</a></td>
  <td>${showTask(a.task)}${a.task !== null && a.container !== null ? ' / ' : ''}${a.container ?? ''}</td>
  <td class="num">${a.count}</td>
  <td><span class="${stateClass(a.state)}">${showState(a.state)}</span></td>
  <td class="output">${a.output.length > 300 ? `${a.output.slice(0, 300)}…` : a.output}</td>
</tr>`)}
</tbody>
</table>
${list.rows.length === 0 ? html`<p>No alerts match.</p>` : ''}
<nav class="pages">${list.page > 1 ? pageLink(list.page - 1, '← newer') : ''} ${list.page < list.pages ? pageLink(list.page + 1, 'older →') : ''}</nav>`
}

function pageQuery (query: string, page: number): string {
  const params = new URLSearchParams(query)
  if (page > 1) params.set('page', String(page))
  const s = params.toString()
  return s === '' ? '' : `?${s}`
}
