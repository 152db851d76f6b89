/**
 * The activity view: events and alerts per minute over the last hour (server-drawn SVG, no
 * script), the top outbound destinations and the top processes started in the last hour, and the
 * traffic between the task's own containers (intra-task flows, which VPC flow logs never show).
 */
import type { Database as Db } from 'better-sqlite3'
import { showBytes } from './format'
import { html, type SafeHtml } from './html'

const HOUR = 3_600_000
const MINUTE = 60_000

export interface Activity {
  fromMinute: number
  events: number[]
  alerts: number[]
  destinations: Array<{ dst: string, dport: number, flows: number, out: number, in: number }>
  processes: Array<{ exe: string, starts: number, containers: string }>
  intraTask: Array<{ container: string | null, exe: string | null, dst: string, dport: number, flows: number, out: number, in: number }>
}

export function readActivity (db: Db, nowMs = Date.now()): Activity {
  const since = nowMs - HOUR
  const fromMinute = Math.floor(since / MINUTE) + 1
  const perMinute = (sql: string): number[] => {
    const counts = new Array<number>(60).fill(0)
    for (const r of db.prepare(sql).all(since) as Array<{ m: number, n: number }>) {
      const i = r.m - fromMinute
      if (i >= 0 && i < 60) counts[i] = r.n
    }
    return counts
  }
  const flows = "FROM events WHERE kind = 'net.flow' AND ts_ms >= ?"
  return {
    fromMinute,
    events: perMinute("SELECT ts_ms / 60000 AS m, count(*) AS n FROM events WHERE ts_ms >= ? AND kind NOT IN ('alert', 'agent.stats') GROUP BY m"),
    alerts: perMinute('SELECT ts_ms / 60000 AS m, count(*) AS n FROM alerts WHERE ts_ms >= ? GROUP BY m'),
    destinations: db.prepare(`SELECT json_extract(json, '$.flow.dst') AS dst, json_extract(json, '$.flow.dport') AS dport, count(*) AS flows,
      sum(json_extract(json, '$.flow.src_bytes')) AS out, sum(json_extract(json, '$.flow.dst_bytes')) AS "in"
      ${flows} AND json_extract(json, '$.flow.scope') = 'outbound' GROUP BY dst, dport ORDER BY flows DESC, out DESC LIMIT 10`).all(since) as Activity['destinations'],
    processes: db.prepare(`SELECT json_extract(json, '$.process.exe') AS exe, count(*) AS starts, group_concat(DISTINCT container) AS containers
      FROM events WHERE kind = 'process.start' AND ts_ms >= ? AND exe IS NOT NULL GROUP BY exe ORDER BY starts DESC LIMIT 10`).all(since) as Activity['processes'],
    intraTask: db.prepare(`SELECT container, json_extract(json, '$.flow.process.exe') AS exe, json_extract(json, '$.flow.dst') AS dst, json_extract(json, '$.flow.dport') AS dport,
      count(*) AS flows, sum(json_extract(json, '$.flow.src_bytes')) AS out, sum(json_extract(json, '$.flow.dst_bytes')) AS "in"
      ${flows} AND json_extract(json, '$.flow.scope') = 'intra-task' GROUP BY container, exe, dst, dport ORDER BY flows DESC LIMIT 20`).all(since) as Activity['intraTask'],
  }
}

export function activityView (db: Db, nowMs = Date.now()): SafeHtml {
  const a = readActivity(db, nowMs)
  return html`
<h1>Activity <small class="summary">last hour</small></h1>
<h2>Per minute</h2>
${chart('Events per minute', a.events, a.fromMinute, '#0b5cad', 'chart-events')}
${chart('Alerts per minute', a.alerts, a.fromMinute, '#b3261e', 'chart-alerts')}
<div class="grid2">
<section><h2>Top destinations</h2>
<table id="top-destinations"><thead><tr><th>Destination</th><th>Flows</th><th>Bytes out</th><th>Bytes in</th></tr></thead><tbody>
${a.destinations.map((d) => html`<tr><td><a href="/search?q=${encodeURIComponent(`flow.dst:${String(d.dst)} flow.dport:${String(d.dport)}`)}">${String(d.dst)}:${String(d.dport)}</a></td><td class="num">${d.flows}</td><td class="num">${showBytes(d.out)}</td><td class="num">${showBytes(d.in)}</td></tr>`)}
</tbody></table>${a.destinations.length === 0 ? html`<p>No outbound flows in the last hour.</p>` : ''}</section>
<section><h2>Top processes</h2>
<table id="top-processes"><thead><tr><th>Executable</th><th>Starts</th><th>Containers</th></tr></thead><tbody>
${a.processes.map((p) => html`<tr><td><a href="/search?q=${encodeURIComponent(`kind:process.start process.exe:"${p.exe.replaceAll('"', '')}"`)}"><code>${p.exe}</code></a></td><td class="num">${p.starts}</td><td>${p.containers ?? ''}</td></tr>`)}
</tbody></table>${a.processes.length === 0 ? html`<p>No processes started in the last hour.</p>` : ''}</section>
</div>
<section><h2>Between the task's containers</h2>
<table id="intra-task"><thead><tr><th>From container</th><th>Process</th><th>To</th><th>Flows</th><th>Bytes out</th><th>Bytes in</th></tr></thead><tbody>
${a.intraTask.map((f) => html`<tr><td>${f.container ?? '?'}</td><td><code>${f.exe ?? '?'}</code></td><td>${String(f.dst)}:${String(f.dport)}</td><td class="num">${f.flows}</td><td class="num">${showBytes(f.out)}</td><td class="num">${showBytes(f.in)}</td></tr>`)}
</tbody></table>${a.intraTask.length === 0 ? html`<p>No intra-task flows in the last hour.</p>` : ''}</section>`
}

/** 60 bars, one per minute, with the maximum and the time axis labelled. */
function chart (label: string, counts: number[], fromMinute: number, color: string, id: string): SafeHtml {
  const W = 1100
  const H = 160
  const left = 50
  const bottom = 20
  const max = Math.max(1, ...counts)
  const bw = (W - left - 10) / counts.length
  const time = (i: number): string => new Date((fromMinute + i) * MINUTE).toISOString().slice(11, 16)
  return html`<svg class="chart" id="${id}" viewBox="0 0 ${W} ${H}" role="img" aria-label="${label}, last 60 minutes, at most ${max}">
<text x="4" y="14">${label} (max ${max})</text>
<line x1="${left}" y1="${H - bottom}" x2="${W - 10}" y2="${H - bottom}" stroke="#d7dde3"/>
${counts.map((n, i) => {
    const h = Math.round((n / max) * (H - bottom - 24))
    return html`<rect x="${(left + i * bw + 1).toFixed(1)}" y="${H - bottom - h}" width="${(bw - 2).toFixed(1)}" height="${h}" fill="${color}"><title>${time(i)} UTC: ${n}</title></rect>`
  })}
${[0, 15, 30, 45, 59].map((i) => html`<text x="${(left + i * bw).toFixed(1)}" y="${H - 5}">${time(i)}</text>`)}
</svg>`
}
