/** The search view: the query form, the count and a page of matching events, newest first. */
import type { Database as Db } from 'better-sqlite3'
import type { SidewatchEvent } from '@sidewatch/proto'
import { EVENT_KINDS } from '@sidewatch/proto/schema'
import { summarize } from '../commands/summary'
import { eventLink } from './evidence-view'
import { showTime } from './format'
import { html, type SafeHtml } from './html'
import { COUNT_CAP, SEARCH_PAGE_SIZE, parseSearchRequest, searchStore, type SearchResult } from './search-query'

export function searchView (db: Db, params: URLSearchParams, error?: string): SafeHtml {
  let result: SearchResult | undefined
  let page = 1
  if (error === undefined && params.has('q')) {
    const req = parseSearchRequest(params)
    page = req.page
    result = searchStore(db, req)
  }
  const kind = params.get('kind') ?? ''
  return html`
<h1>Search</h1>
<form method="get" action="/search" class="filters" id="search-form">
  <label class="grow">Query <input type="search" name="q" value="${params.get('q') ?? ''}" size="50" placeholder='curl  /etc/passwd  kind:net.flow  flow.dport:443  http.user_agent:"sqlmap"'></label>
  <label>Kind <select name="kind"><option value="">any</option>${EVENT_KINDS.map((k) => html`<option value="${k}"${k === kind ? html` selected` : ''}>${k}</option>`)}</select></label>
  <label>From <input type="text" name="since" value="${params.get('since') ?? ''}" placeholder="1h or 2026-01-31T12:00" size="16"></label>
  <label>To <input type="text" name="until" value="${params.get('until') ?? ''}" placeholder="now" size="16"></label>
  <label><input type="checkbox" name="raw" value="1"${params.get('raw') === '1' ? html` checked` : ''}> FTS5 syntax</label>
  <button type="submit">Search</button>
</form>
<p class="hint">Words match anywhere in an event (all must match); <code>"a phrase"</code>; <code>kind:</code>, <code>service:</code>, <code>container:</code>, <code>source:</code>, <code>id:</code>; any field path such as <code>flow.dport:443</code> or <code>attack.input.name:query.host</code>. With FTS5 syntax: AND, OR, NOT, NEAR, prefix*.</p>
${error !== undefined ? html`<p class="error" role="alert" id="search-error">${error}</p>` : ''}
${result === undefined ? '' : resultsView(result, params, page)}`
}

function resultsView (result: SearchResult, params: URLSearchParams, page: number): SafeHtml {
  const link = (n: number, label: string): SafeHtml => {
    const p = new URLSearchParams(params)
    p.set('page', String(n))
    return html`<a href="/search?${p.toString()}">${label}</a>`
  }
  const more = result.capped || result.count > page * SEARCH_PAGE_SIZE
  return html`
<p class="summary" id="result-count">${result.capped ? `more than ${COUNT_CAP.toLocaleString('en')}` : result.count} matching event${result.count === 1 ? '' : 's'}${page > 1 ? ` · page ${page}` : ''}</p>
<table class="events">
<thead><tr><th>Time</th><th>Kind</th><th>Service / container</th><th>Summary</th><th></th></tr></thead>
<tbody>
${result.events.map(({ event }) => html`<tr>
  <td class="time">${showTime(event.ts)}</td><td>${event.kind}</td><td>${event.service ?? ''}${event.service !== undefined && event.container !== undefined ? ' / ' : ''}${event.container ?? ''}</td>
  <td class="output">${safeSummary(event)}</td><td>${eventLink(event.id)}</td>
</tr>`)}
</tbody>
</table>
<nav class="pages">${page > 1 ? link(page - 1, '← newer') : ''} ${more ? link(page + 1, 'older →') : ''}</nav>`
}

function safeSummary (event: SidewatchEvent): string {
  try { return summarize(event) } catch { return '' }
}
