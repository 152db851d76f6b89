// Benchmark (issue 11): the console over a big store. 100,000 alerts among 5,000,000 events
// (BENCH_EVENTS / BENCH_ALERTS to change), generated with SQL in batches of 100,000 straight into
// a store made by the agent's own migrations (so the alerts table is filled by its trigger, and
// the full-text text is the agent's flattenText of each event's JSON, through a SQL function).
// The store is kept in .cache/console-bench/ and reused while its parameters match.
//
// Timed, as the console answers them: the alert list page (the page query and its count) with no
// filter, by state, rule, priority and container, and deep in the list (page 1,000); full-text
// searches (a rare word, a word in 30% of the events, a phrase, a field term, a word with a kind
// and time filter) with their capped count. Each figure is the median and the worst of 15 runs of
// the query functions, after one warm-up, and the median of 15 whole HTTP answers
// (GET with a bearer token to a ConsoleServer on loopback: query + HTML + transfer). Goal: every
// answer under 200 ms.
import { createRequire } from 'node:module'
import { existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

const require = createRequire(import.meta.url)
const root = fileURLToPath(new URL('..', import.meta.url))
const dist = (p) => require(join(root, 'packages/agent/dist', p))
const Database = require(join(root, 'node_modules/better-sqlite3'))
const { migrate } = dist('store/schema.js')
const { flattenText } = dist('store/flatten.js')
const { listAlerts, parseAlertFilter } = dist('console/alerts-query.js')
const { searchStore, parseSearchRequest } = dist('console/search-query.js')
const { openConsoleStore } = dist('console/console-store.js')
const { ConsoleServer } = dist('console/server.js')

const EVENTS = Number(process.env.BENCH_EVENTS ?? 5_000_000)
const ALERTS = Number(process.env.BENCH_ALERTS ?? 100_000)
const RUNS = Number(process.env.BENCH_ROUNDS ?? 15)
const GOAL_MS = 200
const BATCH = 100_000
const SPAN_MS = 7 * 86_400_000
const dir = join(root, '.cache', 'console-bench')
const file = join(dir, `store-${EVENTS}-${ALERTS}.db`)
const NOW = Date.parse('2026-11-28T12:00:00.000Z')
const T0 = NOW - SPAN_MS

function fill () {
  mkdirSync(dir, { recursive: true })
  for (const f of [file, `${file}-wal`, `${file}-shm`]) rmSync(f, { force: true })
  const db = new Database(file)
  db.pragma('journal_mode = OFF')
  db.pragma('synchronous = OFF')
  db.pragma('cache_size = -262144')
  migrate(db)
  db.function('flatten', { deterministic: true }, (json) => flattenText(JSON.parse(json)))
  const every = Math.max(1, Math.floor(EVENTS / ALERTS))
  // One row per i: an alert every `every` rows, else a flow (40%), an HTTP request (30%), a process
  // start (20%) or a file access (10%), with values drawn from small vocabularies by i.
  const insert = db.prepare(`WITH RECURSIVE s(i) AS (SELECT CAST(? AS INTEGER) UNION ALL SELECT i + 1 FROM s WHERE i < CAST(? AS INTEGER)),
    r AS (SELECT i, CAST(? + i * ? AS INTEGER) AS ms, 'c' || ((i / 7) % 12) AS container, 'svc' || (i % 8) AS service,
      CASE WHEN i % CAST(? AS INTEGER) = 0 THEN 'alert' WHEN i % 10 < 4 THEN 'net.flow' WHEN i % 10 < 7 THEN 'http.request' WHEN i % 10 < 9 THEN 'process.start' ELSE 'fs.op' END AS kind FROM s)
    INSERT INTO events (seq, id, ts, ts_ms, kind, source, service, container, json)
    SELECT i, 'e' || i, strftime('%Y-%m-%dT%H:%M:%fZ', ms / 1000.0, 'unixepoch'), ms, kind,
      CASE kind WHEN 'alert' THEN 'rules' WHEN 'net.flow' THEN 'agent.net' WHEN 'process.start' THEN 'agent.proc' ELSE 'node-asm' END, service, container,
      json_object('id', 'e' || i, 'ts', strftime('%Y-%m-%dT%H:%M:%fZ', ms / 1000.0, 'unixepoch'), 'kind', kind, 'source',
        CASE kind WHEN 'alert' THEN 'rules' WHEN 'net.flow' THEN 'agent.net' WHEN 'process.start' THEN 'agent.proc' ELSE 'node-asm' END,
        'service', service, 'container', container,
        'task', json_object('arn', 'arn:aws:ecs:eu-west-1:111122223333:task/shop/' || printf('%032x', i % 40), 'family', 'shop'),
        CASE kind WHEN 'net.flow' THEN 'flow' WHEN 'http.request' THEN 'http' WHEN 'process.start' THEN 'process' WHEN 'fs.op' THEN 'fs' ELSE 'alert' END, CASE kind
          WHEN 'alert' THEN json_object('rule', 'Rule number ' || (i % 23), 'priority',
              CASE i % 7 WHEN 0 THEN 'critical' WHEN 1 THEN 'error' WHEN 2 THEN 'notice' ELSE 'warning' END,
              'output', 'rule ' || (i % 23) || ' fired for pid ' || (i % 30000) || ' in container ' || container || ' to 203.0.' || (i % 250) || '.' || (i % 7),
              'evidence', json_array('e' || (i - 1)), 'dedup_key', 'k' || (i % 1000), 'count', 1 + i % 5, 'tags', json_array('T1059', 'process'))
          WHEN 'net.flow' THEN json_object('proto', 'tcp', 'src', '10.0.0.5', 'sport', 30000 + i % 30000, 'dst', '203.0.' || (i % 250) || '.' || (i % 7),
              'dport', CASE (i / 10) % 5 WHEN 0 THEN 443 WHEN 1 THEN 80 WHEN 2 THEN 5432 WHEN 3 THEN 6379 ELSE 4444 END, 'first', ms / 1000.0, 'last', ms / 1000.0 + 1,
              'src_pkts', 1 + i % 40, 'src_bytes', i % 100000, 'dst_pkts', 1 + i % 30, 'dst_bytes', (i * 7) % 100000, 'end', 'fin',
              'scope', CASE i % 9 WHEN 0 THEN 'intra-task' WHEN 1 THEN 'inbound' ELSE 'outbound' END)
          WHEN 'http.request' THEN json_object('method', CASE i % 4 WHEN 0 THEN 'POST' ELSE 'GET' END, 'url', '/api/orders/' || (i % 100000) || '?page=' || (i % 9),
              'route', '/api/orders/:id', 'status', CASE i % 50 WHEN 0 THEN 500 WHEN 1 THEN 404 ELSE 200 END, 'duration_ms', i % 300,
              'user_agent', CASE i % 1000 WHEN 5 THEN 'sqlmap/1.7.2#stable (https://sqlmap.org)' ELSE 'Mozilla/5.0 (X11; Linux x86_64) Chrome/120.0 Safari/537.36' END)
          WHEN 'process.start' THEN json_object('pid', i % 30000, 'ppid', 1 + i % 50,
              'exe', CASE i % 6 WHEN 0 THEN '/usr/local/bin/node' WHEN 1 THEN '/usr/bin/python3' WHEN 2 THEN '/bin/sh' WHEN 3 THEN '/usr/bin/curl' WHEN 4 THEN '/usr/sbin/nginx' ELSE '/app/bin/worker' END,
              'sha256', printf('%064x', i % 97), 'cmdline', json_array('worker', '--job', 'job-' || (i % 5000)), 'user', 'app', 'uid', 1000, 'gid', 1000)
          ELSE json_object('op', 'readFile', 'path', '/srv/data/file-' || (i % 20000) || '.json')
        END)
    FROM r`)
  const index = db.prepare('INSERT INTO events_fts (rowid, text) SELECT seq, flatten(json) FROM events WHERE seq BETWEEN ? AND ?')
  const started = Date.now()
  for (let from = 1; from <= EVENTS; from += BATCH) {
    const to = Math.min(EVENTS, from + BATCH - 1)
    db.transaction(() => {
      insert.run(from, to, T0, SPAN_MS / EVENTS, every)
      index.run(from, to)
    })()
    if ((to / BATCH) % 10 === 0) process.stderr.write(`  ${to.toLocaleString('en')} events, ${((Date.now() - started) / 1000).toFixed(0)} s\n`)
  }
  // A tenth of the alerts triaged, as a console in use would have them.
  db.exec("UPDATE alerts SET state = CASE seq % 3 WHEN 0 THEN 'acknowledged' WHEN 1 THEN 'resolved' ELSE 'false_positive' END WHERE seq % 10 = 3")
  db.exec('ANALYZE')
  db.pragma('journal_mode = WAL')
  db.close()
  return (Date.now() - started) / 1000
}

function time (fn) {
  fn()
  const ms = []
  for (let i = 0; i < RUNS; i++) {
    const t = process.hrtime.bigint()
    fn()
    ms.push(Number(process.hrtime.bigint() - t) / 1e6)
  }
  ms.sort((a, b) => a - b)
  return { median: ms[Math.floor(ms.length / 2)], max: ms[ms.length - 1] }
}

async function timeHttp (url, token) {
  const get = async () => { const res = await fetch(url, { headers: { authorization: `Bearer ${token}` } }); await res.text(); if (res.status !== 200) throw new Error(`${url}: ${res.status}`) }
  await get()
  const ms = []
  for (let i = 0; i < RUNS; i++) {
    const t = process.hrtime.bigint()
    await get()
    ms.push(Number(process.hrtime.bigint() - t) / 1e6)
  }
  ms.sort((a, b) => a - b)
  return ms[Math.floor(ms.length / 2)]
}

const stamp = join(dir, `store-${EVENTS}-${ALERTS}.ok`)
let fillSeconds
if (!existsSync(file) || !existsSync(stamp)) {
  process.stderr.write(`filling ${file} with ${EVENTS.toLocaleString('en')} events (${ALERTS.toLocaleString('en')} alerts)...\n`)
  fillSeconds = fill()
  writeFileSync(stamp, JSON.stringify({ seconds: fillSeconds }))
} else {
  fillSeconds = JSON.parse(readFileSync(stamp, 'utf8')).seconds
}

const db = openConsoleStore(file)
const counts = db.prepare("SELECT (SELECT count(*) FROM events) AS events, (SELECT count(*) FROM alerts) AS alerts").get()
const token = 'console-benchmark-token'
const server = await ConsoleServer.start({ db, host: '127.0.0.1', port: 0, token })
const alertCases = [
  ['newest page, no filter', ''],
  ['state = new', 'state=new'],
  ['one rule', 'rule=Rule+number+7'],
  ['priority critical', 'priority=critical'],
  ['one container', 'container=c5'],
  ['rule + container + last 24 h', 'rule=Rule+number+7&container=c3&since=24h'],
  ['page 1,000 (offset 49,950)', 'page=1000'],
]
const searchCases = [
  ['rare word (sqlmap, 0.1%)', 'q=sqlmap'],
  ['common word (orders, 30%)', 'q=orders'],
  ['phrase', 'q=%22%2Fusr%2Fbin%2Fcurl%22'],
  ['field term flow.dport:4444', 'q=flow.dport%3A4444'],
  ['an address + kind + last hour', 'q=203.0.13.5&kind=net.flow&since=1h'],
  ['an address + kind + last 3 days', 'q=203.0.13.5&kind=net.flow&since=3d'],
]
const rows = []
for (const [name, query] of alertCases) {
  const params = new URLSearchParams(query)
  let result
  const q = time(() => { result = listAlerts(db, parseAlertFilter(params, NOW)) })
  rows.push({ view: 'alerts', name, total: result.total, ...q, http: await timeHttp(`${server.url}/alerts?${query}`, token) })
}
for (const [name, query] of searchCases) {
  const params = new URLSearchParams(query)
  let result
  const q = time(() => { result = searchStore(db, parseSearchRequest(params, NOW)) })
  rows.push({ view: 'search', name, total: result.capped ? `> ${result.count}` : result.count, ...q, http: await timeHttp(`${server.url}/search?${query}`, token) })
}
await server.close()
db.close()

const size = statSync(file).size
console.log(`store: ${counts.events.toLocaleString('en')} events, ${counts.alerts.toLocaleString('en')} alerts, ${(size / 2 ** 30).toFixed(2)} GiB (filled in ${Math.round(fillSeconds)} s)`)
console.log('| view | query | matches | query median ms | query max ms | HTTP page median ms |')
console.log('|---|---|---|---|---|---|')
for (const r of rows) console.log(`| ${r.view} | ${r.name} | ${typeof r.total === 'number' ? r.total.toLocaleString('en') : r.total} | ${r.median.toFixed(1)} | ${r.max.toFixed(1)} | ${r.http.toFixed(1)} |`)
const worst = Math.max(...rows.map((r) => Math.max(r.max, r.http)))
console.log(`worst answer ${worst.toFixed(1)} ms; goal < ${GOAL_MS} ms: ${worst < GOAL_MS ? 'met' : 'NOT met'}`)
console.log(JSON.stringify({ events: counts.events, alerts: counts.alerts, store_bytes: size, fill_seconds: fillSeconds, worst_ms: worst, goal_met: worst < GOAL_MS, cases: rows }))
