// readCaptureFile and CaptureStream: classic pcap and pcapng in both byte orders, every
// timestamp resolution, sections and interfaces, records across read borders, files cut short,
// and the SW_ERR_PCAP cases. Fixtures come from helpers/pcap-writer.
import t, { type Test } from 'tap'
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { CaptureStream, readCaptureFile, readCaptureFileAsync, type CaptureFileSummary, type CaptureReadOptions } from '../src/net/pcap-reader'
import { ACK, SKIP_REASONS, SYN, TCP, UDP, type PacketMeta, type PacketSink, type SkipReason } from '../src/net/packet'
import {
  ETH_ARP, ETH_IPV4, ETH_IPV6, LINKTYPE_ETHERNET, LINKTYPE_IPV4, LINKTYPE_IPV6, LINKTYPE_LINUX_SLL, LINKTYPE_LINUX_SLL2,
  LINKTYPE_NULL, LINKTYPE_RAW, classicPcap, ethernet, ipv4, ipv6, nullLoop, pcapng, pcapngBlock, sll, sll2, tcp, udp,
  type ByteOrder, type CaptureRecord,
} from './helpers/pcap-writer'

const T0 = 1_700_000_000_123_456

/** What the sink saw, copied out of the reused PacketMeta. */
interface Seen { tsUs: number, src: string, sport: number, dport: number, proto: number, ipBytes: number, payloadBytes: number, tcpFlags: number }

function collector (): { sink: PacketSink, packets: Seen[], skips: SkipReason[] } {
  const packets: Seen[] = []
  const skips: SkipReason[] = []
  const sink: PacketSink = {
    packet: (m: PacketMeta) => packets.push({
      tsUs: m.tsUs,
      src: m.ipVersion === 4 ? [...m.buf.subarray(m.srcOffset, m.srcOffset + 4)].join('.') : m.buf.toString('hex', m.srcOffset, m.srcOffset + 16),
      sport: m.sport,
      dport: m.dport,
      proto: m.proto,
      ipBytes: m.ipBytes,
      payloadBytes: m.payloadBytes,
      tcpFlags: m.tcpFlags,
    }),
    skip: (reason) => skips.push(reason),
  }
  return { sink, packets, skips }
}

let files = 0
function read (t: Test, bytes: Buffer, options?: CaptureReadOptions): { summary: CaptureFileSummary, packets: Seen[], skips: SkipReason[] } {
  const path = join(t.testdir(), `capture-${++files}`)
  writeFileSync(path, bytes)
  const { sink, packets, skips } = collector()
  const summary = readCaptureFile(path, sink, options)
  return { summary, packets, skips }
}

/** The same through readCaptureFileAsync. */
async function readAhead (t: Test, bytes: Buffer, options?: CaptureReadOptions): Promise<{ summary: CaptureFileSummary, packets: Seen[], skips: SkipReason[] }> {
  const path = join(t.testdir(), `capture-${++files}`)
  writeFileSync(path, bytes)
  const { sink, packets, skips } = collector()
  const summary = await readCaptureFileAsync(path, sink, options)
  return { summary, packets, skips }
}

function noSkips (): Record<SkipReason, number> {
  return Object.fromEntries(SKIP_REASONS.map((r) => [r, 0])) as Record<SkipReason, number>
}

const tcpFrame = (i: number, payloadLength = 100): Buffer =>
  ethernet(ETH_IPV4, ipv4({ src: `192.0.2.${i}`, dst: '198.51.100.1', proto: TCP, payload: tcp({ sport: 40000 + i, dport: 443, flags: ACK, payloadLength }) }))
const udp6Frame = (i: number): Buffer =>
  ethernet(ETH_IPV6, ipv6({ src: `2001:db8::${i}`, dst: '2001:db8::ffff', nextHeader: UDP, payload: udp({ sport: 5000 + i, dport: 53, payloadLength: 30 }) }))
const expectTcp = (i: number, tsUs: number, payloadLength = 100): Seen =>
  ({ tsUs, src: `192.0.2.${i}`, sport: 40000 + i, dport: 443, proto: TCP, ipBytes: 40 + payloadLength, payloadBytes: payloadLength, tcpFlags: ACK })

