// Benchmark (issue 9): what the Python bridge costs, with it against without it, same interpreter
// (Debian's /usr/bin/python3 with python3-flask), fresh processes, rounds interleaved, medians.
// (1) per hooked call, in µs of wall and of process CPU (all threads, the reporter's sending
//     included): open()+read of a small file outside a request and inside a request whose query
//     names the file (the audit hook runs the path-traversal check; nothing is reported: benign),
//     and subprocess.run(['true']) outside a request (reported: one process.exec event each; CPU
//     taken over the calls and a pause after them, so the sending is counted);
// (2) a Flask app (werkzeug's threaded server) under autocannon: /hello (JSON) and /file?name=...
//     (reads the named file), req/s and app CPU per request, without and with the bridge (monitor,
//     agent running, jsonl sink in a temp dir). Goal: at most 5% fewer req/s.
// Everything listens on and talks to 127.0.0.1. Settings: BENCH_ROUNDS (3), BENCH_SECONDS (5),
// BENCH_CONNECTIONS (8), BENCH_OPEN_CALLS (20000), BENCH_SPAWN_CALLS (300).
import { spawn, spawnSync } from 'node:child_process'
import { once } from 'node:events'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { root, startAgent, stopAgent } from './agent-process.mjs'

const require = createRequire(import.meta.url)
const autocannon = require('autocannon')

const PYTHON = process.env.BENCH_PYTHON ?? '/usr/bin/python3'
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3)
const SECONDS = Number(process.env.BENCH_SECONDS ?? 5)
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 8)
const OPEN_CALLS = Number(process.env.BENCH_OPEN_CALLS ?? 20_000)
const SPAWN_CALLS = Number(process.env.BENCH_SPAWN_CALLS ?? 300)
const BRIDGE_DIR = join(root, 'py-ruby-bridge', 'python')
const FILE_TEXT = 'sku-1 espresso 2.40\nsku-2 flat white 3.10\nsku-3 filter 2.00\n'

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

const flaskProgram = `
import json, os, sys
from flask import Flask, jsonify, request
app = Flask(__name__)
if os.environ.get('BENCH_BRIDGE') == '1':
    import sidewatch
    app.wsgi_app = sidewatch.WSGIMiddleware(app.wsgi_app)
DIR = os.environ['BENCH_FILES_DIR']

@app.get('/hello')
def hello():
    return jsonify(hello='world')

@app.get('/file')
def file():
    with open(os.path.join(DIR, request.args['name'])) as f:
        return jsonify(text=f.read())

from werkzeug.serving import WSGIRequestHandler, make_server
WSGIRequestHandler.log_request = lambda *a, **k: None
server = make_server('127.0.0.1', 0, app, threaded=True)
print(json.dumps({'msg': 'listening', 'port': server.server_port, 'bridge': 'sidewatch' in sys.modules}), flush=True)
server.serve_forever()
`

// What the middleware and hooks add to one Flask request, without a server or network in the way:
// Flask's test client in one process, the best of 7 batches of 500 requests (the minimum filters
// out the other tenants of a shared machine), process CPU per request.
const inProcessProgram = `
import os, sys, time
from flask import Flask, jsonify, request
app = Flask(__name__)
if os.environ.get('BENCH_BRIDGE') == '1':
    import sidewatch
    sidewatch.start()
    app.wsgi_app = sidewatch.WSGIMiddleware(app.wsgi_app)
DIR = os.environ['BENCH_FILES_DIR']

@app.get('/hello')
def hello():
    return jsonify(hello='world')

@app.get('/file')
def file():
    with open(os.path.join(DIR, request.args['name'])) as f:
        return jsonify(text=f.read())

client = app.test_client()
out = {'bridge': 'sidewatch' in sys.modules}
for name, path in (('hello', '/hello'), ('file', '/file?name=catalog.txt')):
    for _ in range(300):
        client.get(path).close()
    best = 1e9
    for _ in range(7):
        c0 = time.process_time()
        for _ in range(500):
            client.get(path).close()
        best = min(best, (time.process_time() - c0) / 500 * 1e6)
    out[name] = best
import json
print(json.dumps(out))
`

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]
const round = (x, d = 2) => +x.toFixed(d)

function cpuMsOf (pid) {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ')
  return (Number(fields[11]) + Number(fields[12])) * 10
}

