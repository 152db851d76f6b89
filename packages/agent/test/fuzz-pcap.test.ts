// Fuzzing the capture path (issue 12): the pcap/pcapng reader (CaptureStream, readCaptureFile,
// readCaptureFileAsync), the packet parser (decodeFrameAt) and the flow tracker, on capture files
// made by helpers/pcap-writer (every link type, both byte orders, every timestamp resolution,
// sections, interfaces, VLANs, IPv6 extension headers) and mutated. For any input the reader
// returns a summary or throws SW_ERR_PCAP, counts every record as decoded or skipped, gives the
// same packets however the bytes arrive, and hands on only packets whose fields lie inside the
// frame; the parser reads nothing outside the captured bytes; the tracker accounts every packet
// in exactly one record. Budget and reproduction: test/helpers/fuzz.ts.
import t from 'tap'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import * as fc from 'fast-check'
import { AgentError } from '../src/errors'
import { CaptureStream, readCaptureFile, readCaptureFileAsync, type CaptureFileSummary } from '../src/net/pcap-reader'
import { decodeFrameAt } from '../src/net/decode-frame'
import { FlowTracker, type FlowRecord } from '../src/net/flow-tracker'
import { ACK, FIN, PSH, RST, SKIP_REASONS, SYN, TCP, UDP, newPacketMeta, type PacketMeta, type PacketSink } from '../src/net/packet'
import { fuzzTargets, holds, returnsOrThrows, jsonCodec } from '../../../test/helpers/fuzz'
import { cutsOf, mutatedBytes, piecesOf } from '../../../test/helpers/mutator'
import {
  ETH_ARP, ETH_IPV4, ETH_IPV6, LINKTYPE_ETHERNET, LINKTYPE_IPV4, LINKTYPE_IPV6, LINKTYPE_LINUX_SLL, LINKTYPE_LINUX_SLL2, LINKTYPE_NULL, LINKTYPE_RAW,
  classicPcap, ethernet, ipv4, ipv6, nullLoop, pcapng, pcapngBlock, sll, sll2, tcp, udp, type CaptureRecord,
} from './helpers/pcap-writer'

const REGRESSIONS = join(__dirname, 'fixtures', 'fuzz-regressions')
const isPcapError = (err: unknown): boolean => err instanceof AgentError && err.code === 'SW_ERR_PCAP'
const T0 = 1_700_000_000_123_456

