// Benchmark (issue 3), the deterministic companion of app-overhead.mjs: instructions the app
// executes per request, without and with the sidewatch SDK, counted by valgrind (callgrind) so
// that other tenants of a shared machine cannot move the figure the way they move req/s.
//
// Each app of app-overhead (plain http hello; Express 5 readFileSync + upstream http.get) runs
// under callgrind, once serving WARM + N1 requests and once WARM + N2; the difference of the two
// totals over N2 - N1 is the cost of one request in steady state (start-up, loading and the warm-up
// cancel out). Counted: user-space instructions of the app process (V8's generated code
// included). Not counted: the kernel's work for the sockets, which is the same with and without
// the SDK. So the instruction ratio is the SDK's cost on the app's own CPU; the req/s it implies
// for a CPU-bound app is estimated from the user/system split of the no-SDK app measured under
// autocannon in the same run: (user + sys) / (user × instructions ratio + sys).
//
// Settings: BENCH_APPS=hello,express; BENCH_NODE=22|24|PATH (as app-overhead; default: this Node);
// BENCH_INSTR_REQUESTS (N2 - N1, 2000); BENCH_INSTR_DDTRACE=1 adds dd-trace AppSec+RASP (slow under
// valgrind). Runs go in parallel: instruction counts do not depend on the other processes.
// Needs valgrind (benchmarks/setup-peers.sh installs it).
import { execFileSync, spawn, spawnSync } from 'node:child_process'
import { once } from 'node:events'
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:http'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { startAgent, stopAgent } from './agent-process.mjs'
import { appBaseEnv, benchApps, FILE_NAME, FILE_TEXT, nodeBinary, sdkVariants, UPSTREAM_BODY } from './app-variants.mjs'

const require = createRequire(import.meta.url)
const autocannon = require('autocannon')

const HOST = '127.0.0.1'
const WARM = 300
const N1 = 200
const N2 = N1 + Number(process.env.BENCH_INSTR_REQUESTS ?? 2000)
const NODE = nodeBinary(process.env.BENCH_NODE)
const NODE_VERSION = execFileSync(NODE, ['--version'], { encoding: 'utf8' }).trim()
// V8 compiles and collects on helper threads whose timing varies run to run; --predictable keeps
// it on the main thread in a fixed order, so a count repeats to within a fraction of a percent.
const NODE_FLAGS = (process.env.BENCH_INSTR_NODE_FLAGS ?? '--predictable').split(' ').filter(Boolean)

if (spawnSync('valgrind', ['--version']).status !== 0) {
  console.error('app-instructions: valgrind is not installed (benchmarks/setup-peers.sh installs it)')
  process.exit(1)
}

const apps = benchApps()

const dir = mkdtempSync(join(tmpdir(), 'sidewatch-bench-instr-'))
const children = new Set()
let agent
let upstream
try {
  const filesDir = join(dir, 'files')
  mkdirSync(filesDir)
  writeFileSync(join(filesDir, FILE_NAME), FILE_TEXT)
  upstream = createServer((req, res) => { res.writeHead(200, { 'content-type': 'application/json' }); res.end(UPSTREAM_BODY) })
  upstream.keepAliveTimeout = 600_000
  upstream.listen(0, HOST)
  await once(upstream, 'listening')
  agent = await startAgent(dir, [`jsonl:${join(dir, 'agent.jsonl')}`])
  const base = { BENCH_FILES_DIR: filesDir, BENCH_UPSTREAM_PORT: String(upstream.address().port) }
  const ddVersion = require('dd-trace/package.json').version
  const variants = sdkVariants({ agent, ddAgentUrl: `http://${HOST}:9`, ddVersion })
    .filter((v) => v.name !== 'ddtrace' || process.env.BENCH_INSTR_DDTRACE === '1')
  const cleanEnv = appBaseEnv()

  // The user/system split of the no-SDK app under load (not under valgrind), for the estimate.
  const split = {}
  for (const app of apps) split[app.name] = await cpuSplit(app, { ...cleanEnv, ...base })

  const jobs = []
  for (const app of apps) {
    for (const variant of variants) {
      for (const n of [N1, N2]) jobs.push(countInstructions(app, variant, n, { ...cleanEnv, ...base, ...variant.env }).then(({ ir, served }) => ({ app: app.name, variant: variant.name, n, ir, served })))
    }
  }
  const counts = await Promise.all(jobs)
  const perRequest = (app, variant) => {
    const at = (n) => counts.find((c) => c.app === app && c.variant === variant && c.n === n)
    return (at(N2).ir - at(N1).ir) / (at(N2).served - at(N1).served)
  }

  console.log(`${NODE_VERSION} ${NODE_FLAGS.join(' ')}; valgrind callgrind; instructions per request = (Ir after ${WARM}+${N2} requests - Ir after ${WARM}+${N1}) / the difference in requests answered; autocannon 4 connections.`)
  const out = { node: NODE_VERSION, node_flags: NODE_FLAGS.join(' '), requests: N2 - N1, apps: {} }
  for (const app of apps) {
    const none = perRequest(app.name, 'none')
    const { user, sys } = split[app.name]
    console.log(`\n${app.title}   (GET ${app.path})`)
    console.log(`${'variant'.padEnd(34)} ${'instructions/req'.padStart(17)} ${'vs no SDK'.padStart(10)} ${'est. req/s ratio'.padStart(17)}`)
    const row = {}
    for (const variant of variants) {
      const ir = perRequest(app.name, variant.name)
      const ratio = ir / none
      const estimate = (user + sys) / (user * ratio + sys)
      row[variant.name] = { instructions_per_req: Math.round(ir), ratio: round(ratio, 4), est_rps_ratio: round(estimate, 3) }
      console.log(`${variant.title.padEnd(34)} ${Math.round(ir).toLocaleString('en-US').padStart(17)} ${(ratio.toFixed(3) + 'x').padStart(10)} ${(estimate.toFixed(3) + 'x').padStart(17)}`)
    }
    console.log(`no-SDK app CPU under load: ${(100 * user / (user + sys)).toFixed(0)}% user, ${(100 * sys / (user + sys)).toFixed(0)}% system (the estimate's split)`)
    const sw = row.sidewatch
    console.log(`goal (sidewatch >= 0.95x req/s of no SDK), estimated from instructions: ${sw.est_rps_ratio >= 0.95 ? 'met' : 'NOT met'} (${sw.est_rps_ratio}x)`)
    out.apps[app.name] = { ...row, user_share: round(user / (user + sys), 3), goal_met_estimate: sw.est_rps_ratio >= 0.95 }
  }
  console.log(JSON.stringify(out))
} finally {
  for (const child of children) child.kill('SIGKILL')
  if (agent) await stopAgent(agent)
  upstream?.close()
  rmSync(dir, { recursive: true, force: true })
}

