// Benchmark (issue 5): the agent's /proc scanner (ProcScanner from packages/agent/dist/proc,
// hashing executables as by default), in-process. Three figures:
//
// 1. CPU of one incremental scan with 1,000 processes. One detached shell (its own process
//    group) starts BENCH_PROC_COUNT (1,000) `sleep 600` children; once every one of them has
//    exec'd sleep, one full scan (the first: reads every process and hashes its executable) is
//    timed on its own (wall, and CPU = process.cpuUsage() delta, all threads of this process).
//    After DEFAULT_RECHECK_MS + 200 ms (so no process counts as young any more: steady state),
//    BENCH_PROC_SCANS (50) incremental scans, 100 ms apart, with nothing changing: the CPU of
//    each = process.cpuUsage() delta around `await scan()` (the read phase and the event phase);
//    the scanner's own last_scan_cpu_us (its read phase only) is shown next to it. Median and
//    p90. Goal: median under 5 ms of CPU. The shell's process group is killed afterwards (and
//    on any error, exit, SIGINT, SIGTERM or SIGHUP).
// 2. The shortest process lifetime caught at the default interval (100 ms, start()). A fresh
//    scanner runs (1.5 s to settle after its first full scan); for each lifetime L in
//    BENCH_PROC_LIFETIMES (5,10,25,50,75,100,150,200 ms) a separate helper node process (its own
//    process group, so spawning costs this process nothing) spawns BENCH_PROC_PER_LIFETIME (40)
//    `sleep 0.L` children one after another, 20–80 ms apart at random (a few overlap, their
//    phase against the scan tick is spread), and reports each child's pid, spawn time and
//    lifetime (spawn to exit as the helper saw it). 400 ms after the helper is done, a child
//    counts as caught when a process.start event has its pid and a start_time within 1.5 s of
//    its spawn (start_time rests on the whole-second boot time); "as sleep" when that event
//    already shows comm sleep (not the fork before the exec). Goal: every child living 100 ms
//    or more caught.
// 3. Idle cost at the default interval: a fresh scanner's start() with the machine's own
//    processes; after 1.5 s (first full scan, young processes), process.cpuUsage() delta over
//    BENCH_PROC_IDLE_S (10) s of wall time, as % of one core; the scanner's scan_cpu_us share
//    next to it. Goal: under 1% of one core (the whole-process figure). For scale, the same
//    measure of this process with nothing but an empty setInterval at the scan interval.
//
// Settings: BENCH_PROC_COUNT (1000), BENCH_PROC_SCANS (50), BENCH_PROC_LIFETIMES
// (5,10,25,50,75,100,150,200), BENCH_PROC_PER_LIFETIME (40), BENCH_PROC_IDLE_S (10).
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { fileURLToPath } from 'node:url'

const require = createRequire(import.meta.url)
const root = fileURLToPath(new URL('..', import.meta.url))
const scannerJs = join(root, 'packages', 'agent', 'dist', 'proc', 'proc-scanner.js')

const COUNT = Number(process.env.BENCH_PROC_COUNT ?? 1000)
const SCANS = Number(process.env.BENCH_PROC_SCANS ?? 50)
const LIFETIMES = (process.env.BENCH_PROC_LIFETIMES ?? '5,10,25,50,75,100,150,200').split(',').map(Number)
const PER_LIFETIME = Number(process.env.BENCH_PROC_PER_LIFETIME ?? 40)
const IDLE_S = Number(process.env.BENCH_PROC_IDLE_S ?? 10)
const GOAL_SCAN_CPU_MS = 5
const GOAL_CAUGHT_FROM_MS = 100
const GOAL_IDLE_PCT = 1
const SETTLE_MS = 1500
const GAP_MS = [20, 80]

function fail (message) {
  process.stderr.write(`proc-scan benchmark: ${message}\n`)
  process.exit(2)
}
if (!existsSync(scannerJs)) fail(`${scannerJs} not built (npx tsc -b)`)
const { ProcScanner, DEFAULT_INTERVAL_MS, DEFAULT_RECHECK_MS } = require(scannerJs)

