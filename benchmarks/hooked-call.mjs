// Benchmark: one hooked child_process.spawnSync, with the SDK reporting it to a running agent,
// against the same call without the SDK, in the same run. Each variant is a fresh process that
// runs CALLS calls after a warm-up; the figure is wall time per call.
import { spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { root, startAgent, stopAgent } from './agent-process.mjs'

const CALLS = Number(process.env.BENCH_CALLS ?? 2000)
const ROUNDS = 5
const program = `
const { spawnSync } = require('node:child_process')
for (let i = 0; i < 100; i++) spawnSync('true')
const cpu0 = process.cpuUsage()
const t0 = process.hrtime.bigint()
for (let i = 0; i < ${CALLS}; i++) spawnSync('true')
const ns = Number(process.hrtime.bigint() - t0)
const cpu = process.cpuUsage(cpu0)
console.log(JSON.stringify({ wall: ns / ${CALLS} / 1000, cpu: (cpu.user + cpu.system) / ${CALLS} }))`

function measure (preload, env) {
  const res = spawnSync(process.execPath, [...preload, '-e', program], { encoding: 'utf8', env: { ...process.env, ...env } })
  if (res.status !== 0) throw new Error(res.stderr)
  return JSON.parse(res.stdout.trim())
}

const dir = mkdtempSync(join(tmpdir(), 'sidewatch-bench-'))
try {
  const agent = await startAgent(dir, [`jsonl:${join(dir, 'out.jsonl')}`])
  const env = { SIDEWATCH_AGENT: `unix:${agent.sock}`, SIDEWATCH_TOKEN: agent.token }
  const register = join(root, 'packages', 'node-asm', 'register.js')
  const without = []
  const withSdk = []
  // Interleaved rounds, so drift on a shared machine hits both variants alike; the median counts.
  for (let r = 0; r < ROUNDS; r++) {
    without.push(measure([], env))
    withSdk.push(measure(['-r', register], env))
  }
  await stopAgent(agent)
  const median = (xs) => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)]
  const fig = (runs, key) => +median(runs.map((r) => r[key])).toFixed(1)
  const result = {
    calls: CALLS,
    without_sdk_wall_us: fig(without, 'wall'),
    with_sdk_wall_us: fig(withSdk, 'wall'),
    without_sdk_cpu_us: fig(without, 'cpu'),
    with_sdk_cpu_us: fig(withSdk, 'cpu'),
  }
  result.wall_ratio = +(result.with_sdk_wall_us / result.without_sdk_wall_us).toFixed(3)
  result.cpu_ratio = +(result.with_sdk_cpu_us / result.without_sdk_cpu_us).toFixed(3)
  const spread = (runs, key) => `${Math.min(...runs.map((r) => r[key])).toFixed(0)}–${Math.max(...runs.map((r) => r[key])).toFixed(0)}`
  console.log(`spawnSync('true') x ${CALLS} per round, median of ${ROUNDS} interleaved rounds (range in brackets)`)
  console.log(`              wall µs/call          app CPU µs/call`)
  console.log(`without SDK   ${String(result.without_sdk_wall_us).padEnd(8)} [${spread(without, 'wall')}]   ${String(result.without_sdk_cpu_us).padEnd(8)} [${spread(without, 'cpu')}]`)
  console.log(`with SDK      ${String(result.with_sdk_wall_us).padEnd(8)} [${spread(withSdk, 'wall')}]   ${String(result.with_sdk_cpu_us).padEnd(8)} [${spread(withSdk, 'cpu')}]`)
  console.log(`ratio         ${result.wall_ratio}x                  ${result.cpu_ratio}x`)
  console.log(JSON.stringify(result))
} finally {
  rmSync(dir, { recursive: true, force: true })
}
