// LiveCapture over a stand-in for node-pcap's native session (no root needed): how it opens
// libpcap, decodes and counts what the kernel hands over, asks for owner lookups on SYNs, flushes
// on close, releases the handle, and turns a failing capture into SW_ERR_CAPTURE_FAILED.
import t from 'tap'
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import type { AgentError } from '../src/errors'
import type { FlowRecord } from '../src/net/flow-tracker'
import { LiveCapture } from '../src/net/capture/live-capture'
import type { NativePcapSession, PcapBinding, PcapStats } from '../src/net/capture/pcap-module'
import { ETH_ARP, ETH_IPV4, ethernet, ipv4, tcp } from './helpers/pcap-writer'
import { waitFor } from './helpers/agent'

const SYN = 0x02
const ACK = 0x10
const FIN = 0x01

type Item = { frame: Buffer, tsUs: number } | 'error'

class FakeSession implements NativePcapSession {
  static last: FakeSession
  static linkName = 'LINKTYPE_ETHERNET'
  opened: unknown[] = []
  queue: Item[] = []
  onPacket: () => void = () => {}
  breaking = false
  released = false
  dispatches = 0

  constructor () { FakeSession.last = this }

  open_live (device: string, ...rest: unknown[]): string {
    this.opened = [device, ...rest]
    if (device === 'nosuch0') throw new Error('nosuch0: No such device exists (SIOCGIFHWADDR: No such device)')
    this.onPacket = rest[4] as () => void
    return FakeSession.linkName
  }

  dispatch (buf: Buffer, header: Buffer): number {
    if (this.released) throw new Error('Error: pcap session already closed')
    this.dispatches++
    if (this.breaking) {
      if (this.queue.length === 0) return 0
      this.released = true
      return -2
    }
    while (this.queue.length > 0) {
      const item = this.queue.shift() as Item
      if (item === 'error') return -1
      item.frame.copy(buf, 0, 0, Math.min(buf.length, item.frame.length))
      header.writeUInt32LE(Math.floor(item.tsUs / 1e6), 0)
      header.writeUInt32LE(item.tsUs % 1e6, 4)
      header.writeUInt32LE(Math.min(buf.length, item.frame.length), 8)
      header.writeUInt32LE(item.frame.length, 12)
      this.onPacket()
    }
    return 0
  }

  close (): void { this.breaking = true }
  recv = 7
  drop = 1
  stats (): PcapStats { return { ps_recv: this.recv, ps_drop: this.drop, ps_ifdrop: 0 } }
}

const binding = { PcapSession: FakeSession, lib_version: () => 'fake' } as unknown as PcapBinding

function frame (src: string, sport: number, dst: string, dport: number, flags: number, payloadLength = 0): Buffer {
  return ethernet(ETH_IPV4, ipv4({ src, dst, proto: 6, payload: tcp({ sport, dport, flags, payloadLength }) }))
}

let dirs = 0
/** A stand-in for /sys/class/net with eth9's flags. */
function sysNet (t: { testdir: () => string }, flags: string): string {
  const dir = join(t.testdir(), `sys${dirs++}`)
  mkdirSync(join(dir, 'eth9'), { recursive: true })
  writeFileSync(join(dir, 'eth9', 'flags'), flags)
  return dir
}

function open (t: { testdir: () => string }, over: Partial<Parameters<typeof LiveCapture.open>[0]> = {}) {
  const records: FlowRecord[] = []
  const errors: AgentError[] = []
  let syns = 0
  const capture = LiveCapture.open({
    iface: 'eth9',
    binding,
    sysNet: over.sysNet ?? sysNet(t, '0x1003'),
    tracker: { idleTimeoutS: 60, isTaskAddress: (a) => a === '192.0.2.1' },
    onRecord: (r) => records.push(r),
    onSyn: () => syns++,
    onError: (e) => errors.push(e),
    ...over,
  })
  return { capture, records, errors, syns: () => syns, fake: FakeSession.last }
}

