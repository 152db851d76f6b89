// Benchmark (issue 9): what the Python bridge costs, with it against without it, same interpreter
// (Debian's /usr/bin/python3 with python3-flask), rounds interleaved.
// (1) per hooked call, in µs of wall and of process CPU (all threads, the reporter's sending
//     included), fresh processes, median of BENCH_ROUNDS: open()+read of a small file outside a
//     request and inside a request whose query names the file (the audit hook runs the
//     path-traversal check; nothing is reported: benign), and subprocess.run(['true']) outside a
//     request (reported: one process.exec event each; CPU taken over the calls and a pause after
//     them, so the sending is counted);
// (2) a Flask request in one process (Flask's test client, no server; benchmarks/apps/python-flask.py):
//     process CPU µs per request, best of 7 batches of 500, per-round ratio, median and range of
//     BENCH_INPROC_ROUNDS interleaved rounds;
// (3) the same requests counted in instructions (valgrind callgrind, difference of 300 + N and
//     300 requests, PYTHONHASHSEED=0): deterministic where CPU time on a shared machine is not;
//     and the whole server process (werkzeug's threaded server and the app, all threads) under
//     callgrind, the difference of 200 + N and 200 requests sent over BENCH_CONNECTIONS keep-alive
//     connections: the server's user-space instructions per request, and the req/s ratio they
//     imply for a CPU-bound server, with the kernel's share (sys CPU, the same with and without
//     the bridge) taken from the server runs of (4). Skipped without valgrind or with
//     BENCH_INSTRUCTIONS=0;
// (4) throughput: the app behind werkzeug's threaded server pinned to CPU 1 (taskset), autocannon
//     in its own process pinned to CPU 0; both variants served at once and loaded in turn (ABBA in
//     each round, so drift of the machine cancels), BENCH_SERVER_ROUNDS rounds of BENCH_SECONDS per
//     variant and route after a warm-up; req/s ratio per round, median and range; server CPU µs per
//     request from /proc (all its threads). Goal: at most 5% fewer req/s.
// The bridge runs in monitor mode with the agent up (jsonl sink in a temp dir). Everything listens
// on and talks to 127.0.0.1. Settings: BENCH_ROUNDS (3), BENCH_INPROC_ROUNDS (5),
// BENCH_SERVER_ROUNDS (8), BENCH_SECONDS (3), BENCH_CONNECTIONS (8), BENCH_OPEN_CALLS (20000),
// BENCH_SPAWN_CALLS (300), BENCH_INSTR_REQUESTS (300), BENCH_SERVER_INSTR_REQUESTS (600),
// BENCH_INSTRUCTIONS (1), BENCH_PARTS (calls,inprocess,instructions,server), BENCH_BRIDGE_DIR (the
// bridge to load, to compare another checkout's).
import { spawn, spawnSync } from 'node:child_process'
import { once } from 'node:events'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { Agent, get } from 'node:http'
import { availableParallelism, tmpdir } from 'node:os'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { root, startAgent, stopAgent } from './agent-process.mjs'

const PYTHON = process.env.BENCH_PYTHON ?? '/usr/bin/python3'
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3)
const INPROC_ROUNDS = Number(process.env.BENCH_INPROC_ROUNDS ?? 5)
const SERVER_ROUNDS = Number(process.env.BENCH_SERVER_ROUNDS ?? 8)
const SECONDS = Number(process.env.BENCH_SECONDS ?? 3)
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 8)
const OPEN_CALLS = Number(process.env.BENCH_OPEN_CALLS ?? 20_000)
const SPAWN_CALLS = Number(process.env.BENCH_SPAWN_CALLS ?? 300)
const INSTR_REQUESTS = Number(process.env.BENCH_INSTR_REQUESTS ?? 300)
const SERVER_INSTR_REQUESTS = Number(process.env.BENCH_SERVER_INSTR_REQUESTS ?? 600)
const PARTS = new Set((process.env.BENCH_PARTS ?? 'calls,inprocess,instructions,server').split(','))
const INSTRUCTIONS = process.env.BENCH_INSTRUCTIONS !== '0' && PARTS.has('instructions') && spawnSync('valgrind', ['--version']).status === 0
const BRIDGE_DIR = process.env.BENCH_BRIDGE_DIR ?? join(root, 'py-ruby-bridge', 'python') // another checkout's bridge, to compare
const APP = join(root, 'benchmarks', 'apps', 'python-flask.py')
const AUTOCANNON = join(root, 'node_modules', 'autocannon', 'autocannon.js')
const FILE_TEXT = 'sku-1 espresso 2.40\nsku-2 flat white 3.10\nsku-3 filter 2.00\n'
const PATHS = { hello: '/hello', file: '/file?name=catalog.txt' }
const PIN = availableParallelism() >= 2 && spawnSync('taskset', ['-c', '0', 'true']).status === 0
const SERVER_CPU = PIN ? ['taskset', '-c', '1'] : []
const LOAD_CPU = PIN ? ['taskset', '-c', '0'] : []

