// The flow tracker on packet metadata made here (no capture file): initiators, the ways a record
// ends, counts and bytes per direction, scope, the bounded table.
import t from 'tap'
import { FlowTracker, type FlowRecord, type FlowTrackerOptions } from '../src/net/flow-tracker'
import { parseIP } from '../src/net/ip-text'
import { ACK, FIN, PSH, RST, SYN, TCP, UDP, newPacketMeta, type PacketMeta } from '../src/net/packet'
import { TaskNets } from '../src/net/task-nets'

const S = 1_000_000 // µs per second
const T0 = 1_700_000_000 * S

interface Pkt { at: number, src: string, sport: number, dst: string, dport: number, flags?: number, bytes?: number, udp?: boolean }

function meta (p: Pkt): PacketMeta {
  const src = parseIP(p.src)
  const dst = parseIP(p.dst)
  if (src === undefined || dst === undefined) throw new Error(`bad address in ${JSON.stringify(p)}`)
  const m = newPacketMeta()
  m.buf = Buffer.concat([Buffer.from('junk'), Buffer.from(src), Buffer.from(dst)])
  m.srcOffset = 4
  m.dstOffset = 4 + src.length
  m.ipVersion = src.length === 4 ? 4 : 6
  m.proto = p.udp === true ? UDP : TCP
  m.sport = p.sport
  m.dport = p.dport
  m.tsUs = T0 + Math.round(p.at * S)
  m.tcpFlags = p.udp === true ? 0 : p.flags ?? ACK
  m.ipBytes = p.bytes ?? 40
  m.payloadBytes = Math.max(0, m.ipBytes - 40)
  return m
}

function track (packets: Pkt[], options: Partial<FlowTrackerOptions> = {}, flush = true): { records: FlowRecord[], tracker: FlowTracker } {
  const records: FlowRecord[] = []
  const nets = new TaskNets(['169.254.170.0/24', 'fd00:a9fe:aa00::/64'])
  const tracker = new FlowTracker({ isTaskAddress: (a) => nets.contains(a), idleTimeoutS: 60, ...options }, (r) => { records.push(r) })
  for (const p of packets) tracker.add(meta(p))
  if (flush) tracker.flush()
  return { records, tracker }
}

const C = '169.254.170.2'
const R = '198.51.100.7'
const c2s = (at: number, flags: number, bytes = 40): Pkt => ({ at, src: C, sport: 40001, dst: R, dport: 443, flags, bytes })
const s2c = (at: number, flags: number, bytes = 40): Pkt => ({ at, src: R, sport: 443, dst: C, dport: 40001, flags, bytes })

t.test('a FIN-closed connection is one record, with the last ACK and exact counts', async (t) => {
  const { records } = track([
    c2s(0, SYN, 60), s2c(0.01, SYN | ACK, 60), c2s(0.02, ACK),
    c2s(0.03, PSH | ACK, 140), s2c(0.05, PSH | ACK, 1540), s2c(0.06, PSH | ACK, 540),
    c2s(0.1, FIN | ACK), s2c(0.11, FIN | ACK), c2s(0.12, ACK),
  ])
  t.same(records, [{
    proto: 'tcp', src: C, sport: 40001, dst: R, dport: 443, first: 1_700_000_000, last: 1_700_000_000.12,
    src_pkts: 5, src_bytes: 60 + 40 + 140 + 40 + 40, dst_pkts: 4, dst_bytes: 60 + 1540 + 540 + 40,
    end: 'fin', scope: 'outbound', tcp_flags: 'SAFP',
  }])
})

