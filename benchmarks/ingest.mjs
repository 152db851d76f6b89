// Benchmark: events per second from one SDK client through the agent into the jsonl sink, and
// the SDK's CPU cost per reported event. Peer, in the same run: pino writing the same events to a
// file inside the app (the floor: no protocol, no second process).
import { spawnSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { startAgent, stopAgent } from './agent-process.mjs'

const COUNT = Number(process.env.BENCH_EVENTS ?? 200_000)
const client = new URL('./ingest-client.mjs', import.meta.url).pathname
const lines = (file) => { try { return readFileSync(file, 'utf8').split('\n').length - 1 } catch { return 0 } }
// The agent adds its own agent.stats lines; count only the benchmark's events.
const execLines = (file) => { try { return readFileSync(file, 'utf8').split('"kind":"process.exec"').length - 1 } catch { return 0 } }

function runClient (args) {
  const res = spawnSync(process.execPath, [client, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] })
  if (res.status !== 0) throw new Error(`client ${args[0]} failed (${res.status})`)
  return JSON.parse(res.stdout.trim().split('\n').at(-1))
}

const dir = mkdtempSync(join(tmpdir(), 'sidewatch-bench-'))
try {
  // sidewatch: SDK → unix socket → agent → jsonl file. Timed until the last line is on disk.
  const out = join(dir, 'agent.jsonl')
  const agent = await startAgent(dir, [`jsonl:${out}`])
  const started = process.hrtime.bigint()
  const sw = runClient(['sidewatch', String(COUNT), agent.sock])
  while (lines(out) < COUNT) await sleep(5)
  const endToEndMs = Number(process.hrtime.bigint() - started) / 1e6
  await stopAgent(agent)
  const stored = execLines(out)

  // peer: pino in-process to a file.
  const pinoOut = join(dir, 'pino.jsonl')
  const pn = runClient(['pino', String(COUNT), pinoOut])
  const pinoLines = lines(pinoOut)
  const bytesPerEvent = statSync(pinoOut).size / pinoLines

  const rate = (n, ms) => Math.round(n / (ms / 1000))
  const result = {
    events: COUNT,
    stored,
    sidewatch_events_per_s: rate(COUNT, endToEndMs),
    sidewatch_app_cpu_us_per_event: +(sw.cpu_us / COUNT).toFixed(2),
    pino_events_per_s: rate(pinoLines, pn.wall_ms),
    pino_app_cpu_us_per_event: +(pn.cpu_us / COUNT).toFixed(2),
    bytes_per_event: Math.round(bytesPerEvent),
  }
  result.throughput_ratio = +(result.sidewatch_events_per_s / result.pino_events_per_s).toFixed(2)
  result.app_cpu_ratio = +(result.sidewatch_app_cpu_us_per_event / result.pino_app_cpu_us_per_event).toFixed(2)

  console.log(`${COUNT} process.exec events, ~${result.bytes_per_event} bytes each as JSON`)
  console.log('variant                                   events/s   app CPU µs/event')
  console.log(`sidewatch SDK → agent → jsonl sink      ${String(result.sidewatch_events_per_s).padStart(10)}   ${String(result.sidewatch_app_cpu_us_per_event).padStart(8)}`)
  console.log(`pino in the app → file (peer)           ${String(result.pino_events_per_s).padStart(10)}   ${String(result.pino_app_cpu_us_per_event).padStart(8)}`)
  console.log(`ratio sidewatch/pino                    ${String(result.throughput_ratio).padStart(10)}x  ${String(result.app_cpu_ratio).padStart(8)}x`)
  if (stored !== COUNT) console.log(`WARNING: the sink holds ${stored} lines, expected ${COUNT}`)
  console.log(JSON.stringify(result))
} finally {
  rmSync(dir, { recursive: true, force: true })
}
