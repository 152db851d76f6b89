// The console's store side: the alerts table the triggers keep, the alert list's filters and
// pages, decisions, search (words, field terms, raw FTS5) and the suggested exception, which must
// compile with the shipped pack and silence the event that fired the alert.
import t from 'tap'
import Database from 'better-sqlite3'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import type { SidewatchEvent } from '@sidewatch/proto'
import { createLogger } from '../src/log'
import { SqliteSink } from '../src/sinks/sqlite'
import { openConsoleStore } from '../src/console/console-store'
import { filterChoices, getAlert, listAlerts, newerAlerts, parseAlertFilter } from '../src/console/alerts-query'
import { listDecisions, recordDecision } from '../src/console/dispositions'
import { parseSearchRequest, searchStore } from '../src/console/search-query'
import { ruleDedupFields, suggestException } from '../src/console/exception-suggestion'
import { DEFAULT_RULES_DIR, ruleFilesIn } from '../src/rules/load-rules'
import { parseRuleFile, readRuleFile } from '../src/rules/rule-file'
import { buildRuleSet } from '../src/rules/rule-set'
import type { AnyEvent } from '../src/rules/fields'
import { events } from './helpers/client'

const ctx = { log: createLogger('silent'), onError: (_sink: string, err: unknown) => { throw err } }
const T0 = Date.parse('2026-11-27T10:00:00Z')
const at = (min: number): string => new Date(T0 + min * 60_000).toISOString()

function alert (n: number, over: { rule?: string, priority?: string, container?: string, min?: number, evidence?: string[] } = {}): SidewatchEvent {
  return {
    id: `alert-${n}`, ts: at(over.min ?? n), kind: 'alert', source: 'rules', service: 'checkout', container: over.container ?? 'web',
    task: { arn: 'arn:aws:ecs:eu-west-1:111122223333:task/shop/0123456789abcdef', family: 'shop' },
    alert: { rule: over.rule ?? 'Shell injection', priority: over.priority ?? 'critical', output: `alert number ${n}`, evidence: over.evidence ?? [], dedup_key: 'k', count: 1 + (n % 3) },
  } as unknown as SidewatchEvent
}

async function store (t: { testdir: () => string }, list: SidewatchEvent[]): Promise<string> {
  const file = join(t.testdir(), 'events.db')
  const sink = await SqliteSink.open(file, ctx)
  await sink.write(list)
  await sink.close()
  return file
}