function load (url) {
  if (!url.startsWith('http://127.0.0.1:')) throw new Error(`refusing to load ${url}`)
  return new Promise((resolve, reject) => {
    autocannon({ url, connections: CONNECTIONS, duration: SECONDS, timeout: 10 }, (err, res) => { if (err) reject(err); else resolve(res) })
  })
}

async function measureFlask (env, path) {
  const args = env.BENCH_BRIDGE === '1' ? ['-m', 'sidewatch.run', join(env.BENCH_FILES_DIR, 'app.py')] : [join(env.BENCH_FILES_DIR, 'app.py')]
  const child = spawn(PYTHON, args, { env, stdio: ['ignore', 'pipe', 'inherit'] })
  try {
    const ready = await new Promise((resolve, reject) => {
      createInterface({ input: child.stdout }).on('line', (line) => { try { resolve(JSON.parse(line)) } catch {} })
      child.once('exit', (code) => reject(new Error(`flask app exited ${code}`)))
    })
    if (ready.bridge !== (env.BENCH_BRIDGE === '1')) throw new Error('the app ran with the wrong bridge setting')
    const url = `http://127.0.0.1:${ready.port}${path}`
    await load(url) // warm-up, same length
    const cpu0 = cpuMsOf(child.pid)
    const res = await load(url)
    const cpu = cpuMsOf(child.pid) - cpu0
    if (res.non2xx > 0 || res.errors > 0) throw new Error(`${path}: ${res.non2xx} non-2xx, ${res.errors} errors`)
    return { rps: res.requests.average, p99: res.latency.p99, cpu_us: cpu * 1000 / res.requests.total }
  } finally {
    const exited = once(child, 'exit')
    child.kill('SIGTERM')
    await exited
  }
}

