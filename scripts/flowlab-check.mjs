#!/usr/bin/env node
// Development cross-check of `sidewatch-agent flows` against flowlab's ground truth (issue 4).
// Not part of the test suite (the tests must not depend on ../shared): run it by hand.
//
//   node scripts/flowlab-check.mjs [small|big]...   the flowlab corpora (default: small), generated
//                                                   once into .cache/flowlab/ (see
//                                                   benchmarks/flows-corpus.mjs; FLOWLAB_DIR)
//   node scripts/flowlab-check.mjs --pcap X.pcap    any gen_pcap.py output (truth beside it:
//                                                   X.flows.jsonl, X.summary.json)
//   --records FILE   check records saved earlier instead of running the command
//   --examples N     examples shown per kind of mismatch (default 3)
//
// Runs `sidewatch-agent flows --pcap X --idle-timeout T --task-net NET4 --task-net NET6` with the
// truth's own idle timeout and task nets, then checks every record against X.flows.jsonl:
//   - the number of records equals the summary's bidir_records_at_timeout (big corpus: 20,947);
//   - every record has the contract's fields and types; addresses in compressed form;
//   - no record touches 192.0.2.0/24 (the generator's malformed frames), none is unknown;
//   - per truth flow: `segments` records; per-direction packets and IP bytes (summed over the
//     flow's records; one record when segments = 1) equal to the truth; every record's src/sport
//     is the truth's client/cport; `end`: fin / rst for fin / rst flows, idle or eof for
//     'timeout' flows, and idle for every record but the last of a split flow; `scope`:
//     intra-task iff the truth says intra, else inbound iff inbound, else outbound;
//   - also: first/last of the flow (earliest first, latest last) equal the truth to the
//     microsecond, and the TCP flags letters (union over the flow's records) equal the truth's.
// Exit status: 0 all matched, 1 mismatches, 2 could not run.
import { spawnSync } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { CorpusError, CORPORA, ensureCorpus, root } from '../benchmarks/flows-corpus.mjs'

const agentBin = join(root, 'packages', 'agent', 'bin', 'sidewatch-agent.js')

function die (message) {
  process.stderr.write(`flowlab-check: ${message}\n`)
  process.exit(2)
}

let opts
try {
  opts = parseArgs({
    allowPositionals: true,
    options: { pcap: { type: 'string' }, records: { type: 'string' }, examples: { type: 'string', default: '3' }, help: { type: 'boolean', short: 'h' } },
  })
} catch (err) { die(err.message) }
if (opts.values.help) {
  process.stdout.write(readFileSync(new URL(import.meta.url), 'utf8').split('\n').slice(1, 28).map((l) => l.replace(/^\/\/ ?/, '')).join('\n') + '\n')
  process.exit(0)
}
const EXAMPLES = Number(opts.values.examples)
const targets = []
if (opts.values.pcap !== undefined) {
  const pcap = opts.values.pcap
  const prefix = pcap.endsWith('.pcap') ? pcap.slice(0, -5) : pcap
  for (const f of [pcap, `${prefix}.flows.jsonl`, `${prefix}.summary.json`]) if (!existsSync(f)) die(`${f}: not found (--pcap needs a gen_pcap.py output with its truth beside it)`)
  targets.push({ name: pcap, pcap, truth: `${prefix}.flows.jsonl`, summary: JSON.parse(readFileSync(`${prefix}.summary.json`, 'utf8')) })
}
for (const name of opts.positionals) {
  if (!(name in CORPORA)) die(`unknown corpus ${name} (known: ${Object.keys(CORPORA).join(', ')}; or --pcap FILE)`)
  try { targets.push(ensureCorpus(name)) } catch (err) { if (err instanceof CorpusError) die(err.message); throw err }
}
if (targets.length === 0) {
  try { targets.push(ensureCorpus('small')) } catch (err) { if (err instanceof CorpusError) die(err.message); throw err }
}
if (opts.values.records !== undefined && targets.length !== 1) die('--records goes with one corpus')

// ----------------------------------------------------------------------------- addresses
/** The compressed (RFC 5952) text of an address, as Python's ipaddress prints it; undefined if invalid. */
function canonicalIp (text) {
  if (typeof text !== 'string') return undefined
  if (!text.includes(':')) {
    const parts = text.split('.')
    if (parts.length !== 4 || parts.some((p) => !/^\d{1,3}$/.test(p) || Number(p) > 255)) return undefined
    return parts.map(Number).join('.')
  }
  try { return new URL(`http://[${text}]/`).hostname.slice(1, -1) } catch { return undefined }
}
const inJunkNet = (ip) => ip.startsWith('192.0.2.')

