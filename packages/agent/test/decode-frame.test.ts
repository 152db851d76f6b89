// decodeFrame, table-driven: every link type, VLAN stacks, IPv6 extension headers, lengths
// taken from IP headers (not frames), and every SkipReason. Each frame is decoded from the
// middle of a larger buffer whose bytes after the captured length are still the frame's own,
// so reading past `capLen` or mistaking `offset` shows up as a wrong answer.
import t from 'tap'
import { decodeFrame } from '../src/net/decode-frame'
import { ACK, FIN, PSH, SKIP_REASONS, SYN, TCP, UDP, newPacketMeta, type PacketMeta, type SkipReason } from '../src/net/packet'
import {
  ETH_ARP, ETH_IPV4, ETH_IPV6, ETH_QINQ, ETH_VLAN, LINKTYPE_ETHERNET, LINKTYPE_IPV4, LINKTYPE_IPV6, LINKTYPE_LINUX_SLL,
  LINKTYPE_LINUX_SLL2, LINKTYPE_NULL, LINKTYPE_RAW, ethernet, ipv4, ipv6, nullLoop, sll, sll2, tcp, udp,
} from './helpers/pcap-writer'

const ICMP = 1
const ICMPV6 = 58
const A4 = '192.0.2.10'
const B4 = '198.51.100.20'
const A6 = '2001:db8::a'
const B6 = '2001:db8:1::b'

interface Decoded {
  tsUs: number
  ipVersion: number
  proto: number
  src: string
  dst: string
  sport: number
  dport: number
  ipBytes: number
  tcpFlags: number
  payloadBytes: number
}

const seen = new Set<SkipReason>()

/** Decode `frame` cut to `capLen` bytes, from offset 7 of a larger buffer. */
function decode (linkType: number, frame: Buffer, capLen = frame.length, out: PacketMeta = newPacketMeta()): Decoded | SkipReason {
  const buf = Buffer.concat([Buffer.alloc(7, 0xee), frame, Buffer.alloc(64, 0xee)])
  const reason = decodeFrame(linkType, buf, 7, capLen, 1_700_000_000_123_456, out)
  if (reason !== undefined) {
    seen.add(reason)
    return reason
  }
  return {
    tsUs: out.tsUs,
    ipVersion: out.ipVersion,
    proto: out.proto,
    src: address(out, out.srcOffset),
    dst: address(out, out.dstOffset),
    sport: out.sport,
    dport: out.dport,
    ipBytes: out.ipBytes,
    tcpFlags: out.tcpFlags,
    payloadBytes: out.payloadBytes,
  }
}

function address (out: PacketMeta, offset: number): string {
  if (out.ipVersion === 4) return [...out.buf.subarray(offset, offset + 4)].join('.')
  const groups = Array.from({ length: 8 }, (_, i) => out.buf.readUInt16BE(offset + 2 * i).toString(16))
  return new URL(`http://[${groups.join(':')}]`).hostname.slice(1, -1)
}

const tcp4 = (payloadLength = 0, flags = SYN): Buffer => ipv4({ src: A4, dst: B4, proto: TCP, payload: tcp({ sport: 40000, dport: 443, flags, payloadLength }) })
const udp4 = (payloadLength = 0): Buffer => ipv4({ src: A4, dst: B4, proto: UDP, payload: udp({ sport: 5353, dport: 53, payloadLength }) })
const tcp6 = (payloadLength = 0, flags = SYN): Buffer => ipv6({ src: A6, dst: B6, nextHeader: TCP, payload: tcp({ sport: 40000, dport: 443, flags, payloadLength }) })
const udp6 = (payloadLength = 0): Buffer => ipv6({ src: A6, dst: B6, nextHeader: UDP, payload: udp({ sport: 5353, dport: 53, payloadLength }) })

