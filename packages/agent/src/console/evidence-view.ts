/**
 * Evidence cards: for each layer the facts a person judges an alert by — the process and its
 * parent chain with executable hashes, the flow with bytes each way, the HTTP request and the
 * attack input, the CloudTrail record — each linking to the raw event. Everything is text.
 */
import { summarize } from '../commands/summary'
import type { SidewatchEvent } from '@sidewatch/proto'
import type { StoredEvent } from './evidence'
import { showBytes, showTime } from './format'
import { html, type SafeHtml } from './html'

type Row = [string, unknown]

export function eventLink (id: string, label = 'raw event'): SafeHtml {
  return html`<a class="raw" href="/events/${encodeURIComponent(id)}">${label}</a>`
}

export function evidenceCard (e: StoredEvent): SafeHtml {
  const ev = e.event
  return html`<section class="card evidence" data-kind="${e.kind}">
<h3>${title(e.kind)} <small>${showTime(String(ev.ts))}</small> ${eventLink(e.id)}</h3>
${facts(rows(ev))}
${e.kind === 'cloudtrail' ? cloudtrailParams(ev) : ''}
</section>`
}

/** The process chain an alert carries in its context (joined by the agent). */
export function processChain (context: Record<string, any> | undefined): SafeHtml {
  const proc = context?.process
  if (proc === undefined) return html``
  const chain = [proc, ...(Array.isArray(context?.parents) ? context.parents : [])] as Array<Record<string, any>>
  return html`<section class="card chain"><h3>Process and parent chain</h3><ol class="chain">
${chain.map((p, i) => html`<li><span class="what">${i === 0 ? 'process' : i === 1 ? 'parent' : `ancestor ${i}`}</span>
  <code>${p.exe ?? p.name ?? '?'}</code> pid ${p.pid ?? '?'}${p.user !== undefined ? ` as ${String(p.user)}` : ''}
  ${p.cmdline !== undefined ? html`<div class="cmd"><code>${p.cmdline}</code></div>` : ''}
  <div class="hash">sha256 <code>${p.sha256 ?? 'unknown'}</code></div>
  ${typeof p.event_id === 'string' ? eventLink(p.event_id) : ''}</li>`)}
</ol></section>`
}

function facts (list: Row[]): SafeHtml {
  const shown = list.filter(([, v]) => v !== undefined && v !== null && v !== '')
  return html`<dl class="facts">${shown.map(([k, v]) => html`<dt>${k}</dt><dd>${typeof v === 'object' ? JSON.stringify(v) : String(v)}</dd>`)}</dl>`
}

function title (kind: string): string {
  return ({ 'process.start': 'Process started', 'process.exit': 'Process exited', 'process.exec': 'Child process (SDK)', 'net.flow': 'Network flow', 'http.request': 'HTTP request', 'http.client': 'Outbound HTTP call', attack: 'Attack input', 'fs.op': 'File access', cloudtrail: 'CloudTrail record', 'login.ssh': 'SSH login', 'sshd.presence': 'SSH server' } as Record<string, string>)[kind] ?? kind
}

function rows (ev: Record<string, any>): Row[] {
  const where: Row[] = [['service', ev.service], ['container', ev.container], ['source', ev.source]]
  switch (ev.kind) {
    case 'process.start':
    case 'process.exit': {
      const p = ev.process ?? {}
      return [['executable', p.exe], ['sha256', p.sha256], ['command line', Array.isArray(p.cmdline) ? p.cmdline.join(' ') : undefined], ['pid', p.pid], ['parent pid', p.ppid],
        ['user', p.user ?? p.uid], ['terminal', p.tty], ['working directory', p.cwd], ['exit code', p.exit_code], ...where]
    }
    case 'process.exec': {
      const x = ev.exec ?? {}
      return [['command line', x.command_line], ['API', x.method], ['through a shell', x.shell], ['file', x.file], ['pid', x.pid], ['blocked', x.blocked], ['request', ev.request_id], ...where]
    }
    case 'net.flow': {
      const f = ev.flow ?? {}
      return [['flow', `${String(f.proto)} ${String(f.src)}:${String(f.sport)} → ${String(f.dst)}:${String(f.dport)}`], ['scope', f.scope],
        ['bytes out (from the initiator)', `${showBytes(f.src_bytes)} in ${String(f.src_pkts)} packets`], ['bytes in (from the responder)', `${showBytes(f.dst_bytes)} in ${String(f.dst_pkts)} packets`],
        ['ended', f.end], ['process', f.process?.exe], ['process sha256', f.process?.sha256], ['pid', f.process?.pid], ...where]
    }
    case 'http.request': {
      const h = ev.http ?? {}
      return [['request', `${String(h.method)} ${String(h.url)}`], ['route', h.route], ['status', h.status], ['client', h.client?.address], ['user agent', h.user_agent], ['blocked', h.blocked], ['request id', ev.request_id], ...where]
    }
    case 'attack': {
      const a = ev.attack ?? {}
      return [['class', a.class], ['reached', a.sink], ['input', `${String(a.input?.source ?? '')} ${String(a.input?.name)}`], ['input value', a.input?.value], ['argument', a.target],
        ['request', a.request === undefined ? undefined : `${String(a.request.method ?? '')} ${String(a.request.url ?? '')}`], ['code', a.frame], ['blocked', a.blocked], ['request id', ev.request_id], ...where]
    }
    case 'cloudtrail': {
      const c = ev.cloudtrail ?? {}
      return [['call', `${String(c.event_source)} ${String(c.event_name)}`], ['principal', c.principal], ['from', c.source_ip], ['region', c.region], ['error', c.error_code],
        ['user agent', c.record?.userAgent], ['CloudTrail event id', c.event_id]]
    }
    default:
      return [['summary', safeSummary(ev)], ...where]
  }
}

function cloudtrailParams (ev: Record<string, any>): SafeHtml {
  const params = ev.cloudtrail?.record?.requestParameters
  if (params === undefined || params === null) return html``
  return html`<h4>Request parameters</h4><pre class="json">${JSON.stringify(params, null, 2)}</pre>`
}

function safeSummary (ev: Record<string, any>): string {
  try { return summarize(ev as SidewatchEvent) } catch { return '' }
}