const FLAG_BITS = { F: 0x01, S: 0x02, R: 0x04, P: 0x08, A: 0x10, U: 0x20, E: 0x40, C: 0x80 }
/** TCP flag letters (in any order) to bits; undefined when the string is not letters of FLAG_BITS. */
function flagBits (text) {
  let bits = 0
  for (const ch of text) {
    if (!(ch in FLAG_BITS)) return undefined
    bits |= FLAG_BITS[ch]
  }
  return bits
}
const flagText = (bits) => Object.entries(FLAG_BITS).filter(([, b]) => bits & b).map(([l]) => l).join('')

// ------------------------------------------------------------------------------------ check
const FIELDS = {
  proto: (v) => v === 'tcp' || v === 'udp',
  src: (v) => typeof v === 'string',
  sport: (v) => Number.isInteger(v) && v >= 0 && v <= 65535,
  dst: (v) => typeof v === 'string',
  dport: (v) => Number.isInteger(v) && v >= 0 && v <= 65535,
  first: (v) => typeof v === 'number' && Number.isFinite(v),
  last: (v) => typeof v === 'number' && Number.isFinite(v),
  src_pkts: (v) => Number.isInteger(v) && v >= 0,
  src_bytes: (v) => Number.isInteger(v) && v >= 0,
  dst_pkts: (v) => Number.isInteger(v) && v >= 0,
  dst_bytes: (v) => Number.isInteger(v) && v >= 0,
  end: (v) => ['fin', 'rst', 'idle', 'active', 'eof', 'evicted'].includes(v),
  scope: (v) => ['intra-task', 'inbound', 'outbound'].includes(v),
  tcp_flags: (v) => typeof v === 'string',
}

const KINDS = [
  ['record_count', 'number of records differs from the truth'],
  ['bad_json', 'line is not a JSON object'],
  ['schema', 'field missing or of the wrong type/value'],
  ['address_form', 'address not in compressed form'],
  ['from_malformed', 'record touches 192.0.2.0/24 (malformed frames)'],
  ['unknown_flow', 'record matches no truth flow'],
  ['flow_missing', 'truth flow without any record'],
  ['segments', "flow's number of records != truth segments"],
  ['packets', 'per-direction packets != truth'],
  ['bytes', 'per-direction IP bytes != truth'],
  ['initiator_first', "first record's src/sport is not the truth's client/cport"],
  ['initiator_later', "a later record (after an idle split) has src/sport != client/cport"],
  ['end_last', "last record's end wrong (fin/rst per truth; idle or eof for 'timeout')"],
  ['end_split', "a non-last record of a split flow does not end 'idle'"],
  ['scope', 'scope wrong'],
  ['timestamps', "flow's first/last != truth first_us/last_us (to the µs), or first > last"],
  ['tcp_flags', "TCP flags letters (union over the flow's records) != truth flags"],
]

