// Benchmark (issue 4): offline flow tracking of the ~1M-packet flowlab corpus, sidewatch against
// the peer softflowd, in the same run, on the same file. Figures: packets per second of the whole
// process (start-up included: wall time from spawn to exit) and its max RSS.
//
//   sidewatch  node packages/agent/bin/sidewatch-agent.js flows --pcap big.pcap
//                --task-net 169.254.170.0/24 --task-net fd00:a9fe:aa00::/64    (stdout to a file)
//   softflowd  softflowd -d -r big.pcap -n 127.0.0.1:PORT -v 10 -A milli -6 -m 1000000
//                with nfdump's nfcapd collecting the IPFIX on 127.0.0.1:PORT (a free port; the
//                collector must receive every record softflowd says it exported)
//
// The corpus (flowlab, seed 42: 996,505 packets, 20,000 flows, snaplen 96) is generated once
// into .cache/flowlab/ by ../shared/flowlab/gen_pcap.py (or $FLOWLAB_DIR; see flows-corpus.mjs).
// One untimed warm-up run of each (page cache), then BENCH_ROUNDS (5) interleaved rounds, the
// order alternating (AB BA ...); the median round counts, the range is shown. Max RSS from GNU
// time (`/usr/bin/time -f %M`; benchmarks/setup-peers.sh installs it), else from polling
// /proc/PID/status VmHWM. Goal (issue 4): sidewatch >= 1.0x softflowd's packets/s, and
// sidewatch's max RSS under 150 MB.
//
// Settings: BENCH_ROUNDS (5); BENCH_FLOWS_PCAP=FILE to time another capture (no corpus
// generation; the task nets stay the flowlab ones). Everything stays on loopback.
import { spawn, spawnSync } from 'node:child_process'
import { createSocket } from 'node:dgram'
import { once } from 'node:events'
import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, readdirSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { CorpusError, countPackets, ensureCorpus, root } from './flows-corpus.mjs'

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5)
const TASK_NETS = ['169.254.170.0/24', 'fd00:a9fe:aa00::/64']
const agentBin = join(root, 'packages', 'agent', 'bin', 'sidewatch-agent.js')
const flowsCommand = join(root, 'packages', 'agent', 'dist', 'commands', 'flows.js')
const GNU_TIME = '/usr/bin/time'
const haveGnuTime = existsSync(GNU_TIME) && spawnSync(GNU_TIME, ['-f', '%M', 'true'], { encoding: 'utf8' }).status === 0
const GOAL_RSS_BYTES = 150e6

function fail (message) {
  process.stderr.write(`flows benchmark: ${message}\n`)
  process.exit(2)
}

function which (cmd) {
  const res = spawnSync('sh', ['-c', `command -v ${cmd}`], { encoding: 'utf8' })
  return res.status === 0 ? res.stdout.trim() : undefined
}

// ---------------------------------------------------------------------------------- the corpus
let pcap
let summary
if (process.env.BENCH_FLOWS_PCAP) {
  pcap = process.env.BENCH_FLOWS_PCAP
  if (!existsSync(pcap)) fail(`BENCH_FLOWS_PCAP=${pcap}: no such file`)
} else {
  try {
    const corpus = ensureCorpus('big')
    pcap = corpus.pcap
    summary = corpus.summary
  } catch (err) {
    if (err instanceof CorpusError) fail(err.message)
    throw err
  }
}
const packets = countPackets(pcap)
if (summary !== undefined && summary.packets_total !== packets) fail(`${pcap} holds ${packets} packets, its summary says ${summary.packets_total}: delete .cache/flowlab and run again`)
const expectedRecords = summary?.expected?.bidir_records_at_timeout

for (const [cmd, pkg] of [['softflowd', 'softflowd'], ['nfcapd', 'nfdump'], ['nfdump', 'nfdump']]) {
  if (which(cmd) === undefined) fail(`${cmd} not found: run benchmarks/setup-peers.sh (installs the Debian package ${pkg})`)
}
const softflowdBin = which('softflowd')
const sidewatchReady = existsSync(flowsCommand)
if (!sidewatchReady) process.stderr.write(`flows benchmark: ${flowsCommand} not built (npx tsc -b): timing softflowd only\n`)

// --------------------------------------------------------------------------------- measuring
/**
 * Runs argv to completion with stdout and stderr to files; returns wall seconds (spawn to exit,
 * measured here), max RSS in bytes, user+sys CPU seconds (GNU time only) and the exit status.
 */