// Frames of every layer the parser knows, whole and broken.
const tcp4 = (i: number, flags = ACK, payloadLength = 60): Buffer => ipv4({ src: `192.0.2.${i}`, dst: '198.51.100.1', proto: TCP, payload: tcp({ sport: 40000 + i, dport: 443, flags, payloadLength }) })
const udp6 = (i: number): Buffer => ipv6({ src: `2001:db8::${i}`, dst: '2001:db8::ffff', nextHeader: UDP, payload: udp({ sport: 5000 + i, dport: 53, payloadLength: 30 }) })
const FRAMES: Array<[number, Buffer]> = [
  [LINKTYPE_ETHERNET, ethernet(ETH_IPV4, tcp4(1, SYN, 0))],
  [LINKTYPE_ETHERNET, ethernet(ETH_IPV4, tcp4(2), { vlan: [10, 20] })],
  [LINKTYPE_ETHERNET, ethernet(ETH_IPV6, udp6(3))],
  [LINKTYPE_ETHERNET, ethernet(ETH_IPV6, ipv6({ src: '2001:db8::4', dst: '2001:db8::5', nextHeader: TCP, extHeaders: [{ type: 0, bytes: 16 }, { type: 51 }, { type: 44 }], payload: tcp({ sport: 1, dport: 2, flags: FIN | ACK, payloadLength: 10 }) }))],
  [LINKTYPE_ETHERNET, ethernet(ETH_ARP, Buffer.alloc(28))],
  [LINKTYPE_ETHERNET, ethernet(ETH_IPV4, ipv4({ src: '192.0.2.9', dst: '198.51.100.9', proto: UDP, ihl: 7, fragOffset: 0, mf: true, payload: udp({ sport: 53, dport: 5353, payloadLength: 4 }) }))],
  [LINKTYPE_RAW, tcp4(5, PSH | ACK, 200)],
  [LINKTYPE_RAW, udp6(6)],
  [LINKTYPE_IPV4, tcp4(7, RST)],
  [LINKTYPE_IPV6, udp6(8)],
  [LINKTYPE_LINUX_SLL, sll(ETH_IPV4, tcp4(9))],
  [LINKTYPE_LINUX_SLL2, sll2(ETH_IPV6, udp6(10))],
  [LINKTYPE_NULL, nullLoop(2, tcp4(11))],
  [LINKTYPE_NULL, nullLoop(30, udp6(12), { byteOrder: 'be' })],
  [108, nullLoop(24, udp6(13), { byteOrder: 'be' })],
]
const recordsOf = (frames: Buffer[]): CaptureRecord[] => frames.map((frame, i) => ({ tsUs: T0 + i * 1_000_123, frame }))
const byLink = (link: number): Buffer[] => FRAMES.filter(([l]) => l === link).map(([, f]) => f)
const SEEDS: Buffer[] = [
  ...[LINKTYPE_ETHERNET, LINKTYPE_RAW, LINKTYPE_LINUX_SLL, LINKTYPE_NULL].flatMap((linkType) => [
    classicPcap(recordsOf(byLink(linkType)), { byteOrder: 'le', linkType, snaplen: 65535 }),
    classicPcap(recordsOf(byLink(linkType)), { byteOrder: 'be', nanos: true, linkType, snaplen: 80 }),
  ]),
  pcapng(recordsOf(byLink(LINKTYPE_ETHERNET)), { interfaces: [{ linkType: LINKTYPE_ETHERNET }] }),
  pcapng(recordsOf(byLink(LINKTYPE_ETHERNET)), { interfaces: [{ linkType: LINKTYPE_ETHERNET, snaplen: 70, tsresol: 9, tsoffset: 5 }], byteOrder: 'be' }),
  pcapng(recordsOf(byLink(LINKTYPE_ETHERNET)), { interfaces: [{ linkType: LINKTYPE_ETHERNET, tsresol: 0x80 | 20 }] }),
  pcapng(recordsOf([...byLink(LINKTYPE_RAW), ...byLink(LINKTYPE_RAW)]).map((r, i) => ({ ...r, interface: i % 2 })), { interfaces: [{ linkType: LINKTYPE_RAW, tsresol: 3 }, { linkType: LINKTYPE_RAW, tsresol: 15 }] }),
  pcapng(recordsOf(byLink(LINKTYPE_LINUX_SLL2)), { interfaces: [{ linkType: LINKTYPE_LINUX_SLL2 }], simple: true }),
  Buffer.concat([
    pcapng(recordsOf(byLink(LINKTYPE_IPV4)), { interfaces: [{ linkType: LINKTYPE_IPV4 }] }),
    pcapngBlock(0x0bad, Buffer.from('a custom block')),
    pcapng(recordsOf([...byLink(LINKTYPE_IPV6), ...byLink(108)]), { interfaces: [{ linkType: LINKTYPE_IPV6 }, { linkType: 108 }], byteOrder: 'be' }),
  ]),
]
const DICTIONARY = [
  Buffer.from('a1b2c3d4', 'hex'), Buffer.from('d4c3b2a1', 'hex'), Buffer.from('4d3cb2a1', 'hex'), Buffer.from('0a0d0d0a', 'hex'), Buffer.from('4d3c2b1a', 'hex'),
  Buffer.from('06000000', 'hex'), Buffer.from('03000000', 'hex'), Buffer.from('01000000', 'hex'), Buffer.from('0900', 'hex'), Buffer.from('0e00', 'hex'),
  Buffer.from('8100', 'hex'), Buffer.from('88a8', 'hex'), Buffer.from('0800', 'hex'), Buffer.from('86dd', 'hex'), Buffer.from('45', 'hex'), Buffer.from('60', 'hex'), Buffer.from('4f', 'hex'),
]

/** What a sink saw, checked as it came: every packet's fields inside its buffer and in range. */
interface Seen { summary: CaptureFileSummary | undefined, error: string | undefined, log: string[] }