function check (target, lines) {
  const { summary } = target
  const truth = readFileSync(target.truth, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l))
  const byKey = new Map()
  const key = (proto, a, ap, b, bp) => {
    const x = `${a}|${ap}`
    const y = `${b}|${bp}`
    return x < y ? `${proto} ${x} ${y}` : `${proto} ${y} ${x}`
  }
  for (const t of truth) byKey.set(key(t.proto, t.client, t.cport, t.server, t.sport), { t, recs: [] })

  const bad = Object.fromEntries(KINDS.map(([k]) => [k, []]))
  const note = (kind, example) => bad[kind].push(example)
  const expected = summary.expected.bidir_records_at_timeout
  let records = 0
  const extraFields = new Set()
  for (const line of lines) {
    if (line.trim() === '') continue
    records++
    let r
    try { r = JSON.parse(line) } catch { note('bad_json', line.slice(0, 200)); continue }
    if (r === null || typeof r !== 'object' || Array.isArray(r)) { note('bad_json', line.slice(0, 200)); continue }
    const wrong = Object.entries(FIELDS).filter(([f, ok]) => !(f in r) || !ok(r[f])).map(([f]) => `${f}=${JSON.stringify(r[f])}`)
    for (const f of Object.keys(r)) if (!(f in FIELDS)) extraFields.add(f)
    if (wrong.length > 0) { note('schema', `${wrong.join(', ')} in ${line.slice(0, 300)}`); if (typeof r.src !== 'string' || typeof r.dst !== 'string') continue }
    const src = canonicalIp(r.src)
    const dst = canonicalIp(r.dst)
    if (src === undefined || dst === undefined) { note('schema', `invalid address in ${line.slice(0, 300)}`); continue }
    if (src !== r.src || dst !== r.dst) note('address_form', `${r.src} / ${r.dst} (compressed: ${src} / ${dst})`)
    if (inJunkNet(src) || inJunkNet(dst)) { note('from_malformed', line.slice(0, 300)); continue }
    const entry = byKey.get(key(r.proto, src, r.sport, dst, r.dport))
    if (entry === undefined) { note('unknown_flow', line.slice(0, 300)); continue }
    entry.recs.push({ ...r, src, dst })
  }
  if (records !== expected) note('record_count', `${records} records, truth ${expected} (bidir_records_at_timeout at ${summary.expected.timeout_s} s)`)

  const show = (t) => `#${t.id} ${t.proto} ${t.client}:${t.cport} -> ${t.server}:${t.sport} (end ${t.end}, ${t.intra ? 'intra' : t.inbound ? 'inbound' : 'outbound'}, segments ${t.segments})`
  const brief = (r) => `${r.src}:${r.sport}->${r.dst}:${r.dport} ${r.src_pkts}/${r.src_bytes} ${r.dst_pkts}/${r.dst_bytes} ${r.first}-${r.last} ${r.end} ${r.scope} ${JSON.stringify(r.tcp_flags)}`
  const captureEndUs = summary.last_us
  let idleByTime = 0 // info: 'timeout' flows ending eof although quiet for longer than the timeout before the capture ends
  for (const { t, recs } of byKey.values()) {
    if (recs.length === 0) { note('flow_missing', show(t)); continue }
    recs.sort((a, b) => a.first - b.first)
    if (recs.length !== t.segments) note('segments', `${show(t)}: ${recs.length} records: ${recs.map(brief).join(' | ')}`)
    const sum = { pc: 0, ps: 0, bc: 0, bs: 0 }
    recs.forEach((r, i) => {
      const fwd = r.src === t.client && r.sport === t.cport
      if (fwd) { sum.pc += r.src_pkts; sum.bc += r.src_bytes; sum.ps += r.dst_pkts; sum.bs += r.dst_bytes } else { sum.pc += r.dst_pkts; sum.bc += r.dst_bytes; sum.ps += r.src_pkts; sum.bs += r.src_bytes }
      if (!fwd) note(i === 0 ? 'initiator_first' : 'initiator_later', `${show(t)}: record ${i + 1}/${recs.length}: ${brief(r)}`)
      const wantScope = t.intra ? 'intra-task' : t.inbound ? 'inbound' : 'outbound'
      if (r.scope !== wantScope) note('scope', `${show(t)}: record ${i + 1} scope ${r.scope}, want ${wantScope}: ${brief(r)}`)
      if (i < recs.length - 1 && r.end !== 'idle') note('end_split', `${show(t)}: record ${i + 1}/${recs.length} ends ${r.end}: ${brief(r)}`)
    })
    if (sum.pc !== t.pkts_c2s || sum.ps !== t.pkts_s2c) note('packets', `${show(t)}: c2s/s2c ${sum.pc}/${sum.ps}, truth ${t.pkts_c2s}/${t.pkts_s2c}: ${recs.map(brief).join(' | ')}`)
    if (sum.bc !== t.bytes_c2s || sum.bs !== t.bytes_s2c) note('bytes', `${show(t)}: c2s/s2c ${sum.bc}/${sum.bs}, truth ${t.bytes_c2s}/${t.bytes_s2c}: ${recs.map(brief).join(' | ')}`)
    const last = recs.at(-1)
    const okEnd = t.end === 'timeout' ? ['idle', 'eof'].includes(last.end) : last.end === t.end
    if (!okEnd) note('end_last', `${show(t)}: last record ends ${last.end}: ${brief(last)}`)
    if (t.end === 'timeout' && last.end === 'eof' && t.last_us + summary.expected.timeout_s * 1e6 < captureEndUs) idleByTime++
    const firstUs = Math.min(...recs.map((r) => Math.round(r.first * 1e6)))
    const lastUs = Math.max(...recs.map((r) => Math.round(r.last * 1e6)))
    if (firstUs !== t.first_us || lastUs !== t.last_us || recs.some((r) => r.first > r.last)) note('timestamps', `${show(t)}: ${firstUs}..${lastUs}, truth ${t.first_us}..${t.last_us}`)
    if (t.proto === 'tcp') {
      let bits = 0
      let parsed = true
      for (const r of recs) { const b = typeof r.tcp_flags === 'string' ? flagBits(r.tcp_flags) : undefined; if (b === undefined) parsed = false; else bits |= b }
      const want = t.tcp_flags_c2s | t.tcp_flags_s2c
      if (!parsed || bits !== want) note('tcp_flags', `${show(t)}: ${recs.map((r) => JSON.stringify(r.tcp_flags)).join(', ')}, truth ${flagText(want)}`)
    } else if (recs.some((r) => r.tcp_flags !== '')) {
      note('tcp_flags', `${show(t)}: UDP record with tcp_flags ${recs.map((r) => JSON.stringify(r.tcp_flags)).join(', ')}`)
    }
  }
  return { records, expected, bad, extraFields: [...extraFields], idleByTime, flows: truth.length }
}