async function timed (argv, stdoutFile, stderrFile) {
  const out = openSync(stdoutFile, 'w')
  const err = openSync(stderrFile, 'w')
  const timeFile = `${stderrFile}.time`
  const full = haveGnuTime ? [GNU_TIME, '-o', timeFile, '-f', '%M %U %S', ...argv] : argv
  let hwm = 0
  let poll
  const t0 = process.hrtime.bigint()
  const child = spawn(full[0], full.slice(1), { stdio: ['ignore', out, err] })
  if (!haveGnuTime) {
    const readHwm = () => {
      try {
        const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'))
        if (m) hwm = Math.max(hwm, Number(m[1]) * 1024)
      } catch {}
    }
    poll = setInterval(readHwm, 2)
  }
  const [code, signal] = await once(child, 'exit')
  const wall = Number(process.hrtime.bigint() - t0) / 1e9
  clearInterval(poll)
  closeSync(out)
  closeSync(err)
  let rss = hwm
  let cpu
  if (haveGnuTime) {
    // GNU time writes "Command exited with non-zero status N" first when the command failed.
    const last = readFileSync(timeFile, 'utf8').trim().split('\n').at(-1).split(' ')
    rss = Number(last[0]) * 1024
    cpu = Number(last[1]) + Number(last[2])
  }
  return { wall, rss, cpu, code, signal }
}

const dir = mkdtempSync(join(tmpdir(), 'sidewatch-bench-flows-'))
const children = new Set()
process.on('exit', () => { for (const c of children) c.kill('SIGKILL') })

async function freeUdpPort () {
  const s = createSocket('udp4')
  s.bind(0, '127.0.0.1')
  await once(s, 'listening')
  const port = s.address().port
  s.close()
  return port
}

/** nfcapd on 127.0.0.1:PORT writing into its own directory; resolves once it has bound. */
async function startCollector (tag) {
  for (let attempt = 0; attempt < 5; attempt++) {
    const port = await freeUdpPort()
    const flowDir = join(dir, `nfcapd-${tag}-${attempt}`)
    mkdirSync(flowDir)
    const log = join(dir, `nfcapd-${tag}-${attempt}.log`)
    const fd = openSync(log, 'w')
    const child = spawn('nfcapd', ['-w', flowDir, '-b', '127.0.0.1', '-p', String(port), '-B', String(8 << 20)], { stdio: ['ignore', fd, fd] })
    closeSync(fd)
    children.add(child)
    let exited = false
    child.once('exit', () => { exited = true; children.delete(child) })
    for (let i = 0; i < 200 && !exited; i++) {
      const text = readFileSync(log, 'utf8')
      if (text.includes('Startup nfcapd')) return { child, port, flowDir, log }
      await sleep(10)
    }
    if (!exited) child.kill('SIGKILL')
    process.stderr.write(`nfcapd did not start on 127.0.0.1:${port}: ${readFileSync(log, 'utf8').trim().split('\n').at(-1)}\n`)
  }
  throw new Error('nfcapd would not start (see above)')
}

/** Stops nfcapd (it writes its file on SIGTERM) and returns how many flow records it received. */
async function stopCollector (c) {
  // softflowd has exited, but its last datagrams may still sit in the collector's socket buffer.
  await sleep(300)
  if (c.child.exitCode === null) {
    const exit = once(c.child, 'exit')
    c.child.kill('SIGTERM')
    await exit
  }
  const files = readdirSync(c.flowDir).filter((f) => f.startsWith('nfcapd.'))
  if (files.length === 0) return 0
  const res = spawnSync('nfdump', ['-R', c.flowDir, '-I'], { encoding: 'utf8' })
  const m = /^Flows:\s*(\d+)/m.exec(res.stdout)
  return m ? Number(m[1]) : 0
}