// ------------------------------------------------------------------------- child processes
/** Process groups started here: killed whatever happens. */
const groups = new Set()
function killGroups () {
  for (const pgid of groups) {
    try { process.kill(-pgid, 'SIGKILL') } catch {}
  }
}
process.on('exit', killGroups)
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.on(sig, () => {
    killGroups()
    process.stderr.write(`proc-scan benchmark: ${sig}, children killed\n`)
    process.exit(130)
  })
}

/** pids in /proc whose process group is `pgid`, with their comm. */
function groupMembers (pgid) {
  const members = []
  for (const name of readdirSync('/proc')) {
    const c = name.charCodeAt(0)
    if (c < 48 || c > 57) continue
    let stat
    try { stat = readFileSync(`/proc/${name}/stat`, 'latin1') } catch { continue }
    const close = stat.lastIndexOf(')')
    const fields = stat.slice(close + 2).split(' ') // state ppid pgrp ...
    if (Number(fields[2]) !== pgid) continue
    members.push({ pid: Number(name), comm: stat.slice(stat.indexOf('(') + 1, close), state: fields[0] })
  }
  return members
}

const procCount = () => readdirSync('/proc').filter((n) => n.charCodeAt(0) >= 48 && n.charCodeAt(0) <= 57).length

async function killGroup (child) {
  const pgid = child.pid
  const exited = child.exitCode !== null || child.signalCode !== null ? Promise.resolve() : once(child, 'exit')
  try { process.kill(-pgid, 'SIGKILL') } catch {}
  await exited
  // The orphaned members are reaped by init; wait until they are out of /proc.
  for (let i = 0; i < 500 && groupMembers(pgid).length > 0; i++) await sleep(10)
  const left = groupMembers(pgid).length
  if (left === 0) groups.delete(pgid)
  return left
}

const sorted = (xs) => [...xs].sort((a, b) => a - b)
const median = (xs) => { const s = sorted(xs); const m = s.length >> 1; return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2 }
const pct = (xs, p) => { const s = sorted(xs); return s[Math.max(0, Math.ceil(p * s.length) - 1)] }
const cpuMs = (u) => (u.user + u.system) / 1000
const r2 = (x) => Math.round(x * 100) / 100

// --------------------------------------------------------- 1. incremental scan, 1,000 processes
async function scanCost () {
  const farm = spawn('sh', ['-c', `i=0; while [ $i -lt ${COUNT} ]; do sleep 600 & i=$((i+1)); done; echo started; wait`], { detached: true, stdio: ['ignore', 'pipe', 'inherit'] })
  groups.add(farm.pid)
  try {
    let out = ''
    farm.stdout.setEncoding('utf8')
    farm.stdout.on('data', (d) => { out += d })
    for (let i = 0; !out.includes('started'); i++) {
      if (farm.exitCode !== null || i > 6000) throw new Error(`the shell starting ${COUNT} sleeps did not get there (exit ${farm.exitCode})`)
      await sleep(10)
    }
    // Every child must have exec'd sleep before the full scan (none still a forked shell).
    let sleeping = 0
    for (let i = 0; i < 300; i++) {
      sleeping = groupMembers(farm.pid).filter((m) => m.comm === 'sleep').length
      if (sleeping >= COUNT) break
      await sleep(100)
    }
    if (sleeping < COUNT) throw new Error(`only ${sleeping} of ${COUNT} sleep 600 children running`)

    const scanner = new ProcScanner()
    const pids = procCount()
    let c0 = process.cpuUsage()
    let t0 = performance.now()
    const first = await scanner.scan()
    const full = { wall_ms: performance.now() - t0, cpu_ms: cpuMs(process.cpuUsage(c0)), events: first.length, read_cpu_ms: scanner.counters().last_scan_cpu_us / 1000 }
    const afterFull = scanner.counters()
    await sleep(DEFAULT_RECHECK_MS + 200)

    const cpu = []
    const own = []
    const wall = []
    let events = 0
    for (let i = 0; i < SCANS; i++) {
      await sleep(DEFAULT_INTERVAL_MS)
      c0 = process.cpuUsage()
      t0 = performance.now()
      events += (await scanner.scan()).length
      const c = cpuMs(process.cpuUsage(c0))
      wall.push(performance.now() - t0)
      cpu.push(c)
      own.push(scanner.counters().last_scan_cpu_us / 1000)
    }
    const counters = scanner.counters()
    const left = await killGroup(farm)
    if (left > 0) process.stderr.write(`proc-scan benchmark: ${left} processes of group ${farm.pid} still in /proc\n`)
    return {
      pids,
      processes: counters.processes,
      full,
      hashes: { misses: afterFull.hash_cache_misses, hits: afterFull.hash_cache_hits, bytes: afterFull.hash_bytes },
      cpu_median_ms: median(cpu),
      cpu_p90_ms: pct(cpu, 0.9),
      cpu_max_ms: Math.max(...cpu),
      own_median_ms: median(own),
      own_p90_ms: pct(own, 0.9),
      wall_median_ms: median(wall),
      events,
    }
  } finally {
    if (groups.has(farm.pid)) await killGroup(farm)
  }
}