t.test('alerts are listed newest first, filtered and paged; a store from before the console migrates', async (t) => {
  const list = [
    ...Array.from({ length: 60 }, (_, i) => alert(i, { container: i % 2 === 0 ? 'web' : 'worker' })),
    alert(100, { rule: 'Path traversal', priority: 'error', min: 200 }),
    alert(101, { rule: 'Unexpected outbound destination', priority: 'notice', min: 201 }),
    events.exec(),
  ]
  const file = await store(t, list)
  const db = openConsoleStore(file)
  t.teardown(() => db.close())

  const first = listAlerts(db, parseAlertFilter(new URLSearchParams()))
  t.equal(first.total, 62)
  t.equal(first.pages, 2)
  t.equal(first.rows.length, 50)
  t.same(first.rows.slice(0, 3).map((r) => r.id), ['alert-101', 'alert-100', 'alert-59'], 'newest first')
  t.match(first.rows[2], { rule: 'Shell injection', priority: 'critical', container: 'worker', service: 'checkout', state: 'new', count: 3, output: 'alert number 59', task: /task\/shop\// })
  t.equal(listAlerts(db, parseAlertFilter(new URLSearchParams('page=2'))).rows.length, 12)
  t.same(listAlerts(db, parseAlertFilter(new URLSearchParams('priority=error'))).total, 61, 'error and more urgent')
  t.same(listAlerts(db, parseAlertFilter(new URLSearchParams('priority=notice'))).total, 62)
  t.same(listAlerts(db, parseAlertFilter(new URLSearchParams('rule=Path+traversal'))).rows.map((r) => r.id), ['alert-100'])
  t.same(listAlerts(db, parseAlertFilter(new URLSearchParams('container=worker'))).total, 30)
  const range = `since=${encodeURIComponent(at(10))}&until=${encodeURIComponent(at(20))}`
  t.same(listAlerts(db, parseAlertFilter(new URLSearchParams(range))).rows.map((r) => r.id), Array.from({ length: 10 }, (_, i) => `alert-${19 - i}`), 'since is inclusive, until exclusive')
  t.same(listAlerts(db, parseAlertFilter(new URLSearchParams('since=2026-11-27T13:20'))).total, 2, 'a datetime-local value is UTC')
  t.same(filterChoices(db), { rules: ['Path traversal', 'Shell injection', 'Unexpected outbound destination'], containers: ['web', 'worker'] })

  for (const [query, message] of [['priority=urgent', /priority "urgent" is not one of emergency, alert/], ['state=done', /state "done" is not one of new/],
    ['since=yesterday', /since "yesterday" is not a time/], ['page=0', /page "0" is not a page number/], ['page=x', /not a page number/]] as const) {
    t.throws(() => parseAlertFilter(new URLSearchParams(query)), { code: 'SW_ERR_BAD_QUERY', message }, query)
  }

  // Decisions: stored with who and when, the last one is the state, filters see it.
  const seq = first.rows[0]?.seq as number
  t.ok(recordDecision(db, seq, { state: 'acknowledged', note: 'looking', who: 'ana' }, new Date(T0)))
  t.ok(recordDecision(db, seq, { state: 'false_positive', note: 'our health check', who: 'ana' }, new Date(T0 + 1000)))
  t.notOk(recordDecision(db, 999_999, { state: 'resolved', note: '', who: 'ana' }), 'no such alert')
  t.throws(() => recordDecision(db, seq, { state: 'new', note: '', who: 'ana' }), { code: 'SW_ERR_BAD_QUERY', message: /decision "new" is not one of acknowledged, resolved, false_positive/ })
  t.throws(() => recordDecision(db, seq, { state: 'resolved', note: '', who: '  ' }), { code: 'SW_ERR_BAD_QUERY', message: /who decides/ })
  t.match(listDecisions(db, seq), [{ state: 'acknowledged', note: 'looking', who: 'ana', at: '2026-11-27T10:00:00.000Z' }, { state: 'false_positive', who: 'ana', at: '2026-11-27T10:00:01.000Z' }])
  t.equal(getAlert(db, seq)?.state, 'false_positive')
  t.same(listAlerts(db, parseAlertFilter(new URLSearchParams('state=false_positive'))).rows.map((r) => r.id), ['alert-101'])
  t.equal(listAlerts(db, parseAlertFilter(new URLSearchParams('state=new'))).total, 61)

  // Live updates: alerts stored after the page was drawn.
  const newest = first.rows[0]?.seq as number
  t.same(newerAlerts(db, parseAlertFilter(new URLSearchParams()), newest), { count: 0, newest })
  const sink = await SqliteSink.open(file, ctx)
  await sink.write([alert(300, { min: 300, container: 'worker' }), alert(301, { min: 301 })])
  await sink.close()
  t.equal(newerAlerts(db, parseAlertFilter(new URLSearchParams()), newest).count, 2)
  t.equal(newerAlerts(db, parseAlertFilter(new URLSearchParams('container=worker')), newest).count, 1)
})

t.test('a store written before the console gains the alerts table with its alerts', async (t) => {
  const file = join(t.testdir(), 'old.db')
  const db = new Database(file)
  db.exec(`CREATE TABLE schema_version (version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL);
    CREATE TABLE events (seq INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE, ts TEXT NOT NULL, ts_ms INTEGER NOT NULL, kind TEXT NOT NULL, source TEXT NOT NULL, service TEXT, container TEXT, json TEXT NOT NULL);
    CREATE VIRTUAL TABLE events_fts USING fts5 (text, content = '', contentless_delete = 1);
    INSERT INTO schema_version VALUES (1, 'then');`)
  const a = alert(1)
  db.prepare('INSERT INTO events (id, ts, ts_ms, kind, source, service, container, json) VALUES (?, ?, ?, ?, ?, ?, ?, ?)').run(a.id, a.ts, Date.parse(a.ts), 'alert', 'rules', 'checkout', 'web', JSON.stringify(a))
  db.close()
  const store = openConsoleStore(file)
  t.teardown(() => store.close())
  t.match(listAlerts(store, parseAlertFilter(new URLSearchParams())).rows, [{ id: 'alert-1', rule: 'Shell injection', count: 2 }])
})

t.test('a missing, corrupt or foreign database is a clear SW_ERR_DB', async (t) => {
  const dir = t.testdir()
  t.throws(() => openConsoleStore(join(dir, 'nope.db')), { code: 'SW_ERR_DB', message: /no event database at .*nope\.db/ })
  writeFileSync(join(dir, 'junk.db'), 'this is not sqlite at all, just text '.repeat(200))
  t.throws(() => openConsoleStore(join(dir, 'junk.db')), { code: 'SW_ERR_DB', message: /cannot use event database .*junk\.db: file is not a database/ })
  const other = new Database(join(dir, 'other.db'))
  other.exec('CREATE TABLE t (x)')
  other.close()
  t.throws(() => openConsoleStore(join(dir, 'other.db')), { code: 'SW_ERR_DB', message: /not a sidewatch event database/ })
  t.throws(() => openConsoleStore(dir), { code: 'SW_ERR_DB', message: /is a directory/ })
})

t.test('search: words, field terms, kind and time, raw FTS5, counts', async (t) => {
  const flow = { id: 'flow-1', ts: at(1), kind: 'net.flow', source: 'agent.net', container: 'web', flow: { proto: 'tcp', src: '10.0.0.5', sport: 51000, dst: '203.0.113.9', dport: 443, first: 1, last: 2, src_pkts: 3, src_bytes: 1500, dst_pkts: 2, dst_bytes: 900, end: 'fin', scope: 'outbound' } }
  const ua = { id: 'req-1', ts: at(2), kind: 'http.request', source: 'node-asm', service: 'checkout', http: { method: 'GET', url: '/cart?x=1', status: 200, user_agent: 'curl/8.0 "quoted"' } }
  const exec = events.exec({ id: 'exec-1', ts: at(3) })
  const file = await store(t, [flow, ua, exec, ...Array.from({ length: 70 }, (_, i) => events.fsOp(`/srv/data/file-${i}.txt`))] as SidewatchEvent[])
  const db = openConsoleStore(file)
  t.teardown(() => db.close())
  const search = (q: string): { ids: string[], count: number, capped: boolean } => {
    const r = searchStore(db, parseSearchRequest(new URLSearchParams(q), T0 + 3_600_000))
    return { ids: r.events.map((e) => e.event.id), count: r.count, capped: r.capped }
  }
  t.same(search('q=/etc/passwd').ids, ['exec-1'])
  t.same(search('q=203.0.113.9').ids, ['flow-1'])
  t.same(search('q=flow.dport:443').ids, ['flow-1'], 'a path term')
  t.same(search('q=flow.dport:80').ids, [], 'the path must hold the value')
  t.same(search('q=http.user_agent:"curl/8.0 ""quoted"""').ids, [], 'quotes inside a quoted value do not break out')
  t.same(search('q=kind:net.flow').ids, ['flow-1'], 'a column term alone')
  t.same(search('q=container:web 51000').ids, ['flow-1'])
  t.same(search('q="cat /etc/passwd"').ids, ['exec-1'], 'a phrase')
  t.same(search('q=passwd&kind=fs.op').ids, [])
  t.same(search(`q=checkout&since=${encodeURIComponent(at(2))}&until=${encodeURIComponent(at(3))}`).ids, ['req-1'])
  t.same(search('q=etc+OR+cart&raw=1').ids.sort(), ['exec-1', 'req-1'])
  t.same(search('q=NEAR(+OR').ids, [], 'operators are words outside raw mode')
  const files = search('q=srv+data')
  t.same([files.ids.length, files.count, files.capped], [50, 70, false], 'a page of 50 and the count')
  t.equal(search('q=srv+data&page=2').ids.length, 20)
  t.equal(search('').count, 73, 'no query lists everything')
  t.throws(() => search('q=passwd+AND+(&raw=1'), { code: 'SW_ERR_BAD_QUERY', message: /is not valid FTS5 syntax/ })
  t.throws(() => search('q=say+"hello'), { code: 'SW_ERR_BAD_QUERY', message: /unclosed quote at character 5/ })
  t.throws(() => search('q=kind:bogus'), { code: 'SW_ERR_BAD_QUERY', message: /kind:bogus is not a kind/ })
  t.throws(() => search('q=flow.dport:'), { code: 'SW_ERR_BAD_QUERY', message: /has no value/ })
  t.throws(() => search('kind=bogus'), { code: 'SW_ERR_BAD_QUERY', message: /kind "bogus" is not one of/ })
})

t.test('search: past the counted matches, pages still come from the index', async (t) => {
  const file = await store(t, Array.from({ length: 10_030 }, (_, i) => events.fsOp(`/srv/many/f-${i}.txt`)))
  const db = openConsoleStore(file)
  t.teardown(() => db.close())
  const first = searchStore(db, parseSearchRequest(new URLSearchParams('q=many')))
  t.same([first.events.length, first.count, first.capped], [50, 10_000, true], 'the count stops at 10,000')
  t.equal((first.events[0]?.event as { fs?: { path?: string } } | undefined)?.fs?.path, '/srv/many/f-10029.txt', 'newest first')
  const last = searchStore(db, parseSearchRequest(new URLSearchParams('q=many&page=201')))
  t.same(last.events.map((e) => (e.event as { fs?: { path?: string } }).fs?.path), Array.from({ length: 30 }, (_, i) => `/srv/many/f-${29 - i}.txt`), 'page 201: offset 10,000, past the cap')
  const bounded = searchStore(db, parseSearchRequest(new URLSearchParams('q=many&since=1h')))
  t.equal(bounded.count, 10_000, 'a time filter with a seq bound finds the same')
})

t.test('the suggested exception compiles with the shipped pack and silences what fired', async (t) => {
  const dedup = ruleDedupFields()
  t.same(dedup.get('Shell injection'), ['evt.service', 'attack.sink', 'attack.input.name', 'attack.input.value'])
  const attack: AnyEvent = { id: 'atk-1', ts: at(0), kind: 'attack', source: 'node-asm', service: 'checkout', attack: { class: 'shell_injection', sink: 'child_process.exec', input: { name: 'query.host', value: "x'; </pre><script>alert(1)</script>\n- rule: evil" }, blocked: false } }
  const fp = suggestException('Shell injection', 42, attack, dedup.get('Shell injection'))
  t.ok(fp)
  t.match(fp?.yaml, /^- rule: Shell injection\n {2}exceptions:\n {4}- name: console_false_positive_42\n/)
  t.same(fp?.fields, ['evt.service', 'attack.sink', 'attack.input.name', 'attack.input.value'])

  const files = ruleFilesIn([DEFAULT_RULES_DIR]).map(readRuleFile)
  const before = buildRuleSet(files).rules.find((r) => r.name === 'Shell injection')
  t.ok(before?.test(attack), 'the shipped rule fires on it')
  const tuned = buildRuleSet([...files, parseRuleFile('mine.yaml', fp?.yaml as string)])
  t.same(tuned.problems, [])
  const rule = tuned.rules.find((r) => r.name === 'Shell injection')
  t.notOk(rule?.test(attack), 'the exception silences it')
  t.ok(rule?.test({ ...attack, attack: { ...attack.attack, input: { name: 'query.host', value: 'other' } } }), 'and nothing else')

  const flow: AnyEvent = { id: 'f', ts: at(0), kind: 'net.flow', source: 'agent.net', container: 'web', flow: { proto: 'tcp', src: '10.0.0.5', sport: 1, dst: '169.254.169.254', dport: 80, src_bytes: 1, dst_bytes: 1, scope: 'outbound', process: { pid: 7, exe: '/usr/bin/curl' } } }
  const generic = suggestException('My own rule', 7, flow, undefined)
  t.same(generic?.fields, ['evt.container', 'proc.exe', 'net.dst', 'net.dport'], 'a rule without dedup: identifying fields of the kind')
  t.equal(suggestException('My own rule', 7, { id: 'x', ts: at(0), kind: 'agent.stats' }, undefined), undefined)
  t.equal(suggestException('My own rule', 7, undefined, undefined), undefined)
})