/** Three TCP records a second and a bit apart, then an ARP frame. */
const RECORDS: CaptureRecord[] = [
  { tsUs: T0, frame: tcpFrame(1) },
  { tsUs: T0 + 1_000_001, frame: tcpFrame(2, 0) },
  { tsUs: T0 + 2_999_999, frame: tcpFrame(3, 1400) },
  { tsUs: T0 + 3_000_000, frame: ethernet(ETH_ARP, Buffer.alloc(28)) },
]
const EXPECTED = [expectTcp(1, T0), expectTcp(2, T0 + 1_000_001, 0), expectTcp(3, T0 + 2_999_999, 1400)]

t.test('classic pcap: both byte orders, µs and ns', async (t) => {
  for (const byteOrder of ['le', 'be'] as const) {
    for (const nanos of [false, true]) {
      const file = classicPcap(RECORDS, { byteOrder, nanos, linkType: LINKTYPE_ETHERNET, snaplen: 65535 })
      const { summary, packets, skips } = read(t, file)
      t.same(packets, EXPECTED, `${byteOrder} ${nanos ? 'ns' : 'µs'}: packets`)
      t.same(skips, ['not_ip'])
      t.same(summary, { format: 'pcap', packets: 4, decoded: 3, skipped: { ...noSkips(), not_ip: 1 }, truncatedRecord: false, bytes: file.length })
    }
  }
})

t.test('classic pcap: nanoseconds round down to the microsecond', async (t) => {
  for (const byteOrder of ['le', 'be'] as const) {
    const file = classicPcap([{ tsUs: T0, frame: tcpFrame(1) }], { byteOrder, nanos: true, linkType: LINKTYPE_ETHERNET, snaplen: 65535 })
    const at = 24 + 4
    if (byteOrder === 'le') file.writeUInt32LE(file.readUInt32LE(at) + 999, at)
    else file.writeUInt32BE(file.readUInt32BE(at) + 999, at)
    t.equal(read(t, file).packets[0]?.tsUs, T0, `${byteOrder}: 456,999 ns is 456 µs`)
  }
})

t.test('classic pcap: every decoded link type, and one it does not decode', async (t) => {
  const payload = ipv4({ src: '192.0.2.1', dst: '198.51.100.1', proto: TCP, payload: tcp({ sport: 40001, dport: 443, flags: ACK, payloadLength: 100 }) })
  const cases: Array<[string, number, Buffer]> = [
    ['Ethernet', LINKTYPE_ETHERNET, ethernet(ETH_IPV4, payload)],
    ['Ethernet with the FCS bits of the link-type field set', LINKTYPE_ETHERNET | 0x14000000, ethernet(ETH_IPV4, payload)],
    ['raw', LINKTYPE_RAW, payload],
    ['IPv4', LINKTYPE_IPV4, payload],
    ['SLL', LINKTYPE_LINUX_SLL, sll(ETH_IPV4, payload)],
    ['SLL2', LINKTYPE_LINUX_SLL2, sll2(ETH_IPV4, payload)],
    ['NULL', LINKTYPE_NULL, nullLoop(2, payload)],
  ]
  for (const [what, linkType, frame] of cases) {
    const { packets, summary } = read(t, classicPcap([{ tsUs: T0, frame }], { byteOrder: 'le', linkType, snaplen: 65535 }))
    t.same(packets, [expectTcp(1, T0)], what)
    t.equal(summary.decoded, 1)
  }
  const v6 = ipv6({ src: '2001:db8::1', dst: '2001:db8::2', nextHeader: UDP, payload: udp({ sport: 1, dport: 2, payloadLength: 0 }) })
  t.match(read(t, classicPcap([{ tsUs: T0, frame: v6 }], { byteOrder: 'be', linkType: LINKTYPE_IPV6, snaplen: 65535 })).packets, [{ proto: UDP, ipBytes: 48 }], 'IPv6')
  const other = read(t, classicPcap([{ tsUs: T0, frame: payload }, { tsUs: T0, frame: payload }], { byteOrder: 'le', linkType: 147, snaplen: 65535 }))
  t.same(other.summary.skipped, { ...noSkips(), unsupported_link: 2 }, 'link type 147: every record skipped')
})