// ------------------------------------------------------------------ 2. short-lived processes
const HELPER = `
const { spawn } = require('node:child_process')
const [L, M, gapMin, gapMax] = process.argv.slice(1).map(Number)
const arg = (L / 1000).toFixed(3)
const out = []
let pending = M
;(async () => {
  for (let i = 0; i < M; i++) {
    const spawned = Date.now()
    const t0 = performance.now()
    const c = spawn('sleep', [arg], { stdio: 'ignore' })
    const rec = { pid: c.pid, spawned }
    out.push(rec)
    c.on('exit', () => { rec.lived_ms = performance.now() - t0; if (--pending === 0) process.stdout.write(JSON.stringify(out)) })
    await new Promise((resolve) => setTimeout(resolve, gapMin + Math.random() * (gapMax - gapMin)))
  }
})()
`

async function runHelper (lifetime) {
  const helper = spawn(process.execPath, ['-e', HELPER, String(lifetime), String(PER_LIFETIME), String(GAP_MS[0]), String(GAP_MS[1])], { detached: true, stdio: ['ignore', 'pipe', 'inherit'] })
  groups.add(helper.pid)
  let out = ''
  helper.stdout.setEncoding('utf8')
  helper.stdout.on('data', (d) => { out += d })
  const [code] = await once(helper, 'exit')
  groups.delete(helper.pid)
  if (code !== 0) throw new Error(`helper for ${lifetime} ms exited ${code}`)
  return JSON.parse(out)
}

async function lifetimes () {
  const starts = []
  let errors = 0
  const scanner = new ProcScanner()
  scanner.start((events) => { for (const e of events) if (e.kind === 'process.start') starts.push(e) }, () => { errors++ })
  try {
    await sleep(SETTLE_MS)
    const rows = []
    for (const L of LIFETIMES) {
      const children = await runHelper(L)
      await sleep(400)
      let caught = 0
      let asSleep = 0
      for (const ch of children) {
        const hits = starts.filter((e) => e.process.pid === ch.pid && Math.abs(Date.parse(e.process.start_time) - ch.spawned) < 1500)
        if (hits.length > 0) caught++
        if (hits.some((e) => e.process.comm === 'sleep')) asSleep++
      }
      const lived = children.map((c) => c.lived_ms)
      rows.push({ lifetime_ms: L, spawned: children.length, caught, as_sleep: asSleep, share: caught / children.length, lived_median_ms: median(lived), lived_min_ms: Math.min(...lived) })
    }
    await scanner.stop()
    const c = scanner.counters()
    return { rows, errors, counters: { scans: c.scans, skipped_ticks: c.skipped_ticks, vanished_mid_read: c.vanished_mid_read, execs: c.execs } }
  } finally {
    await scanner.stop()
  }
}