function checkingSink (log: string[]): PacketSink {
  return {
    packet (m: PacketMeta) {
      const width = m.ipVersion === 4 ? 4 : 16
      holds(m.ipVersion === 4 || m.ipVersion === 6, `ip version ${m.ipVersion}`)
      holds(m.proto === TCP || m.proto === UDP, `protocol ${m.proto}`)
      holds(m.srcOffset >= 0 && m.srcOffset + width <= m.buf.length && m.dstOffset >= 0 && m.dstOffset + width <= m.buf.length, 'an address outside the buffer')
      holds(m.sport >= 0 && m.sport <= 65535 && m.dport >= 0 && m.dport <= 65535, 'a port out of range')
      holds(Number.isInteger(m.ipBytes) && m.ipBytes >= 20 && Number.isInteger(m.payloadBytes) && m.payloadBytes >= 0 && m.payloadBytes <= m.ipBytes, `ip bytes ${m.ipBytes}, payload ${m.payloadBytes}`)
      holds(Number.isFinite(m.tsUs), `timestamp ${m.tsUs}`)
      holds(m.tcpFlags >= 0 && m.tcpFlags <= 255 && (m.proto === TCP || m.tcpFlags === 0), `tcp flags ${m.tcpFlags}`)
      log.push(`${m.tsUs} ${m.buf.toString('hex', m.srcOffset, m.srcOffset + width)} ${m.sport} ${m.buf.toString('hex', m.dstOffset, m.dstOffset + width)} ${m.dport} ${m.proto} ${m.ipBytes} ${m.payloadBytes} ${m.tcpFlags}`)
    },
    skip (reason) {
      holds(SKIP_REASONS.includes(reason), `skip reason ${reason}`)
      log.push(`skip ${reason}`)
    },
  }
}

/** An SW_ERR_PCAP message without the capture's name (a file's path, or 'the capture'). */
const errorText = (err: unknown): string => (err as Error).message.replace(/^(the capture|capture file \S+) /, '')

function checkSummary (s: CaptureFileSummary, log: string[], inputBytes: number): void {
  const skipped = Object.values(s.skipped).reduce((a, b) => a + b, 0)
  holds(s.decoded + skipped === s.packets, `decoded ${s.decoded} + skipped ${skipped} != packets ${s.packets}`)
  holds(log.filter((l) => !l.startsWith('skip ')).length === s.decoded && log.filter((l) => l.startsWith('skip ')).length === skipped, 'the summary does not count what the sink saw')
  holds(s.bytes === inputBytes, `summary says ${s.bytes} bytes of a ${inputBytes}-byte capture`)
}

function readStream (pieces: Buffer[], inputBytes: number): Seen {
  const log: string[] = []
  const stream = new CaptureStream(checkingSink(log))
  for (const piece of pieces) {
    const r = returnsOrThrows(() => { stream.push(piece) }, isPcapError)
    if ('error' in r) return { summary: undefined, error: errorText(r.error), log }
  }
  const r = returnsOrThrows(() => stream.end(), isPcapError)
  if ('error' in r) return { summary: undefined, error: errorText(r.error), log }
  checkSummary(r.value, log, inputBytes)
  return { summary: r.value, error: undefined, log }
}

/** Same packets, skips, summary and error, by two ways of reading. */
function same (a: Seen, b: Seen, how: string): void {
  holds(a.error === b.error, () => `${how}: ${b.error ?? 'no error'}; in one piece: ${a.error ?? 'no error'}`)
  holds(a.log.length === b.log.length && a.log.every((l, i) => l === b.log[i]), () => `${how}: ${b.log.length} packets and skips; in one piece: ${a.log.length}`)
  holds(JSON.stringify(a.summary) === JSON.stringify(b.summary), () => `${how}: summary ${JSON.stringify(b.summary)}; in one piece ${JSON.stringify(a.summary)}`)
}

interface CaptureInput { bytes: Buffer, cutSeed: number, pieces: number }
const captureArb: fc.Arbitrary<CaptureInput> = fc.record({
  bytes: mutatedBytes(SEEDS, { dictionary: DICTIONARY }),
  cutSeed: fc.nat(),
  pieces: fc.nat({ max: 10 }),
})

const streamTarget = {
  name: 'agent.pcap-stream',
  arbitrary: captureArb,
  cases: 1500,
  weight: 2,
  corpus: join(REGRESSIONS, 'pcap'),
  toBytes: (c: CaptureInput) => c.bytes,
  fromBytes: (bytes: Buffer): CaptureInput => ({ bytes, cutSeed: 7, pieces: 5 }),
  check (c: CaptureInput) {
    const whole = readStream([c.bytes], c.bytes.length)
    same(whole, readStream(piecesOf(c.bytes, cutsOf(c.bytes.length, c.cutSeed, c.pieces)), c.bytes.length), 'in pieces')
  },
}

// The file readers, sync and read-ahead, with small chunks so that records cross read borders.
const dir = mkdtempSync(join(tmpdir(), 'sidewatch-fuzz-pcap-'))
t.teardown(() => rmSync(dir, { recursive: true, force: true }))
const capturePath = join(dir, 'capture')

