// Benchmark: one hooked child_process.spawnSync, with the SDK reporting it to a running agent,
// against the same call without the SDK, in the same run. Each variant is a fresh process that
// runs CALLS calls after a warm-up; the figure is wall time per call.
import { spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { root, startAgent, stopAgent } from './agent-process.mjs'

const CALLS = Number(process.env.BENCH_CALLS ?? 2000)
const ROUNDS = 3
const program = `
const { spawnSync } = require('node:child_process')
for (let i = 0; i < 100; i++) spawnSync('true')
const t0 = process.hrtime.bigint()
for (let i = 0; i < ${CALLS}; i++) spawnSync('true')
const ns = Number(process.hrtime.bigint() - t0)
console.log(JSON.stringify({ us_per_call: ns / ${CALLS} / 1000 }))`

function measure (preload, env) {
  const res = spawnSync(process.execPath, [...preload, '-e', program], { encoding: 'utf8', env: { ...process.env, ...env } })
  if (res.status !== 0) throw new Error(res.stderr)
  return JSON.parse(res.stdout.trim()).us_per_call
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
  const result = {
    calls: CALLS,
    without_sdk_us_per_call: +median(without).toFixed(1),
    with_sdk_us_per_call: +median(withSdk).toFixed(1),
  }
  result.added_us_per_call = +(result.with_sdk_us_per_call - result.without_sdk_us_per_call).toFixed(1)
  result.ratio = +(result.with_sdk_us_per_call / result.without_sdk_us_per_call).toFixed(3)
  console.log(`spawnSync('true') x ${CALLS}, median of ${ROUNDS} interleaved rounds`)
  console.log(`without SDK   ${result.without_sdk_us_per_call} µs/call`)
  console.log(`with SDK      ${result.with_sdk_us_per_call} µs/call  (${result.ratio}x, +${result.added_us_per_call} µs)`)
  console.log(JSON.stringify(result))
} finally {
  rmSync(dir, { recursive: true, force: true })
}