const callsProgram = `
import json, os, subprocess, sys, time
bridge = os.environ.get('BENCH_BRIDGE') == '1'
if bridge:
    import sidewatch
    sidewatch.start()
    from sidewatch.request_context import RequestContext, enter_request, leave_request
    from sidewatch.request_inputs import add_url_inputs
path = os.path.join(os.environ['BENCH_FILES_DIR'], 'catalog.txt')

def timed(n, fn, pause=0.0):
    c0, t0 = time.process_time(), time.perf_counter()
    for _ in range(n):
        fn()
    wall = time.perf_counter() - t0
    time.sleep(pause)
    return wall / n * 1e6, (time.process_time() - c0) / n * 1e6

def read():
    with open(path, 'rb') as f:
        f.read()

out = {'bridge': 'sidewatch' in sys.modules}
timed(2000, read)
out['open_outside_wall'], out['open_outside_cpu'] = timed(${OPEN_CALLS}, read)
token = None
if bridge:
    ctx = RequestContext('GET', '/file?name=catalog.txt&page=1')
    ctx.add_reader(lambda c: add_url_inputs(c, '/file', 'name=catalog.txt&page=1'))
    token = enter_request(ctx)
out['open_request_wall'], out['open_request_cpu'] = timed(${OPEN_CALLS}, read)
if token is not None:
    leave_request(token)
timed(20, lambda: subprocess.run(['true']), 0.3)
out['spawn_wall'], out['spawn_cpu'] = timed(${SPAWN_CALLS}, lambda: subprocess.run(['true']), 0.5)
print(json.dumps(out))
`

const median = (xs) => { const s = [...xs].sort((a, b) => a - b); const m = s.length >> 1; return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2 }
const round = (x, d = 2) => +x.toFixed(d)
const fmt = (x, d = 3) => x.toFixed(d)
const range = (xs) => `${fmt(Math.min(...xs))}–${fmt(Math.max(...xs))}`

function cpuTicksOf (pid) {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ')
  return { user: Number(fields[11]), sys: Number(fields[12]) } // all threads, dead ones included
}

function runPython (args, env, prefix = []) {
  const [cmd, ...rest] = [...prefix, PYTHON, ...args]
  const res = spawnSync(cmd, rest, { env, encoding: 'utf8', timeout: 600_000 })
  if (res.status !== 0) throw new Error(`${[cmd, ...rest].join(' ')}: ${res.stderr || `exit ${res.status}`}`)
  return res
}

function lastJson (text) {
  return JSON.parse(text.trim().split('\n').at(-1))
}

// autocannon in a process of its own (pinned to the other CPU), JSON result.
function load (url, seconds) {
  if (!url.startsWith('http://127.0.0.1:')) throw new Error(`refusing to load ${url}`)
  const [cmd, ...args] = [...LOAD_CPU, process.execPath, AUTOCANNON, '-c', String(CONNECTIONS), '-d', String(seconds), '-t', '10', '-j', url]
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'ignore'] })
    let out = ''
    child.stdout.on('data', (d) => { out += d })
    child.once('exit', (code) => { try { resolve(JSON.parse(out)) } catch { reject(new Error(`autocannon exited ${code}: ${out.slice(0, 300)}`)) } })
  })
}

