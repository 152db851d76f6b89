/**
 * One alert: what fired and why (the rule's description and output, MITRE tags), the evidence of
 * every layer, the decisions taken, the form to take one, and — once it is a false positive —
 * the exception to add to the user's rule file.
 */
import type { Database as Db } from 'better-sqlite3'
import type { AnyEvent } from '../rules/fields'
import { getAlert } from './alerts-query'
import { DECISIONS, listDecisions } from './dispositions'
import { loadEvidence } from './evidence'
import { eventLink, evidenceCard, processChain } from './evidence-view'
import { suggestException } from './exception-suggestion'
import { mitreTags, priorityClass, showState, showTask, showTime, stateClass } from './format'
import { html, type SafeHtml } from './html'

export interface DetailContext { csrf: string, who: string, dedup: Map<string, string[]> }

/** The page body, or undefined when there is no alert `seq`. */
export function alertDetailView (db: Db, seq: number, ctx: DetailContext, error?: string): { title: string, body: SafeHtml } | undefined {
  const row = getAlert(db, seq)
  if (row === undefined) return undefined
  const event = JSON.parse((db.prepare('SELECT json FROM events WHERE seq = ?').get(seq) as { json: string }).json) as Record<string, any>
  const alert = (event.alert ?? {}) as Record<string, any>
  const context = alert.context as Record<string, any> | undefined
  const tags = Array.isArray(alert.tags) ? alert.tags as unknown[] : []
  const mitre = mitreTags(tags)
  const evidence = loadEvidence(db, Array.isArray(alert.evidence) ? alert.evidence.filter((x: unknown): x is string => typeof x === 'string') : [])
  const decisions = listDecisions(db, seq)
  const trigger = evidence.events[0]
  const suggestion = row.state === 'false_positive' ? suggestException(row.rule, seq, trigger?.event as AnyEvent | undefined, ctx.dedup.get(row.rule)) : undefined
  const body = html`
<p><a href="/alerts">← all alerts</a></p>
<h1 id="alert-rule">${row.rule}</h1>
<p class="badges"><span class="${priorityClass(row.priority)}">${row.priority}</span> <span class="${stateClass(row.state)}" id="alert-state">${showState(row.state)}</span>
  ${row.count > 1 ? html`<span class="count">${row.count} folded repeats</span>` : ''}</p>
<dl class="facts">
  <dt>time</dt><dd>${showTime(row.ts)}</dd>
  <dt>service</dt><dd>${row.service ?? ''}</dd>
  <dt>container</dt><dd>${row.container ?? ''}</dd>
  <dt>task</dt><dd title="${row.task ?? ''}">${showTask(row.task)}</dd>
  <dt>alert event</dt><dd>${eventLink(row.id, row.id)}</dd>
</dl>
<section class="card why">
<h2>Why it fired</h2>
${typeof context?.explanation === 'string' ? html`<p class="desc" id="rule-desc">${context.explanation}</p>` : ''}
<pre class="output" id="alert-output">${row.output}</pre>
<p class="tags">MITRE ATT&amp;CK: ${mitre.length === 0 ? 'none tagged' : mitre.map((t) => html`<span class="tag mitre">${t}</span> `)}
  ${tags.filter((t) => typeof t === 'string' && !mitre.includes(t)).map((t) => html`<span class="tag">${String(t)}</span> `)}</p>
${context?.cloudtrail !== undefined ? html`<p>CloudTrail: ${String(context.cloudtrail.event_name ?? '')} by ${String(context.cloudtrail.principal ?? '')} from ${String(context.cloudtrail.source_ip ?? '')}</p>` : ''}
</section>
<h2>Evidence</h2>
${processChain(context)}
${evidence.events.map(evidenceCard)}
${evidence.requests.map(evidenceCard)}
${evidence.missing.length > 0 ? html`<p class="missing">Not in this store: ${evidence.missing.map((id) => html`<code>${id}</code> `)}</p>` : ''}
${suggestion !== undefined
  ? html`<section class="card exception"><h2>Suggested exception</h2>
<p>Add this to your rule file (<code>--rules FILE</code>) so the same thing does not alert again; it matches the event that fired this alert by ${suggestion.fields.join(', ')}.</p>
<pre id="exception-yaml">${suggestion.yaml}</pre>
<button type="button" class="copy" data-copy="exception-yaml">Copy YAML</button></section>`
  : row.state === 'false_positive' ? html`<p>No exception can be suggested: the event that fired this alert is not in the store or has no identifying field.</p>` : ''}
<section class="card decisions">
<h2>Decisions</h2>
${decisions.length === 0 ? html`<p>None yet.</p>` : html`<table class="decisions"><thead><tr><th>When</th><th>Who</th><th>Decision</th><th>Note</th></tr></thead><tbody>
${decisions.map((d) => html`<tr><td class="time">${showTime(d.at)}</td><td>${d.who}</td><td>${showState(d.state)}</td><td class="note">${d.note}</td></tr>`)}
</tbody></table>`}
${error !== undefined ? html`<p class="error" role="alert">${error}</p>` : ''}
<form method="post" action="/alerts/${seq}/decision" class="decide" id="decide">
  <input type="hidden" name="csrf" value="${ctx.csrf}">
  <fieldset><legend>Decide</legend>
  ${DECISIONS.map((d, i) => html`<label><input type="radio" name="state" value="${d}"${i === 0 ? html` checked` : ''}> ${d === 'acknowledged' ? 'Acknowledge' : d === 'resolved' ? 'Resolve' : 'False positive'}</label>`)}
  </fieldset>
  <label>Note <textarea name="note" rows="3" cols="60" maxlength="4000"></textarea></label>
  <label>Your name <input type="text" name="who" value="${ctx.who}" maxlength="100" required></label>
  <button type="submit">Record decision</button>
</form>
</section>`
  return { title: row.rule, body }
}
