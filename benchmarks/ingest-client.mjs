// One SDK client for the ingest benchmark. Variant `sidewatch`: the real SDK (start()), fed through
// its own channel exactly as the child_process instrumentation feeds it, waits until the agent
// has acknowledged every event. Variant `pino`: the same event objects logged with pino to a
// file in-process — what it costs an app to write them out itself. Prints one JSON result line.
import { createRequire } from 'node:module'
import { channel } from 'node:diagnostics_channel'
import { setTimeout as sleep } from 'node:timers/promises'
import { randomUUID } from 'node:crypto'
import { join } from 'node:path'
import { root } from './agent-process.mjs'

const require = createRequire(join(root, 'packages', 'agent', 'package.json'))
const [variant, countText, target] = process.argv.slice(2)
const count = Number(countText)
const ctx = (i) => ({ method: 'spawn', file: '/usr/bin/convert', args: ['-resize', '50%', `/srv/uploads/${i}.png`, `/srv/thumbs/${i}.png`], shell: false, command_line: `/usr/bin/convert -resize 50% /srv/uploads/${i}.png /srv/thumbs/${i}.png`, sync: false, pid: 1000 + (i % 30000) })

const cpu0 = process.cpuUsage()
const t0 = process.hrtime.bigint()
if (variant === 'sidewatch') {
  const sdk = require('@sidewatch/node-asm')
  const handle = sdk.start({ agent: `unix:${target}`, token: 'bench', service: 'bench', queueSize: 20000 })
  const end = channel('sidewatch:child_process:end')
  for (let i = 0; i < count; i++) {
    end.publish(ctx(i))
    // Stay inside the queue bound: a benchmark of throughput, not of dropping.
    // (Polled with a 1 ms timer, not setImmediate: a spinning wait would bill its CPU to the SDK.)
    if (i % 1000 === 999) while (handle.stats().queued > 10000) await sleep(1)
  }
  for (let s = handle.stats(); s.acked + s.rejected < count; s = handle.stats()) await sleep(1)
  const stats = handle.stats()
  if (stats.dropped !== 0 || stats.rejected !== 0) throw new Error(`dropped ${stats.dropped}, rejected ${stats.rejected}`)
} else {
  const pino = require('pino')
  const dest = pino.destination({ dest: target, sync: false, minLength: 4096 })
  const log = pino({ base: null, timestamp: false }, dest)
  for (let i = 0; i < count; i++) {
    // The same envelope and body the SDK builds, so both sides serialize the same bytes.
    log.info({ id: randomUUID(), ts: new Date().toISOString(), kind: 'process.exec', source: 'node-asm', service: 'bench', runtime: { name: 'node', version: process.versions.node }, pid: process.pid, exec: ctx(i) })
  }
  await new Promise((resolve) => dest.flush(resolve))
}
const wallNs = Number(process.hrtime.bigint() - t0)
const cpu = process.cpuUsage(cpu0)
console.log(JSON.stringify({ variant, count, wall_ms: wallNs / 1e6, cpu_us: cpu.user + cpu.system }))