// ------------------------------------------------------------------------------- 3. idle cost
async function idle () {
  const scanner = new ProcScanner()
  scanner.start(() => {})
  try {
    await sleep(SETTLE_MS)
    const k0 = scanner.counters()
    const c0 = process.cpuUsage()
    const t0 = performance.now()
    await sleep(IDLE_S * 1000)
    const cpu = cpuMs(process.cpuUsage(c0))
    const wall = performance.now() - t0
    const k1 = scanner.counters()
    return {
      wall_s: wall / 1000,
      cpu_pct: (cpu / wall) * 100,
      scan_cpu_pct: ((k1.scan_cpu_us - k0.scan_cpu_us) / 1000 / wall) * 100,
      scans: k1.scans - k0.scans,
      skipped_ticks: k1.skipped_ticks - k0.skipped_ticks,
      processes: k1.processes,
    }
  } finally {
    await scanner.stop()
  }
}

/** For scale: this process with only an empty timer at the scan interval, for as long. */
async function baseline () {
  const timer = setInterval(() => {}, DEFAULT_INTERVAL_MS)
  try {
    await sleep(500)
    const c0 = process.cpuUsage()
    const t0 = performance.now()
    await sleep(IDLE_S * 1000)
    return (cpuMs(process.cpuUsage(c0)) / (performance.now() - t0)) * 100
  } finally {
    clearInterval(timer)
  }
}