async function startServer (env) {
  const [cmd, ...args] = [...SERVER_CPU, PYTHON, APP, 'serve']
  const child = spawn(cmd, args, { env, stdio: ['ignore', 'pipe', 'inherit'] })
  const ready = await new Promise((resolve, reject) => {
    createInterface({ input: child.stdout }).on('line', (line) => { try { resolve(JSON.parse(line)) } catch {} })
    child.once('exit', (code) => reject(new Error(`flask app exited ${code}`)))
  })
  if (ready.bridge !== (env.BENCH_BRIDGE === '1')) throw new Error('the app ran with the wrong bridge setting')
  return { child, port: ready.port }
}

async function stopServer (server) {
  const exited = once(server.child, 'exit')
  server.child.kill('SIGTERM')
  await exited
}

async function measureServer (server, path) {
  const t0 = cpuTicksOf(server.child.pid)
  const res = await load(`http://127.0.0.1:${server.port}${path}`, SECONDS)
  const t1 = cpuTicksOf(server.child.pid)
  if (res.non2xx > 0 || res.errors > 0) throw new Error(`${path}: ${res.non2xx} non-2xx, ${res.errors} errors`)
  const perRequest = (ticks) => ticks * 10_000 / res.requests.total
  return { rps: res.requests.total / SECONDS, cpu_us: perRequest(t1.user + t1.sys - t0.user - t0.sys), sys_us: perRequest(t1.sys - t0.sys) }
}

// Exactly n GET requests over `connections` keep-alive connections; every answer must be a 200.
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

// Instructions of one request through the whole server: callgrind totals of 200 + N and of 200.
async function serverInstructionsPerRequest (env, path) {
  const count = async (n) => {
    const child = spawn('valgrind', ['--tool=callgrind', '--callgrind-out-file=/dev/null', PYTHON, APP, 'serve'],
      { env: { ...env, PYTHONHASHSEED: '0' }, stdio: ['ignore', 'pipe', 'pipe'] })
    let err = ''
    child.stderr.on('data', (d) => { err += d })
    const exited = once(child, 'exit')
    try {
      const ready = await new Promise((resolve, reject) => {
        createInterface({ input: child.stdout }).on('line', (line) => { try { resolve(JSON.parse(line)) } catch {} })
        child.once('exit', (code) => reject(new Error(`flask app under callgrind exited ${code}: ${err.slice(-500)}`)))
      })
      await drive(ready.port, path, 200 + n)
    } finally {
      child.kill('SIGTERM')
      await exited
    }
    const m = /Collected : (\d+)/.exec(err)
    if (!m) throw new Error(`callgrind server ${path} ${n}: no total\n${err.slice(-500)}`)
    return Number(m[1])
  }
  const [base, more] = await Promise.all([count(0), count(SERVER_INSTR_REQUESTS)])
  return (more - base) / SERVER_INSTR_REQUESTS
}

// Instructions of one test-client request: callgrind totals of 300 + N and of 300 requests.
async function instructionsPerRequest (env, path) {
  const count = (n) => new Promise((resolve, reject) => {
    const child = spawn('valgrind', ['--tool=callgrind', '--callgrind-out-file=/dev/null', PYTHON, APP, 'count', path, String(n)],
      { env: { ...env, PYTHONHASHSEED: '0' }, stdio: ['ignore', 'ignore', 'pipe'] })
    let err = ''
    child.stderr.on('data', (d) => { err += d })
    child.once('exit', (code) => {
      const m = /Collected : (\d+)/.exec(err)
      if (code !== 0 || !m) reject(new Error(`callgrind ${path} ${n}: exit ${code}\n${err.slice(-500)}`)); else resolve(Number(m[1]))
    })
  })
  const [base, more] = await Promise.all([count(0), count(INSTR_REQUESTS)])
  return (more - base) / INSTR_REQUESTS
}