t.test('both FINs: the flow waits for the last ACK, however late within the idle timeout, then for the grace', async (t) => {
  const { records, tracker } = track([c2s(0, SYN), s2c(0.01, SYN | ACK), c2s(0.1, FIN | ACK), s2c(0.11, FIN | ACK)], { closeGraceS: 2 }, false)
  tracker.expire(T0 + 30 * S)
  t.equal(records.length, 0, 'not yet: the last ACK may still come')
  tracker.add(meta(s2c(30.5, ACK)))
  t.equal(records.length, 0, 'an ACK from the side that sent the second FIN is not the last ACK')
  tracker.add(meta(c2s(31, ACK)))
  t.equal(records.length, 0, 'acknowledged: stragglers are absorbed for the grace')
  tracker.add(meta(s2c(32, FIN | ACK)))
  tracker.expire(T0 + 33.5 * S)
  t.match(records, [{ end: 'fin', src_pkts: 3, dst_pkts: 4, last: 1_700_000_032 }])
  t.equal(tracker.size, 0)
})

t.test('both FINs but no last ACK within the idle timeout: idle; the ACK after the split closes the new record', async (t) => {
  const { records } = track([
    c2s(0, SYN), s2c(0.01, SYN | ACK), c2s(0.02, ACK), s2c(0.1, FIN | ACK), c2s(0.11, FIN | ACK),
    s2c(100, ACK),
    { at: 300, src: C, sport: 40002, dst: R, dport: 443, flags: FIN | ACK }, { at: 300.1, src: R, sport: 443, dst: C, dport: 40002, flags: FIN | ACK },
  ])
  t.match(records, [
    { sport: 40001, end: 'idle', src_pkts: 3, dst_pkts: 2, tcp_flags: 'SAF' },
    { sport: 40001, src: C, end: 'fin', src_pkts: 0, dst_pkts: 1, first: 1_700_000_100, tcp_flags: 'A' },
    { sport: 40002, end: 'eof', src_pkts: 1, dst_pkts: 1 },
  ])
})

t.test('RST: refused connections and resets end rst; stragglers within the grace are counted', async (t) => {
  const { records } = track([
    c2s(0, SYN), s2c(0.001, RST | ACK),
    { at: 5, src: C, sport: 40002, dst: R, dport: 443, flags: SYN }, { at: 5.01, src: R, sport: 443, dst: C, dport: 40002, flags: SYN | ACK },
    { at: 5.2, src: R, sport: 443, dst: C, dport: 40002, flags: RST | ACK }, { at: 5.3, src: C, sport: 40002, dst: R, dport: 443, flags: ACK, bytes: 100 },
  ])
  t.match(records, [
    { sport: 40001, src_pkts: 1, dst_pkts: 1, end: 'rst', tcp_flags: 'SAR' },
    { sport: 40002, src_pkts: 2, src_bytes: 140, dst_pkts: 2, end: 'rst' },
  ])
})

t.test('a new SYN on a closed 5-tuple starts a new record at once; a straggler after the grace too', async (t) => {
  const { records } = track([
    c2s(0, SYN), s2c(0.01, SYN | ACK), c2s(0.1, FIN | ACK), s2c(0.11, FIN | ACK),
    c2s(0.5, SYN), s2c(0.51, SYN | ACK), c2s(0.6, RST),
    s2c(10, ACK),
  ], { closeGraceS: 2 })
  t.match(records, [
    { end: 'fin', src_pkts: 2, dst_pkts: 2, first: 1_700_000_000 },
    { end: 'rst', src_pkts: 2, dst_pkts: 1, first: 1_700_000_000.5 },
    { end: 'eof', src: C, sport: 40001, src_pkts: 0, dst_pkts: 1, first: 1_700_000_010 },
  ])
})

t.test('idle timeout: two records; the second keeps the initiator though the server speaks first', async (t) => {
  const { records } = track([c2s(0, SYN), s2c(0.01, SYN | ACK), c2s(0.02, ACK), s2c(100, PSH | ACK, 90), c2s(100.1, ACK)])
  t.match(records, [
    { src: C, end: 'idle', src_pkts: 2, dst_pkts: 1, last: 1_700_000_000.02 },
    { src: C, sport: 40001, dst: R, end: 'eof', src_pkts: 1, dst_pkts: 1, dst_bytes: 90, first: 1_700_000_100 },
  ])
})

