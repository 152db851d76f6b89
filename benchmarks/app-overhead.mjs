// Benchmark (issue 3): what the SDK costs a real app, against no SDK and against the peer,
// dd-trace with AppSec and RASP, in the same run, same Node binary. Two apps (benchmarks/apps/):
// (a) a plain node:http hello route; (b) an Express 5 route that reads a small file named by the
// query and makes one outbound http.get to a local upstream, returning both. Three variants of
// each, every one a fresh app process: no SDK; sidewatch (monitor mode, agent running, jsonl sink
// in a temp dir); dd-trace AppSec + RASP (`-r dd-trace/init`, its agent URL a closed loopback port).
// Each is loaded with autocannon (50 connections, warm-up, then the measured run), rounds
// interleaved (ABC ABC) so drift on a shared machine hits every variant alike; best round counts.
//
// Everything listens on and talks to 127.0.0.1 only. Settings: BENCH_ROUNDS (2), BENCH_SECONDS (7),
// BENCH_WARMUP_SECONDS (2), BENCH_CONNECTIONS (50); BENCH_APPS=hello,express to run only some apps;
// BENCH_NODE=22|24|PATH runs the apps on another Node (22 and 24 are the test matrix's binaries,
// installed by scripts/setup), the default being the Node running this script.
import { execFileSync, spawn } from 'node:child_process'
import { once } from 'node:events'
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:http'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { setTimeout as sleep } from 'node:timers/promises'
import { startAgent, stopAgent } from './agent-process.mjs'
import { appBaseEnv, benchApps, FILE_NAME, FILE_TEXT, nodeBinary, sdkVariants, UPSTREAM_BODY } from './app-variants.mjs'

const require = createRequire(import.meta.url)
const autocannon = require('autocannon')

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 2)
const SECONDS = Number(process.env.BENCH_SECONDS ?? 7)
const WARMUP = Number(process.env.BENCH_WARMUP_SECONDS ?? 2)
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 50)
const MAX_REQUESTS = 2_000_000 // a bound on count as well as on time
const HOST = '127.0.0.1'

const NODE = nodeBinary(process.env.BENCH_NODE)
const NODE_VERSION = execFileSync(NODE, ['--version'], { encoding: 'utf8' }).trim()
const here = new URL('.', import.meta.url).pathname
const ddVersion = require('dd-trace/package.json').version
const apps = benchApps()