t.test('snaplen: cut frames count their IP length; cut headers are skipped', async (t) => {
  const records: CaptureRecord[] = [
    { tsUs: T0, frame: tcpFrame(1, 1400) },
    { tsUs: T0 + 1, frame: udp6Frame(2) },
    { tsUs: T0 + 2, frame: ethernet(ETH_IPV6, ipv6({ src: '2001:db8::3', dst: '2001:db8::4', nextHeader: TCP, extHeaders: [{ type: 0, bytes: 32 }], payload: tcp({ sport: 1, dport: 2, flags: SYN, payloadLength: 0 }) })) },
  ]
  const { summary, packets, skips } = read(t, classicPcap(records, { byteOrder: 'le', linkType: LINKTYPE_ETHERNET, snaplen: 64 }))
  t.same(packets, [expectTcp(1, T0, 1400), { tsUs: T0 + 1, src: '20010db8000000000000000000000002', sport: 5002, dport: 53, proto: UDP, ipBytes: 78, payloadBytes: 30, tcpFlags: 0 }])
  t.same(skips, ['truncated_ip'], 'the IPv6 hop-by-hop header is cut at 64 bytes')
  t.equal(summary.packets, 3)
  const ng = read(t, pcapng(records, { interfaces: [{ linkType: LINKTYPE_ETHERNET, snaplen: 90 }] }))
  t.same(ng.packets.map((p) => p.ipBytes), [1440, 78])
  t.same(ng.skips, ['truncated_l4'], 'at 90 bytes the extension header is whole and TCP is cut')
})

t.test('pcapng: both byte orders, and every timestamp resolution', async (t) => {
  for (const byteOrder of ['le', 'be'] as const) {
    const file = pcapng(RECORDS, { interfaces: [{ linkType: LINKTYPE_ETHERNET }], byteOrder })
    const { summary, packets } = read(t, file)
    t.same(packets, EXPECTED, `${byteOrder}: default µs`)
    t.same(summary, { format: 'pcapng', packets: 4, decoded: 3, skipped: { ...noSkips(), not_ip: 1 }, truncatedRecord: false, bytes: file.length })
    const resolutions: Array<[string, number]> = [['ns (10^-9)', 9], ['10^-7', 7], ['µs given explicitly', 6], ['2^-20', 0x80 | 20], ['2^-30', 0x80 | 30]]
    for (const [what, tsresol] of resolutions) {
      t.same(read(t, pcapng(RECORDS, { interfaces: [{ linkType: LINKTYPE_ETHERNET, tsresol }], byteOrder })).packets, EXPECTED, `${byteOrder}: ${what}`)
    }
    const coarse: Array<[string, number, number]> = [['ms', 3, 1000], ['seconds', 0, 1_000_000], ['2^-10', 0x80 | 10, 1_000_000]]
    for (const [what, tsresol, step] of coarse) {
      const records = [{ tsUs: 1_700_000_123 * 1_000_000, frame: tcpFrame(1) }, { tsUs: 1_700_000_123 * 1_000_000 + 7 * step, frame: tcpFrame(2) }]
      t.same(read(t, pcapng(records, { interfaces: [{ linkType: LINKTYPE_ETHERNET, tsresol }], byteOrder })).packets.map((p) => p.tsUs),
        records.map((r) => r.tsUs), `${byteOrder}: ${what}`)
    }
    // Units finer than 1 µs whose 64-bit count does not fit a double: rounded down, exactly.
    const exact: Array<[string, number, bigint, number]> = [
      ['ns, 999 past a µs', 9, 1_700_000_000_123_456_999n, T0],
      ['ps', 12, 5_000_123_456_789_999n, 5_000_123_456],
      ['fs (BigInt path)', 15, 5_000_123_456_789_999n, 5_000_123],
      ['2^-32', 0x80 | 32, (1_700_000_000n << 32n) + 2147483648n, 1_700_000_000_500_000],
    ]
    for (const [what, tsresol, tsUnits, tsUs] of exact) {
      const file = pcapng([{ tsUs: 0, tsUnits, frame: tcpFrame(1) }], { interfaces: [{ linkType: LINKTYPE_ETHERNET, tsresol }], byteOrder })
      t.equal(read(t, file).packets[0]?.tsUs, tsUs, `${byteOrder}: ${what}`)
    }
    const offset = pcapng(RECORDS, { interfaces: [{ linkType: LINKTYPE_ETHERNET, tsresol: 9, tsoffset: 1_600_000_000 }], byteOrder })
    t.same(read(t, offset).packets, EXPECTED, `${byteOrder}: if_tsoffset`)
  }
})

