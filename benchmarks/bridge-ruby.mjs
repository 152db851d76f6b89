// Benchmark (issue 9): the Ruby bridge. (1) The added cost per hooked call — File.read of a small
// file outside a request and inside one (through the Rack middleware, an input not in the path),
// and system('true') reported as process.exec — Ruby without the bridge against Ruby under
// `-rsidewatch/auto` (agent running), fresh processes, rounds interleaved, median; CPU per call of
// the Ruby process is the figure that survives a shared machine. (2) Requests per second of a
// Sinatra app (a route reading a small file) and a plain Rack hello, both on WEBrick, without and
// with the bridge (monitor mode, agent running), autocannon, rounds interleaved; the app
// process's CPU per request is printed beside req/s (its kernel share, sys, apart). (3) The same
// requests counted in instructions (valgrind callgrind, deterministic where CPU time on a shared
// machine is not): in one process through Rack::MockRequest (the difference of 200 + N and 200
// requests), and the whole WEBrick server process (all threads; the difference of 200 + N and 200
// requests over CONNECTIONS keep-alive connections), and the req/s ratio the server's counts imply
// for a CPU-bound server: user CPU scaled by the instruction ratio, sys the same with and without
// the bridge (as benchmarks/bridge-python.mjs does). Skipped without valgrind or with
// BENCH_INSTRUCTIONS=0; BENCH_INSTR_REQUESTS (1000), BENCH_SERVER_INSTR_REQUESTS (600). BENCH_BRIDGE_LIB:
// the bridge's lib directory to load (to compare another checkout's).
// Goal: at most 5% fewer requests per second.
import { spawn, spawnSync } from 'node:child_process'
import { once } from 'node:events'
import { Agent, get } from 'node:http'
import { createRequire } from 'node:module'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { root, startAgent, stopAgent } from './agent-process.mjs'

const require = createRequire(import.meta.url)
const autocannon = require('autocannon')

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3)
const CALLS = Number(process.env.BENCH_CALLS ?? 30_000)
const SYSTEM_CALLS = Number(process.env.BENCH_SYSTEM_CALLS ?? 300)
const HTTP_ROUNDS = Number(process.env.BENCH_HTTP_ROUNDS ?? 3)
const SECONDS = Number(process.env.BENCH_SECONDS ?? 4)
const CONNECTIONS = 10
const INSTR_REQUESTS = Number(process.env.BENCH_INSTR_REQUESTS ?? 1000)
const SERVER_INSTR_REQUESTS = Number(process.env.BENCH_SERVER_INSTR_REQUESTS ?? 600)
const INSTRUCTIONS = process.env.BENCH_INSTRUCTIONS !== '0' && spawnSync('valgrind', ['--version']).status === 0
const PATHS = { sinatra: '/menu?name=espresso', rack: '/hello?name=espresso' }
const LIB = process.env.BENCH_BRIDGE_LIB ?? join(root, 'py-ruby-bridge', 'ruby', 'lib') // another checkout's bridge, to compare
const CALLS_APP = join(root, 'benchmarks', 'apps', 'ruby-calls.rb')
const HELLO_APP = join(root, 'benchmarks', 'apps', 'ruby-hello.rb')
const REQUESTS_APP = join(root, 'benchmarks', 'apps', 'ruby-requests.rb')
const bridge = (on) => (on ? ['-I', LIB, '-rsidewatch/auto'] : [])

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]
const round = (x, d = 2) => +x.toFixed(d)

function measureCalls (env, on) {
  const res = spawnSync('ruby', [...bridge(on), CALLS_APP], { encoding: 'utf8', env, timeout: 180_000 })
  if (res.status !== 0) throw new Error(res.stderr || `exit ${res.status}`)
  const out = JSON.parse(res.stdout.trim().split('\n').at(-1))
  if (out.sidewatch !== on) throw new Error(`a variant ran with the wrong bridge setting (${JSON.stringify(out)})`)
  return out
}

