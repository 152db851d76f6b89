// `sidewatch-agent flows --pcap FILE` as a user runs it: a capture file made here, the records on
// stdout in the contract's exact form and key order, the summary on stderr, and the errors.
import { spawn } from 'node:child_process'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import t from 'tap'
import { ACK, FIN, PSH, SYN } from '../src/net/packet'
import { AGENT_BIN, cleanEnv, jsonLines, runCli, tempDir } from './helpers/agent'
import {
  ETH_ARP, ETH_IPV4, ETH_IPV6, LINKTYPE_ETHERNET, classicPcap, ethernet, ipv4, ipv6, pcapng, tcp, udp, type CaptureRecord,
} from './helpers/pcap-writer'

const T0 = 1_700_000_000_000_000 // µs
const TCP_PROTO = 6
const UDP_PROTO = 17
const C = '198.51.100.10' // a task address (--task-net 198.51.100.0/24)
const R = '203.0.113.20'

function tcp4 (at: number, fromClient: boolean, flags: number, payloadLength = 0): CaptureRecord {
  const [src, dst, sport, dport] = fromClient ? [C, R, 41000, 443] : [R, C, 443, 41000]
  return { tsUs: T0 + at, frame: ethernet(ETH_IPV4, ipv4({ src, dst, proto: TCP_PROTO, payload: tcp({ sport, dport, flags, payloadLength }) })) }
}

function udp6 (at: number, fromClient: boolean, payloadLength: number): CaptureRecord {
  const [src, dst, sport, dport] = fromClient ? ['2001:db8::5', '2001:db8:0:1::53', 50000, 53] : ['2001:db8:0:1::53', '2001:db8::5', 53, 50000]
  return { tsUs: T0 + at, frame: ethernet(ETH_IPV6, ipv6({ src, dst, nextHeader: UDP_PROTO, payload: udp({ sport, dport, payloadLength }) })) }
}

const records: CaptureRecord[] = [
  tcp4(0, true, SYN),
  tcp4(1_000, false, SYN | ACK),
  tcp4(2_000, true, ACK),
  udp6(2_500, true, 30),
  tcp4(3_000, true, PSH | ACK, 100),
  { tsUs: T0 + 3_500, frame: ethernet(ETH_ARP, Buffer.alloc(28)) },
  tcp4(4_000, false, PSH | ACK, 1000),
  udp6(4_500, false, 90),
  { tsUs: T0 + 4_700, frame: tcp4(0, true, ACK).frame.subarray(0, 14 + 10) }, // cut inside the IP header
  tcp4(5_000, true, FIN | ACK),
  tcp4(6_000, false, FIN | ACK),
  tcp4(7_000, true, ACK),
]

t.test('one JSON record per line in the contract key order, a summary on stderr', async (t) => {
  const dir = tempDir(t)
  for (const [name, bytes] of [
    ['capture.pcap', classicPcap(records, { byteOrder: 'le', linkType: LINKTYPE_ETHERNET, snaplen: 262144 })],
    ['capture.pcapng', pcapng(records, { interfaces: [{ linkType: LINKTYPE_ETHERNET }], byteOrder: 'be' })],
  ] as const) {
    const file = join(dir, name)
    writeFileSync(file, bytes)
    const { code, stdout, stderr } = await runCli(['flows', '--pcap', file, '--task-net', '198.51.100.0/24', '--task-net', '2001:db8::/64'])
    t.equal(code, 0, `${name}: exit 0`)
    // Byte for byte: the key order and number forms are the contract. At the end of input the
    // flows still held come out least recently active first.
    t.equal(stdout,
      '{"proto":"udp","src":"2001:db8::5","sport":50000,"dst":"2001:db8:0:1::53","dport":53,"first":1700000000.0025,"last":1700000000.0045,' +
      '"src_pkts":1,"src_bytes":78,"dst_pkts":1,"dst_bytes":138,"end":"eof","scope":"outbound","tcp_flags":""}\n' +
      '{"proto":"tcp","src":"198.51.100.10","sport":41000,"dst":"203.0.113.20","dport":443,"first":1700000000,"last":1700000000.007,' +
      '"src_pkts":5,"src_bytes":300,"dst_pkts":3,"dst_bytes":1120,"end":"fin","scope":"outbound","tcp_flags":"SAFP"}\n',
      `${name}: the records`)
    t.match(stderr, /12 packets read, 10 TCP\/UDP packets tracked, 2 skipped \(not_ip 1, truncated_ip 1\)/, `${name}: packets and skips`)
    t.match(stderr, /2 flow records \(fin 1, rst 0, idle 0, active 0, eof 1, evicted 0\)/, `${name}: records by end`)
  }
})