const TCP4 = { tsUs: 1_700_000_000_123_456, ipVersion: 4, proto: TCP, src: A4, dst: B4, sport: 40000, dport: 443, tcpFlags: SYN }
const UDP4 = { tsUs: 1_700_000_000_123_456, ipVersion: 4, proto: UDP, src: A4, dst: B4, sport: 5353, dport: 53, tcpFlags: 0 }
const TCP6 = { ...TCP4, ipVersion: 6, src: A6, dst: B6 }
const UDP6 = { ...UDP4, ipVersion: 6, src: A6, dst: B6 }

t.test('Ethernet: IPv4 and IPv6, TCP and UDP, lengths from the IP header', async (t) => {
  t.same(decode(LINKTYPE_ETHERNET, ethernet(ETH_IPV4, tcp4(100, PSH | ACK))), { ...TCP4, tcpFlags: PSH | ACK, ipBytes: 140, payloadBytes: 100 })
  t.same(decode(LINKTYPE_ETHERNET, ethernet(ETH_IPV4, udp4(33))), { ...UDP4, ipBytes: 61, payloadBytes: 33 })
  t.same(decode(LINKTYPE_ETHERNET, ethernet(ETH_IPV6, tcp6(7, FIN | ACK))), { ...TCP6, tcpFlags: FIN | ACK, ipBytes: 67, payloadBytes: 7 })
  t.same(decode(LINKTYPE_ETHERNET, ethernet(ETH_IPV6, udp6(500))), { ...UDP6, ipBytes: 548, payloadBytes: 500 })
})

t.test('Ethernet padding is not counted', async (t) => {
  const frame = ethernet(ETH_IPV4, tcp4(0))
  t.equal(frame.length, 60, 'a 54-byte SYN padded to 60')
  t.same(decode(LINKTYPE_ETHERNET, frame), { ...TCP4, ipBytes: 40, payloadBytes: 0 })
  const tiny = ethernet(ETH_IPV4, udp4(2))
  t.same(decode(LINKTYPE_ETHERNET, tiny), { ...UDP4, ipBytes: 30, payloadBytes: 2 })
  // An IPv4 total length that ends before a full TCP header: the rest of the "header" is padding.
  const short = ethernet(ETH_IPV4, ipv4({ src: A4, dst: B4, proto: TCP, totalLength: 30, payload: tcp({ sport: 1, dport: 2, flags: SYN, payloadLength: 0 }) }))
  t.equal(decode(LINKTYPE_ETHERNET, short), 'truncated_l4', 'a TCP header in the padding is no header')
})

t.test('a snaplen-cut frame with complete headers counts its IP length', async (t) => {
  const frame = ethernet(ETH_IPV4, tcp4(1400, ACK))
  t.same(decode(LINKTYPE_ETHERNET, frame, 14 + 20 + 20), { ...TCP4, tcpFlags: ACK, ipBytes: 1440, payloadBytes: 1400 }, 'cut right after the TCP header')
  t.same(decode(LINKTYPE_ETHERNET, frame, 96), { ...TCP4, tcpFlags: ACK, ipBytes: 1440, payloadBytes: 1400 })
  t.same(decode(LINKTYPE_ETHERNET, ethernet(ETH_IPV6, udp6(1000)), 14 + 40 + 8), { ...UDP6, ipBytes: 1048, payloadBytes: 1000 })
})

t.test('VLAN tags, single and stacked', async (t) => {
  const cases: Array<[string, Array<number | { tpid: number, id: number }>]> = [
    ['802.1Q', [100]],
    ['802.1ad over 802.1Q', [200, 100]],
    ['802.1Q over 802.1Q (old QinQ)', [{ tpid: ETH_VLAN, id: 200 }, { tpid: ETH_VLAN, id: 100 }]],
    ['three tags', [{ tpid: ETH_QINQ, id: 3 }, { tpid: ETH_QINQ, id: 2 }, { tpid: ETH_VLAN, id: 1 }]],
  ]
  for (const [what, vlan] of cases) {
    t.same(decode(LINKTYPE_ETHERNET, ethernet(ETH_IPV4, tcp4(10), { vlan })), { ...TCP4, ipBytes: 50, payloadBytes: 10 }, `${what}, IPv4`)
    t.same(decode(LINKTYPE_ETHERNET, ethernet(ETH_IPV6, udp6(10), { vlan })), { ...UDP6, ipBytes: 58, payloadBytes: 10 }, `${what}, IPv6`)
  }
  const stacked = ethernet(ETH_IPV4, tcp4(), { vlan: [200, 100] })
  t.equal(decode(LINKTYPE_ETHERNET, stacked, 14 + 4 + 1), 'truncated_link', 'cut inside the inner tag')
  t.equal(decode(LINKTYPE_ETHERNET, stacked, 14 + 8), 'truncated_ip', 'cut right after the tags')
  t.equal(decode(LINKTYPE_ETHERNET, ethernet(ETH_ARP, Buffer.alloc(28), { vlan: [5] })), 'not_ip')
})