function measureRequests (env, on) {
  const res = spawnSync('ruby', [...bridge(on), REQUESTS_APP], { encoding: 'utf8', env, timeout: 180_000 })
  if (res.status !== 0) throw new Error(res.stderr || `exit ${res.status}`)
  const out = JSON.parse(res.stdout.trim().split('\n').at(-1))
  if (out.sidewatch !== on) throw new Error(`a variant ran with the wrong bridge setting (${JSON.stringify(out)})`)
  return out
}

function startApp (env, app, on) {
  const child = spawn('ruby', [...bridge(on), HELLO_APP], { env: { ...env, APP: app }, stdio: ['ignore', 'pipe', 'pipe'] })
  return new Promise((resolve, reject) => {
    createInterface({ input: child.stdout }).on('line', (line) => {
      const msg = JSON.parse(line)
      if (msg.msg !== 'listening') return
      if (msg.sidewatch !== on) reject(new Error(`app ${app} ran with the wrong bridge setting`))
      resolve({ child, port: msg.port })
    })
    child.once('exit', (code) => reject(new Error(`app ${app} exited ${code}`)))
  })
}

function cpuMsOf (pid) {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ')
  return { user: Number(fields[11]) * 10, sys: Number(fields[12]) * 10 } // all threads
}

const collected = (err) => { const m = /Collected : (\d+)/.exec(err); return m ? Number(m[1]) : undefined }

// Instructions of one in-process request (Rack::MockRequest): callgrind totals of 200 + N and of 200.
async function instructionsPerRequest (env, app, on) {
  const count = (n) => new Promise((resolve, reject) => {
    const child = spawn('valgrind', ['--tool=callgrind', '--callgrind-out-file=/dev/null', 'ruby', ...bridge(on), REQUESTS_APP],
      { env: { ...env, BENCH_COUNT_APP: app, BENCH_COUNT: String(n) }, stdio: ['ignore', 'ignore', 'pipe'] })
    let err = ''
    child.stderr.on('data', (d) => { err += d })
    child.once('exit', (code) => {
      const total = collected(err)
      if (code !== 0 || total === undefined) reject(new Error(`callgrind ${app} ${n}: exit ${code}\n${err.slice(-500)}`)); else resolve(total)
    })
  })
  const [base, more] = await Promise.all([count(0), count(INSTR_REQUESTS)])
  return (more - base) / INSTR_REQUESTS
}

// Exactly n GET requests over CONNECTIONS keep-alive connections; every answer must be a 200.
async function drive (port, path, n) {
  const agent = new Agent({ keepAlive: true, maxSockets: CONNECTIONS })
  let sent = 0
  const one = () => new Promise((resolve, reject) => {
    get({ host: '127.0.0.1', port, path, agent }, (res) => {
      res.resume()
      res.once('end', () => res.statusCode === 200 ? resolve() : reject(new Error(`${path} answered ${res.statusCode}`)))
    }).once('error', reject)
  })
  const worker = async () => { while (sent < n) { sent++; await one() } }
  try { await Promise.all(Array.from({ length: CONNECTIONS }, worker)) } finally { agent.destroy() }
}

// Instructions of one request through the whole WEBrick server: callgrind totals of 200 + N and of 200.
async function serverInstructionsPerRequest (env, app, on) {
  const count = async (n) => {
    const child = spawn('valgrind', ['--tool=callgrind', '--callgrind-out-file=/dev/null', 'ruby', ...bridge(on), HELLO_APP],
      { env: { ...env, APP: app }, stdio: ['ignore', 'pipe', 'pipe'] })
    let err = ''
    child.stderr.on('data', (d) => { err += d })
    const exited = once(child, 'exit')
    try {
      const port = await new Promise((resolve, reject) => {
        createInterface({ input: child.stdout }).on('line', (line) => { try { resolve(JSON.parse(line).port) } catch {} })
        child.once('exit', (code) => reject(new Error(`${app} under callgrind exited ${code}: ${err.slice(-500)}`)))
      })
      await drive(port, PATHS[app], 200 + n)
    } finally {
      child.kill('SIGTERM')
      await exited
    }
    const total = collected(err)
    if (total === undefined) throw new Error(`callgrind server ${app} ${n}: no total\n${err.slice(-500)}`)
    return total
  }
  const [base, more] = await Promise.all([count(0), count(SERVER_INSTR_REQUESTS)])
  return (more - base) / SERVER_INSTR_REQUESTS
}

