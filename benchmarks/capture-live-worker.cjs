// The capture side of benchmarks/capture-live.mjs, run inside the capture namespace: live capture
// (node-pcap + decoder + flow tracker, as the agent runs it) on one interface. Prints `ready`,
// then on a `stop` line on stdin the capture's counters as one JSON line, and exits.
'use strict'
const { join } = require('node:path')
const { createInterface } = require('node:readline')
const { LiveCapture } = require(join(__dirname, '..', 'packages', 'agent', 'dist', 'net', 'capture', 'live-capture.js'))

let records = 0
const capture = LiveCapture.open({
  iface: process.argv[2],
  tracker: { idleTimeoutS: 60, activeTimeoutS: 1800, maxFlows: 100_000, isTaskAddress: () => false },
  onRecord: () => { records++ },
  onError: (err) => { process.stderr.write(`capture failed: ${err.message}\n`); process.exit(1) },
})
process.stdout.write('ready\n')
createInterface({ input: process.stdin }).on('line', (line) => {
  if (line.trim() === 'counters') { process.stdout.write(JSON.stringify(capture.counters()) + '\n'); return }
  if (line.trim() !== 'stop') return
  const counters = capture.counters()
  capture.close()
  process.stdout.write(JSON.stringify({ ...counters, records_emitted: records }) + '\n')
  process.exit(0)
})
