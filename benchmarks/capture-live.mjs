// Benchmark (issue 4): the packet rate live capture sustains without kernel drops. Two network
// namespaces made here, joined by a veth pair; the agent's live capture (node-pcap, the pure-TS
// decoder and the flow tracker: benchmarks/capture-live-worker.cjs) listens on one end and
// tcpreplay (Debian) replays the flowlab corpus into the other at a series of rates, then at top
// speed. Per rate: what tcpreplay achieved, what reached the capture, and the kernel's drop
// count (ps_drop). Frames exist only on the veth inside the namespaces; nothing leaves them.
// Needs root (namespaces) and tcpreplay (benchmarks/setup-peers.sh installs it).
//
// Settings: BENCH_LIVE_RATES (pps list, default 50000,100000,200000,400000,top),
// BENCH_LIVE_PACKETS (packets per rate, default 400000).
import { execFileSync, spawn, spawnSync } from 'node:child_process'
import { once } from 'node:events'
import { createRequire } from 'node:module'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { CorpusError, ensureCorpus, root } from './flows-corpus.mjs'

const RATES = (process.env.BENCH_LIVE_RATES ?? '50000,100000,200000,400000,top').split(',')
const PACKETS = Number(process.env.BENCH_LIVE_PACKETS ?? 400_000)

function fail (message) {
  process.stderr.write(`capture-live benchmark: ${message}\n`)
  process.exit(2)
}
if (process.getuid?.() !== 0) fail('needs root (it makes network namespaces)')
if (spawnSync('sh', ['-c', 'command -v tcpreplay']).status !== 0) fail('tcpreplay is missing: run benchmarks/setup-peers.sh')
let pcap
try {
  pcap = ensureCorpus('big').pcap
} catch (err) {
  if (err instanceof CorpusError) fail(err.message)
  throw err
}

// What the capture should see of the first PACKETS frames: all but those the BPF filter `ip or
// ip6` drops (the corpus's non-IP frames and frames too short for an EtherType).
const { readCaptureFile } = createRequire(import.meta.url)(join(root, 'packages', 'agent', 'dist', 'net', 'pcap-reader.js'))
let seen = 0
let filtered = 0
readCaptureFile(pcap, {
  packet: () => { seen++ },
  skip: (reason) => { if (seen++ < PACKETS && (reason === 'not_ip' || reason === 'truncated_link')) filtered++ },
})
const expected = PACKETS - filtered

const id = `${process.pid % 100000}`
const nsCap = `swbcap${id}`
const nsGen = `swbgen${id}`
const vCap = `swbc${id}`
const vGen = `swbg${id}`
const ip = (...args) => execFileSync('ip', args, { stdio: 'pipe' })
const cleanup = () => { for (const ns of [nsCap, nsGen]) spawnSync('ip', ['netns', 'del', ns], { stdio: 'ignore' }) }
process.on('exit', cleanup)
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => { cleanup(); process.exit(130) })

ip('netns', 'add', nsCap)
ip('netns', 'add', nsGen)
// IPv6 off before the link exists (no router solicitations or DAD: only replayed frames on the wire).
for (const ns of [nsCap, nsGen]) ip('netns', 'exec', ns, 'sysctl', '-qw', 'net.ipv6.conf.all.disable_ipv6=1', 'net.ipv6.conf.default.disable_ipv6=1')
ip('link', 'add', vCap, 'netns', nsCap, 'type', 'veth', 'peer', 'name', vGen, 'netns', nsGen)
for (const [ns, dev, addr] of [[nsCap, vCap, '192.0.2.1/24'], [nsGen, vGen, '192.0.2.2/24']]) {
  ip('-n', ns, 'addr', 'add', addr, 'dev', dev)
  ip('-n', ns, 'link', 'set', 'lo', 'up')
  ip('-n', ns, 'link', 'set', dev, 'up')
}

async function runRate (rate) {
  const worker = spawn('ip', ['netns', 'exec', nsCap, process.execPath, join(root, 'benchmarks', 'capture-live-worker.cjs'), vCap], { stdio: ['pipe', 'pipe', 'inherit'] })
  const lines = createInterface({ input: worker.stdout })
  const next = () => new Promise((resolve) => lines.once('line', resolve))
  if (await next() !== 'ready') fail('the capture worker did not start')
  const args = ['netns', 'exec', nsGen, 'tcpreplay', `--intf1=${vGen}`, `--limit=${PACKETS}`]
  if (rate === 'top') args.push('--topspeed')
  else args.push(`--pps=${rate}`)
  args.push(pcap)
  const replay = spawnSync('ip', args, { encoding: 'utf8' })
  if (replay.status !== 0) fail(`tcpreplay failed: ${replay.stderr || replay.stdout}`)
  const achieved = Number(/Rated: [\d.]+ Bps, [\d.]+ Mbps, ([\d.]+) pps/.exec(replay.stdout)?.[1] ?? NaN)
  const sent = Number(/Actual: (\d+) packets/.exec(replay.stdout)?.[1] ?? NaN)
  // The capture drains its buffer after tcpreplay is done: wait until its count stops moving.
  let last = -1
  for (let i = 0; i < 100; i++) {
    worker.stdin.write('counters\n')
    const c = JSON.parse(await next())
    if (c.packets === last && c.packets + c.ps_drop >= c.ps_recv) break
    last = c.packets
    await new Promise((resolve) => setTimeout(resolve, 200))
  }
  worker.stdin.write('stop\n')
  const counters = JSON.parse(await next())
  await once(worker, 'exit')
  return { rate, sent, achieved, ...counters }
}

const results = []
console.log(`capture-live: flowlab big corpus replayed by tcpreplay on a veth pair; ${PACKETS.toLocaleString('en-US')} packets per rate; capture = node-pcap + decodeFrame + FlowTracker (snaplen 128, filter "ip or ip6")`)
console.log(`about ${expected.toLocaleString('en-US')} of them pass the filter (the corpus's ${filtered} non-IP or cut frames among them do not; the kernel's count, ps_recv, is exact)`)
console.log('target pps   achieved pps   sent      passed filter   captured   kernel drops')
for (const rate of RATES) {
  const r = await runRate(rate)
  results.push(r)
  console.log(`${String(rate).padEnd(12)} ${String(Math.round(r.achieved)).padStart(12)}   ${String(r.sent).padEnd(9)} ${String(r.ps_recv).padEnd(15)} ${String(r.packets).padEnd(10)} ${r.ps_drop}`)
}
// Clean: the kernel dropped nothing and every frame it passed reached the decoder.
const clean = results.filter((r) => r.ps_drop === 0 && r.packets === r.ps_recv && r.sent === PACKETS)
const best = clean.reduce((m, r) => Math.max(m, r.achieved), 0)
console.log(`highest replayed rate with no kernel drop and every packet captured: ${Math.round(best).toLocaleString('en-US')} pps`)
console.log(JSON.stringify({ packets_per_rate: PACKETS, ip_frames: expected, rates: results.map((r) => ({ target: r.rate, achieved_pps: Math.round(r.achieved), sent: r.sent, ps_recv: r.ps_recv, captured: r.packets, ps_drop: r.ps_drop, ps_ifdrop: r.ps_ifdrop })), max_clean_pps: Math.round(best) }))