function load (url, seconds) {
  if (!url.startsWith('http://127.0.0.1:')) throw new Error(`refusing to load ${url}`)
  return new Promise((resolve, reject) => {
    autocannon({ url, connections: CONNECTIONS, duration: seconds, timeout: 10 }, (err, res) => { if (err) reject(err); else resolve(res) })
  })
}

async function measureHttp (env, app, on) {
  const { child, port } = await startApp(env, app, on)
  try {
    const url = `http://127.0.0.1:${port}${PATHS[app]}`
    await load(url, 1)
    const cpu0 = cpuMsOf(child.pid)
    const res = await load(url, SECONDS)
    const cpu1 = cpuMsOf(child.pid)
    if (res.non2xx > 0 || res.errors > 0) throw new Error(`${app}: ${res.non2xx} non-2xx, ${res.errors} errors`)
    const perRequest = (ms) => (ms * 1000) / res.requests.total
    return { rps: res.requests.average, p99: res.latency.p99, cpu_us_per_req: perRequest(cpu1.user + cpu1.sys - cpu0.user - cpu0.sys), sys_us_per_req: perRequest(cpu1.sys - cpu0.sys) }
  } finally {
    await new Promise((resolve) => { child.once('exit', resolve); child.kill('SIGTERM') })
  }
}