async function runSoftflowd (tag) {
  const c = await startCollector(tag)
  const argv = [softflowdBin, '-d', '-r', pcap, '-n', `127.0.0.1:${c.port}`, '-v', '10', '-A', 'milli', '-6', '-m', '1000000']
  const stdout = join(dir, `softflowd-${tag}.out`)
  const stderr = join(dir, `softflowd-${tag}.err`)
  const r = await timed(argv, stdout, stderr)
  const received = await stopCollector(c)
  const text = readFileSync(stderr, 'utf8') + readFileSync(stdout, 'utf8')
  if (r.code !== 0) throw new Error(`softflowd exited ${r.code ?? r.signal}: ${text.trim().slice(-2000)}`)
  // "Flows exported: 20024 (39236 records) in 1539 packets (0 failures)"
  const m = /Flows exported: (\d+) \((\d+) records\) in (\d+) packets \((\d+) failures\)/.exec(text)
  const exported = m ? Number(m[2]) : undefined
  const processed = Number(/Packets processed: (\d+)/.exec(text)?.[1] ?? NaN)
  if (received === 0) throw new Error(`nfcapd on 127.0.0.1:${c.port} received no records from softflowd: the peer did not export (${text.trim().slice(-500)})`)
  return { ...r, exported, received, processed, flows: m ? Number(m[1]) : undefined, failures: m ? Number(m[4]) : undefined, argv }
}

async function runSidewatch (tag) {
  const argv = [process.execPath, agentBin, 'flows', '--pcap', pcap, ...TASK_NETS.flatMap((n) => ['--task-net', n])]
  const stdout = join(dir, `sidewatch-${tag}.jsonl`)
  const stderr = join(dir, `sidewatch-${tag}.err`)
  const r = await timed(argv, stdout, stderr)
  const err = readFileSync(stderr, 'utf8')
  if (r.code !== 0) throw new Error(`sidewatch-agent flows exited ${r.code ?? r.signal}: ${err.trim().slice(-2000)}`)
  const out = readFileSync(stdout)
  let records = 0
  for (let i = out.indexOf(10); i !== -1; i = out.indexOf(10, i + 1)) records++
  rmSync(stdout)
  return { ...r, records, summary: err.trim(), argv }
}

