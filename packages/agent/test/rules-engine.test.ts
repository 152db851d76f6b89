// The rule engine over event streams: alerts with evidence, folding of repeats, new_value
// learning that survives a restart, thresholds over a sliding window.
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import t from 'tap'
import { validateEvent } from '@sidewatch/proto/schema'
import { parseRuleFile } from '../src/rules/rule-file'
import { buildRuleSet } from '../src/rules/rule-set'
import { RuleEngine, type Alert } from '../src/rules/rule-engine'
import type { AnyEvent } from '../src/rules/fields'

const T0 = Date.parse('2026-11-27T10:00:00.000Z')
let n = 0
const at = (s: number): string => new Date(T0 + s * 1000).toISOString()
const exec = (s: number, file: string, extra: Record<string, unknown> = {}): AnyEvent =>
  ({ id: `ev-${++n}`, ts: at(s), source: 'agent.proc', kind: 'process.start', service: 'shop', container: 'app', process: { pid: 100 + n, exe: file, sha256: 'a'.repeat(64), ...extra } })
const flow = (s: number, dst: string, bytes: number): AnyEvent =>
  ({ id: `ev-${++n}`, ts: at(s), source: 'agent.net', kind: 'net.flow', flow: { proto: 'tcp', src: '169.254.170.2', sport: 40000 + n, dst, dport: 443, first: s, last: s, src_pkts: 1, src_bytes: bytes, dst_pkts: 1, dst_bytes: 40, end: 'fin', scope: 'outbound' } })

function engine (yaml: string, statePath?: string): RuleEngine {
  const set = buildRuleSet([parseRuleFile('test.yaml', yaml)])
  if (set.problems.length > 0) throw new Error(JSON.stringify(set.problems))
  return new RuleEngine(set, { statePath })
}
const run = (e: RuleEngine, events: AnyEvent[]): Alert[] => [...events.flatMap((ev) => e.evaluate(ev)), ...e.flush()]

t.test('an alert says which rule, why, and which events', async (t) => {
  const e = engine(`
- rule: Run from tmp
  condition: evt.kind = process.start and proc.exe startswith /tmp/
  output: "%proc.exe run from /tmp (pid %proc.pid, container %evt.container)"
  priority: error
  tags: [T1036]
`)
  const events = [exec(0, '/usr/bin/ls'), exec(1, '/tmp/x')]
  const alerts = run(e, events)
  t.equal(alerts.length, 1)
  const a = alerts[0] as Alert
  t.match(a, {
    kind: 'alert', source: 'rules', ts: at(1), service: 'shop', container: 'app',
    alert: { rule: 'Run from tmp', priority: 'error', tags: ['T1036'], evidence: [events[1]?.id], count: 1, output: `/tmp/x run from /tmp (pid ${(events[1]?.process as { pid: number }).pid}, container app)` },
  })
  t.equal(validateEvent(a), undefined, 'a valid alert event')
  t.same(e.stats, { events: 2, matches: 1, alerts: 1, folded: 0, learned: 0 })
})

t.test('repeats inside the fold window become one more alert with the count', async (t) => {
  const e = engine(`
- rule: Curl
  condition: evt.kind = process.start and proc.name = curl
  output: "curl in %evt.container"
  priority: notice
  dedup: [evt.container]
  fold: 60s
`)
  const events = [exec(0, '/usr/bin/curl'), exec(10, '/usr/bin/curl'), exec(20, '/usr/bin/curl'), exec(30, '/usr/bin/curl')]
  const early = events.flatMap((ev) => e.evaluate(ev))
  t.equal(early.length, 1, 'only the first alerts at once')
  const later = e.evaluate(exec(61, '/usr/bin/ls'))
  t.equal(later.length, 1, 'the window closed: one alert for the repeats')
  t.match(later[0], { alert: { rule: 'Curl', count: 3, evidence: events.slice(1).map((ev) => ev.id), output: 'curl in app (repeated 3 more times within 60 s)' } })
  const again = e.evaluate(exec(62, '/usr/bin/curl'))
  t.match(again, [{ alert: { count: 1 } }], 'a new window')
  t.same(e.flush(), [], 'nothing folded in the new window')
})