t.test('pcapng: interfaces with their own link types and resolutions', async (t) => {
  const raw = ipv4({ src: '192.0.2.9', dst: '198.51.100.1', proto: TCP, payload: tcp({ sport: 40009, dport: 443, flags: ACK, payloadLength: 100 }) })
  const records: CaptureRecord[] = [
    { tsUs: T0, frame: tcpFrame(1), interface: 0 },
    { tsUs: T0 + 5, frame: raw, interface: 1 },
    { tsUs: T0 + 6, frame: sll(ETH_IPV4, raw), interface: 2 },
    { tsUs: T0 + 7, frame: tcpFrame(4), interface: 0 },
  ]
  const interfaces = [{ linkType: LINKTYPE_ETHERNET }, { linkType: LINKTYPE_RAW, tsresol: 9 }, { linkType: LINKTYPE_LINUX_SLL, tsresol: 0x80 | 24 }]
  for (const byteOrder of ['le', 'be'] as const) {
    t.same(read(t, pcapng(records, { interfaces, byteOrder })).packets,
      [expectTcp(1, T0), expectTcp(9, T0 + 5), expectTcp(9, T0 + 6), expectTcp(4, T0 + 7)], byteOrder)
  }
})

t.test('pcapng: several sections, in different byte orders, each with its own interfaces', async (t) => {
  const raw = ipv4({ src: '192.0.2.2', dst: '198.51.100.1', proto: TCP, payload: tcp({ sport: 40002, dport: 443, flags: ACK, payloadLength: 100 }) })
  const file = Buffer.concat([
    pcapng([{ tsUs: T0, frame: tcpFrame(1) }], { interfaces: [{ linkType: LINKTYPE_ETHERNET }], byteOrder: 'le' }),
    pcapng([{ tsUs: T0 + 1, frame: raw }], { interfaces: [{ linkType: LINKTYPE_RAW, tsresol: 9 }], byteOrder: 'be' }),
    pcapng([{ tsUs: T0 + 2, frame: tcpFrame(3) }], { interfaces: [{ linkType: LINKTYPE_ETHERNET }], byteOrder: 'le' }),
  ])
  const { summary, packets } = read(t, file)
  t.same(packets, [expectTcp(1, T0), expectTcp(2, T0 + 1), expectTcp(3, T0 + 2)])
  t.match(summary, { format: 'pcapng', packets: 3, decoded: 3, truncatedRecord: false, bytes: file.length })
  // A later section forgets the earlier one's interfaces.
  const twoInterfaces = pcapng([], { interfaces: [{ linkType: LINKTYPE_ETHERNET }, { linkType: LINKTYPE_ETHERNET }] })
  const onInterface1 = pcapngBlock(6, epbBody(1, tcpFrame(1)))
  t.same(read(t, Buffer.concat([twoInterfaces, onInterface1])).packets, [expectTcp(1, T0)], 'interface 1 of its own section')
  const later = Buffer.concat([twoInterfaces, pcapng([], { interfaces: [{ linkType: LINKTYPE_ETHERNET }] }), onInterface1])
  t.throws(() => read(t, later), { code: 'SW_ERR_PCAP', message: /interface 1, but its section describes 1/ })
})

function epbBody (iface: number, frame: Buffer, byteOrder: ByteOrder = 'le'): Buffer {
  const b = Buffer.alloc(20)
  const w = byteOrder === 'le' ? b.writeUInt32LE.bind(b) : b.writeUInt32BE.bind(b)
  w(iface, 0)
  w(Math.floor(T0 / 2 ** 32), 4)
  w(T0 % 2 ** 32, 8)
  w(frame.length, 12)
  w(frame.length, 16)
  return Buffer.concat([b, frame])
}