const dir = mkdtempSync(join(tmpdir(), 'sidewatch-bench-app-'))
const filesDir = join(dir, 'files')
const children = new Set()
let agent
let upstream
try {
  mkdirSync(filesDir)
  writeFileSync(join(filesDir, FILE_NAME), FILE_TEXT)

  // Upstream for the Express route: loopback only, a free port.
  upstream = createServer((req, res) => { res.writeHead(200, { 'content-type': 'application/json' }); res.end(UPSTREAM_BODY) })
  upstream.keepAliveTimeout = 30_000
  upstream.listen(0, HOST)
  await once(upstream, 'listening')
  const upstreamPort = upstream.address().port

  // dd-trace's agent URL: a loopback port nothing listens on (taken from the OS, then closed).
  const closed = createServer()
  closed.listen(0, HOST)
  await once(closed, 'listening')
  const closedPort = closed.address().port
  closed.close()

  const sink = join(dir, 'agent.jsonl')
  agent = await startAgent(dir, [`jsonl:${sink}`])
  const base = { BENCH_FILES_DIR: filesDir, BENCH_UPSTREAM_PORT: String(upstreamPort) }
  const variants = sdkVariants({ agent, ddAgentUrl: `http://${HOST}:${closedPort}`, ddVersion })

  // Only our own variables pass to the apps (none of the caller's SIDEWATCH_* / DD_* settings).
  const cleanEnv = appBaseEnv()
  const runs = {} // runs[app][variant] = [{ rps, p99, rss, ... }]
  const checked = {}
  for (let round = 0; round < ROUNDS; round++) {
    for (const app of apps) {
      for (const variant of variants) {
        const started = await startApp(app, variant, { ...cleanEnv, ...base, ...variant.env })
        try {
          const url = `http://${HOST}:${started.info.port}${app.path}`
          const key = `${app.name}/${variant.name}`
          if (!checked[key]) {
            // Once per variant: the app answers right, and the variant runs with its SDK.
            if (!variant.check(started.info)) throw new Error(`${key}: the app did not start with the expected SDK: ${JSON.stringify(started.info)}`)
            const answer = await get(url)
            if (answer.status !== 200 || !app.expect(answer.body)) throw new Error(`${key}: wrong answer ${answer.status} ${answer.body.slice(0, 200)}`)
            checked[key] = true
          }
          await load(url, WARMUP)
          const appCpu0 = cpuMsOf(started.child.pid)
          const agentCpu0 = cpuMsOf(agent.child.pid)
          const r = await load(url, SECONDS)
          const rss = rssOf(started.child.pid)
          // CPU per request (from /proc, 10 ms ticks): less sensitive to a busy machine than req/s.
          const appCpuUs = (cpuMsOf(started.child.pid) - appCpu0) * 1000 / r.requests.total
          const agentCpuUs = (cpuMsOf(agent.child.pid) - agentCpu0) * 1000 / r.requests.total
          const bad = r.errors + r.timeouts + r.non2xx
          ;((runs[app.name] ??= {})[variant.name] ??= []).push({ rps: r.requests.average, p99: r.latency.p99, p50: r.latency.p50, rss, bad, total: r.requests.total, appCpuUs, agentCpuUs })
          process.stderr.write(`  round ${round + 1} ${key}: ${Math.round(r.requests.average)} req/s, p99 ${r.latency.p99} ms, RSS ${rss} MiB, app CPU ${appCpuUs.toFixed(0)} µs/req, agent CPU ${agentCpuUs.toFixed(0)} µs/req${bad ? `, ${bad} failed` : ''}\n`)
        } finally {
          await stopApp(started.child)
        }
      }
    }
  }
  await sleep(500) // the last batches reach the sink
  await stopAgent(agent)
  agent = undefined
  const sinkText = (() => { try { return readFileSync(sink, 'utf8') } catch { return '' } })()
  const count = (kind) => sinkText.split(`"kind":"${kind}"`).length - 1

  // Figures: the best round (highest req/s) per variant; its p99 and RSS; the req/s range.
  const result = { node: NODE_VERSION, dd_trace: ddVersion, rounds: ROUNDS, seconds: SECONDS, connections: CONNECTIONS, apps: {} }
  const lines = []
  lines.push(`Node ${NODE_VERSION} for every variant; dd-trace ${ddVersion} (dd-trace 5.x supports Node 20). ${CONNECTIONS} connections, ${WARMUP} s warm-up + ${SECONDS} s measured, ${ROUNDS} interleaved rounds; best round shown, req/s range across rounds in brackets.`)
  for (const app of apps) {
    const figures = {}
    for (const variant of variants) {
      const rs = runs[app.name][variant.name]
      const best = rs.reduce((a, b) => (b.rps > a.rps ? b : a))
      figures[variant.name] = {
        req_per_s: Math.round(best.rps),
        req_per_s_min: Math.round(Math.min(...rs.map((r) => r.rps))),
        req_per_s_max: Math.round(Math.max(...rs.map((r) => r.rps))),
        p99_ms: best.p99,
        p50_ms: best.p50,
        rss_mib: best.rss,
        failed: rs.reduce((n, r) => n + r.bad, 0),
        app_cpu_us_per_req: +Math.min(...rs.map((r) => r.appCpuUs)).toFixed(1),
        agent_cpu_us_per_req: +Math.min(...rs.map((r) => r.agentCpuUs)).toFixed(1),
      }
    }
    const none = figures.none.req_per_s
    for (const v of ['sidewatch', 'ddtrace']) figures[v].ratio = +(figures[v].req_per_s / none).toFixed(3)
    for (const v of ['sidewatch', 'ddtrace']) figures[v].app_cpu_ratio = +(figures[v].app_cpu_us_per_req / figures.none.app_cpu_us_per_req).toFixed(2)
    figures.sidewatch_cost_pct = +((1 - figures.sidewatch.ratio) * 100).toFixed(1)
    figures.goal_met = figures.sidewatch.ratio >= 0.95 && figures.sidewatch.req_per_s > figures.ddtrace.req_per_s
    result.apps[app.name] = figures

    lines.push('')
    lines.push(`${app.title}   (GET ${app.path})`)
    lines.push('variant                              req/s  [range]              ratio    p99 ms   p50 ms   RSS MiB   app CPU µs/req')
    for (const variant of variants) {
      const f = figures[variant.name]
      const ratio = variant.name === 'none' ? '1' : String(f.ratio)
      lines.push(`${variant.title.padEnd(34)} ${String(f.req_per_s).padStart(7)}  [${f.req_per_s_min}–${f.req_per_s_max}]`.padEnd(64) +
        `${ratio.padStart(5)}x ${String(f.p99_ms).padStart(8)} ${String(f.p50_ms).padStart(8)} ${String(f.rss_mib).padStart(9)}   ${String(f.app_cpu_us_per_req).padStart(6)}` +
        (f.failed ? `   ${f.failed} FAILED REQUESTS` : ''))
    }
    lines.push(`goal (sidewatch ≥ 0.95x of no SDK, and faster than dd-trace): ${figures.goal_met ? 'met' : 'NOT met'} (sidewatch costs ${figures.sidewatch_cost_pct}% of req/s)`)
  }
  result.agent_cpu_us_per_req = Object.fromEntries(apps.map((a) => [a.name, result.apps[a.name].sidewatch.agent_cpu_us_per_req]))
  result.sidewatch_events = { http_request: count('http.request'), http_client: count('http.client'), fs_op: count('fs.op'), http_summary: count('http.summary') }
  lines.push('')
  lines.push(`app CPU µs/req: the app process's CPU during the measured run / requests served (lowest round). The sidewatch agent, a second process on the same cores, used ${apps.map((a) => `${result.agent_cpu_us_per_req[a.name]} µs/req (${a.name})`).join(', ')} on top.`)
  lines.push(`agent sink (all sidewatch runs): ${result.sidewatch_events.http_request} http.request, ${result.sidewatch_events.http_client} http.client, ${result.sidewatch_events.fs_op} fs.op, ${result.sidewatch_events.http_summary} http.summary events (requests and calls on reused connections are counted in http.summary)`)
  const failed = Object.values(result.apps).some((a) => ['none', 'sidewatch', 'ddtrace'].some((v) => a[v].failed > 0))
  if (failed) lines.push('WARNING: some requests failed (errors, timeouts or non-2xx); see FAILED above')
  if (result.sidewatch_events.http_request + result.sidewatch_events.http_summary === 0) lines.push('WARNING: the agent received neither http.request nor http.summary events from the sidewatch variant')
  console.log(lines.join('\n'))
  console.log(JSON.stringify(result))
} finally {
  for (const child of children) child.kill('SIGKILL')
  if (agent) await stopAgent(agent)
  if (upstream) upstream.close()
  rmSync(dir, { recursive: true, force: true })
}