// -------------------------------------------------------------------------------------- run
let failed = 0 // 1: mismatches, 2: the command failed
for (const target of targets) {
  const { summary } = target
  const taskNets = [summary.args.task_net, summary.args.task_net6]
  const idle = summary.expected.timeout_s
  console.log(`\n== ${target.name}: ${target.pcap.startsWith(root) ? target.pcap.slice(root.length) : target.pcap}: ${summary.packets_total.toLocaleString('en')} packets, ${summary.flows.toLocaleString('en')} flows, ${summary.malformed_total} malformed frames`)
  let lines
  if (opts.values.records !== undefined) {
    console.log(`records from ${opts.values.records}`)
    lines = readFileSync(opts.values.records, 'utf8').split('\n')
  } else {
    if (!existsSync(join(root, 'packages', 'agent', 'dist', 'commands', 'flows.js'))) die('packages/agent/dist/commands/flows.js is missing: build first (npx tsc -b)')
    const argv = [agentBin, 'flows', '--pcap', target.pcap, '--idle-timeout', String(idle), ...taskNets.flatMap((n) => ['--task-net', n])]
    console.log(`$ node ${argv.map((a) => a.startsWith(root) ? a.slice(root.length) : a).join(' ')}`)
    const dir = mkdtempSync(join(tmpdir(), 'flowlab-check-'))
    try {
      const t0 = process.hrtime.bigint()
      const res = spawnSync(process.execPath, argv, { encoding: 'utf8', maxBuffer: 1 << 30, stdio: ['ignore', 'pipe', 'pipe'] })
      const secs = Number(process.hrtime.bigint() - t0) / 1e9
      if (res.error) die(`could not run the command: ${res.error.message}`)
      console.log(`exit ${res.status ?? res.signal}, ${secs.toFixed(2)} s; summary (stderr):`)
      console.log(res.stderr.trim().split('\n').map((l) => `  ${l}`).join('\n'))
      if (res.status !== 0) { console.log(`RESULT ${target.name}: the command failed (exit ${res.status ?? res.signal})`); failed = 2; continue }
      lines = res.stdout.split('\n')
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  }
  const r = check(target, lines)
  console.log(`records: ${r.records} (truth: ${r.expected} at ${idle} s idle)`)
  if (r.extraFields.length > 0) console.log(`note: fields beyond the contract: ${r.extraFields.join(', ')}`)
  let total = 0
  console.log(`${"check".padEnd(86)}mismatches`)
  for (const [kind, what] of KINDS) {
    const n = r.bad[kind].length
    total += n
    console.log(`  ${`${kind}: ${what}`.padEnd(84)}${String(n).padStart(6)}`)
  }
  for (const [kind] of KINDS) {
    if (r.bad[kind].length === 0) continue
    console.log(`\n${kind}, ${Math.min(EXAMPLES, r.bad[kind].length)} of ${r.bad[kind].length}:`)
    for (const ex of r.bad[kind].slice(0, EXAMPLES)) console.log(`  ${ex.length > 600 ? ex.slice(0, 600) + ' …' : ex}`)
  }
  if (r.idleByTime > 0) console.log(`\nnote: ${r.idleByTime} 'timeout' flows ended 'eof' though their last packet is more than ${idle} s before the capture's end (accepted: idle or eof)`)
  console.log(`RESULT ${target.name}: ${total === 0 ? 'PASS: every record and flow matches the truth' : `FAIL: ${total} mismatches`}`)
  if (total > 0) failed = Math.max(failed, 1)
}
process.exit(failed)