async function readFile (bytes: Buffer, chunkSize: number): Promise<{ sync: Seen, ahead: Seen }> {
  writeFileSync(capturePath, bytes)
  const log: string[] = []
  const r = returnsOrThrows(() => readCaptureFile(capturePath, checkingSink(log), { chunkSize }), isPcapError)
  if ('value' in r) checkSummary(r.value, log, bytes.length)
  const sync: Seen = 'value' in r ? { summary: r.value, error: undefined, log } : { summary: undefined, error: errorText(r.error), log }
  const aheadLog: string[] = []
  const ahead = await readCaptureFileAsync(capturePath, checkingSink(aheadLog), { chunkSize }).then(
    (summary) => { checkSummary(summary, aheadLog, bytes.length); return { summary, error: undefined, log: aheadLog } },
    (err: unknown) => {
      returnsOrThrows(() => { throw err }, isPcapError)
      return { summary: undefined, error: errorText(err), log: aheadLog }
    })
  return { sync, ahead }
}

const fileTarget = {
  name: 'agent.pcap-file',
  arbitrary: fc.record({ bytes: mutatedBytes(SEEDS, { dictionary: DICTIONARY }), chunkSize: fc.constantFrom(1, 7, 64, 1000, 4 * 1024 * 1024) }),
  async: true,
  cases: 300,
  // At 1-byte chunks the read-ahead reader makes a thread-pool round trip per byte: a few
  // thousand of them for the larger inputs, more than 200 ms on a loaded machine.
  maxMs: 1000,
  // A record or block may declare up to 64 MiB (MAX_BLOCK) and the file reader grows its buffer
  // to hold it before reading on: bounded, and allowed.
  maxAllocBytes: 160 * 1024 * 1024,
  corpus: join(REGRESSIONS, 'pcap'),
  toBytes: (c: { bytes: Buffer }) => c.bytes,
  fromBytes: (bytes: Buffer) => ({ bytes, chunkSize: 7 }),
  async check (c: { bytes: Buffer, chunkSize: number }) {
    const { sync, ahead } = await readFile(c.bytes, c.chunkSize)
    const stream = readStream([c.bytes], c.bytes.length)
    same(stream, sync, `readCaptureFile, ${c.chunkSize}-byte chunks`)
    same(stream, ahead, `readCaptureFileAsync, ${c.chunkSize}-byte chunks`)
  },
}

// The packet parser alone: a frame, put in a larger buffer among random bytes, must decode the
// same: it may read nothing outside [offset, offset + capLen).
const LINK_TYPES = [0, 1, 12, 14, 101, 108, 113, 228, 229, 276, 147]
const frameTarget = {
  name: 'agent.decode-frame',
  arbitrary: fc.record({
    frame: mutatedBytes(FRAMES.map(([, f]) => f), { dictionary: DICTIONARY }),
    linkType: fc.constantFrom(...LINK_TYPES),
    before: fc.nat({ max: 64 }),
    fill: fc.nat({ max: 255 }),
  }),
  cases: 3000,
  corpus: join(REGRESSIONS, 'decode-frame'),
  toBytes: (c: { frame: Buffer, linkType: number }) => Buffer.concat([Buffer.from([c.linkType >> 8, c.linkType & 0xff]), c.frame]),
  fromBytes: (bytes: Buffer) => ({ linkType: bytes.readUInt16BE(0), frame: bytes.subarray(2), before: 3, fill: 0xff }),
  check (c: { frame: Buffer, linkType: number, before: number, fill: number }) {
    const exact = newPacketMeta()
    const alone = returnsOrThrows(() => decodeFrameAt(c.linkType, c.frame, 0, c.frame.length, exact), () => false)
    const big = Buffer.alloc(c.before + c.frame.length + 64, c.fill)
    c.frame.copy(big, c.before)
    const inside = newPacketMeta()
    const among = returnsOrThrows(() => decodeFrameAt(c.linkType, big, c.before, c.frame.length, inside), () => false)
    const reason = 'value' in alone ? alone.value : undefined
    holds(reason === ('value' in among ? among.value : undefined), () => `decodes as ${String(reason)} alone, but among other bytes as ${String('value' in among ? among.value : undefined)}: it reads outside the frame`)
    if (reason !== undefined) return
    const fields = (m: PacketMeta, shift: number): string => JSON.stringify([m.ipVersion, m.proto, m.srcOffset - shift, m.dstOffset - shift, m.sport, m.dport, m.ipBytes, m.tcpFlags, m.payloadBytes])
    holds(fields(exact, 0) === fields(inside, c.before), 'decodes differently among other bytes')
    checkingSink([]).packet(exact)
  },
}