t.test('new_value: learned in the window, alerts once after it, remembered across restarts', async (t) => {
  const dir = t.testdir()
  const state = join(dir, 'rules-state.json')
  const yaml = `
- rule: New executable
  condition: evt.kind = process.start
  output: "new executable %proc.exe (%proc.sha256)"
  priority: warning
  new_value:
    fields: [proc.exe, proc.sha256]
    learn: 5m
`
  const first = engine(yaml, state)
  t.same(run(first, [exec(0, '/usr/bin/node'), exec(60, '/usr/bin/ls')]), [], 'inside the learning window: learned, no alert')
  const after = run(first, [exec(400, '/usr/bin/node'), exec(401, '/tmp/miner'), exec(402, '/tmp/miner')])
  t.match(after, [{ alert: { rule: 'New executable', output: `new executable /tmp/miner (${'a'.repeat(64)})` } }], 'a new value alerts once')
  t.equal(after.length, 1)
  first.save()
  t.match(JSON.parse(readFileSync(state, 'utf8')), { version: 1, learning_since: T0, learned: { 'New executable': [`/usr/bin/node\u0000${'a'.repeat(64)}`, `/usr/bin/ls\u0000${'a'.repeat(64)}`, `/tmp/miner\u0000${'a'.repeat(64)}`] } })

  const restarted = engine(yaml, state)
  t.same(run(restarted, [exec(500, '/tmp/miner'), exec(501, '/usr/bin/ls')]), [], 'after a restart the baseline and the learning time are kept')
  t.match(run(restarted, [exec(502, '/usr/bin/ls', { sha256: 'b'.repeat(64) })]), [{ alert: { output: `new executable /usr/bin/ls (${'b'.repeat(64)})` } }], 'the same path with another hash is new')

  writeFileSync(state, '{ not json')
  const corrupt = engine(yaml, state)
  t.match(corrupt.stateError, /rules-state\.json is not JSON/)
})

t.test('threshold: sum per group over a sliding window, once until it falls back', async (t) => {
  const e = engine(`
- rule: Large upload
  condition: evt.kind = net.flow and net.scope = outbound
  output: "%net.dst received more than 1 MB in 60 s"
  priority: warning
  threshold:
    sum: net.src_bytes
    by: [net.dst]
    window: 60s
    over: 1000000
`)
  const alerts = run(e, [
    flow(0, '198.51.100.7', 600_000),
    flow(10, '203.0.113.9', 900_000),
    flow(20, '198.51.100.7', 500_000), // 1.1 MB to .7 in 20 s: fires
    flow(30, '198.51.100.7', 500_000), // still over: no second alert
    flow(100, '198.51.100.7', 100_000), // the window slid: under again
    flow(110, '198.51.100.7', 950_000), // over again: fires
  ])
  t.same(alerts.map((a) => `${a.ts} ${a.alert.output}`), [
    `${at(20)} 198.51.100.7 received more than 1 MB in 60 s`,
    `${at(110)} 198.51.100.7 received more than 1 MB in 60 s`,
  ])
})

t.test('rules run only on the kinds they can match; disabled rules never', async (t) => {
  const e = engine(`
- rule: Flows
  condition: evt.kind = net.flow and net.dport = 443
  output: f
  priority: debug
- rule: Anything from the shop
  condition: evt.service = shop
  output: s
  priority: debug
- rule: Off
  condition: evt.kind = process.start
  output: o
  priority: debug
  enabled: false
`)
  const alerts = run(e, [exec(0, '/bin/true'), flow(1, '198.51.100.7', 10)])
  t.same(alerts.map((a) => a.alert.rule), ['Anything from the shop', 'Flows'])
})