t.test('opens headers-only, non-promiscuous, ip or ip6; decodes and counts; SYNs; close flushes and releases', async (t) => {
  const { capture, records, syns, fake } = open(t)
  const [device, filter, bufferSize, snapLen, outFile, , monitor, bufferTimeout, , promiscuous] = fake.opened
  t.same([device, filter, snapLen, outFile, monitor, promiscuous], ['eth9', 'ip or ip6', 128, '', false, false])
  t.ok((bufferSize as number) >= 1 << 20 && (bufferTimeout as number) > 0, 'a kernel buffer and a block timeout')
  t.equal(capture.linkType, 1)

  const now = Date.now() * 1000
  fake.queue.push(
    { frame: frame('198.51.100.2', 40000, '192.0.2.1', 80, SYN), tsUs: now },
    { frame: frame('192.0.2.1', 80, '198.51.100.2', 40000, SYN | ACK), tsUs: now + 100 },
    { frame: frame('198.51.100.2', 40000, '192.0.2.1', 80, ACK, 1000), tsUs: now + 200 },
    { frame: ethernet(ETH_ARP, Buffer.alloc(28)), tsUs: now + 300 },
    { frame: Buffer.alloc(10), tsUs: now + 400 },
  )
  const c = await waitFor('the timer drains what the kernel handed over', () => { const c = capture.counters(); return c.packets === 5 ? c : undefined }, 3000)
  t.match(c, { packets: 5, decoded: 3, 'skipped.not_ip': 1, 'skipped.truncated_link': 1, flows: 1, ps_recv: 7, ps_drop: 1, ps_ifdrop: 0, errors: 0 })
  t.equal(syns(), 2, 'SYN and SYN-ACK ask for an owner lookup')
  t.equal(records.length, 0)

  capture.close()
  t.match(records, [{ proto: 'tcp', src: '198.51.100.2', sport: 40000, dst: '192.0.2.1', dport: 80, src_pkts: 2, src_bytes: 40 + 1040, dst_pkts: 1, dst_bytes: 40, end: 'eof', scope: 'inbound', tcp_flags: 'SA' }])
  t.ok(fake.breaking, 'libpcap loop broken')
  t.notOk(fake.released, 'no packet yet: the handle waits for one')
  fake.queue.push({ frame: frame('198.51.100.2', 40000, '192.0.2.1', 80, ACK), tsUs: now + 500 })
  await waitFor('released at the next packet', () => fake.released || undefined, 3000)
  t.equal(capture.counters().packets, 5, 'packets after close are not counted')
  capture.close()
  t.pass('close twice is harmless')
})

t.test('a read error closes the capture, flushes its flows and reports SW_ERR_CAPTURE_FAILED', async (t) => {
  const { capture, records, errors, fake } = open(t)
  fake.queue.push({ frame: frame('192.0.2.1', 40001, '198.51.100.3', 443, SYN), tsUs: Date.now() * 1000 }, 'error')
  const [err] = await waitFor('the error', () => errors.length > 0 ? errors : undefined, 3000)
  t.match(err, { code: 'SW_ERR_CAPTURE_FAILED', message: /^capture on eth9 failed: libpcap reported an error/ })
  t.ok(capture.closed)
  t.match(records, [{ src: '192.0.2.1', dst: '198.51.100.3', end: 'eof', scope: 'outbound' }], 'nothing lost')
  t.equal(capture.counters().errors, 1)
})

t.test('an interface that goes down or away is noticed within the expiry tick', async (t) => {
  const net = sysNet(t, '0x1003')
  const { errors } = open(t, { sysNet: net })
  writeFileSync(join(net, 'eth9', 'flags'), '0x1002')
  const [down] = await waitFor('down', () => errors.length > 0 ? errors : undefined, 3000)
  t.match(down, { code: 'SW_ERR_CAPTURE_FAILED', message: 'capture on eth9 failed: the interface eth9 went down' })

  const empty = join(t.testdir(), 'empty')
  mkdirSync(empty)
  const gone = open(t, { sysNet: empty })
  const [err] = await waitFor('gone', () => gone.errors.length > 0 ? gone.errors : undefined, 3000)
  t.match(err, { message: /the interface eth9 is gone/ })
})

t.test('cannot open: SW_ERR_CAPTURE with libpcap\'s reason; a link type the decoder does not read is refused', async (t) => {
  t.throws(() => open(t, { iface: 'nosuch0' }), { code: 'SW_ERR_CAPTURE', message: /^cannot capture on nosuch0: nosuch0: No such device exists/ })
  FakeSession.linkName = 'LINKTYPE_IEEE802_11_RADIO'
  t.teardown(() => { FakeSession.linkName = 'LINKTYPE_ETHERNET' })
  t.throws(() => open(t), { code: 'SW_ERR_CAPTURE', message: /link type LINKTYPE_IEEE802_11_RADIO is not one the decoder reads/ })
  t.ok(FakeSession.last.breaking, 'the refused session is closed')
})

t.test('drain waits for the packets the kernel counted but has not handed over yet, within its bound', async (t) => {
  const { capture, records, fake } = open(t)
  const now = Date.now() * 1000
  const packets = [
    { frame: frame('192.0.2.1', 40000, '198.51.100.2', 443, SYN), tsUs: now },
    { frame: frame('192.0.2.1', 40000, '198.51.100.2', 443, ACK, 60000), tsUs: now + 100 },
    { frame: frame('192.0.2.1', 40000, '198.51.100.2', 443, ACK | FIN, 60000), tsUs: now + 200 },
  ]
  // The kernel has counted all three; it hands the last two over only 150 ms later (a block it
  // still owns).
  fake.recv = fake.drop + packets.length
  fake.queue.push(packets[0] as Item)
  setTimeout(() => fake.queue.push(...(packets.slice(1) as Item[])), 150)
  const started = Date.now()
  await capture.drain(5000)
  t.ok(Date.now() - started >= 100, 'it waited for them')
  capture.close()
  t.match(records, [{ src: '192.0.2.1', dport: 443, src_pkts: 3, src_bytes: 40 + 60040 + 60040, scope: 'outbound' }], 'the whole transfer counted')

  const second = open(t)
  second.fake.recv = second.fake.drop + 10 // ten counted, none ever handed over
  const at = Date.now()
  await second.capture.drain(200)
  const waited = Date.now() - at
  t.ok(waited >= 150 && waited < 2000, `gives up at its bound (${waited} ms)`)
  second.capture.close()
})