// The flow tracker on packet streams: a few addresses and ports (so flows meet again), every
// flag combination, time that jumps, stalls and goes backwards, a small table (so it evicts).
interface Pkt { v6: boolean, src: number, dst: number, sport: number, dport: number, udp: boolean, flags: number, bytes: number, dt: number }
const pktArb: fc.Arbitrary<Pkt> = fc.record({
  v6: fc.boolean(),
  src: fc.nat({ max: 5 }),
  dst: fc.nat({ max: 5 }),
  sport: fc.constantFrom(22, 443, 40000, 50000, 65535, 0),
  dport: fc.constantFrom(22, 443, 40000, 50000, 65535, 0),
  udp: fc.boolean(),
  flags: fc.oneof(fc.constantFrom(SYN, SYN | ACK, ACK, FIN | ACK, RST, PSH | ACK), fc.nat({ max: 255 })),
  bytes: fc.nat({ max: 65535 }),
  dt: fc.oneof(fc.constant(0), fc.integer({ min: -2_000_000, max: 5_000_000 }), fc.constantFrom(61_000_000, 1_801_000_000, -1_700_000_000_000_000)),
})
const trackerArb = fc.record({
  packets: fc.array(pktArb, { maxLength: 80 }),
  maxFlows: fc.constantFrom(1, 2, 3, 100),
  idleTimeoutS: fc.constantFrom(0, 1, 60),
  activeTimeoutS: fc.constantFrom(0, 2, 1800),
  closeGraceS: fc.constantFrom(0, 2),
})
type TrackerInput = typeof trackerArb extends fc.Arbitrary<infer T> ? T : never

const trackerTarget = {
  name: 'agent.flow-tracker',
  arbitrary: trackerArb,
  cases: 1000,
  corpus: join(REGRESSIONS, 'flow-tracker'),
  ...jsonCodec<TrackerInput>(),
  check (c: TrackerInput) {
    const records: FlowRecord[] = []
    const tracker = new FlowTracker({ maxFlows: c.maxFlows, idleTimeoutS: c.idleTimeoutS, activeTimeoutS: c.activeTimeoutS, closeGraceS: c.closeGraceS, isTaskAddress: (a) => a.endsWith('.1') || a.endsWith('::1') }, (r) => { records.push(r) })
    const meta = newPacketMeta()
    let ts = T0
    let bytes = 0
    for (const p of c.packets) {
      ts += p.dt
      const width = p.v6 ? 16 : 4
      const buf = Buffer.alloc(2 * width + 3, 0)
      buf[width - 1] = p.src + 1
      buf[2 * width - 1] = p.dst + 1
      Object.assign(meta, { tsUs: ts, ipVersion: p.v6 ? 6 : 4, proto: p.udp ? UDP : TCP, buf, srcOffset: 0, dstOffset: width, sport: p.sport, dport: p.dport, ipBytes: p.bytes, tcpFlags: p.udp ? 0 : p.flags, payloadBytes: 0 })
      returnsOrThrows(() => { tracker.add(meta) }, () => false)
      bytes += p.bytes
      holds(tracker.size <= c.maxFlows, `${tracker.size} flows held with maxFlows ${c.maxFlows}`)
    }
    returnsOrThrows(() => { tracker.flush() }, () => false)
    holds(tracker.size === 0, 'flows left after flush')
    const counted = records.reduce((n, r) => n + r.src_pkts + r.dst_pkts, 0)
    const countedBytes = records.reduce((n, r) => n + r.src_bytes + r.dst_bytes, 0)
    holds(counted === c.packets.length && countedBytes === bytes, `${c.packets.length} packets (${bytes} bytes) in, ${counted} (${countedBytes} bytes) in the records`)
    for (const r of records) {
      holds(r.first <= r.last, `a record ends (${r.last}) before it starts (${r.first})`)
      holds(r.src_pkts + r.dst_pkts > 0, 'a record of no packets')
    }
    const stats = tracker.stats()
    holds(Object.values(stats.records).reduce((a, b) => a + b, 0) === records.length, 'stats count other records than were emitted')
  },
}

fuzzTargets(t, [streamTarget, fileTarget, frameTarget, trackerTarget])