const dir = mkdtempSync(join(tmpdir(), 'sidewatch-bench-py-'))
let agent
try {
  writeFileSync(join(dir, 'catalog.txt'), FILE_TEXT)
  writeFileSync(join(dir, 'app.py'), flaskProgram)
  const sink = join(dir, 'out.jsonl')
  agent = await startAgent(dir, [`jsonl:${sink}`])
  const base = { ...process.env, BENCH_FILES_DIR: dir, PYTHONPATH: BRIDGE_DIR, SIDEWATCH_AGENT: `unix:${agent.sock}`, SIDEWATCH_TOKEN: agent.token, SIDEWATCH_MODE: 'monitor', SIDEWATCH_SERVICE: 'bench-py' }
  const variants = { without: { ...base, BENCH_BRIDGE: '0' }, with: { ...base, BENCH_BRIDGE: '1' } }

  const calls = { without: [], with: [] }
  for (let r = 0; r < ROUNDS; r++) {
    for (const v of ['without', 'with']) {
      const res = spawnSync(PYTHON, ['-c', callsProgram], { env: variants[v], encoding: 'utf8', timeout: 300_000 })
      if (res.status !== 0) throw new Error(res.stderr || `exit ${res.status}`)
      const out = JSON.parse(res.stdout.trim().split('\n').at(-1))
      if (out.bridge !== (v === 'with')) throw new Error('a variant ran with the wrong bridge setting')
      calls[v].push(out)
    }
  }
  const inProcess = { without: [], with: [] }
  for (let r = 0; r < ROUNDS; r++) {
    for (const v of ['without', 'with']) {
      const res = spawnSync(PYTHON, ['-c', inProcessProgram], { env: variants[v], encoding: 'utf8', timeout: 300_000 })
      if (res.status !== 0) throw new Error(res.stderr || `exit ${res.status}`)
      const out = JSON.parse(res.stdout.trim().split('\n').at(-1))
      if (out.bridge !== (v === 'with')) throw new Error('a variant ran with the wrong bridge setting')
      inProcess[v].push(out)
    }
  }
  const flask = { without: { hello: [], file: [] }, with: { hello: [], file: [] } }
  const paths = { hello: '/hello', file: '/file?name=catalog.txt' }
  for (let r = 0; r < ROUNDS; r++) {
    for (const route of ['hello', 'file']) {
      for (const v of ['without', 'with']) flask[v][route].push(await measureFlask(variants[v], paths[route]))
    }
  }
  await stopAgent(agent)
  agent = undefined
  const execEvents = (() => { try { return readFileSync(sink, 'utf8').split('"kind":"process.exec"').length - 1 } catch { return 0 } })()

  const result = { python: spawnSync(PYTHON, ['--version'], { encoding: 'utf8' }).stdout.trim(), rounds: ROUNDS, open_calls: OPEN_CALLS,
    spawn_calls: SPAWN_CALLS, seconds: SECONDS, connections: CONNECTIONS, process_exec_events_stored: execEvents }
  const lines = [`Python bridge, ${result.python}: µs per call, median of ${ROUNDS} interleaved rounds of fresh processes`,
    'call                                    wall without  wall with  bridge +   CPU without  CPU with  bridge +']
  for (const [title, key] of [['open()+read, outside a request', 'open_outside'], ['open()+read, in a request (input names the file)', 'open_request'],
    ['subprocess.run([true]), reported', 'spawn']]) {
    const w = median(calls.without.map((o) => o[`${key}_wall`]))
    const s = median(calls.with.map((o) => o[`${key}_wall`]))
    const wc = median(calls.without.map((o) => o[`${key}_cpu`]))
    const sc = median(calls.with.map((o) => o[`${key}_cpu`]))
    Object.assign(result, { [`${key}_without_wall_us`]: round(w), [`${key}_with_wall_us`]: round(s), [`${key}_bridge_wall_us`]: round(s - w),
      [`${key}_without_cpu_us`]: round(wc), [`${key}_with_cpu_us`]: round(sc), [`${key}_bridge_cpu_us`]: round(sc - wc) })
    lines.push(`${title.padEnd(48)} ${String(round(w)).padStart(8)}  ${String(round(s)).padStart(9)}  ${String(round(s - w)).padStart(8)}   ${String(round(wc)).padStart(10)}  ${String(round(sc)).padStart(8)}  ${String(round(sc - wc)).padStart(8)}`)
  }
  lines.push('', `Flask (werkzeug threaded server), autocannon ${CONNECTIONS} connections x ${SECONDS} s after a warm-up, median of ${ROUNDS} interleaved rounds`,
    'route                        req/s without  req/s with   ratio   app CPU µs/req without  with   bridge +')
  for (const route of ['hello', 'file']) {
    const w = median(flask.without[route].map((o) => o.rps))
    const s = median(flask.with[route].map((o) => o.rps))
    const wc = median(flask.without[route].map((o) => o.cpu_us))
    const sc = median(flask.with[route].map((o) => o.cpu_us))
    Object.assign(result, { [`flask_${route}_without_rps`]: Math.round(w), [`flask_${route}_with_rps`]: Math.round(s), [`flask_${route}_ratio`]: round(s / w, 3),
      [`flask_${route}_without_cpu_us_per_req`]: Math.round(wc), [`flask_${route}_with_cpu_us_per_req`]: Math.round(sc) })
    lines.push(`${paths[route].padEnd(28)} ${String(Math.round(w)).padStart(13)}  ${String(Math.round(s)).padStart(10)}   ${round(s / w, 3).toFixed(3)}   ${String(Math.round(wc)).padStart(22)}  ${String(Math.round(sc)).padStart(5)}   ${String(Math.round(sc - wc)).padStart(7)}`)
  }
  lines.push('', 'Flask request in one process (test client, no server): CPU µs per request, best of 7 batches, median of rounds',
    'route                        without    with   bridge +   ratio of requests/CPU-second')
  for (const route of ['hello', 'file']) {
    const w = median(inProcess.without.map((o) => o[route]))
    const s = median(inProcess.with.map((o) => o[route]))
    Object.assign(result, { [`inprocess_${route}_without_cpu_us`]: round(w, 1), [`inprocess_${route}_with_cpu_us`]: round(s, 1),
      [`inprocess_${route}_bridge_cpu_us`]: round(s - w, 1), [`inprocess_${route}_ratio`]: round(w / s, 3) })
    lines.push(`${paths[route].padEnd(28)} ${String(round(w, 1)).padStart(7)}  ${String(round(s, 1)).padStart(6)}   ${String(round(s - w, 1)).padStart(8)}   ${round(w / s, 3).toFixed(3)}`)
  }
  lines.push(`(the agent stored ${execEvents} process.exec events; goal: Flask with the bridge >= 0.95x the req/s without)`)
  console.log(lines.join('\n'))
  console.log(JSON.stringify(result))
} finally {
  if (agent) await stopAgent(agent)
  rmSync(dir, { recursive: true, force: true })
}