t.test('raw IP link types (101, DLT 12 and 14), IPv4-only (228) and IPv6-only (229)', async (t) => {
  for (const linkType of [LINKTYPE_RAW, 12, 14]) {
    t.same(decode(linkType, tcp4(5)), { ...TCP4, ipBytes: 45, payloadBytes: 5 }, `${linkType}: IPv4`)
    t.same(decode(linkType, udp6(5)), { ...UDP6, ipBytes: 53, payloadBytes: 5 }, `${linkType}: IPv6`)
    t.equal(decode(linkType, ipv4({ src: A4, dst: B4, proto: TCP, version: 5, payload: tcp({ sport: 1, dport: 2, flags: 0, payloadLength: 0 }) })), 'bad_ip_version', `${linkType}: version 5`)
    t.equal(decode(linkType, ipv4({ src: A4, dst: B4, proto: TCP, version: 0, payload: tcp({ sport: 1, dport: 2, flags: 0, payloadLength: 0 }) })), 'bad_ip_version', `${linkType}: version 0`)
    t.equal(decode(linkType, Buffer.alloc(0)), 'truncated_ip', `${linkType}: empty`)
  }
  t.same(decode(LINKTYPE_IPV4, udp4(1)), { ...UDP4, ipBytes: 29, payloadBytes: 1 })
  t.same(decode(LINKTYPE_IPV6, tcp6(1)), { ...TCP6, ipBytes: 61, payloadBytes: 1 })
  t.equal(decode(LINKTYPE_IPV4, udp6()), 'bad_ip_version', 'IPv6 on the IPv4 link type')
  t.equal(decode(LINKTYPE_IPV6, udp4()), 'bad_ip_version', 'IPv4 on the IPv6 link type')
})

t.test('the IP version must match the EtherType', async (t) => {
  t.equal(decode(LINKTYPE_ETHERNET, ethernet(ETH_IPV4, udp6())), 'bad_ip_version')
  t.equal(decode(LINKTYPE_ETHERNET, ethernet(ETH_IPV6, udp4())), 'bad_ip_version')
  t.equal(decode(LINKTYPE_ETHERNET, ethernet(ETH_IPV4, ipv4({ src: A4, dst: B4, proto: TCP, version: 7, payload: Buffer.alloc(20) }))), 'bad_ip_version')
})

t.test('Linux cooked captures: SLL and SLL2', async (t) => {
  t.same(decode(LINKTYPE_LINUX_SLL, sll(ETH_IPV4, tcp4(3))), { ...TCP4, ipBytes: 43, payloadBytes: 3 })
  t.same(decode(LINKTYPE_LINUX_SLL, sll(ETH_IPV6, udp6(3), { packetType: 4 })), { ...UDP6, ipBytes: 51, payloadBytes: 3 })
  t.equal(decode(LINKTYPE_LINUX_SLL, sll(ETH_ARP, Buffer.alloc(28))), 'not_ip')
  t.equal(decode(LINKTYPE_LINUX_SLL, sll(ETH_IPV4, tcp4()), 15), 'truncated_link')
  t.equal(decode(LINKTYPE_LINUX_SLL, sll(ETH_IPV4, tcp4()), 16), 'truncated_ip')
  t.same(decode(LINKTYPE_LINUX_SLL2, sll2(ETH_IPV4, udp4(4))), { ...UDP4, ipBytes: 32, payloadBytes: 4 })
  t.same(decode(LINKTYPE_LINUX_SLL2, sll2(ETH_IPV6, tcp6(4, ACK))), { ...TCP6, tcpFlags: ACK, ipBytes: 64, payloadBytes: 4 })
  t.equal(decode(LINKTYPE_LINUX_SLL2, sll2(0x88cc, Buffer.alloc(40))), 'not_ip')
  t.equal(decode(LINKTYPE_LINUX_SLL2, sll2(ETH_IPV4, tcp4()), 19), 'truncated_link')
  t.equal(decode(LINKTYPE_LINUX_SLL2, sll2(ETH_IPV6, tcp6()), 20 + 39), 'truncated_ip')
})