// ------------------------------------------------------------------------------------ report
try {
  process.stderr.write(`proc-scan benchmark: ${COUNT} sleep 600, ${SCANS} incremental scans; lifetimes ${LIFETIMES.join(',')} ms x ${PER_LIFETIME}; idle ${IDLE_S} s\n`)
  const s = await scanCost()
  process.stderr.write(`  scan cost done: median ${s.cpu_median_ms.toFixed(2)} ms CPU\n`)
  const l = await lifetimes()
  process.stderr.write('  lifetimes done\n')
  const i = await idle()
  const base = await baseline()

  const long = l.rows.filter((r) => r.lifetime_ms >= GOAL_CAUGHT_FROM_MS)
  const shortestAll = l.rows.find((r) => r.caught === r.spawned && l.rows.filter((x) => x.lifetime_ms >= r.lifetime_ms).every((x) => x.caught === x.spawned))
  const goals = {
    scan: s.cpu_median_ms < GOAL_SCAN_CPU_MS,
    caught: long.length > 0 && long.every((r) => r.caught === r.spawned),
    idle: i.cpu_pct < GOAL_IDLE_PCT,
  }
  const lines = []
  lines.push(`proc-scan: ProcScanner, hash on, node ${process.version}, in-process; CPU = process.cpuUsage() (all threads of this process)`)
  lines.push(`1. /proc with ${s.pids.toLocaleString('en')} pids (${COUNT.toLocaleString('en')} sleep 600 + the machine's), ${s.processes.toLocaleString('en')} in the scanner's table (no kernel threads)`)
  lines.push(`   full scan (first, hashes):  wall ${s.full.wall_ms.toFixed(1)} ms, CPU ${s.full.cpu_ms.toFixed(1)} ms (read phase ${s.full.read_cpu_ms.toFixed(1)} ms), ${s.full.events} events, ${s.hashes.misses} executables hashed (${(s.hashes.bytes / 2 ** 20).toFixed(1)} MiB), ${s.hashes.hits} cache hits`)
  lines.push(`   ${`incremental scan, nothing new (${SCANS} scans, ${DEFAULT_INTERVAL_MS} ms apart)`.padEnd(56)} ${'median'.padStart(8)} ${'p90'.padStart(8)} ${'max'.padStart(8)}`)
  lines.push(`   ${'CPU ms, process.cpuUsage() around await scan()'.padEnd(56)} ${s.cpu_median_ms.toFixed(2).padStart(8)} ${s.cpu_p90_ms.toFixed(2).padStart(8)} ${s.cpu_max_ms.toFixed(2).padStart(8)}`)
  lines.push(`   ${'CPU ms, scanner last_scan_cpu_us (read phase)'.padEnd(56)} ${s.own_median_ms.toFixed(2).padStart(8)} ${s.own_p90_ms.toFixed(2).padStart(8)}`)
  lines.push(`   ${'wall ms'.padEnd(56)} ${s.wall_median_ms.toFixed(2).padStart(8)}`)
  if (s.events > 0) lines.push(`   (${s.events} events during the incremental scans: the machine's own process activity)`)
  lines.push(`2. short-lived processes at the default ${DEFAULT_INTERVAL_MS} ms interval (start()), ${PER_LIFETIME} per lifetime, ${GAP_MS[0]}–${GAP_MS[1]} ms apart`)
  lines.push(`   ${'lifetime'.padEnd(10)}${'lived (median, min)'.padEnd(22)}${'caught'.padStart(8)}${'share'.padStart(9)}${'as sleep'.padStart(10)}`)
  for (const r of l.rows) {
    lines.push(`   ${`${r.lifetime_ms} ms`.padEnd(10)}${`${r.lived_median_ms.toFixed(1)}, ${r.lived_min_ms.toFixed(1)} ms`.padEnd(22)}${`${r.caught}/${r.spawned}`.padStart(8)}${`${(r.share * 100).toFixed(1)}%`.padStart(9)}${String(r.as_sleep).padStart(10)}`)
  }
  lines.push(`   scanner: ${l.counters.scans} scans, ${l.counters.skipped_ticks} ticks skipped, ${l.counters.vanished_mid_read} processes vanished mid-read, ${l.counters.execs} execs, ${l.errors} scan errors`)
  lines.push(`3. idle at ${DEFAULT_INTERVAL_MS} ms with ${i.processes} processes, ${i.wall_s.toFixed(1)} s: CPU ${i.cpu_pct.toFixed(2)}% of one core (scans' own count ${i.scan_cpu_pct.toFixed(2)}%), ${i.scans} scans, ${i.skipped_ticks} ticks skipped`)
  lines.push(`   for scale: this process with only an empty ${DEFAULT_INTERVAL_MS} ms setInterval, ${IDLE_S} s: ${base.toFixed(2)}% of one core`)
  lines.push(`goals: incremental scan < ${GOAL_SCAN_CPU_MS} ms CPU (median): ${goals.scan ? 'met' : 'NOT met'} (${s.cpu_median_ms.toFixed(2)} ms, p90 ${s.cpu_p90_ms.toFixed(2)} ms); ` +
    `every process living >= ${GOAL_CAUGHT_FROM_MS} ms caught: ${goals.caught ? 'met' : 'NOT met'} (${long.map((r) => `${r.lifetime_ms} ms ${r.caught}/${r.spawned}`).join(', ')}); ` +
    `idle < ${GOAL_IDLE_PCT}% of one core: ${goals.idle ? 'met' : 'NOT met'} (${i.cpu_pct.toFixed(2)}%)`)
  for (const line of lines) console.log(line)
  console.log(JSON.stringify({
    processes: s.processes,
    sleeps: COUNT,
    full_scan_wall_ms: r2(s.full.wall_ms),
    full_scan_cpu_ms: r2(s.full.cpu_ms),
    scan_cpu_median_ms: r2(s.cpu_median_ms),
    scan_cpu_p90_ms: r2(s.cpu_p90_ms),
    scan_cpu_max_ms: r2(s.cpu_max_ms),
    scan_read_cpu_median_ms: r2(s.own_median_ms),
    scan_wall_median_ms: r2(s.wall_median_ms),
    scans: SCANS,
    caught: Object.fromEntries(l.rows.map((r) => [String(r.lifetime_ms), Math.round(r.share * 1000) / 1000])),
    per_lifetime: PER_LIFETIME,
    shortest_all_caught_ms: shortestAll?.lifetime_ms ?? null,
    idle_processes: i.processes,
    idle_cpu_pct: r2(i.cpu_pct),
    idle_scan_cpu_pct: r2(i.scan_cpu_pct),
    idle_s: r2(i.wall_s),
    idle_baseline_cpu_pct: r2(base),
    goal_scan_met: goals.scan,
    goal_caught_met: goals.caught,
    goal_idle_met: goals.idle,
  }))
} catch (err) {
  process.stderr.write(`proc-scan benchmark: ${err.stack ?? err}\n`)
  process.exitCode = 1
} finally {
  killGroups()
}
