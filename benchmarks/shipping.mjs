// Benchmark (issue 7): sustained events/s from SDK clients through the agent and its durable
// spool into real back ends on loopback — NATS JetStream (nats-server -js, Debian) and a sidewatch
// collector over https (`sidewatch-agent collect`, TLS with a throwaway certificate) — and the
// agent's max RSS. The servers are started and stopped here.
//
//   clients: BENCH_SHIP_CLIENTS (4) processes, BENCH_SHIP_EVENTS (200,000) process.exec events in
//            all, over the agent's unix socket. BENCH_SHIP_VARIANTS (sdk,replay) picks the clients:
//            `sdk`, the real SDK (benchmarks/ingest-client.mjs), whose own CPU per event shares
//            the 2 cores with everything else; `replay` (benchmarks/replay-client.mjs), the same
//            protocol and events with the frames encoded before the clock starts: the agent's own
//            capacity.
//   sinks:   BENCH_SHIP_SINKS (both,nats,https): `both` is --sink nats://… --sink https://…, the
//            issue's "into the nats and https sinks"; `nats` and `https` one sink each. Every
//            (clients, sinks) pair is one run with fresh servers and agent.
//   agent:   sidewatch-agent run (rules on, capture and /proc scanning off so only the clients'
//            events flow), with a fresh spool per run (--data-dir in the run's directory: the
//            default one, shared, held an earlier run's last segment, which each new sink —
//            a new port, a new name — was sent again and counted as delivered)
//   timed:   from the clients' start until every back end of the run holds every event
//   RSS:     the agent's VmHWM from /proc at the end; CPU: each process's from /proc
// Goal: at least 50,000 events/s, agent RSS under 200 MB.
import { execFileSync, spawn } from 'node:child_process'
import { closeSync, fstatSync, mkdirSync, mkdtempSync, openSync, readFileSync, readSync, rmSync } from 'node:fs'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { setTimeout as sleep } from 'node:timers/promises'
import { agentBin, root, startAgent, stopAgent } from './agent-process.mjs'

const EVENTS = Number(process.env.BENCH_SHIP_EVENTS ?? 200_000)
const CLIENTS = Number(process.env.BENCH_SHIP_CLIENTS ?? 4)
const GOAL_RATE = 50_000
const GOAL_RSS = 200 * 1024 * 1024
const require = createRequire(join(root, 'packages', 'agent', 'package.json'))
const { connect } = require('nats')
const client = new URL('./ingest-client.mjs', import.meta.url).pathname
const replay = new URL('./replay-client.mjs', import.meta.url).pathname
const dir = mkdtempSync(join(tmpdir(), 'sidewatch-ship-'))
const children = []
const cleanup = () => { for (const c of children) if (c.exitCode === null) c.kill('SIGKILL'); if (process.env.BENCH_KEEP === undefined) rmSync(dir, { recursive: true, force: true }) }
process.on('exit', cleanup)
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => process.exit(130))

/** Starts a child and resolves with the first stderr line matching `re` (its match). */
function launch (cmd, args, re, env = process.env) {
  const child = spawn(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'], env })
  children.push(child)
  return new Promise((resolve, reject) => {
    const lines = []
    createInterface({ input: child.stderr }).on('line', (line) => {
      lines.push(line)
      const m = re.exec(line)
      if (m !== null) resolve({ child, match: m })
    })
    child.once('exit', (code) => reject(new Error(`${cmd} exited ${code}:\n${lines.slice(-10).join('\n')}`)))
  })
}

/** CPU seconds a live process has used (utime + stime from /proc/PID/stat). */
function cpuSeconds (pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    return (Number(fields[11]) + Number(fields[12])) / 100 // clock ticks: 100/s on Linux
  } catch { return NaN }
}

/** CPU seconds of a live process's main thread (the event loop; the rest is GC helpers and the libuv pool). */
function mainThreadSeconds (pid) {
  return cpuSeconds(`${pid}/task/${pid}`)
}

/**
 * Counts process.exec events in the collector's JSON lines file as it grows, reading only what is
 * new (a poll that read the whole file would take CPU from the processes being measured).
 */
function centralCounter (file) {
  const needle = '"kind":"process.exec"'
  let offset = 0
  let carry = ''
  let count = 0
  return () => {
    let fd
    try { fd = openSync(file, 'r') } catch { return count }
    try {
      const size = fstatSync(fd).size
      while (offset < size) {
        const buf = Buffer.allocUnsafe(Math.min(size - offset, 4 * 1024 * 1024))
        const n = readSync(fd, buf, 0, buf.length, offset)
        if (n === 0) break
        offset += n
        const text = carry + buf.toString('latin1', 0, n)
        for (let at = text.indexOf(needle); at >= 0; at = text.indexOf(needle, at + needle.length)) count++
        carry = text.slice(-(needle.length - 1))
      }
    } finally { closeSync(fd) }
    return count
  }
}