t.test('NULL/loopback: the family in either byte order', async (t) => {
  for (const byteOrder of ['le', 'be'] as const) {
    t.same(decode(LINKTYPE_NULL, nullLoop(2, tcp4(9), { byteOrder })), { ...TCP4, ipBytes: 49, payloadBytes: 9 }, `${byteOrder}: AF_INET`)
    for (const family of [24, 28, 30]) {
      t.same(decode(LINKTYPE_NULL, nullLoop(family, udp6(9), { byteOrder })), { ...UDP6, ipBytes: 57, payloadBytes: 9 }, `${byteOrder}: AF_INET6 = ${family}`)
    }
    t.equal(decode(LINKTYPE_NULL, nullLoop(7, udp4(), { byteOrder })), 'not_ip', `${byteOrder}: another family`)
    t.equal(decode(LINKTYPE_NULL, nullLoop(2, udp6(), { byteOrder })), 'bad_ip_version', `${byteOrder}: IPv6 said to be IPv4`)
  }
  t.equal(decode(LINKTYPE_NULL, nullLoop(2, tcp4()), 3), 'truncated_link')
})

t.test('link types it does not decode', async (t) => {
  for (const linkType of [105, 127, 147, 65535]) t.equal(decode(linkType, tcp4()), 'unsupported_link', `${linkType}`)
})

t.test('Ethernet that is not IP, or too short for its header', async (t) => {
  t.equal(decode(LINKTYPE_ETHERNET, ethernet(ETH_ARP, Buffer.alloc(28))), 'not_ip', 'ARP')
  t.equal(decode(LINKTYPE_ETHERNET, ethernet(0x88cc, Buffer.alloc(46))), 'not_ip', 'LLDP')
  t.equal(decode(LINKTYPE_ETHERNET, ethernet(ETH_IPV4, tcp4()), 10), 'truncated_link', '10 bytes')
  t.equal(decode(LINKTYPE_ETHERNET, ethernet(ETH_IPV4, tcp4()), 13), 'truncated_link', '13 bytes')
  t.equal(decode(LINKTYPE_ETHERNET, ethernet(ETH_IPV4, tcp4()), 14), 'truncated_ip', 'no IP byte at all')
})