t.test('exactly the idle timeout is not a gap; a microsecond more is', async (t) => {
  t.equal(track([c2s(0, ACK), c2s(60, ACK)]).records.length, 1)
  t.equal(track([c2s(0, ACK), c2s(60.000001, ACK)]).records.length, 2)
})

t.test('initiator without a SYN: SYN-ACK receiver, then the client-looking port, then the first sender', async (t) => {
  t.match(track([s2c(0, SYN | ACK), c2s(0.01, ACK)]).records, [{ src: C, sport: 40001 }], 'SYN-ACK seen first')
  t.match(track([s2c(0, PSH | ACK), c2s(0.01, ACK)]).records, [{ src: C, sport: 40001, dst: R, dport: 443, src_pkts: 1, dst_pkts: 1 }], 'ephemeral against 443')
  const registered = track([{ at: 0, src: R, sport: 22, dst: C, dport: 2000 }]).records
  t.match(registered, [{ src: C, sport: 2000, dport: 22 }], 'a registered port against a well-known one')
  const equal = track([{ at: 0, src: R, sport: 5432, dst: C, dport: 2000 }]).records
  t.match(equal, [{ src: R, sport: 5432, dport: 2000 }], 'two registered ports: the first sender')
  const udp = track([
    { at: 0, src: R, sport: 51820, dst: C, dport: 40000, udp: true, bytes: 148 },
    { at: 0.1, src: C, sport: 40000, dst: R, dport: 51820, udp: true, bytes: 92 },
  ]).records
  t.match(udp, [{ proto: 'udp', src: R, sport: 51820, src_bytes: 148, dst_bytes: 92, tcp_flags: '' }], 'two ephemeral ports: the first sender')
  const dns = track([{ at: 0, src: R, sport: 53, dst: C, dport: 41000, udp: true }]).records
  t.match(dns, [{ src: C, sport: 41000, dst: R, dport: 53, src_pkts: 0, dst_pkts: 1 }], 'a DNS answer alone: the client is still the querier')
})

t.test('active timeout: a long flow emits a record and goes on', async (t) => {
  const packets: Pkt[] = [c2s(0, SYN), s2c(0.01, SYN | ACK)]
  for (let at = 10; at <= 100; at += 10) packets.push(c2s(at, PSH | ACK, 100))
  const { records } = track(packets, { activeTimeoutS: 30 })
  t.same(records.map((r) => [r.end, r.first - 1_700_000_000, r.src_pkts + r.dst_pkts]), [
    ['active', 0, 5], ['active', 40, 4], ['eof', 80, 3],
  ])
  t.ok(records.every((r) => r.src === C), 'one initiator throughout')
})

t.test('scope: intra-task, outbound, inbound', async (t) => {
  const { records } = track([
    { at: 0, src: C, sport: 40000, dst: '169.254.170.3', dport: 8080, flags: SYN },
    { at: 0, src: C, sport: 40001, dst: R, dport: 443, flags: SYN },
    { at: 0, src: '203.0.113.9', sport: 50000, dst: C, dport: 80, flags: SYN },
    { at: 0, src: 'fd00:a9fe:aa00::100', sport: 40002, dst: '2001:db8::1:0:0:5', dport: 443, flags: SYN },
  ])
  t.same(records.map((r) => `${r.src} ${r.dst} ${r.scope}`).sort(), [
    '169.254.170.2 169.254.170.3 intra-task',
    '169.254.170.2 198.51.100.7 outbound',
    '203.0.113.9 169.254.170.2 inbound',
    'fd00:a9fe:aa00::100 2001:db8::1:0:0:5 outbound',
  ])
})

t.test('IPv6: both directions meet in one flow, addresses in canonical text', async (t) => {
  const a = '2001:0db8:0000:0000:0000:0000:0000:0001'
  const b = 'fd00:a9fe:aa00::101'
  const { records } = track([
    { at: 0, src: b, sport: 40000, dst: a, dport: 443, flags: SYN, bytes: 80 },
    { at: 0.1, src: a, sport: 443, dst: b, dport: 40000, flags: SYN | ACK, bytes: 80 },
    { at: 0.2, src: b, sport: 40000, dst: a, dport: 443, flags: ACK, bytes: 60 },
  ])
  t.match(records, [{ src: b, dst: '2001:db8::1', src_pkts: 2, src_bytes: 140, dst_pkts: 1, dst_bytes: 80 }])
})