const dir = mkdtempSync(join(tmpdir(), 'sidewatch-bench-rb-'))
let agent
try {
  writeFileSync(join(dir, 'catalog.txt'), 'sku-1 espresso 2.40\nsku-2 flat white 3.10\n')
  const sink = join(dir, 'out.jsonl')
  agent = await startAgent(dir, [`jsonl:${sink}`], 'bench', ['--proc', 'off', '--capture', 'off'])
  const env = { ...process.env, BENCH_FILES_DIR: dir, BENCH_CALLS: String(CALLS), BENCH_SYSTEM_CALLS: String(SYSTEM_CALLS),
    SIDEWATCH_AGENT: `unix:${agent.sock}`, SIDEWATCH_TOKEN: agent.token, SIDEWATCH_MODE: 'monitor', SIDEWATCH_SERVICE: 'bench-rb' }
  delete env.RUBYOPT

  const calls = { without: [], with: [] }
  for (let r = 0; r < ROUNDS; r++) {
    calls.without.push(measureCalls(env, false))
    calls.with.push(measureCalls(env, true))
  }
  const inproc = { without: [], with: [] }
  for (let r = 0; r < ROUNDS; r++) {
    inproc.without.push(measureRequests(env, false))
    inproc.with.push(measureRequests(env, true))
  }
  const http = { sinatra: { without: [], with: [] }, rack: { without: [], with: [] } }
  for (let r = 0; r < HTTP_ROUNDS; r++) {
    for (const app of ['sinatra', 'rack']) {
      http[app].without.push(await measureHttp(env, app, false))
      http[app].with.push(await measureHttp(env, app, true))
    }
  }
  const instr = {}
  if (INSTRUCTIONS) {
    for (const app of ['sinatra', 'rack']) {
      const [w, s] = await Promise.all([instructionsPerRequest(env, app, false), instructionsPerRequest(env, app, true)])
      const [sw, ss] = [await serverInstructionsPerRequest(env, app, false), await serverInstructionsPerRequest(env, app, true)]
      instr[app] = { w, s, sw, ss }
    }
  }
  await stopAgent(agent)
  agent = undefined
  const stored = (kind) => { try { return readFileSync(sink, 'utf8').split(`"kind":"${kind}"`).length - 1 } catch { return 0 } }

  const ruby = spawnSync('ruby', ['-e', 'print RUBY_VERSION'], { encoding: 'utf8' }).stdout
  const result = { ruby, rounds: ROUNDS, calls: CALLS, system_calls: SYSTEM_CALLS, http_rounds: HTTP_ROUNDS, seconds: SECONDS, connections: CONNECTIONS }
  const lines = [`Ruby ${ruby}; µs per call, median of ${ROUNDS} interleaved rounds of fresh processes (agent running, monitor mode)`,
    'call                                    wall without  wall with  bridge wall +   CPU without  CPU with  bridge CPU +']
  for (const [title, key] of [['File.read, outside a request', 'read_outside'], ['File.read, in a request (Rack middleware)', 'read_request'], ["system('true'), reported as process.exec", 'system']]) {
    const w = median(calls.without.map((r) => r[`${key}_wall`]))
    const s = median(calls.with.map((r) => r[`${key}_wall`]))
    const wc = median(calls.without.map((r) => r[`${key}_cpu`]))
    const sc = median(calls.with.map((r) => r[`${key}_cpu`]))
    Object.assign(result, { [`${key}_without_wall_us`]: round(w), [`${key}_with_wall_us`]: round(s), [`${key}_bridge_wall_us`]: round(s - w),
      [`${key}_without_cpu_us`]: round(wc), [`${key}_with_cpu_us`]: round(sc), [`${key}_bridge_cpu_us`]: round(sc - wc) })
    lines.push(`${title.padEnd(40)} ${String(round(w)).padStart(12)} ${String(round(s)).padStart(10)} ${String(round(s - w)).padStart(13)} ${String(round(wc)).padStart(13)} ${String(round(sc)).padStart(9)} ${String(round(sc - wc)).padStart(13)}`)
  }
  lines.push('', `In process (Rack::MockRequest, no server), thread CPU µs per request, best of 7 batches, median of ${ROUNDS} interleaved rounds of fresh processes`,
    'app                          without     with   bridge +   ratio (without/with)')
  for (const app of ['sinatra', 'rack']) {
    const w = median(inproc.without.map((r) => r[`${app}_cpu_us`]))
    const s = median(inproc.with.map((r) => r[`${app}_cpu_us`]))
    Object.assign(result, { [`${app}_inproc_cpu_us_without`]: round(w, 1), [`${app}_inproc_cpu_us_with`]: round(s, 1), [`${app}_inproc_ratio`]: round(w / s, 3) })
    lines.push(`${(app === 'sinatra' ? 'Sinatra, File.read per req' : 'Rack hello').padEnd(28)} ${String(round(w, 1)).padStart(8)} ${String(round(s, 1)).padStart(8)} ${String(round(s - w, 1)).padStart(10)}   ${String(round(w / s, 3)).padStart(8)}`)
  }
  lines.push('', `WEBrick apps, autocannon ${CONNECTIONS} connections, 1 s warm-up + ${SECONDS} s, ${HTTP_ROUNDS} interleaved rounds, best round (req/s range in brackets)`,
    'app                         req/s without          req/s with bridge      ratio   p99 ms without/with   app CPU µs/req without/with')
  for (const app of ['sinatra', 'rack']) {
    const best = (runs) => runs.reduce((a, b) => (b.rps > a.rps ? b : a))
    const range = (runs) => `${Math.round(Math.min(...runs.map((r) => r.rps)))}–${Math.round(Math.max(...runs.map((r) => r.rps)))}`
    const w = best(http[app].without)
    const s = best(http[app].with)
    const cpuW = median(http[app].without.map((r) => r.cpu_us_per_req))
    const cpuS = median(http[app].with.map((r) => r.cpu_us_per_req))
    const ratio = round(s.rps / w.rps, 3)
    Object.assign(result, { [`${app}_rps_without`]: Math.round(w.rps), [`${app}_rps_with`]: Math.round(s.rps), [`${app}_ratio`]: ratio,
      [`${app}_cpu_us_per_req_without`]: Math.round(cpuW), [`${app}_cpu_us_per_req_with`]: Math.round(cpuS),
      [`${app}_p99_ms_without`]: w.p99, [`${app}_p99_ms_with`]: s.p99 })
    const title = app === 'sinatra' ? 'Sinatra, File.read per req' : 'Rack hello'
    lines.push(`${title.padEnd(27)} ${`${Math.round(w.rps)} [${range(http[app].without)}]`.padEnd(22)} ${`${Math.round(s.rps)} [${range(http[app].with)}]`.padEnd(22)} ${String(ratio).padStart(5)}   ${`${w.p99}/${s.p99}`.padStart(19)}   ${`${Math.round(cpuW)}/${Math.round(cpuS)}`.padStart(27)}`)
  }
  if (INSTRUCTIONS) {
    lines.push('', `Instructions per request (callgrind): in one process (Rack::MockRequest, ${INSTR_REQUESTS} requests after 200) and the whole WEBrick server`,
      `(all threads, ${SERVER_INSTR_REQUESTS} requests after 200 over ${CONNECTIONS} keep-alive connections); implied req/s ratio = CPU without /`,
      '(user CPU without / server instruction ratio + sys CPU without), CPU from the WEBrick runs above (medians)',
      'app                          in-process without     with   bridge +   server without       with   bridge +   ratio   sys/CPU µs   implied req/s ratio')
    for (const app of ['sinatra', 'rack']) {
      const { w, s, sw, ss } = instr[app]
      const cpu = median(http[app].without.map((r) => r.cpu_us_per_req))
      const sys = median(http[app].without.map((r) => r.sys_us_per_req))
      const implied = cpu / ((cpu - sys) / (sw / ss) + sys)
      Object.assign(result, { [`${app}_instr_without`]: Math.round(w), [`${app}_instr_with`]: Math.round(s),
        [`${app}_server_instr_without`]: Math.round(sw), [`${app}_server_instr_with`]: Math.round(ss), [`${app}_server_instr_ratio`]: round(sw / ss, 3),
        [`${app}_sys_us_per_req`]: round(sys, 1), [`${app}_implied_ratio`]: round(implied, 3) })
      const title = app === 'sinatra' ? 'Sinatra, File.read per req' : 'Rack hello'
      lines.push(`${title.padEnd(28)} ${String(Math.round(w)).padStart(18)} ${String(Math.round(s)).padStart(8)} ${String(Math.round(s - w)).padStart(10)} ` +
        `${String(Math.round(sw)).padStart(16)} ${String(Math.round(ss)).padStart(10)} ${String(Math.round(ss - sw)).padStart(10)}   ${(sw / ss).toFixed(3)}   ` +
        `${`${Math.round(sys)}/${Math.round(cpu)}`.padStart(10)}   ${implied.toFixed(3)}`)
    }
  } else {
    lines.push('', '(instruction counts skipped: no valgrind or BENCH_INSTRUCTIONS=0)')
  }
  result.goal_met = result.sinatra_ratio >= 0.95 && result.rack_ratio >= 0.95
  if (INSTRUCTIONS) result.goal_met_implied = result.sinatra_implied_ratio >= 0.95 && result.rack_implied_ratio >= 0.95
  result.events_stored = { process_exec: stored('process.exec'), http_summary: stored('http.summary'), http_request: stored('http.request'), fs_op: stored('fs.op') }
  lines.push(`(goal: with the bridge >= 0.95x the req/s without: measured ${result.goal_met ? 'met' : 'not met'}` +
    `${INSTRUCTIONS ? `, implied by the server's instructions ${result.goal_met_implied ? 'met' : 'not met'}` : ''}; the agent stored ${result.events_stored.process_exec} process.exec, ${result.events_stored.http_summary} http.summary, ${result.events_stored.http_request} http.request, ${result.events_stored.fs_op} fs.op events)`)
  console.log(lines.join('\n'))
  console.log(JSON.stringify(result))
} finally {
  if (agent) await stopAgent(agent)
  rmSync(dir, { recursive: true, force: true })
}