async function startApp (app, command, args, env) {
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], env })
  children.add(child)
  let stderr = ''
  child.stderr.on('data', (d) => { stderr += d })
  const exited = once(child, 'exit')
  const line = await Promise.race([
    new Promise((resolve) => createInterface({ input: child.stdout }).on('line', (l) => { if (l.startsWith('{')) resolve(l) })),
    exited.then(() => { throw new Error(`${app.name}: the app exited before listening: ${stderr.slice(-2000)}`) }),
  ])
  return { child, info: JSON.parse(line), exited, stderr: () => stderr }
}

/** Total instructions of an app process that served WARM + n requests (it exits on SIGTERM). */
async function countInstructions (app, variant, n, env) {
  const script = `process.on('SIGTERM', () => process.exit(0)); require(${JSON.stringify(app.script)})`
  const args = ['--tool=callgrind', '--callgrind-out-file=/dev/null', '--smc-check=all', NODE, ...NODE_FLAGS, ...variant.preload, '-e', script]
  const started = await startApp(app, 'valgrind', args, env)
  if (!variant.check(started.info)) throw new Error(`${app.name}/${variant.name}: the app did not start with the expected SDK: ${JSON.stringify(started.info)}`)
  const url = `http://${HOST}:${started.info.port}${app.path}`
  const first = await fetch(url)
  if (first.status !== 200 || !app.expect(await first.text())) throw new Error(`${app.name}/${variant.name}: wrong answer ${first.status}`)
  let served = 1
  for (const amount of [WARM - 1, n]) {
    const r = await autocannon({ url, connections: 4, amount, timeout: 120 })
    // A keep-alive connection closed by the slowed server as a request goes out is retried by
    // nobody: a few are tolerated, and only answered requests are counted.
    const bad = r.errors + r.timeouts + r.non2xx
    if (bad > amount / 100) throw new Error(`${app.name}/${variant.name}: ${bad} of ${amount} requests failed`)
    served += r['2xx']
  }
  started.child.kill('SIGTERM')
  await started.exited
  children.delete(started.child)
  const m = /Collected : (\d+)/.exec(started.stderr())
  if (m === null) throw new Error(`${app.name}/${variant.name}: callgrind printed no total: ${started.stderr().slice(-1000)}`)
  return { ir: Number(m[1]), served }
}

/** User and system CPU seconds of the no-SDK app over 3 s of autocannon load (50 connections). */
async function cpuSplit (app, env) {
  const script = `process.on('SIGTERM', () => process.exit(0)); require(${JSON.stringify(app.script)})`
  const started = await startApp(app, NODE, ['-e', script], env)
  const url = `http://${HOST}:${started.info.port}${app.path}`
  await autocannon({ url, connections: 50, duration: 1 })
  const before = times(started.child.pid)
  await autocannon({ url, connections: 50, duration: 3 })
  const after = times(started.child.pid)
  started.child.kill('SIGTERM')
  await started.exited
  children.delete(started.child)
  return { user: after.user - before.user, sys: after.sys - before.sys }
}

function times (pid) {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ')
  return { user: Number(fields[11]), sys: Number(fields[12]) }
}

function round (x, digits) {
  const f = 10 ** digits
  return Math.round(x * f) / f
}
