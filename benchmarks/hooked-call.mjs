// Benchmark: one hooked child_process.spawnSync, with the SDK reporting it to a running agent,
// against the same call without the SDK, in the same run. Each variant is a fresh process that
// runs CALLS calls after a warm-up.
//
// Two measures: (1) real `spawnSync('true')`, where fork/exec dominates and run-to-run noise is
// larger than the SDK; (2) the hook path alone: `spawnSync('true', [], { cwd: 123 })` throws
// ERR_INVALID_ARG_TYPE inside Node before any process is made, yet goes through the whole SDK
// path (command line, channel publish, event, queue, serialisation and sending), so the
// difference between the variants is the SDK's cost per hooked call.
import { spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { root, startAgent, stopAgent } from './agent-process.mjs'

const CALLS = Number(process.env.BENCH_CALLS ?? 2000)
const ROUNDS = 5
const HOOK_CALLS = 50_000
const program = `
const { spawnSync } = require('node:child_process')
const { setTimeout: sleep } = require('node:timers/promises')
function time (n, fn) {
  const cpu0 = process.cpuUsage()
  const t0 = process.hrtime.bigint()
  for (let i = 0; i < n; i++) fn()
  const ns = Number(process.hrtime.bigint() - t0)
  const cpu = process.cpuUsage(cpu0)
  return { wall: ns / n / 1000, cpu: (cpu.user + cpu.system) / n }
}
const bad = () => { try { spawnSync('true', [], { cwd: 123 }) } catch {} }
;(async () => {
  time(100, () => spawnSync('true'))
  const real = time(${CALLS}, () => spawnSync('true'))
  time(1000, bad)
  // In batches with a pause, as an app would make them, so the queue never overflows; the
  // SDK's sending work happens inside the measured CPU time of the process.
  const cpu0 = process.cpuUsage()
  let wall = 0
  for (let done = 0; done < ${HOOK_CALLS}; done += 1000) {
    wall += time(1000, bad).wall * 1000
    await sleep(2)
  }
  await sleep(500)
  const cpu = process.cpuUsage(cpu0)
  console.log(JSON.stringify({ wall: real.wall, cpu: real.cpu, hook_wall: wall / ${HOOK_CALLS}, hook_cpu: (cpu.user + cpu.system) / ${HOOK_CALLS} }))
})()`

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
  const fig2 = (runs, key) => +median(runs.map((r) => r[key])).toFixed(2)
  result.hook_path_without_sdk_cpu_us = fig2(without, 'hook_cpu')
  result.hook_path_with_sdk_cpu_us = fig2(withSdk, 'hook_cpu')
  result.sdk_cpu_us_per_hooked_call = +(result.hook_path_with_sdk_cpu_us - result.hook_path_without_sdk_cpu_us).toFixed(2)
  result.hook_path_without_sdk_wall_us = fig2(without, 'hook_wall')
  result.hook_path_with_sdk_wall_us = fig2(withSdk, 'hook_wall')
  const spread = (runs, key) => `${Math.min(...runs.map((r) => r[key])).toFixed(0)}–${Math.max(...runs.map((r) => r[key])).toFixed(0)}`
  console.log(`spawnSync('true') x ${CALLS} per round, median of ${ROUNDS} interleaved rounds (range in brackets)`)
  console.log(`              wall µs/call          app CPU µs/call`)
  console.log(`without SDK   ${String(result.without_sdk_wall_us).padEnd(8)} [${spread(without, 'wall')}]   ${String(result.without_sdk_cpu_us).padEnd(8)} [${spread(without, 'cpu')}]`)
  console.log(`with SDK      ${String(result.with_sdk_wall_us).padEnd(8)} [${spread(withSdk, 'wall')}]   ${String(result.with_sdk_cpu_us).padEnd(8)} [${spread(withSdk, 'cpu')}]`)
  console.log(`ratio         ${result.wall_ratio}x                  ${result.cpu_ratio}x`)
  console.log('')
  console.log(`the hook path alone (a call Node refuses before spawning), ${HOOK_CALLS} calls:`)
  console.log(`              in-call wall µs       process CPU µs/call (incl. sending)`)
  console.log(`without SDK   ${String(result.hook_path_without_sdk_wall_us).padEnd(20)}  ${result.hook_path_without_sdk_cpu_us}`)
  console.log(`with SDK      ${String(result.hook_path_with_sdk_wall_us).padEnd(20)}  ${result.hook_path_with_sdk_cpu_us}`)
  console.log(`SDK cost per hooked call: ${result.sdk_cpu_us_per_hooked_call} µs of CPU`)
  console.log(JSON.stringify(result))
} finally {
  rmSync(dir, { recursive: true, force: true })
}
