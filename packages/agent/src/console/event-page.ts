/** One stored event as it was received: the raw JSON, as text. */
import type { Database as Db } from 'better-sqlite3'
import { getEvent } from './evidence'
import { showTime } from './format'
import { html, type SafeHtml } from './html'

export function eventView (db: Db, id: string): { title: string, body: SafeHtml } | undefined {
  const e = getEvent(db, id)
  if (e === undefined) return undefined
  const alertSeq = e.kind === 'alert' ? e.seq : undefined
  return {
    title: `${e.kind} ${e.id}`,
    body: html`<h1>Event <code>${e.id}</code></h1>
<dl class="facts"><dt>kind</dt><dd>${e.kind}</dd><dt>time</dt><dd>${showTime(String(e.event.ts))}</dd><dt>source</dt><dd>${String(e.event.source ?? '')}</dd></dl>
${alertSeq !== undefined ? html`<p><a href="/alerts/${alertSeq}">this alert's page</a></p>` : ''}
<p><a href="/search?q=${encodeURIComponent(`"${e.id}"`)}">events that mention this id</a></p>
<pre class="json" id="raw-json">${JSON.stringify(e.event, null, 2)}</pre>`,
  }
}