t.test('IPv4 header checks', async (t) => {
  const frame = (o: Partial<Parameters<typeof ipv4>[0]>): Buffer =>
    ethernet(ETH_IPV4, ipv4({ src: A4, dst: B4, proto: TCP, payload: tcp({ sport: 40000, dport: 443, flags: SYN, payloadLength: 0 }), ...o }))
  t.equal(decode(LINKTYPE_ETHERNET, frame({ ihl: 4 })), 'bad_ihl')
  t.equal(decode(LINKTYPE_ETHERNET, frame({ ihl: 0 })), 'bad_ihl')
  t.same(decode(LINKTYPE_ETHERNET, frame({ ihl: 15 })), { ...TCP4, ipBytes: 80, payloadBytes: 0 }, 'IHL 15: 40 bytes of options skipped')
  t.equal(decode(LINKTYPE_ETHERNET, frame({}), 14 + 12), 'truncated_ip', 'cut inside the fixed header')
  t.equal(decode(LINKTYPE_ETHERNET, frame({ ihl: 6 }), 14 + 20), 'truncated_ip', 'cut inside the options')
  t.equal(decode(LINKTYPE_ETHERNET, frame({ totalLength: 12 })), 'bad_ip_length', 'total length under the header')
  t.equal(decode(LINKTYPE_ETHERNET, frame({ ihl: 6, totalLength: 20 })), 'bad_ip_length', 'total length under a 24-byte header')
  t.equal(decode(LINKTYPE_ETHERNET, frame({ fragOffset: 185 })), 'fragment', 'a later fragment')
  t.equal(decode(LINKTYPE_ETHERNET, frame({ fragOffset: 185, mf: true })), 'fragment', 'a middle fragment')
  t.same(decode(LINKTYPE_ETHERNET, frame({ mf: true })), { ...TCP4, ipBytes: 40, payloadBytes: 0 }, 'the first fragment is decoded')
  t.equal(decode(LINKTYPE_ETHERNET, ethernet(ETH_IPV4, ipv4({ src: A4, dst: B4, proto: ICMP, payload: Buffer.alloc(8) }))), 'not_tcp_udp', 'ICMP')
  t.equal(decode(LINKTYPE_ETHERNET, ethernet(ETH_IPV4, ipv4({ src: A4, dst: B4, proto: 50, payload: Buffer.alloc(40) }))), 'not_tcp_udp', 'ESP')
})

t.test('TCP and UDP header checks', async (t) => {
  t.equal(decode(LINKTYPE_ETHERNET, ethernet(ETH_IPV4, tcp4()), 14 + 20 + 19), 'truncated_l4', 'TCP: 19 of 20 bytes')
  t.equal(decode(LINKTYPE_ETHERNET, ethernet(ETH_IPV4, tcp4()), 14 + 20 + 8), 'truncated_l4', 'TCP: 8 of 20 bytes')
  t.equal(decode(LINKTYPE_ETHERNET, ethernet(ETH_IPV4, udp4(10)), 14 + 20 + 7), 'truncated_l4', 'UDP: 7 of 8 bytes')
  t.same(decode(LINKTYPE_ETHERNET, ethernet(ETH_IPV4, udp4(10)), 14 + 20 + 8), { ...UDP4, ipBytes: 38, payloadBytes: 10 }, 'UDP: 8 bytes are enough')
  t.equal(decode(LINKTYPE_ETHERNET, ethernet(ETH_IPV6, tcp6()), 14 + 40 + 12), 'truncated_l4', 'TCP over IPv6')
  const offset = (dataOffset: number, payloadLength: number, totalLength?: number): Buffer =>
    ethernet(ETH_IPV4, ipv4({ src: A4, dst: B4, proto: TCP, totalLength, payload: tcp({ sport: 40000, dport: 443, flags: SYN, payloadLength, dataOffset }) }))
  t.equal(decode(LINKTYPE_ETHERNET, offset(4, 0)), 'bad_l4', 'data offset 4')
  t.equal(decode(LINKTYPE_ETHERNET, offset(0, 0)), 'bad_l4', 'data offset 0')
  t.same(decode(LINKTYPE_ETHERNET, offset(8, 12)), { ...TCP4, ipBytes: 64, payloadBytes: 12 }, 'options: 32-byte header')
  t.same(decode(LINKTYPE_ETHERNET, offset(15, 0, 40)), { ...TCP4, ipBytes: 40, payloadBytes: 0 }, 'a header longer than the IP payload: payload clamped at 0')
})