t.test('pcapng: Simple Packet Blocks use interface 0 and the last timestamp seen', async (t) => {
  for (const byteOrder of ['le', 'be'] as const) {
    const onlySimple = read(t, pcapng(RECORDS, { interfaces: [{ linkType: LINKTYPE_ETHERNET }], byteOrder, simple: true }))
    t.same(onlySimple.packets, EXPECTED.map((p) => ({ ...p, tsUs: 0 })), `${byteOrder}: no timestamp seen yet: 0`)
    t.same(onlySimple.summary.skipped, { ...noSkips(), not_ip: 1 })
    const spb = (frame: Buffer): Buffer => {
      const length = Buffer.alloc(4)
      if (byteOrder === 'le') length.writeUInt32LE(frame.length)
      else length.writeUInt32BE(frame.length)
      return pcapngBlock(3, Buffer.concat([length, frame]), byteOrder)
    }
    const mixed = Buffer.concat([
      pcapng([{ tsUs: T0 + 42, frame: tcpFrame(1) }], { interfaces: [{ linkType: LINKTYPE_ETHERNET }], byteOrder }),
      spb(tcpFrame(2)), spb(tcpFrame(3, 1)),
    ])
    t.same(read(t, mixed).packets, [expectTcp(1, T0 + 42), expectTcp(2, T0 + 42), expectTcp(3, T0 + 42, 1)], `${byteOrder}: after an EPB`)
  }
  const cut = read(t, pcapng([{ tsUs: 0, frame: tcpFrame(1, 1400) }], { interfaces: [{ linkType: LINKTYPE_ETHERNET, snaplen: 60 }], simple: true }))
  t.same(cut.packets, [expectTcp(1, 0, 1400)], 'a Simple Packet Block cut to the snaplen counts its IP length')
})

t.test('pcapng: unknown and non-packet blocks are skipped; obsolete Packet Blocks are read', async (t) => {
  const opb = Buffer.alloc(20)
  opb.writeUInt16LE(0, 0)
  opb.writeUInt32LE(Math.floor(T0 / 2 ** 32), 4)
  opb.writeUInt32LE(T0 % 2 ** 32, 8)
  const frame = tcpFrame(5)
  opb.writeUInt32LE(frame.length, 12)
  opb.writeUInt32LE(frame.length, 16)
  const file = Buffer.concat([
    pcapng([{ tsUs: T0, frame: tcpFrame(1) }], { interfaces: [{ linkType: LINKTYPE_ETHERNET }] }),
    pcapngBlock(4, Buffer.from('0100050004c00002016100000000000000000000', 'hex')), // name resolution
    pcapngBlock(5, Buffer.alloc(12)), // interface statistics
    pcapngBlock(0x40000bad, Buffer.from('custom block, 27 bytes long')),
    pcapngBlock(0x12345678, Buffer.alloc(0)),
    pcapngBlock(2, Buffer.concat([opb, frame])),
    pcapngBlock(6, epbBody(0, tcpFrame(6))),
  ])
  const { packets, summary } = read(t, file)
  t.same(packets, [expectTcp(1, T0), expectTcp(5, T0), expectTcp(6, T0)])
  t.same(summary.packets, 3)
})

t.test('a file that ends inside a record: stop there, say so', async (t) => {
  const whole = classicPcap(RECORDS, { byteOrder: 'le', linkType: LINKTYPE_ETHERNET, snaplen: 65535 })
  const lastRecord = 16 + 60
  const cases: Array<[string, number]> = [['inside the last frame', 10], ['inside the last record header', lastRecord - 5], ['right after a record header', lastRecord - 16]]
  for (const [what, cut] of cases) {
    const file = whole.subarray(0, whole.length - cut)
    const { summary, packets } = read(t, file)
    t.same(packets, EXPECTED, what)
    t.same(summary, { format: 'pcap', packets: 3, decoded: 3, skipped: noSkips(), truncatedRecord: true, bytes: file.length })
  }
  t.equal(read(t, whole.subarray(0, whole.length - lastRecord)).summary.truncatedRecord, false, 'a cut between records is a whole file')
  const ng = pcapng(RECORDS, { interfaces: [{ linkType: LINKTYPE_ETHERNET }], byteOrder: 'be' })
  for (const cut of [1, 40, 80, 84]) {
    const { summary, packets } = read(t, ng.subarray(0, ng.length - cut))
    t.same(packets, EXPECTED, `pcapng less ${cut} bytes`)
    t.match(summary, { packets: 3, truncatedRecord: true, bytes: ng.length - cut })
  }
  const headerOnly = read(t, classicPcap([], { byteOrder: 'be', linkType: LINKTYPE_ETHERNET, snaplen: 65535 }))
  t.same(headerOnly.summary, { format: 'pcap', packets: 0, decoded: 0, skipped: noSkips(), truncatedRecord: false, bytes: 24 }, 'a header and no records')
})