t.test('the table is bounded: the least recently active flow is evicted', async (t) => {
  const { records, tracker } = track([
    { at: 0, src: C, sport: 40000, dst: R, dport: 443, flags: SYN },
    { at: 1, src: C, sport: 40001, dst: R, dport: 443, flags: SYN },
    { at: 2, src: C, sport: 40000, dst: R, dport: 443, flags: ACK },
    { at: 3, src: C, sport: 40002, dst: R, dport: 443, flags: SYN },
  ], { maxFlows: 2 }, false)
  t.match(records, [{ sport: 40001, end: 'evicted' }])
  t.equal(tracker.size, 2)
  tracker.flush()
  t.same(records.map((r) => `${r.sport} ${r.end}`), ['40001 evicted', '40000 eof', '40002 eof'])
  t.same(tracker.stats().records, { fin: 0, rst: 0, idle: 0, active: 0, eof: 2, evicted: 1 })
})

t.test('quiet flows expire on the sweep as packet time moves on, in any flow', async (t) => {
  const records: FlowRecord[] = []
  const tracker = new FlowTracker({ isTaskAddress: () => false, idleTimeoutS: 5 }, (r) => { records.push(r) })
  tracker.add(meta({ at: 0, src: C, sport: 1, dst: R, dport: 2, udp: true }))
  for (let at = 1; at <= 7; at++) tracker.add(meta({ at, src: C, sport: 3, dst: R, dport: 4, udp: true }))
  t.match(records, [{ sport: 1, end: 'idle', last: 1_700_000_000 }], 'the first flow ended while the second went on')
  t.equal(tracker.size, 1)
})

t.test('remembered initiators are bounded too', async (t) => {
  const records: FlowRecord[] = []
  const tracker = new FlowTracker({ isTaskAddress: () => false, idleTimeoutS: 1, maxFlows: 3 }, (r) => { records.push(r) })
  for (let i = 0; i < 50; i++) tracker.add(meta({ at: i * 3, src: C, sport: 40000 + i, dst: R, dport: 443, flags: SYN }))
  tracker.flush()
  t.equal(records.length, 50)
  t.ok(records.slice(0, -1).every((r) => r.end === 'idle'))
})

