// Benchmark (issue 7): sustained events/s from SDK clients through the agent and its durable
// spool into two real back ends at once — NATS JetStream (nats-server -js, Debian) and a
// sidewatch collector over https (`sidewatch-agent collect`, TLS with a throwaway certificate) —
// and the agent's max RSS. Everything on loopback; the servers are started and stopped here.
//
//   clients: BENCH_SHIP_CLIENTS (4) processes of the real SDK (benchmarks/ingest-client.mjs),
//            BENCH_SHIP_EVENTS (200,000) process.exec events in all, over the agent's unix socket
//   agent:   sidewatch-agent run --sink nats://… --sink https://…/v1/events (rules on, capture
//            and /proc scanning off so only the clients' events flow)
//   timed:   from the clients' start until the stream and the collector both hold every event
//   RSS:     the agent's VmHWM from /proc at the end
// Goal: at least 50,000 events/s, agent RSS under 200 MB.
import { execFileSync, spawn } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
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

try {
  const nats = await launch('nats-server', ['-js', '-a', '127.0.0.1', '-p', '-1', '-sd', join(dir, 'nats')], /Listening for client connections on [\d.]+:(\d+)/)
  const natsUrl = `nats://127.0.0.1:${nats.match[1]}`
  const cert = join(dir, 'cert.pem')
  const key = join(dir, 'key.pem')
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1', '-days', '1', '-keyout', key, '-out', cert], { stdio: 'ignore' })
  const central = join(dir, 'central.jsonl')
  const collector = await launch(process.execPath, [agentBin, 'collect', '--listen', 'tcp://127.0.0.1:0', '--sink', `jsonl:${central}`, '--tls-cert', cert, '--tls-key', key],
    /"msg":"collecting"/, { ...process.env, SIDEWATCH_COLLECT_KEYS: 'bench-key' })
  const collectUrl = JSON.parse(collector.match.input).url

  process.env.SIDEWATCH_KEY = 'bench-key'
  process.env.SIDEWATCH_CA_FILE = cert
  const agent = await startAgent(dir, [natsUrl, collectUrl, ...(process.env.BENCH_SHIP_LOCAL ? [`jsonl:${join(dir, 'local.jsonl')}`] : [])], 'bench', ['--capture', 'off', '--proc', 'off'])
  const nc = await connect({ servers: natsUrl.replace('nats://', '') })
  const jsm = await nc.jetstreamManager()
  const streamExecs = async () => {
    try {
      return (await jsm.streams.info('SIDEWATCH')).state.messages
    } catch { return 0 }
  }
  const countCentral = () => { try { return readFileSync(central, 'utf8').split('"kind":"process.exec"').length - 1 } catch { return 0 } }

  const started = process.hrtime.bigint()
  const per = Math.floor(EVENTS / CLIENTS)
  const runs = Array.from({ length: CLIENTS }, () => new Promise((resolve, reject) => {
    const c = spawn(process.execPath, [client, 'sidewatch', String(per), agent.sock], { stdio: ['ignore', 'ignore', 'inherit'] })
    children.push(c)
    c.once('exit', (code) => code === 0 ? resolve() : reject(new Error(`client exited ${code}`)))
  }))
  await Promise.all(runs)
  const ackedMs = Number(process.hrtime.bigint() - started) / 1e6
  const total = per * CLIENTS
  let inStream = 0
  let inCentral = 0
  const deadline = Date.now() + 300_000
  for (;;) {
    inStream = await streamExecs()
    inCentral = countCentral()
    if ((inStream >= total && inCentral >= total) || Date.now() > deadline) break
    await sleep(20)
  }
  const deliveredMs = Number(process.hrtime.bigint() - started) / 1e6
  const status = readFileSync(`/proc/${agent.child.pid}/status`, 'utf8')
  const rss = Number(/VmHWM:\s+(\d+) kB/.exec(status)?.[1] ?? 0) * 1024
  await nc.close()
  await stopAgent(agent)

  const rate = Math.round(total / (deliveredMs / 1000))
  console.log(`shipping: ${total.toLocaleString('en-US')} process.exec events from ${CLIENTS} SDK clients → agent (rules, spool) → nats JetStream + https collector, loopback`)
  console.log(`  acknowledged to the SDKs (on disk in the spool): ${ackedMs.toFixed(0)} ms (${Math.round(total / (ackedMs / 1000)).toLocaleString('en-US')} events/s)`)
  console.log(`  delivered to both back ends:                     ${deliveredMs.toFixed(0)} ms (${rate.toLocaleString('en-US')} events/s); stream ${inStream} messages (events + agent.stats), collector ${inCentral} events`)
  console.log(`  agent max RSS: ${(rss / 2 ** 20).toFixed(1)} MiB`)
  console.log(`goals: >= ${GOAL_RATE.toLocaleString('en-US')} events/s: ${rate >= GOAL_RATE ? 'met' : 'NOT met'} (${(rate / GOAL_RATE).toFixed(2)}x); RSS < 200 MB: ${rss < GOAL_RSS ? 'met' : 'NOT met'}`)
  console.log(JSON.stringify({ events: total, clients: CLIENTS, acked_ms: Math.round(ackedMs), delivered_ms: Math.round(deliveredMs), events_per_s: rate, acked_events_per_s: Math.round(total / (ackedMs / 1000)), stream_messages: inStream, collector_events: inCentral, agent_max_rss_mib: +(rss / 2 ** 20).toFixed(1), goal_rate_met: rate >= GOAL_RATE, goal_rss_met: rss < GOAL_RSS }))
} finally {
  cleanup()
}