t.test('records across read borders, and records longer than a read', async (t) => {
  const records: CaptureRecord[] = [...RECORDS, { tsUs: T0 + 4_000_000, frame: tcpFrame(4, 9000) }, { tsUs: T0 + 4_000_001, frame: udp6Frame(5) }]
  const files: Array<[string, Buffer]> = [
    ['pcap le', classicPcap(records, { byteOrder: 'le', linkType: LINKTYPE_ETHERNET, snaplen: 65535 })],
    ['pcap be ns', classicPcap(records, { byteOrder: 'be', nanos: true, linkType: LINKTYPE_ETHERNET, snaplen: 65535 })],
    ['pcapng le', pcapng(records, { interfaces: [{ linkType: LINKTYPE_ETHERNET }] })],
    ['pcapng be, two sections', Buffer.concat([pcapng(records.slice(0, 2), { interfaces: [{ linkType: LINKTYPE_ETHERNET }], byteOrder: 'be' }), pcapng(records.slice(2), { interfaces: [{ linkType: LINKTYPE_ETHERNET, tsresol: 9 }] })])],
  ]
  for (const [what, file] of files) {
    const whole = read(t, file)
    t.equal(whole.packets.length, 5, `${what}: all packets`)
    t.equal(whole.skips.length, 1)
    for (const chunkSize of [1, 3, 7, 16, 17, 100, 4096]) {
      const chunked = read(t, file, { chunkSize })
      t.same(chunked, whole, `${what}, ${chunkSize}-byte reads`)
      t.same(await readAhead(t, file, { chunkSize }), whole, `${what}, ${chunkSize}-byte reads ahead (async)`)
    }
    const cut = read(t, file.subarray(0, file.length - 3), { chunkSize: 5 })
    t.same(cut.packets, whole.packets.slice(0, 4), `${what}: cut, 5-byte reads`)
    t.equal(cut.summary.truncatedRecord, true)
    t.same(await readAhead(t, file.subarray(0, file.length - 3), { chunkSize: 5 }), cut, `${what}: cut, 5-byte reads ahead (async)`)
  }
})

t.test('CaptureStream: the same answers from pushed chunks', async (t) => {
  const file = pcapng(RECORDS, { interfaces: [{ linkType: LINKTYPE_ETHERNET, tsresol: 9 }] })
  const expected = read(t, file)
  for (const size of [1, 2, 13, 64, file.length]) {
    const { sink, packets, skips } = collector()
    const stream = new CaptureStream(sink)
    for (let i = 0; i < file.length; i += size) stream.push(file.subarray(i, i + size))
    t.same({ summary: stream.end(), packets, skips }, expected, `${size}-byte chunks`)
  }
  const { sink } = collector()
  const cut = new CaptureStream(sink)
  cut.push(file.subarray(0, file.length - 7))
  t.match(cut.end(), { packets: 3, truncatedRecord: true, bytes: file.length - 7 })
  const reused = collector()
  const stream = new CaptureStream(reused.sink)
  const pcap = classicPcap(RECORDS, { byteOrder: 'le', linkType: LINKTYPE_ETHERNET, snaplen: 65535 })
  const chunk = Buffer.alloc(50)
  for (let i = 0; i < pcap.length; i += 50) {
    chunk.fill(0)
    const n = pcap.copy(chunk, 0, i, i + 50)
    stream.push(chunk.subarray(0, n))
  }
  t.same(reused.packets, EXPECTED, 'the caller may reuse its chunk buffer after push()')
  t.throws(() => new CaptureStream(collector().sink, { name: 'standard input' }).end(), { code: 'SW_ERR_PCAP', message: 'standard input is empty' })
})