t.test('thousands of flows in and out of the table: every packet lands in its own flow', async (t) => {
  // A seeded stream over 3,000 IPv4 and IPv6 conversations whose addresses differ only in a few
  // bits (clustering the hash table), many idling out and coming back, some evicted when the
  // table is small: the records of each conversation must add up to exactly what it sent.
  let seed = 42
  const random = (): number => { seed = (Math.imul(seed, 1103515245) + 12345) >>> 0; return seed / 2 ** 32 }
  const conversations = Array.from({ length: 3000 }, (_, i) => i % 3 === 0
    ? { src: `2001:db8::${((i & 0xff) + 1).toString(16)}`, dst: `2001:db8:1::${((i >> 8) + 1).toString(16)}`, sport: 40000 + (i % 7), dport: 53, udp: true }
    : { src: `198.51.100.${i & 0xff}`, dst: `203.0.113.${i >> 8}`, sport: 50000 + (i % 5), dport: 443, udp: i % 3 === 2 })
  for (const maxFlows of [100_000, 500]) {
    const sent = conversations.map(() => ({ up: 0, down: 0, upBytes: 0, downBytes: 0, lastUs: -Infinity, pieces: 0 }))
    const records: FlowRecord[] = []
    const tracker = new FlowTracker({ isTaskAddress: () => false, idleTimeoutS: 2, maxFlows }, (r) => { records.push(r) })
    let at = 0
    for (let n = 0; n < 60_000; n++) {
      at += random() * 0.002
      const i = Math.floor(random() * random() * conversations.length) // some busy, some rare
      const c = conversations[i] as typeof conversations[number]
      const up = random() < 0.6
      const bytes = 40 + Math.floor(random() * 1000)
      const count = sent[i] as typeof sent[number]
      if (up) { count.up++; count.upBytes += bytes } else { count.down++; count.downBytes += bytes }
      const us = Math.round(at * S)
      if (us - count.lastUs > 2 * S) count.pieces++ // a new record after more than the idle timeout
      count.lastUs = us
      tracker.add(meta(up
        ? { at, src: c.src, sport: c.sport, dst: c.dst, dport: c.dport, udp: c.udp, flags: PSH | ACK, bytes }
        : { at, src: c.dst, sport: c.dport, dst: c.src, dport: c.sport, udp: c.udp, flags: PSH | ACK, bytes }))
    }
    tracker.flush()
    t.equal(tracker.size, 0, `maxFlows ${maxFlows}: the table is empty after flush`)
    const got = new Map<string, { up: number, down: number, upBytes: number, downBytes: number, records: number }>()
    for (const r of records) {
      // The client-looking port (ephemeral) is the initiator whichever side spoke first.
      const key = `${r.src} ${r.sport} ${r.dst} ${r.dport}`
      const g = got.get(key) ?? { up: 0, down: 0, upBytes: 0, downBytes: 0, records: 0 }
      g.records++
      g.up += r.src_pkts; g.down += r.dst_pkts; g.upBytes += r.src_bytes; g.downBytes += r.dst_bytes
      got.set(key, g)
    }
    const wrong = conversations.filter((c, i) => {
      const want = sent[i] as typeof sent[number]
      const g = got.get(`${c.src} ${c.sport} ${c.dst} ${c.dport}`) ?? { up: 0, down: 0, upBytes: 0, downBytes: 0, records: 0 }
      return g.up !== want.up || g.down !== want.down || g.upBytes !== want.upBytes || g.downBytes !== want.downBytes ||
        (maxFlows === 100_000 && g.records !== want.pieces) // one record per idle-separated piece, no duplicates

    })
    t.same(wrong, [], `maxFlows ${maxFlows}: every conversation's packets and bytes, each way, add up`)
    t.equal(records.reduce((n, r) => n + r.src_pkts + r.dst_pkts, 0), 60_000, `maxFlows ${maxFlows}: no packet lost or doubled`)
    if (maxFlows === 500) t.ok(tracker.stats().records.evicted > 1000, 'the small table evicted')
    else t.ok(tracker.stats().records.idle > 1000, 'flows idled out and came back')
  }
})

t.test('hours of packet time: first and last stay exact to the microsecond', async (t) => {
  const records: FlowRecord[] = []
  const tracker = new FlowTracker({ isTaskAddress: () => false, idleTimeoutS: 120, activeTimeoutS: 14400 }, (r) => { records.push(r) })
  // One connection talking every 50.000123 s for three hours; a second one from 40 minutes in,
  // idling out at about 1 h; the clock alone ends the first.
  const packets: Pkt[] = [c2s(0, SYN)]
  for (let i = 1; i <= 216; i++) packets.push(c2s(i * 50.000123, PSH | ACK, 100))
  for (let at = 2400.5; at < 3600; at += 30) packets.push({ at, src: C, sport: 40009, dst: R, dport: 443, flags: ACK })
  packets.sort((a, b) => a.at - b.at)
  for (const p of packets) tracker.add(meta(p))
  t.match(records, [{ sport: 40009, end: 'idle', first: 1_700_002_400.5, last: 1_700_003_570.5, src_pkts: 40 }], 'the second flow idled out')
  tracker.expire(T0 + 216 * 50_000_123 + 121 * S)
  t.match(records[1], { sport: 40001, end: 'idle', first: 1_700_000_000, last: (T0 + 216 * 50_000_123) / S, src_pkts: 217, src_bytes: 40 + 216 * 100 })
  t.equal(tracker.size, 0)
})