async function run (variant, sinks, dir) {
  const useNats = sinks !== 'https'
  const useHttps = sinks !== 'nats'
  const specs = []
  let nats, nc, jsm, collector
  if (useNats) {
    nats = await launch('nats-server', ['-js', '-a', '127.0.0.1', '-p', '-1', '-sd', join(dir, 'nats')], /Listening for client connections on [\d.]+:(\d+)/)
    specs.push(`nats://127.0.0.1:${nats.match[1]}`)
  }
  const central = join(dir, 'central.jsonl')
  if (useHttps) {
    const cert = join(dir, 'cert.pem')
    const key = join(dir, 'key.pem')
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1', '-days', '1', '-keyout', key, '-out', cert], { stdio: 'ignore' })
    // BENCH_AGENT_PROF=DIR profiles the collector too (it is sidewatch-agent as well, on the same cores).
    const prof = process.env.BENCH_AGENT_PROF ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_AGENT_PROF}`, '--cpu-prof-name=collect.cpuprofile'] : []
    collector = await launch(process.execPath, [...prof, agentBin, 'collect', '--listen', 'tcp://127.0.0.1:0', '--sink', `jsonl:${central}`, '--tls-cert', cert, '--tls-key', key],
      /"msg":"collecting"/, { ...process.env, SIDEWATCH_COLLECT_KEYS: 'bench-key' })
    specs.push(JSON.parse(collector.match.input).url)
    process.env.SIDEWATCH_KEY = 'bench-key'
    process.env.SIDEWATCH_CA_FILE = cert
  }
  if (process.env.BENCH_SHIP_LOCAL) specs.push(`jsonl:${join(dir, 'local.jsonl')}`)
  const agent = await startAgent(dir, specs, 'bench', ['--capture', 'off', '--proc', 'off', '--data-dir', join(dir, 'data')])
  if (useNats) {
    nc = await connect({ servers: specs[0].replace('nats://', '') })
    jsm = await nc.jetstreamManager()
  }
  const streamExecs = async () => {
    try {
      return (await jsm.streams.info('SIDEWATCH')).state.messages
    } catch { return 0 }
  }
  const countCentral = centralCounter(central)
  const pids = { agent: agent.child.pid, nats: nats?.child.pid, collector: collector?.child.pid }
  const cpuBefore = Object.fromEntries(Object.entries(pids).map(([k, pid]) => [k, pid === undefined ? 0 : cpuSeconds(pid)]))
  const mainBefore = Object.fromEntries(Object.entries(pids).map(([k, pid]) => [k, pid === undefined ? 0 : mainThreadSeconds(pid)]))

  const per = Math.floor(EVENTS / CLIENTS)
  const clients = Array.from({ length: CLIENTS }, (_, i) => {
    const args = variant === 'sdk' ? [client, 'sidewatch', String(per), agent.sock] : [replay, String(per), agent.sock, agent.token, `c${i}`]
    return spawn(process.execPath, args, { stdio: ['pipe', 'pipe', 'inherit'] })
  })
  children.push(...clients)
  const lines = clients.map((c) => createInterface({ input: c.stdout }))
  const results = clients.map((c, i) => new Promise((resolve, reject) => {
    let last = ''
    lines[i].on('line', (line) => { last = line })
    c.once('exit', (code) => code === 0 ? resolve(JSON.parse(last)) : reject(new Error(`client exited ${code}`)))
  }))
  // Replay clients encode their frames first and say `ready`; all are told to go at once.
  if (variant === 'replay') {
    await Promise.all(lines.map((l) => new Promise((resolve) => l.once('line', resolve))))
    for (const c of clients) c.stdin.end('go\n')
  }
  const started = process.hrtime.bigint()
  const done = await Promise.all(results)
  const ackedMs = Math.max(...done.map((r) => r.wall_ms))
  const total = per * CLIENTS
  let inStream = useNats ? 0 : total
  let inCentral = useHttps ? 0 : total
  const deadline = Date.now() + 300_000
  for (;;) {
    if (useNats) inStream = await streamExecs()
    if (useHttps) inCentral = countCentral()
    if ((inStream >= total && inCentral >= total) || Date.now() > deadline) break
    await sleep(25)
  }
  const deliveredMs = Number(process.hrtime.bigint() - started) / 1e6
  const cpu = Object.fromEntries(Object.entries(pids).map(([k, pid]) => [k, pid === undefined ? 0 : cpuSeconds(pid) - cpuBefore[k]]))
  cpu.clients = done.reduce((a, r) => a + r.cpu_us, 0) / 1e6
  const mainCpu = Object.fromEntries(Object.entries(pids).map(([k, pid]) => [k, pid === undefined ? 0 : mainThreadSeconds(pid) - mainBefore[k]]))
  const status = readFileSync(`/proc/${agent.child.pid}/status`, 'utf8')
  const rss = Number(/VmHWM:\s+(\d+) kB/.exec(status)?.[1] ?? 0) * 1024
  await nc?.close()
  await stopAgent(agent)
  nats?.child.kill('SIGTERM')
  if (collector !== undefined && collector.child.exitCode === null) {
    const exited = new Promise((resolve) => collector.child.once('exit', resolve))
    collector.child.kill('SIGTERM')
    await exited // its CPU profile, if asked for, is written as it exits
  }
  return { variant, sinks, total, ackedMs, deliveredMs, inStream, inCentral, rss, cpu, mainCpu }
}

const rateOf = (r) => Math.round(r.total / (r.deliveredMs / 1000))
const usPerEvent = (s, r) => (s * 1e6 / r.total).toFixed(1)
try {
  const variants = (process.env.BENCH_SHIP_VARIANTS ?? 'sdk,replay').split(',')
  const sinkSets = (process.env.BENCH_SHIP_SINKS ?? 'both,nats,https').split(',')
  const runs = []
  for (const sinks of sinkSets) {
    for (const variant of variants) {
      const sub = join(dir, `${variant}-${sinks}`)
      mkdirSync(sub)
      runs.push(await run(variant, sinks, sub))
    }
  }
  console.log(`shipping: ${runs[0].total.toLocaleString('en-US')} process.exec events from ${CLIENTS} clients → agent (rules, spool) → sinks (both: nats JetStream + https collector), loopback, 2 cores shared by all`)
  console.log('| sinks | clients | acked to the clients, events/s | delivered to every back end, events/s | agent CPU µs/event (main thread) | nats-server / collector (main thread) µs/event | agent max RSS MiB | CPU s: agent / nats-server / collector / clients |')
  console.log('|---|---|---|---|---|---|---|---|')
  for (const r of runs) {
    console.log(`| ${r.sinks} | ${r.variant} | ${Math.round(r.total / (r.ackedMs / 1000)).toLocaleString('en-US')} | ${rateOf(r).toLocaleString('en-US')} | ${usPerEvent(r.cpu.agent, r)} (${usPerEvent(r.mainCpu.agent, r)}) | ${r.sinks === 'https' ? '–' : usPerEvent(r.cpu.nats, r)} / ${r.sinks === 'nats' ? '–' : `${usPerEvent(r.cpu.collector, r)} (${usPerEvent(r.mainCpu.collector, r)})`} | ${(r.rss / 2 ** 20).toFixed(0)} | ${[r.cpu.agent, r.cpu.nats, r.cpu.collector, r.cpu.clients].map((x) => x.toFixed(2)).join(' / ')} |`)
    if (r.inStream < r.total || r.inCentral < r.total) console.log(`  ${r.sinks}/${r.variant}: NOT ALL DELIVERED: stream ${r.inStream}, collector ${r.inCentral} of ${r.total}`)
  }
  console.log(`goals (>= ${GOAL_RATE.toLocaleString('en-US')} events/s delivered, agent RSS < 200 MB):`)
  for (const r of runs) {
    const rate = rateOf(r)
    console.log(`  ${r.sinks}/${r.variant}: rate ${rate >= GOAL_RATE ? 'met' : 'NOT met'} (${(rate / GOAL_RATE).toFixed(2)}x), RSS ${r.rss < GOAL_RSS ? 'met' : 'NOT met'} (${(r.rss / 2 ** 20).toFixed(0)} MiB)`)
  }
  console.log(JSON.stringify({
    events: runs[0].total,
    clients: CLIENTS,
    runs: runs.map((r) => ({ sinks: r.sinks, variant: r.variant, acked_events_per_s: Math.round(r.total / (r.ackedMs / 1000)), events_per_s: rateOf(r), agent_cpu_us_per_event: +usPerEvent(r.cpu.agent, r), agent_max_rss_mib: +(r.rss / 2 ** 20).toFixed(1), cpu_s: r.cpu, main_thread_cpu_s: r.mainCpu, goal_rate_met: rateOf(r) >= GOAL_RATE, goal_rss_met: r.rss < GOAL_RSS, all_delivered: r.inStream >= r.total && r.inCentral >= r.total })),
  }))
} finally {
  cleanup()
}