function startApp (app, variant, env) {
  const child = spawn(NODE, [...variant.preload, app.script], { cwd: here, env, stdio: ['ignore', 'pipe', 'pipe'] })
  children.add(child)
  let stderr = ''
  child.stderr.on('data', (d) => { if (stderr.length < 8192) stderr += d })
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => { child.kill('SIGKILL'); reject(new Error(`${app.name}/${variant.name} did not start in 30 s: ${stderr}`)) }, 30_000)
    createInterface({ input: child.stdout }).once('line', (line) => {
      clearTimeout(timer)
      try { resolve({ child, info: JSON.parse(line) }) } catch { reject(new Error(`${app.name}/${variant.name}: unexpected output ${line}`)) }
    })
    child.once('exit', (code) => { clearTimeout(timer); reject(new Error(`${app.name}/${variant.name} exited ${code}: ${stderr}`)) })
  })
}

async function stopApp (child) {
  if (child.exitCode === null && child.signalCode === null) {
    const exited = once(child, 'exit')
    child.kill('SIGTERM')
    const t = setTimeout(() => child.kill('SIGKILL'), 5000)
    await exited
    clearTimeout(t)
  }
  children.delete(child)
}

function load (url, seconds) {
  if (!url.startsWith(`http://${HOST}:`)) throw new Error(`refusing to load ${url}`)
  return new Promise((resolve, reject) => {
    const instance = autocannon({ url, connections: CONNECTIONS, duration: seconds, maxOverallRequests: MAX_REQUESTS, timeout: 10 }, (err, res) => {
      clearTimeout(guard)
      if (err) reject(err); else resolve(res)
    })
    const guard = setTimeout(() => instance.stop(), (seconds + 15) * 1000)
  })
}

async function get (url) {
  const res = await fetch(url)
  return { status: res.status, body: await res.text() }
}

function cpuMsOf (pid) {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ')
    return (Number(fields[11]) + Number(fields[12])) * 10 // utime + stime, 100 ticks/s
  } catch { return NaN }
}

function rssOf (pid) {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))
    return m ? Math.round(Number(m[1]) / 1024) : null
  } catch { return null }
}