t.test('timeouts and the scope come from the flags', async (t) => {
  const dir = tempDir(t)
  const file = join(dir, 'idle.pcap')
  writeFileSync(file, classicPcap([
    tcp4(0, true, SYN), tcp4(1_000, false, SYN | ACK), tcp4(11_000_000, false, PSH | ACK, 10),
  ], { byteOrder: 'be', linkType: LINKTYPE_ETHERNET, snaplen: 96 }))
  const { code, stdout } = await runCli(['flows', '--pcap', file, '--idle-timeout', '10', '--task-net', '203.0.113.0/24'])
  t.equal(code, 0)
  t.match(jsonLines(stdout), [
    { src: C, end: 'idle', src_pkts: 1, dst_pkts: 1, scope: 'inbound' },
    { src: C, end: 'eof', src_pkts: 0, dst_pkts: 1, dst_bytes: 50, scope: 'inbound', tcp_flags: 'AP' },
  ], 'split by the 10 s idle timeout; the initiator kept; C is outside the task nets')
})

t.test('errors: usage, a missing or foreign file, a bad number', async (t) => {
  const dir = tempDir(t)
  const text = join(dir, 'notes.txt')
  writeFileSync(text, 'this is not a capture file, just some text that is long enough\n')
  const [noPcap, missing, foreign, badIdle, badNet] = await Promise.all([
    runCli(['flows']),
    runCli(['flows', '--pcap', join(dir, 'nope.pcap')]),
    runCli(['flows', '--pcap', text]),
    runCli(['flows', '--pcap', text, '--idle-timeout', 'soon']),
    runCli(['flows', '--pcap', text, '--task-net', '10.0.0.0/33']),
  ])
  t.match(noPcap, { code: 2, stdout: '', stderr: /SW_ERR_USAGE: flows needs --pcap FILE/ })
  t.match(missing, { code: 2, stdout: '', stderr: /SW_ERR_PCAP: cannot open capture file .*nope\.pcap/ })
  t.match(foreign, { code: 2, stdout: '', stderr: /SW_ERR_PCAP: .*notes\.txt/ })
  t.match(badIdle, { code: 2, stderr: /SW_ERR_USAGE: --idle-timeout "soon" is not a positive number of seconds/ })
  t.match(badNet, { code: 2, stderr: /SW_ERR_\w+: .*10\.0\.0\.0\/33/ })
})

t.test('--pcap - reads the capture from standard input', async (t) => {
  const capture = classicPcap(records, { byteOrder: 'le', linkType: LINKTYPE_ETHERNET, snaplen: 262144 })
  const child = spawn(process.execPath, [AGENT_BIN, 'flows', '--pcap', '-', '--task-net', '198.51.100.0/24'], { env: cleanEnv(), stdio: ['pipe', 'pipe', 'pipe'] })
  let stdout = ''
  let stderr = ''
  child.stdout.on('data', (d: Buffer) => { stdout += d.toString() })
  child.stderr.on('data', (d: Buffer) => { stderr += d.toString() })
  // In pieces that cut records, as a pipe delivers them.
  for (let i = 0; i < capture.length; i += 50) child.stdin.write(capture.subarray(i, i + 50))
  child.stdin.end()
  const code = await new Promise((resolve) => child.on('close', resolve))
  t.equal(code, 0)
  t.match(jsonLines(stdout), [{ proto: 'udp', end: 'eof' }, { proto: 'tcp', src_pkts: 5, dst_pkts: 3, end: 'fin' }])
  t.match(stderr, /^standard input: pcap, 12 packets read/)
})
