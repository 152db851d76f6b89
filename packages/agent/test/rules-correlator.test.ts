// Joining events across layers before the rules: process chains, a flow's process and its hash,
// an SDK call's flow, an attack to the process it spawned; and alerts carrying it all.
import t from 'tap'
import { validateEvent } from '@sidewatch/proto/schema'
import { Correlator, contextOf } from '../src/rules/correlator'
import { parseRuleFile } from '../src/rules/rule-file'
import { buildRuleSet } from '../src/rules/rule-set'
import { RuleEngine } from '../src/rules/rule-engine'
import type { AnyEvent } from '../src/rules/fields'

const T0 = Date.parse('2026-11-27T10:00:00.000Z')
const ts = (s: number): string => new Date(T0 + s * 1000).toISOString()
const SHA_NODE = 'a'.repeat(64)
const SHA_SH = 'b'.repeat(64)
const start = (id: string, s: number, pid: number, ppid: number, exe: string, sha256: string): AnyEvent =>
  ({ id, ts: ts(s), source: 'agent.proc', kind: 'process.start', process: { pid, ppid, exe, sha256, user: 'app', cmdline: [exe.split('/').pop() as string] } })

function engine (yaml: string): RuleEngine {
  const set = buildRuleSet([parseRuleFile('t.yaml', yaml)])
  if (set.problems.length > 0) throw new Error(JSON.stringify(set.problems))
  return new RuleEngine(set)
}

t.test('a process gets its parent chain; rules can ask about parents and ancestors', async (t) => {
  const c = new Correlator()
  const e = engine(`
- rule: Shell under node
  condition: evt.kind = process.start and proc.name = sh and proc.pname = node and proc.aname = tini
  output: "sh (%proc.pid) under %proc.pexe"
  priority: warning
`)
  const events = [start('init', 0, 1, 0, '/sbin/tini', 'c'.repeat(64)), start('node', 1, 10, 1, '/usr/local/bin/node', SHA_NODE), start('sh', 2, 20, 10, '/bin/sh', SHA_SH)]
  const alerts = events.flatMap((ev) => { c.join(ev); return e.evaluate(ev) })
  t.match(contextOf(events[2] as AnyEvent), { process: { pid: 20, name: 'sh' }, parents: [{ pid: 10, name: 'node', sha256: SHA_NODE }, { pid: 1, name: 'tini' }] })
  t.equal(alerts.length, 1)
  t.match(alerts[0]?.alert, { output: 'sh (20) under /usr/local/bin/node', evidence: ['sh', 'node', 'init'], context: { process: { pid: 20 }, parents: [{ exe: '/usr/local/bin/node' }, { exe: '/sbin/tini' }], related: ['sh', 'node', 'init'] } })
  t.equal(validateEvent(alerts[0]), undefined, 'an alert with context is a valid event')
})

t.test('a flow gets its process and the executable hash; an SDK call gets its flow', async (t) => {
  const c = new Correlator()
  c.join(start('node', 0, 10, 1, '/usr/local/bin/node', SHA_NODE))
  const call: AnyEvent = { id: 'call', ts: ts(5), source: 'node-asm', kind: 'http.client', http: { method: 'GET', url: 'https://198.51.100.7/x', host: '198.51.100.7', port: 443, local: { address: '169.254.170.2', port: 40100 }, remote: { address: '198.51.100.7', port: 443 } } }
  const flow: AnyEvent = { id: 'flow', ts: ts(6), source: 'agent.net', kind: 'net.flow', flow: { proto: 'tcp', src: '169.254.170.2', sport: 40100, dst: '198.51.100.7', dport: 443, first: 0, last: 1, src_pkts: 5, src_bytes: 700, dst_pkts: 5, dst_bytes: 9000, end: 'fin', scope: 'outbound', process: { pid: 10, exe: '/usr/local/bin/node' } } }
  c.join(call)
  const ctx = c.join(flow)
  t.equal(flow.flow.process.sha256, SHA_NODE, 'the flow carries the hash now')
  t.match(ctx, { process: { pid: 10, exe: '/usr/local/bin/node' }, http_client: { event_id: 'call', url: 'https://198.51.100.7/x' }, related: ['node', 'call'] })
  // And the other way round: the flow first, then the call.
  const c2 = new Correlator()
  c2.join({ ...flow, id: 'flow2', flow: { ...flow.flow } })
  t.match(c2.join({ ...call, id: 'call2' }), { flow: { event_id: 'flow2', src_bytes: 700 }, related: ['flow2'] })
})

t.test('an attack, the SDK exec in the same request, and the process it started', async (t) => {
  const c = new Correlator()
  const e = engine(`
- rule: Shell started
  condition: evt.kind = process.start and proc.name = sh
  output: "sh %proc.pid"
  priority: warning
`)
  c.join(start('node', 0, 10, 1, '/usr/local/bin/node', SHA_NODE))
  c.join({ id: 'attack', ts: ts(1), source: 'node-asm', kind: 'attack', request_id: 'req-1', attack: { class: 'shell_injection', sink: 'child_process.exec', input: { name: 'query.name', value: 'x; id' }, blocked: false } })
  const execCtx = c.join({ id: 'exec', ts: ts(1), source: 'node-asm', kind: 'process.exec', request_id: 'req-1', exec: { method: 'exec', file: '/bin/sh', args: [], shell: true, command_line: 'echo x; id', pid: 30 } })
  t.match(execCtx, { attack: { event_id: 'attack', class: 'shell_injection', input: 'query.name=x; id' } })
  const sh = start('sh', 2, 30, 10, '/bin/sh', SHA_SH)
  c.join(sh)
  const [alert] = e.evaluate(sh)
  t.match(alert?.alert, {
    evidence: ['sh', 'node', 'exec', 'attack'],
    context: { exec: { event_id: 'exec', command_line: 'echo x; id', request_id: 'req-1' }, attack: { event_id: 'attack' }, parents: [{ name: 'node' }] },
  })
})

t.test('memory is bounded: tables forget past their size and age', async (t) => {
  const c = new Correlator({ maxEntries: 100, ttlMs: 1000 })
  for (let i = 0; i < 1000; i++) c.join(start(`p${i}`, i / 1000, 1000 + i, 1, '/bin/true', SHA_SH))
  t.equal(c.sizes.processes, 100)
  c.prune(T0 + 10_000_000)
  t.equal(c.sizes.processes, 0)
  t.same(c.join({ id: 'x', ts: ts(0.999), source: 'agent.net', kind: 'net.flow', flow: { proto: 'udp', src: '169.254.170.2', sport: 1, dst: '198.51.100.1', dport: 53, first: 0, last: 0, src_pkts: 1, src_bytes: 1, dst_pkts: 0, dst_bytes: 0, end: 'idle', scope: 'outbound', process: { pid: 1999 } } }).related, [], 'forgotten')
})