// ------------------------------------------------------------------------------------ rounds
const median = (xs) => { const s = [...xs].sort((a, b) => a - b); const m = s.length >> 1; return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2 }
const runs = { sidewatch: [], softflowd: [] }
const runners = { softflowd: runSoftflowd, ...(sidewatchReady ? { sidewatch: runSidewatch } : {}) }
const names = Object.keys(runners)
const fmtRun = (r) => `${r.wall.toFixed(3)} s, ${Math.round(packets / r.wall).toLocaleString('en')} pkt/s, max RSS ${(r.rss / 2 ** 20).toFixed(1)} MiB${r.cpu !== undefined ? `, CPU ${r.cpu.toFixed(2)} s` : ''}`
try {
  process.stderr.write(`flows benchmark: ${pcap}, ${packets.toLocaleString('en')} packets; warm-up, then ${ROUNDS} interleaved rounds\n`)
  const warm = {}
  for (const name of names) {
    warm[name] = await runners[name]('warmup')
    process.stderr.write(`  warm-up ${name}: ${fmtRun(warm[name])}\n`)
  }
  for (let round = 0; round < ROUNDS; round++) {
    const order = round % 2 === 0 ? names : [...names].reverse()
    for (const name of order) {
      const r = await runners[name](String(round + 1))
      runs[name].push(r)
      process.stderr.write(`  round ${round + 1} ${name}: ${fmtRun(r)}${name === 'softflowd' ? `, collector got ${r.received}/${r.exported} records` : `, ${r.records} records`}\n`)
    }
  }

  // ---------------------------------------------------------------------------------- report
  const figures = (list) => {
    const walls = list.map((r) => r.wall)
    const wall = median(walls)
    return {
      pps: Math.round(packets / wall),
      wall_s: +wall.toFixed(3),
      wall_min_s: +Math.min(...walls).toFixed(3),
      wall_max_s: +Math.max(...walls).toFixed(3),
      max_rss_mib: +(Math.max(...list.map((r) => r.rss)) / 2 ** 20).toFixed(1),
      max_rss_bytes: Math.max(...list.map((r) => r.rss)),
      cpu_s: list[0].cpu === undefined ? undefined : +median(list.map((r) => r.cpu)).toFixed(2),
    }
  }
  const sf = figures(runs.softflowd)
  const sfLast = runs.softflowd.at(-1)
  const result = {
    pcap: pcap.startsWith(root) ? pcap.slice(root.length) : pcap,
    packets,
    rounds: ROUNDS,
    rss_source: haveGnuTime ? 'GNU time %M' : '/proc VmHWM polling',
    softflowd_pps: sf.pps,
    softflowd_wall_s: sf.wall_s,
    softflowd_wall_range_s: [sf.wall_min_s, sf.wall_max_s],
    softflowd_max_rss_mib: sf.max_rss_mib,
    softflowd_cpu_s: sf.cpu_s,
    softflowd_packets_processed: sfLast.processed,
    softflowd_records_exported: sfLast.exported,
    collector_records_received: Math.min(...runs.softflowd.map((r) => r.received)),
    sidewatch_pps: null,
    sidewatch_wall_s: null,
    sidewatch_wall_range_s: null,
    sidewatch_max_rss_mib: null,
    sidewatch_cpu_s: null,
    sidewatch_records: null,
    expected_records: expectedRecords ?? null,
    ratio_pps: null,
  }
  const lines = []
  const row = (label, f, extra) => `${label.padEnd(34)}${String(f.pps.toLocaleString('en')).padStart(12)}  ${f.wall_s.toFixed(3).padStart(7)} (${f.wall_min_s.toFixed(3)}–${f.wall_max_s.toFixed(3)})  ${f.max_rss_mib.toFixed(1).padStart(8)}  ${f.cpu_s === undefined ? '' : f.cpu_s.toFixed(2).padStart(6)}  ${extra}`
  lines.push(`${result.pcap}: ${packets.toLocaleString('en')} packets; ${ROUNDS} interleaved rounds after a warm-up, median round (range); whole process incl. start-up; max RSS by ${result.rss_source}`)
  lines.push(`${'variant'.padEnd(34)}${'packets/s'.padStart(12)}  ${'wall s'.padStart(7)} ${'(range)'.padEnd(13)}  ${'RSS MiB'.padStart(8)}  ${'CPU s'.padStart(6)}  records`)
  let sw
  if (sidewatchReady) {
    sw = figures(runs.sidewatch)
    const swRecords = runs.sidewatch.at(-1).records
    Object.assign(result, {
      sidewatch_pps: sw.pps,
      sidewatch_wall_s: sw.wall_s,
      sidewatch_wall_range_s: [sw.wall_min_s, sw.wall_max_s],
      sidewatch_max_rss_mib: sw.max_rss_mib,
      sidewatch_cpu_s: sw.cpu_s,
      sidewatch_records: swRecords,
      ratio_pps: +(sw.pps / sf.pps).toFixed(2),
    })
    result.goal_pps_met = result.ratio_pps >= 1.0
    result.goal_rss_met = sw.max_rss_bytes < GOAL_RSS_BYTES
    lines.push(row('sidewatch-agent flows', sw, `${swRecords}${expectedRecords !== undefined ? ` (truth at 60 s idle: ${expectedRecords})` : ''}`))
  } else {
    lines.push(`${'sidewatch-agent flows'.padEnd(34)}  not built: ${flowsCommand} is missing`)
  }
  lines.push(row('softflowd -v 10 → nfcapd (peer)', sf, `${result.softflowd_records_exported} IPFIX records (uni), collector got ${result.collector_records_received}`))
  if (sidewatchReady) {
    lines.push(`ratio sidewatch/softflowd: ${result.ratio_pps}x packets/s`)
    lines.push(`goal: >= 1.0x softflowd's packets/s: ${result.goal_pps_met ? 'met' : 'NOT met'} (${result.ratio_pps}x); sidewatch max RSS < 150 MB: ${result.goal_rss_met ? 'met' : 'NOT met'} (${(sw.max_rss_bytes / 1e6).toFixed(1)} MB)`)
    if (expectedRecords !== undefined && result.sidewatch_records !== expectedRecords) lines.push(`WARNING: sidewatch wrote ${result.sidewatch_records} records, the truth expects ${expectedRecords} (node scripts/flowlab-check.mjs big for the details)`)
    lines.push(`sidewatch summary (stderr): ${runs.sidewatch.at(-1).summary.split('\n').slice(-3).join(' | ').slice(0, 400)}`)
  }
  if (runs.softflowd.some((r) => r.received !== r.exported)) lines.push(`WARNING: the collector received ${runs.softflowd.map((r) => r.received).join('/')} of ${runs.softflowd.map((r) => r.exported).join('/')} records softflowd exported`)
  for (const l of lines) console.log(l)
  for (const k of Object.keys(result)) if (result[k] === undefined) delete result[k]
  console.log(JSON.stringify(result))
  if (!sidewatchReady) process.exitCode = 1
} catch (err) {
  process.stderr.write(`flows benchmark: ${err.message}\n`)
  process.exitCode = 1
} finally {
  for (const c of children) c.kill('SIGKILL')
  rmSync(dir, { recursive: true, force: true })
}
