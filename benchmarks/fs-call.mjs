// Benchmark (issue 3): one hooked fs.readFileSync of a small file, without the SDK against with
// the SDK (agent running), in fresh processes, rounds interleaved, median counts. Three places:
// (1) outside any request — the SDK's hook runs but nothing is reported;
// (2) inside an incoming request (a loopback http handler) whose inputs do not appear in the path
//     — the request context is looked up and the detectors run, nothing is reported;
// (3) inside a request whose query value appears in the path (`?name=catalog.txt` →
//     path.join(dir, 'catalog.txt')): every call becomes an fs.op event, so this is the cost of a
//     reported call, sending included (calls in batches of 1000 with a pause, as an app makes them,
//     so the SDK's queue never overflows; the process CPU after a final pause includes the sending).
import { spawnSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { root, startAgent, stopAgent } from './agent-process.mjs'

const CALLS = Number(process.env.BENCH_CALLS ?? 100_000)
const REPORTED_CALLS = 20_000
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5)
const FILE_TEXT = 'sku-1 espresso 2.40\nsku-2 flat white 3.10\nsku-3 filter 2.00\n'

const program = `
const fs = require('node:fs')
const http = require('node:http')
const path = require('node:path')
const { setTimeout: sleep } = require('node:timers/promises')
const dir = process.env.BENCH_FILES_DIR
const file = path.join(dir, 'catalog.txt')
function time (n, fn) {
  const cpu0 = process.cpuUsage()
  const t0 = process.hrtime.bigint()
  for (let i = 0; i < n; i++) fn()
  const ns = Number(process.hrtime.bigint() - t0)
  const cpu = process.cpuUsage(cpu0)
  return { wall: ns / n / 1000, cpu: (cpu.user + cpu.system) / n }
}
const out = {}
const server = http.createServer(async (req, res) => {
  const name = new URL(req.url, 'http://x').searchParams.get('name')
  if (name === null) {
    time(2000, () => fs.readFileSync(file))
    const r = time(${CALLS}, () => fs.readFileSync(file))
    out.request_wall = r.wall; out.request_cpu = r.cpu
  } else {
    const p = path.join(dir, name)
    time(1000, () => fs.readFileSync(p))
    await sleep(300)
    const cpu0 = process.cpuUsage()
    let wall = 0
    for (let done = 0; done < ${REPORTED_CALLS}; done += 1000) {
      wall += time(1000, () => fs.readFileSync(p)).wall * 1000
      await sleep(2)
    }
    await sleep(500)
    const cpu = process.cpuUsage(cpu0)
    out.reported_wall = wall / ${REPORTED_CALLS}; out.reported_cpu = (cpu.user + cpu.system) / ${REPORTED_CALLS}
  }
  res.end('ok')
})
const get = (port, q) => new Promise((resolve, reject) => http.get({ host: '127.0.0.1', port, path: '/' + q }, (res) => { res.resume(); res.on('end', resolve) }).on('error', reject))
;(async () => {
  if (fs.readFileSync(file, 'utf8').length === 0) throw new Error('empty file')
  time(2000, () => fs.readFileSync(file))
  const r = time(${CALLS}, () => fs.readFileSync(file))
  out.outside_wall = r.wall; out.outside_cpu = r.cpu
  server.listen(0, '127.0.0.1')
  await new Promise((resolve) => server.once('listening', resolve))
  const port = server.address().port
  await get(port, '?q=benign')
  await get(port, '?name=catalog.txt')
  server.close()
  out.sidewatch = Object.keys(require.cache).some((f) => f.includes('node-asm'))
  console.log(JSON.stringify(out))
})()`

const dir = mkdtempSync(join(tmpdir(), 'sidewatch-bench-fs-'))
let agent
try {
  writeFileSync(join(dir, 'catalog.txt'), FILE_TEXT)
  const sink = join(dir, 'out.jsonl')
  agent = await startAgent(dir, [`jsonl:${sink}`])
  const env = { ...process.env, BENCH_FILES_DIR: dir, SIDEWATCH_AGENT: `unix:${agent.sock}`, SIDEWATCH_TOKEN: agent.token, SIDEWATCH_MODE: 'monitor', SIDEWATCH_SERVICE: 'bench-fs' }
  const register = join(root, 'packages', 'node-asm', 'register.js')
  const measure = (preload) => {
    const res = spawnSync(process.execPath, [...preload, '-e', program], { encoding: 'utf8', env, timeout: 120_000 })
    if (res.status !== 0) throw new Error(res.stderr || `exit ${res.status}`)
    return JSON.parse(res.stdout.trim().split('\n').at(-1))
  }
  const without = []
  const withSdk = []
  for (let r = 0; r < ROUNDS; r++) {
    without.push(measure([]))
    withSdk.push(measure(['-r', register]))
  }
  await stopAgent(agent)
  agent = undefined
  if (without.some((r) => r.sidewatch) || withSdk.some((r) => !r.sidewatch)) throw new Error('a variant ran with the wrong SDK setting')
  const fsEvents = (() => { try { return (readFileSync(sink, 'utf8').split('"kind":"fs.op"').length - 1) } catch { return 0 } })()

  const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]
  const fig = (runs, key) => +median(runs.map((r) => r[key])).toFixed(2)
  const range = (runs, key) => `${Math.min(...runs.map((r) => r[key])).toFixed(1)}–${Math.max(...runs.map((r) => r[key])).toFixed(1)}`
  const result = { calls: CALLS, reported_calls: REPORTED_CALLS, rounds: ROUNDS, fs_op_events_stored: fsEvents }
  const rows = [
    ['outside a request', 'outside'],
    ['in a request, path not from input', 'request'],
    ['in a request, path from input (not reported since 16:55: no attack, not sensitive)', 'reported'],
  ]
  const lines = [`fs.readFileSync of a ${FILE_TEXT.length}-byte file, µs per call, median of ${ROUNDS} interleaved rounds of fresh processes (range in brackets)`,
    'place                                       without SDK wall   with SDK wall            SDK wall +   CPU without  CPU with   SDK CPU +']
  for (const [title, key] of rows) {
    const w = fig(without, `${key}_wall`)
    const s = fig(withSdk, `${key}_wall`)
    const wc = fig(without, `${key}_cpu`)
    const sc = fig(withSdk, `${key}_cpu`)
    result[`${key}_without_sdk_wall_us`] = w
    result[`${key}_with_sdk_wall_us`] = s
    result[`${key}_sdk_wall_us`] = +(s - w).toFixed(2)
    result[`${key}_without_sdk_cpu_us`] = wc
    result[`${key}_with_sdk_cpu_us`] = sc
    result[`${key}_sdk_cpu_us`] = +(sc - wc).toFixed(2)
    lines.push(`${title.padEnd(43)} ${`${w} [${range(without, `${key}_wall`)}]`.padEnd(18)} ${`${s} [${range(withSdk, `${key}_wall`)}]`.padEnd(24)} ${String(result[`${key}_sdk_wall_us`]).padStart(6)}   ${String(wc).padStart(10)}  ${String(sc).padStart(8)}   ${String(result[`${key}_sdk_cpu_us`]).padStart(8)}`)
  }
  lines.push(`(${CALLS} calls per place and process; the reported place ${REPORTED_CALLS} calls, CPU including sending; the agent stored ${fsEvents} fs.op events: benign file reads are not reported, only sensitive paths and attacks)`)
  console.log(lines.join('\n'))
  console.log(JSON.stringify(result))
} finally {
  if (agent) await stopAgent(agent)
  rmSync(dir, { recursive: true, force: true })
}