t.test('IPv6 extension headers', async (t) => {
  const frame = (o: Partial<Parameters<typeof ipv6>[0]>, payloadLength = 20): Buffer =>
    ethernet(ETH_IPV6, ipv6({ src: A6, dst: B6, nextHeader: TCP, payload: tcp({ sport: 40000, dport: 443, flags: SYN, payloadLength }), ...o }))
  const chains: Array<[string, Parameters<typeof ipv6>[0]['extHeaders'], number]> = [
    ['hop-by-hop', [{ type: 0 }], 8],
    ['routing, 24 bytes', [{ type: 43, bytes: 24 }], 24],
    ['destination options', [{ type: 60, bytes: 16 }], 16],
    ['AH, 12 bytes', [{ type: 51 }], 12],
    ['AH, 24 bytes', [{ type: 51, bytes: 24 }], 24],
    ['first fragment', [{ type: 44, mf: true }], 8],
    ['all of them', [{ type: 0 }, { type: 60 }, { type: 43, bytes: 16 }, { type: 44, mf: true }, { type: 51, bytes: 16 }, { type: 60, bytes: 8 }], 64],
  ]
  for (const [what, extHeaders, bytes] of chains) {
    t.same(decode(LINKTYPE_ETHERNET, frame({ extHeaders })), { ...TCP6, ipBytes: 40 + bytes + 40, payloadBytes: 20 }, what)
  }
  t.equal(decode(LINKTYPE_ETHERNET, frame({ extHeaders: [{ type: 44, fragOffset: 1 }] })), 'fragment', 'a later fragment')
  t.equal(decode(LINKTYPE_ETHERNET, frame({ extHeaders: [{ type: 0 }, { type: 44, fragOffset: 100, mf: true }] })), 'fragment', 'a middle fragment after hop-by-hop')
  t.equal(decode(LINKTYPE_ETHERNET, frame({ extHeaders: [{ type: 60, bytes: 32 }], payloadLength: 16 })), 'bad_ip_length', 'an extension header longer than the payload')
  t.equal(decode(LINKTYPE_ETHERNET, frame({ extHeaders: [{ type: 0 }], payloadLength: 4 })), 'bad_ip_length', 'a payload too short for any extension header')
  t.equal(decode(LINKTYPE_ETHERNET, frame({ extHeaders: [{ type: 43, bytes: 32 }] }), 14 + 40 + 20), 'truncated_ip', 'an extension header cut by the capture')
  t.equal(decode(LINKTYPE_ETHERNET, frame({ extHeaders: [{ type: 0 }] }), 14 + 40 + 4), 'truncated_ip', 'cut inside the first 8 bytes')
  t.equal(decode(LINKTYPE_ETHERNET, frame({ extHeaders: [{ type: 0 }] }), 14 + 48 + 10), 'truncated_l4', 'extension headers complete, TCP cut')
  t.equal(decode(LINKTYPE_ETHERNET, frame({}), 14 + 39), 'truncated_ip', 'cut inside the fixed header')
  t.equal(decode(LINKTYPE_ETHERNET, frame({ nextHeader: ICMPV6 })), 'not_tcp_udp', 'ICMPv6')
  t.equal(decode(LINKTYPE_ETHERNET, frame({ nextHeader: 59 })), 'not_tcp_udp', 'no next header')
  t.equal(decode(LINKTYPE_ETHERNET, frame({ nextHeader: 50, extHeaders: [{ type: 0 }] })), 'not_tcp_udp', 'ESP after hop-by-hop')
  t.same(decode(LINKTYPE_ETHERNET, frame({ nextHeader: UDP, payload: udp({ sport: 5353, dport: 53, payloadLength: 3 }), extHeaders: [{ type: 60 }] })),
    { ...UDP6, ipBytes: 40 + 8 + 11, payloadBytes: 3 }, 'UDP after destination options')
})

t.test('one reused PacketMeta: nothing left over from the previous packet', async (t) => {
  const out = newPacketMeta()
  t.same(decode(LINKTYPE_ETHERNET, ethernet(ETH_IPV6, tcp6(10, SYN | ACK)), undefined, out), { ...TCP6, tcpFlags: SYN | ACK, ipBytes: 70, payloadBytes: 10 })
  t.equal(decode(LINKTYPE_ETHERNET, ethernet(ETH_IPV4, tcp4()), 20, out), 'truncated_ip')
  t.same(decode(LINKTYPE_ETHERNET, ethernet(ETH_IPV4, udp4(1)), undefined, out), { ...UDP4, ipBytes: 29, payloadBytes: 1 })
})

t.test('every SkipReason is produced by some case above', async (t) => {
  t.same([...seen].sort(), [...SKIP_REASONS].sort())
})
