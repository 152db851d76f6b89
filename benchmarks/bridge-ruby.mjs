// Benchmark (issue 9): the Ruby bridge. (1) The added cost per hooked call — File.read of a small
// file outside a request and inside one (through the Rack middleware, an input not in the path),
// and system('true') reported as process.exec — Ruby without the bridge against Ruby under
// `-rsidewatch/auto` (agent running), fresh processes, rounds interleaved, median; CPU per call of
// the Ruby process is the figure that survives a shared machine. (2) Requests per second of a
// Sinatra app (a route reading a small file) and a plain Rack hello, both on WEBrick, without and
// with the bridge (monitor mode, agent running), autocannon, rounds interleaved; the app
// process's CPU per request is printed beside req/s. Goal: at most 5% fewer requests per second.
import { spawn, spawnSync } from 'node:child_process'
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
const LIB = join(root, 'py-ruby-bridge', 'ruby', 'lib')
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
  return (Number(fields[11]) + Number(fields[12])) * 10
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
    const url = `http://127.0.0.1:${port}/${app === 'sinatra' ? 'menu?name=espresso' : 'hello?name=espresso'}`
    await load(url, 1)
    const cpu0 = cpuMsOf(child.pid)
    const res = await load(url, SECONDS)
    const cpu = cpuMsOf(child.pid) - cpu0
    if (res.non2xx > 0 || res.errors > 0) throw new Error(`${app}: ${res.non2xx} non-2xx, ${res.errors} errors`)
    return { rps: res.requests.average, p99: res.latency.p99, cpu_us_per_req: (cpu * 1000) / res.requests.total }
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
  result.goal_met = result.sinatra_ratio >= 0.95 && result.rack_ratio >= 0.95
  result.events_stored = { process_exec: stored('process.exec'), http_summary: stored('http.summary'), http_request: stored('http.request'), fs_op: stored('fs.op') }
  lines.push(`(goal: with the bridge >= 0.95x the req/s without: ${result.goal_met ? 'met' : 'not met'}; the agent stored ${result.events_stored.process_exec} process.exec, ${result.events_stored.http_summary} http.summary, ${result.events_stored.http_request} http.request, ${result.events_stored.fs_op} fs.op events)`)
  console.log(lines.join('\n'))
  console.log(JSON.stringify(result))
} finally {
  if (agent) await stopAgent(agent)
  rmSync(dir, { recursive: true, force: true })
}
