// The bytes `flows` writes for a record are exactly JSON.stringify's, for every kind of number.
import { closeSync, openSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import t from 'tap'
import { FlowRecordWriter } from '../src/commands/flow-record-writer'
import type { FlowRecord } from '../src/net/flow-tracker'

t.test('each line is JSON.stringify of the record, keys in contract order', async (t) => {
  let seed = 7
  const random = (): number => { seed = (Math.imul(seed, 1103515245) + 12345) >>> 0; return seed / 2 ** 32 }
  const records: FlowRecord[] = []
  const us = [0, 1, 5, 10, 999_999, 1_000_000, 1_700_000_000_000_000, 1_700_000_000_000_001, 1_700_000_000_100_000, 1_700_000_012_345_678, 8_589_934_591_999_999]
  for (let i = 0; i < 5000; i++) {
    const first = i < us.length ? us[i] as number : 1_600_000_000_000_000 + Math.floor(random() * 1e15)
    const pick = <T>(xs: T[]): T => xs[Math.floor(random() * xs.length)] as T
    records.push({
      proto: pick(['tcp', 'udp']),
      src: pick(['192.0.2.1', '2001:db8::1', 'fd00:a9fe:aa00::ffff:1', '255.255.255.255']),
      sport: Math.floor(random() * 65536),
      dst: pick(['198.51.100.7', '::1', '2001:db8:ffff:ffff:ffff:ffff:ffff:ffff']),
      dport: pick([0, 9, 10, 443, 65535]),
      first: first / 1e6,
      last: (first + Math.floor(random() * 1e9)) / 1e6,
      src_pkts: Math.floor(random() * 1e6),
      src_bytes: pick([0, 40, 1e9, 2 ** 40, Math.floor(random() * 1e12)]),
      dst_pkts: Math.floor(random() * 10),
      dst_bytes: Math.floor(random() * 1e7),
      end: pick(['fin', 'rst', 'idle', 'active', 'eof', 'evicted']),
      scope: pick(['intra-task', 'inbound', 'outbound']),
      tcp_flags: pick(['', 'SAFP', 'SAFRPUEC']),
    })
  }
  const file = join(t.testdir(), 'out.jsonl')
  const fd = openSync(file, 'w')
  const writer = new FlowRecordWriter(fd)
  for (const r of records) writer.write(r)
  writer.flush()
  closeSync(fd)
  const lines = readFileSync(file, 'latin1').split('\n')
  t.equal(lines.pop(), '', 'ends with a newline')
  const wrong = records.map((r, i) => [JSON.stringify(r), lines[i]]).filter(([want, got]) => want !== got)
  t.same(wrong.slice(0, 5), [], `all ${records.length} lines as JSON.stringify writes them (over several buffer flushes)`)
})