t.test('SW_ERR_PCAP: not a capture, unreadable, corrupt', async (t) => {
  const dir = t.testdir()
  const file = (name: string, bytes: Buffer): string => { writeFileSync(join(dir, name), bytes); return join(dir, name) }
  const fail = (path: string, message: RegExp, what: string): void => {
    t.throws(() => readCaptureFile(path, collector().sink), { name: 'AgentError', code: 'SW_ERR_PCAP', message }, what)
  }
  const text = file('notes.txt', Buffer.from('this is not a capture\n'))
  fail(text, new RegExp(`^capture file ${text} is not a pcap or pcapng file: it starts with 0x74686973`), 'text')
  fail(file('empty.pcap', Buffer.alloc(0)), /empty\.pcap is empty$/, 'an empty file')
  fail(file('short.pcap', classicPcap([], { byteOrder: 'le', linkType: 1, snaplen: 65535 }).subarray(0, 20)), /short\.pcap ends inside its file header/, 'a cut file header')
  fail(file('short.pcapng', pcapng([], { interfaces: [] }).subarray(0, 20)), /short\.pcapng ends inside its file header/, 'a cut Section Header Block')
  fail(file('three.pcap', Buffer.from([0xa1, 0xb2, 0xc3])), /ends inside its file header/, 'three bytes of a magic')
  fail(join(dir, 'missing.pcap'), /^cannot open capture file .*missing\.pcap: ENOENT/, 'a missing file')
  mkdirSync(join(dir, 'a-directory'))
  fail(join(dir, 'a-directory'), /^cannot read capture file .*a-directory: EISDIR/, 'a directory')
  await t.rejects(readCaptureFileAsync(join(dir, 'missing.pcap'), collector().sink), { code: 'SW_ERR_PCAP', message: /^cannot open capture file .*ENOENT/ }, 'async: a missing file')
  await t.rejects(readCaptureFileAsync(join(dir, 'a-directory'), collector().sink), { code: 'SW_ERR_PCAP', message: /^cannot read capture file .*EISDIR/ }, 'async: a directory')
  await t.rejects(readCaptureFileAsync(text, collector().sink), { code: 'SW_ERR_PCAP', message: /is not a pcap or pcapng file/ }, 'async: text')

  const pcap = classicPcap(RECORDS, { byteOrder: 'le', linkType: LINKTYPE_ETHERNET, snaplen: 65535 })
  const hugeRecord = Buffer.from(pcap)
  hugeRecord.writeUInt32LE(0x7fffffff, 24 + 16 + 154 + 8)
  fail(file('huge-record.pcap', hugeRecord), /huge-record\.pcap is corrupt: the record at byte 194 claims 2147483647 captured bytes/, 'a record longer than any snaplen')

  const ng = pcapng(RECORDS, { interfaces: [{ linkType: LINKTYPE_ETHERNET }] })
  const firstEpb = 28 + 20
  const corrupt = (what: string, edit: (b: Buffer) => void, message: RegExp): void => {
    const b = Buffer.from(ng)
    edit(b)
    fail(file(`${what.replace(/\W+/g, '-')}.pcapng`, b), message, what)
  }
  corrupt('block length not a multiple of 4', (b) => b.writeUInt32LE(110, firstEpb + 4), /the block at byte 48 \(type 0x6\) has length 110, not a multiple of 4/)
  corrupt('block length under 12', (b) => b.writeUInt32LE(8, firstEpb + 4), /has length 8/)
  corrupt('block length of 4 GiB', (b) => b.writeUInt32LE(0xfffffffc, firstEpb + 4), /has length 4294967292/)
  corrupt('Section Header Block length under 28', (b) => b.writeUInt32LE(24, 4), /the block at byte 0 \(type 0xa0d0d0a\) has length 24/)
  corrupt('trailing length differs', (b) => b.writeUInt32LE(96, firstEpb + 184), /starts with length 188 but ends with 96/)
  corrupt('captured length past the block', (b) => b.writeUInt32LE(157, firstEpb + 20), /claims 157 captured bytes in a 188-byte block/)
  corrupt('an interface never described', (b) => b.writeUInt32LE(3, firstEpb + 8), /names interface 3, but its section describes 1/)
  corrupt('byte-order magic', (b) => b.writeUInt32LE(0x1a2b3c4e, 8), /byte-order magic 0x4e3c2b1a, not 1a2b3c4d/)
  corrupt('a packet before any interface', (b) => { b.writeUInt32LE(0x12345678, 28) }, /names interface 0, but its section describes 0/)
})
