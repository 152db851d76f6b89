// A load generator for the agent: speaks the wire protocol as an SDK does (hello, batches of 256
// process.exec events shaped as node-asm makes them, at most 8 batches awaiting their ack) but
// with every frame encoded before the clock starts, so it costs next to no CPU while it runs.
// The shipping benchmark uses it to measure the agent and its sinks rather than the SDKs that feed
// them (the SDK's own cost per event is the ingest benchmark's figure). Prints one JSON line.
//
//   node replay-client.mjs COUNT SOCKET TOKEN [ID_PREFIX]
import { connect } from 'node:net'
import { createRequire } from 'node:module'
import { join } from 'node:path'
import { root } from './agent-process.mjs'

const require = createRequire(join(root, 'packages', 'agent', 'package.json'))
const { encodeFrame, FrameDecoder, decodeFrame } = require('@sidewatch/proto')
const [countText, sock, token, prefix = `r${process.pid}`] = process.argv.slice(2)
const count = Number(countText)
const BATCH = 256
const INFLIGHT = 8

const frames = []
const ts = new Date().toISOString()
for (let seq = 0, i = 0; i < count; seq++) {
  const events = []
  for (let k = 0; k < BATCH && i < count; k++, i++) {
    events.push({
      id: `${prefix}-${String(i).padStart(8, '0')}-0000-4000-8000-000000000000`.slice(0, 36),
      ts,
      kind: 'process.exec',
      source: 'node-asm',
      service: 'bench',
      runtime: { name: 'node', version: process.versions.node },
      pid: process.pid,
      exec: { method: 'spawn', file: '/usr/bin/convert', args: ['-resize', '50%', `/srv/uploads/${i}.png`, `/srv/thumbs/${i}.png`], shell: false, command_line: `/usr/bin/convert -resize 50% /srv/uploads/${i}.png /srv/thumbs/${i}.png`, sync: false, pid: 1000 + (i % 30000) },
    })
  }
  frames.push(encodeFrame(Buffer.from(JSON.stringify({ type: 'events', seq, events }))))
}

// Ready: the caller starts every client at once by writing a line to its stdin.
console.log('ready')
await new Promise((resolve) => process.stdin.once('data', resolve))
process.stdin.pause()
const cpu0 = process.cpuUsage()
const t0 = process.hrtime.bigint()
const conn = connect(sock)
const decoder = new FrameDecoder()
let next = 0
let acked = 0
let rejected = 0
const send = () => { while (next < frames.length && next - acked < INFLIGHT) conn.write(frames[next++]) }
conn.on('connect', () => {
  conn.write(encodeFrame(Buffer.from(JSON.stringify({ type: 'hello', version: '1.0', token, runtime: { name: 'node', version: process.versions.node }, sdk: { name: 'replay-client', version: '0' }, service: 'bench', pid: process.pid }))))
})
conn.on('data', (chunk) => {
  decoder.push(chunk, (frame) => {
    const m = decodeFrame(frame)
    if (m.type === 'welcome') send()
    else if (m.type === 'ack') { acked++; rejected += m.rejected; if (acked === frames.length) conn.end(); else send() }
    else if (m.type === 'error') { console.error(`agent error: ${m.code} ${m.message}`); process.exitCode = 1 }
  })
})
conn.on('close', () => {
  const cpu = process.cpuUsage(cpu0)
  if (acked !== frames.length || rejected !== 0) { console.error(`acked ${acked}/${frames.length} batches, ${rejected} events rejected`); process.exitCode = 1 }
  console.log(JSON.stringify({ variant: 'replay', count, wall_ms: Number(process.hrtime.bigint() - t0) / 1e6, cpu_us: cpu.user + cpu.system }))
})
