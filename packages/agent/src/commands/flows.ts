/**
 * `sidewatch-agent flows --pcap FILE`: the live flow tracker run over a capture file. One JSON
 * flow record per line on stdout, a summary on stderr (packets read, skipped by reason, records
 * by how they ended). Timeouts run on the capture's own time.
 */
import { AgentError } from '../errors'
import { DEFAULT_ACTIVE_TIMEOUT_S, DEFAULT_IDLE_TIMEOUT_S, DEFAULT_MAX_FLOWS, FlowTracker, } from '../net/flow-tracker'
import type { PacketMeta, SkipReason } from '../net/packet'
import { CaptureStream, readCaptureFileAsync, type CaptureFileSummary } from '../net/pcap-reader'
import { DEFAULT_TASK_NETS, TaskNets } from '../net/task-nets'
import { parseCommandArgs, positiveInt } from './args'
import { FlowRecordWriter } from './flow-record-writer'

export const FLOWS_USAGE = `Usage: sidewatch-agent flows --pcap FILE|- [--idle-timeout 60] [--active-timeout 1800]
                            [--task-net CIDR]... [--max-flows N]

Tracks every TCP and UDP flow of a capture file (pcap or pcapng; Ethernet, 802.1Q, Linux cooked
SLL/SLL2, raw IP, loopback; IPv4 and IPv6) and prints one JSON record per line:

  {"proto":"tcp","src":"169.254.170.2","sport":40512,"dst":"198.51.100.7","dport":443,
   "first":1700000012.345678,"last":1700000013.5,"src_pkts":6,"src_bytes":520,"dst_pkts":5,
   "dst_bytes":4300,"end":"fin","scope":"outbound","tcp_flags":"SAFP"}

src is the initiator; bytes are IP-layer bytes; end is fin, rst, idle, active, eof or evicted.
  --pcap FILE         the capture; - reads it from standard input (tcpdump -w - ... | sidewatch-agent flows --pcap -)
  --idle-timeout S    a flow quiet this long ends (default ${DEFAULT_IDLE_TIMEOUT_S}); later packets start a new record
  --active-timeout S  a flow this old emits a record and goes on in a new one (default ${DEFAULT_ACTIVE_TIMEOUT_S})
  --task-net CIDR     the task's addresses, for scope (repeatable; default: private, link-local,
                      loopback and unique-local ranges)
  --max-flows N       flows held at once; past it the least recently active is evicted (default ${DEFAULT_MAX_FLOWS})
Malformed or truncated frames are skipped and counted by reason; they never make a record.
`

export const FLOWS_OPTIONS = {
  pcap: { type: 'string' },
  'idle-timeout': { type: 'string' },
  'active-timeout': { type: 'string' },
  'task-net': { type: 'string', multiple: true },
  'max-flows': { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const

export async function flowsCommand (argv: string[]): Promise<void> {
  const { values } = parseCommandArgs('flows', { args: argv, options: FLOWS_OPTIONS })
  if (values.help === true) { process.stdout.write(FLOWS_USAGE); return }
  if (values.pcap === undefined) throw new AgentError('SW_ERR_USAGE', 'flows needs --pcap FILE (see sidewatch-agent flows --help)')
  const idleTimeoutS = seconds('idle-timeout', values['idle-timeout'], DEFAULT_IDLE_TIMEOUT_S)
  const activeTimeoutS = seconds('active-timeout', values['active-timeout'], DEFAULT_ACTIVE_TIMEOUT_S)
  const maxFlows = values['max-flows'] === undefined ? DEFAULT_MAX_FLOWS : positiveInt('flows', 'max-flows', values['max-flows'])
  const taskNets = new TaskNets(values['task-net'] ?? DEFAULT_TASK_NETS)

  const out = new FlowRecordWriter(1)
  const tracker = new FlowTracker({ idleTimeoutS, activeTimeoutS, maxFlows, isTaskAddress: (a, bytes, at) => taskNets.contains(a, bytes, at) },
    (record) => { out.write(record) })
  const started = process.hrtime.bigint()
  const sink = {
    packet: (packet: PacketMeta) => { tracker.add(packet) },
    skip: (_reason: SkipReason) => {},
  }
  const summary = values.pcap === '-' ? await readStdin(sink) : await readCaptureFileAsync(values.pcap, sink)
  tracker.flush()
  out.flush()
  const elapsedS = Number(process.hrtime.bigint() - started) / 1e9
  const stats = tracker.stats()
  const skipped = Object.entries(summary.skipped).filter(([, n]) => n > 0)
  const skippedTotal = skipped.reduce((n, [, count]) => n + count, 0)
  const records = Object.values(stats.records).reduce((n, count) => n + count, 0)
  process.stderr.write([
    `${values.pcap === '-' ? 'standard input' : values.pcap}: ${summary.format}, ${summary.packets} packets read, ${summary.decoded} TCP/UDP packets tracked, ` +
      `${skippedTotal} skipped${skipped.length > 0 ? ` (${skipped.map(([reason, n]) => `${reason} ${n}`).join(', ')})` : ''}` +
      `${summary.truncatedRecord ? '; the file ends inside a record (the partial record was dropped)' : ''}`,
    `${records} flow records (${Object.entries(stats.records).map(([end, n]) => `${end} ${n}`).join(', ')}) ` +
      `in ${elapsedS.toFixed(2)} s, ${Math.round(summary.packets / Math.max(elapsedS, 1e-9))} packets/s`,
  ].join('\n') + '\n')
}

/** The capture from standard input, chunk by chunk. */
async function readStdin (sink: Parameters<typeof readCaptureFileAsync>[1]): Promise<CaptureFileSummary> {
  const stream = new CaptureStream(sink, { name: 'standard input' })
  for await (const chunk of process.stdin) stream.push(chunk as Buffer)
  return stream.end()
}

function seconds (flag: string, text: string | undefined, fallback: number): number {
  if (text === undefined) return fallback
  const value = Number(text)
  if (!/^\d+(\.\d+)?$/.test(text) || !(value > 0)) {
    throw new AgentError('SW_ERR_USAGE', `--${flag} ${JSON.stringify(text)} is not a positive number of seconds (see sidewatch-agent flows --help)`)
  }
  return value
}