const dir = mkdtempSync(join(tmpdir(), 'sidewatch-bench-py-'))
let agent
const servers = []
try {
  writeFileSync(join(dir, 'catalog.txt'), FILE_TEXT)
  const sink = join(dir, 'out.jsonl')
  agent = await startAgent(dir, [`jsonl:${sink}`])
  const base = { ...process.env, BENCH_FILES_DIR: dir, PYTHONPATH: BRIDGE_DIR, SIDEWATCH_AGENT: `unix:${agent.sock}`, SIDEWATCH_TOKEN: agent.token, SIDEWATCH_MODE: 'monitor', SIDEWATCH_SERVICE: 'bench-py' }
  const variants = { without: { ...base, BENCH_BRIDGE: '0' }, with: { ...base, BENCH_BRIDGE: '1' } }
  const python = runPython(['--version'], base).stdout.trim()
  const result = { python, rounds: ROUNDS, inproc_rounds: INPROC_ROUNDS, server_rounds: SERVER_ROUNDS, seconds: SECONDS, connections: CONNECTIONS, pinned: PIN }
  const lines = []

  // (1) per hooked call
  const calls = { without: [], with: [] }
  for (let r = 0; r < (PARTS.has('calls') ? ROUNDS : 0); r++) {
    for (const v of ['without', 'with']) {
      const out = lastJson(runPython(['-c', callsProgram], variants[v], SERVER_CPU).stdout)
      if (out.bridge !== (v === 'with')) throw new Error('a variant ran with the wrong bridge setting')
      calls[v].push(out)
    }
  }
  if (PARTS.has('calls')) lines.push(`Python bridge, ${python}: µs per call, median of ${ROUNDS} interleaved rounds of fresh processes`,
    'call                                             wall without  wall with  bridge +   CPU without  CPU with  bridge +')
  for (const [title, key] of [['open()+read, outside a request', 'open_outside'], ['open()+read, in a request (input names the file)', 'open_request'],
    ['subprocess.run([true]), reported', 'spawn']].filter(() => PARTS.has('calls'))) {
    const w = median(calls.without.map((o) => o[`${key}_wall`]))
    const s = median(calls.with.map((o) => o[`${key}_wall`]))
    const wc = median(calls.without.map((o) => o[`${key}_cpu`]))
    const sc = median(calls.with.map((o) => o[`${key}_cpu`]))
    Object.assign(result, { [`${key}_without_wall_us`]: round(w), [`${key}_with_wall_us`]: round(s), [`${key}_bridge_wall_us`]: round(s - w),
      [`${key}_without_cpu_us`]: round(wc), [`${key}_with_cpu_us`]: round(sc), [`${key}_bridge_cpu_us`]: round(sc - wc) })
    lines.push(`${title.padEnd(48)} ${String(round(w)).padStart(8)}  ${String(round(s)).padStart(9)}  ${String(round(s - w)).padStart(8)}   ${String(round(wc)).padStart(10)}  ${String(round(sc)).padStart(8)}  ${String(round(sc - wc)).padStart(8)}`)
  }

  // (2) a Flask request in one process
  const inProcess = { without: [], with: [] }
  for (let r = 0; r < (PARTS.has('inprocess') ? INPROC_ROUNDS : 0); r++) {
    for (const v of (r % 2 ? ['with', 'without'] : ['without', 'with'])) {
      const out = lastJson(runPython([APP, 'inprocess', '7', '500'], variants[v], SERVER_CPU).stdout)
      if (out.bridge !== (v === 'with')) throw new Error('a variant ran with the wrong bridge setting')
      inProcess[v].push(out)
    }
  }
  if (PARTS.has('inprocess')) {
    lines.push('', `Flask request in one process (test client, no server): process CPU µs per request, best of 7 batches of 500; ${INPROC_ROUNDS} interleaved rounds`,
      'route                        without    with   bridge +   ratio (requests per CPU-second), median of rounds (range)')
  }
  for (const route of ['hello', 'file'].filter(() => PARTS.has('inprocess'))) {
    const w = median(inProcess.without.map((o) => o[route]))
    const s = median(inProcess.with.map((o) => o[route]))
    const ratios = inProcess.without.map((o, i) => o[route] / inProcess.with[i][route])
    Object.assign(result, { [`inprocess_${route}_without_cpu_us`]: round(w, 1), [`inprocess_${route}_with_cpu_us`]: round(s, 1),
      [`inprocess_${route}_bridge_cpu_us`]: round(s - w, 1), [`inprocess_${route}_ratio`]: round(median(ratios), 3),
      [`inprocess_${route}_ratio_min`]: round(Math.min(...ratios), 3), [`inprocess_${route}_ratio_max`]: round(Math.max(...ratios), 3) })
    lines.push(`${PATHS[route].padEnd(28)} ${String(round(w, 1)).padStart(7)}  ${String(round(s, 1)).padStart(6)}   ${String(round(s - w, 1)).padStart(8)}   ${fmt(median(ratios))} (${range(ratios)})`)
  }

  // (3) the same, in instructions
  if (INSTRUCTIONS) {
    lines.push('', `Flask request in one process, instructions per request (callgrind, ${INSTR_REQUESTS} requests after 300, PYTHONHASHSEED=0)`,
      'route                          without        with    bridge +   ratio')
    for (const route of ['hello', 'file']) {
      const w = await instructionsPerRequest(variants.without, PATHS[route])
      const s = await instructionsPerRequest(variants.with, PATHS[route])
      Object.assign(result, { [`instr_${route}_without`]: Math.round(w), [`instr_${route}_with`]: Math.round(s), [`instr_${route}_ratio`]: round(w / s, 3) })
      lines.push(`${PATHS[route].padEnd(28)} ${String(Math.round(w)).padStart(9)}  ${String(Math.round(s)).padStart(10)}  ${String(Math.round(s - w)).padStart(10)}   ${fmt(w / s)}`)
    }
    lines.push('', `The whole server (werkzeug threaded + Flask, all threads), user-space instructions per request (callgrind, ${SERVER_INSTR_REQUESTS} requests after 200, ${CONNECTIONS} keep-alive connections)`,
      'route                          without        with    bridge +   ratio')
    for (const route of ['hello', 'file']) {
      const [w, s] = await Promise.all([serverInstructionsPerRequest(variants.without, PATHS[route]), serverInstructionsPerRequest(variants.with, PATHS[route])])
      Object.assign(result, { [`server_instr_${route}_without`]: Math.round(w), [`server_instr_${route}_with`]: Math.round(s), [`server_instr_${route}_ratio`]: round(w / s, 3) })
      lines.push(`${PATHS[route].padEnd(28)} ${String(Math.round(w)).padStart(9)}  ${String(Math.round(s)).padStart(10)}  ${String(Math.round(s - w)).padStart(10)}   ${fmt(w / s)}`)
    }
  } else {
    lines.push('', '(instruction counts skipped: no valgrind, BENCH_INSTRUCTIONS=0 or not in BENCH_PARTS)')
  }

  if (PARTS.has('server')) {
    // (4) throughput behind a server
    for (const v of ['without', 'with']) servers.push(await startServer(variants[v]))
    const [plain, bridged] = servers
    for (const route of ['hello', 'file']) {
      for (const server of servers) await load(`http://127.0.0.1:${server.port}${PATHS[route]}`, 2) // warm-up
    }
    const flask = { without: { hello: [], file: [] }, with: { hello: [], file: [] } }
    for (let r = 0; r < SERVER_ROUNDS; r++) {
      for (const route of ['hello', 'file']) {
        const order = r % 2 ? [['with', bridged], ['without', plain], ['without', plain], ['with', bridged]]
          : [['without', plain], ['with', bridged], ['with', bridged], ['without', plain]]
        const got = { without: [], with: [] }
        for (const [v, server] of order) got[v].push(await measureServer(server, PATHS[route]))
        for (const v of ['without', 'with']) {
          flask[v][route].push({ rps: (got[v][0].rps + got[v][1].rps) / 2, cpu_us: (got[v][0].cpu_us + got[v][1].cpu_us) / 2, sys_us: (got[v][0].sys_us + got[v][1].sys_us) / 2 })
        }
      }
    }
    lines.push('', `Flask behind werkzeug's threaded server${PIN ? ' pinned to CPU 1, autocannon pinned to CPU 0' : ''}, ${CONNECTIONS} connections, ` +
      `${SERVER_ROUNDS} rounds of ABBA ${SECONDS} s runs; medians; ratio = with/without per round, median (range)`,
      'route                        req/s without  req/s with   ratio (range)          server CPU µs/req without  with  bridge +   CPU ratio (range)')
    for (const route of ['hello', 'file']) {
      const w = median(flask.without[route].map((o) => o.rps))
      const s = median(flask.with[route].map((o) => o.rps))
      const ratios = flask.with[route].map((o, i) => o.rps / flask.without[route][i].rps)
      const wc = median(flask.without[route].map((o) => o.cpu_us))
      const sc = median(flask.with[route].map((o) => o.cpu_us))
      const cpuRatios = flask.with[route].map((o, i) => flask.without[route][i].cpu_us / o.cpu_us)
      Object.assign(result, { [`flask_${route}_without_rps`]: Math.round(w), [`flask_${route}_with_rps`]: Math.round(s),
        [`flask_${route}_ratio`]: round(median(ratios), 3), [`flask_${route}_ratio_min`]: round(Math.min(...ratios), 3), [`flask_${route}_ratio_max`]: round(Math.max(...ratios), 3),
        [`flask_${route}_without_cpu_us_per_req`]: round(wc, 1), [`flask_${route}_with_cpu_us_per_req`]: round(sc, 1),
        [`flask_${route}_cpu_ratio`]: round(median(cpuRatios), 3) })
      // the req/s the server instruction counts imply for a CPU-bound server: user time scaled by
      // the instruction ratio, the kernel's time (sys) the same with and without the bridge
      const sys = median(flask.without[route].map((o) => o.sys_us))
      if (result[`server_instr_${route}_ratio`] !== undefined) {
        result[`flask_${route}_sys_us_per_req`] = round(sys, 1)
        result[`implied_${route}_ratio`] = round(wc / ((wc - sys) / result[`server_instr_${route}_ratio`] + sys), 3)
      }
      lines.push(`${PATHS[route].padEnd(28)} ${String(Math.round(w)).padStart(13)}  ${String(Math.round(s)).padStart(10)}   ${fmt(median(ratios))} (${range(ratios)})   ` +
        `${String(Math.round(wc)).padStart(26)}  ${String(Math.round(sc)).padStart(4)}  ${String(Math.round(sc - wc)).padStart(8)}   ${fmt(median(cpuRatios))} (${range(cpuRatios)})`)
    }
  }
  for (const server of servers.splice(0)) await stopServer(server)
  await stopAgent(agent)
  agent = undefined
  result.process_exec_events_stored = (() => { try { return readFileSync(sink, 'utf8').split('"kind":"process.exec"').length - 1 } catch { return 0 } })()

  if (PARTS.has('server')) {
    const verdict = (ratio) => ratio >= 0.95 ? 'met' : 'not met'
    lines.push('', `(the agent stored ${result.process_exec_events_stored} process.exec events)`,
      'Goal: Flask with the bridge >= 0.95x the req/s without.')
    for (const route of ['hello', 'file']) {
      const rps = result[`flask_${route}_ratio`]
      const cpu = result[`flask_${route}_cpu_ratio`]
      const implied = result[`implied_${route}_ratio`]
      result[`goal_${route}_rps`] = verdict(rps)
      result[`goal_${route}_cpu`] = verdict(cpu)
      if (implied !== undefined) result[`goal_${route}_instructions`] = verdict(implied)
      lines.push(`  ${PATHS[route]}: measured req/s ${verdict(rps)} (${fmt(rps)}, rounds ${fmt(result[`flask_${route}_ratio_min`])}–${fmt(result[`flask_${route}_ratio_max`])}); ` +
        `server CPU per request ${verdict(cpu)} (${fmt(cpu)}x)` +
        (implied === undefined ? '' : `; from the server's instructions (deterministic) ${verdict(implied)} (${fmt(implied)}x, ` +
          `sys ${Math.round(result[`flask_${route}_sys_us_per_req`])} of ${Math.round(result[`flask_${route}_without_cpu_us_per_req`])} µs/req)`))
    }
  }
  console.log(lines.join('\n'))
  console.log(JSON.stringify(result))
} finally {
  for (const server of servers) await stopServer(server)
  if (agent) await stopAgent(agent)
  rmSync(dir, { recursive: true, force: true })
}
