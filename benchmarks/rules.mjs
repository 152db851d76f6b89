// Benchmark (issue 6): events per second through the shipped rule pack on one core, and the
// memory of stateful rules holding 100,000 learned values.
//
// Events: a seeded mix shaped like a busy task's stream — 40% net.flow (outbound, inbound,
// intra-task; some to new destinations), 25% process.start, 15% http.request, 10% fs.op,
// 8% process.exec, 2% attack — made once up front (not timed). The engine (RuleEngine over
// loadRules([]) = the shipped pack) evaluates them in one thread; time = wall time of
// evaluate() over all events, 5 rounds on fresh engines, median. Goal: >= 200,000 events/s.
// Memory: a new_value rule fed 100,000 distinct values; heap used before and after (after a GC).
import { createRequire } from 'node:module'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

const require = createRequire(import.meta.url)
const root = fileURLToPath(new URL('..', import.meta.url))
const { loadRules } = require(join(root, 'packages/agent/dist/rules/load-rules.js'))
const { RuleEngine } = require(join(root, 'packages/agent/dist/rules/rule-engine.js'))
const { buildRuleSet } = require(join(root, 'packages/agent/dist/rules/rule-set.js'))
const { parseRuleFile } = require(join(root, 'packages/agent/dist/rules/rule-file.js'))

const EVENTS = Number(process.env.BENCH_EVENTS ?? 300_000)
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5)
const GOAL = 200_000

let seed = 42
const random = () => { seed = (Math.imul(seed, 1103515245) + 12345) >>> 0; return seed / 2 ** 32 }
const pick = (xs) => xs[Math.floor(random() * xs.length)]
const T0 = Date.parse('2026-11-27T10:00:00.000Z')
const SHA = (i) => (i.toString(16).padStart(8, '0')).repeat(8)
const exes = ['/usr/local/bin/node', '/usr/bin/python3', '/bin/sh', '/usr/bin/curl', '/usr/sbin/nginx', '/app/bin/worker']

function makeEvent (i) {
  const ts = new Date(T0 + i * 2).toISOString() // 500 events a second of event time
  const base = { id: `e${i}`, ts, source: 'agent', container: pick(['app', 'web', 'worker']), service: 'shop' }
  const r = random()
  if (r < 0.40) {
    const scope = pick(['outbound', 'outbound', 'inbound', 'intra-task'])
    return { ...base, kind: 'net.flow', flow: { proto: pick(['tcp', 'udp']), src: '169.254.170.2', sport: 32768 + (i % 28000), dst: random() < 0.05 ? `203.0.113.${i % 250}` : pick(['198.51.100.7', '10.0.1.5', '169.254.170.3']), dport: pick([443, 80, 5432, 53]), first: (T0 + i * 2) / 1000, last: (T0 + i * 2) / 1000 + 1, src_pkts: 10, src_bytes: Math.floor(random() * 1e6), dst_pkts: 12, dst_bytes: 20000, end: 'fin', scope, process: { pid: 10 + (i % 50), exe: pick(exes) } } }
  }
  if (r < 0.65) return { ...base, kind: 'process.start', process: { pid: 1000 + i, ppid: 1, exe: pick(exes), sha256: SHA(random() < 0.02 ? i : 1), cmdline: ['x', '--flag', String(i)], user: 'app', uid: 1000, tty: random() < 0.01 ? '/dev/pts/0' : undefined } }
  if (r < 0.80) return { ...base, kind: 'http.request', http: { method: 'GET', url: `/items/${i}`, route: '/items/:id', status: 200, duration_ms: 3 } }
  if (r < 0.90) return { ...base, kind: 'fs.op', fs: { op: pick(['readFileSync', 'open', 'writeFile']), path: random() < 0.01 ? '/etc/shadow' : `/app/data/${i % 100}.json` } }
  if (r < 0.98) return { ...base, kind: 'process.exec', exec: { method: 'spawn', file: pick(['/usr/bin/git', '/usr/bin/convert', '/usr/bin/curl']), args: [], shell: false, command_line: 'git status' } }
  return { ...base, kind: 'attack', attack: { class: pick(['shell_injection', 'path_traversal', 'ssrf', 'command_injection']), sink: 'child_process.exec', input: { name: 'query.q', value: `x${i}` }, blocked: false } }
}

const events = Array.from({ length: EVENTS }, (_, i) => makeEvent(i))
const set = loadRules([])
if (set.problems.length > 0) { console.error(set.problems); process.exit(2) }

const rates = []
let alerts = 0
for (let round = 0; round < ROUNDS; round++) {
  const engine = new RuleEngine(set)
  const t0 = process.hrtime.bigint()
  let n = 0
  for (const e of events) n += engine.evaluate(e).length
  n += engine.flush().length
  const s = Number(process.hrtime.bigint() - t0) / 1e9
  rates.push(EVENTS / s)
  alerts = n
}
rates.sort((a, b) => a - b)
const median = rates[Math.floor(rates.length / 2)]

// Memory of 100,000 learned values in one new_value rule.
const memSet = buildRuleSet([parseRuleFile('mem.yaml', `
- rule: New destination
  condition: evt.kind = net.flow
  output: "%proc.exe %net.dst %net.dport"
  priority: notice
  new_value:
    fields: [proc.exe, net.dst, net.dport]
    learn: 1h
`)])
// A real GC before each heap reading (run.mjs starts scripts without --expose-gc).
const v8 = require('node:v8')
const vm = require('node:vm')
v8.setFlagsFromString('--expose-gc')
const gc = globalThis.gc ?? vm.runInNewContext('gc')
gc(); gc()
const before = process.memoryUsage().heapUsed
const memEngine = new RuleEngine(memSet)
for (let i = 0; i < 100_000; i++) {
  memEngine.evaluate({ id: `m${i}`, ts: new Date(T0).toISOString(), source: 'agent', kind: 'net.flow', flow: { proto: 'tcp', src: '169.254.170.2', sport: 40000, dst: `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`, dport: 443, first: 0, last: 0, src_pkts: 1, src_bytes: 1, dst_pkts: 1, dst_bytes: 1, end: 'fin', scope: 'outbound', process: { pid: 1, exe: '/usr/local/bin/node' } } })
}
gc(); gc()
const after = process.memoryUsage().heapUsed
const mib = (after - before) / 2 ** 20
const learned = memEngine.stats.learned // (also keeps the engine alive until after the measurement)

console.log(`rules: the shipped pack (${set.rules.length} rules), ${EVENTS.toLocaleString('en-US')} mixed events, ${ROUNDS} rounds, one thread`)
console.log(`  events/s: median ${Math.round(median).toLocaleString('en-US')} (range ${Math.round(rates[0]).toLocaleString('en-US')}–${Math.round(rates.at(-1)).toLocaleString('en-US')}), ${alerts} alerts per pass`)
console.log(`  goal >= ${GOAL.toLocaleString('en-US')} events/s: ${median >= GOAL ? 'met' : 'NOT met'} (${(median / GOAL).toFixed(2)}x)`)
console.log(`  new_value with ${learned.toLocaleString('en-US')} learned values: ${mib.toFixed(1)} MiB of heap (${Math.round((after - before) / learned)} bytes per value)`)
console.log(JSON.stringify({ events: EVENTS, rules: set.rules.length, events_per_s: Math.round(median), range: [Math.round(rates[0]), Math.round(rates.at(-1))], alerts, goal_met: median >= GOAL, learned_100k_mib: Number(mib.toFixed(1)) }))
