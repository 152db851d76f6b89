// The spool's memory tail and its record form: a sink that keeps up reads the newest records from
// memory, one that fell behind (or a restarted agent) from the files, and both get the same
// records at the same positions; sinks that send JSON on take each record's id and kind from its
// first bytes without parsing it.
import t from 'tap'
import type { SidewatchEvent } from '@sidewatch/proto'
import { Spool, type Position, type ReadBuffer } from '../src/spool/spool'
import { encodeSpoolRecord, recordEnvelope, recordJson } from '../src/spool/spool-record'

const event = (i: number): SidewatchEvent => ({
  ts: '2026-11-28T00:00:00.000Z', source: 'node-asm', kind: 'process.exec', id: `ev-${i}`, pid: 7,
  exec: { method: 'spawn', file: '/bin/echo', args: ['x'.repeat(i % 300)], shell: false },
} as unknown as SidewatchEvent)

t.test('the record form: an id and kind line, then the JSON; a bare JSON record is parsed instead', async (t) => {
  const e = event(3)
  const record = encodeSpoolRecord(e)
  t.ok(record.toString().startsWith('ev-3\tprocess.exec\n{'))
  const envelope = recordEnvelope(record)
  t.match(envelope, { id: 'ev-3', kind: 'process.exec' })
  t.same(JSON.parse(String(envelope?.json)), e, 'the same event')
  t.same(JSON.parse(String(recordJson(record))), e)
  const bare = Buffer.from(JSON.stringify(e))
  t.equal(recordEnvelope(bare), undefined, 'an earlier agent\'s record has no envelope line')
  t.equal(recordJson(bare), bare)
  for (const other of ['no newline', '\tkind\n{}', 'id\t\n{}', '']) t.equal(recordEnvelope(Buffer.from(other)), undefined, `not the form: ${JSON.stringify(other)}`)
})

t.test('tail and files give the same records and positions, across segments and a restart', async (t) => {
  const dir = t.testdir()
  let spool = Spool.open(dir, { sinks: ['fast', 'slow'], segmentBytes: 20_000 })
  const fast: string[] = []
  const positions: Position[] = []
  for (let i = 0; i < 2000; i += 50) {
    spool.append(Array.from({ length: 50 }, (_, k) => encodeSpoolRecord(event(i + k))))
    // The fast sink reads right after each append: from the memory tail.
    const batch = spool.read('fast', 1000)
    fast.push(...batch.records.map((r) => recordEnvelope(r)?.id ?? '?'))
    positions.push(batch.next)
    spool.ack('fast', batch.next)
  }
  t.same(fast, Array.from({ length: 2000 }, (_, i) => `ev-${i}`), 'every record once, in order')
  // The slow sink reads the same records in batches of 37 from a reopened spool: from the files.
  spool.close()
  spool = Spool.open(dir, { sinks: ['fast', 'slow'], segmentBytes: 20_000 })
  const slow: string[] = []
  for (let batch = spool.read('slow', 37); batch.records.length > 0; batch = spool.read('slow', 37)) {
    slow.push(...batch.records.map((r) => JSON.parse(recordJson(r).toString()).id as string))
    spool.ack('slow', batch.next)
  }
  t.same(slow, fast, 'the same records from the files')
  t.same(spool.read('fast', 10).records, [], 'the fast sink\'s cursor survived the restart')
  // New appends after the restart are in the tail again, for both sinks, at the positions after.
  spool.append([encodeSpoolRecord(event(2000))])
  for (const sink of ['fast', 'slow']) {
    const batch = spool.read(sink, 10)
    t.same(batch.records.map((r) => recordEnvelope(r)?.id), ['ev-2000'], `${sink} gets the new record`)
    spool.ack(sink, batch.next)
  }
  spool.close()
  t.ok(positions.every((p, i) => i === 0 || p[0] > (positions[i - 1] as Position)[0] || p[1] > (positions[i - 1] as Position)[1]), 'positions only move forward')
})

t.test('a sink far behind reads from the files while the tail holds only the newest', async (t) => {
  const dir = t.testdir()
  const spool = Spool.open(dir, { sinks: ['a'], segmentBytes: 1024 * 1024, maxBytes: 64 * 1024 * 1024 })
  // ~12 MiB: more than the tail keeps.
  const big = (i: number): Buffer => encodeSpoolRecord({ ...event(i), exec: { method: 'spawn', file: '/bin/echo', args: ['y'.repeat(6000)], shell: false } } as unknown as SidewatchEvent)
  for (let i = 0; i < 2000; i += 100) spool.append(Array.from({ length: 100 }, (_, k) => big(i + k)))
  const got: string[] = []
  for (let batch = spool.read('a', 333); batch.records.length > 0; batch = spool.read('a', 333)) {
    got.push(...batch.records.map((r) => recordEnvelope(r)?.id ?? '?'))
    spool.ack('a', batch.next)
  }
  t.same(got, Array.from({ length: 2000 }, (_, i) => `ev-${i}`))
  spool.close()
})

t.test('reads from the tail across appends and from a given position match the files', async (t) => {
  const dir = t.testdir()
  const spool = Spool.open(dir, { sinks: ['a', 'b'], segmentBytes: 50_000 })
  for (let i = 0, size = 1; i < 3000; i += size, size = (size * 7) % 97 + 1) {
    spool.append(Array.from({ length: Math.min(size, 3000 - i) }, (_, k) => encodeSpoolRecord(event(i + k))))
  }
  // `a` reads ahead batch after batch from the positions read() gave (as a pump with batches in
  // flight does), all from the tail; `b` reads the same from a reopened spool, from the files.
  const ahead: Array<[string[], Position]> = []
  let from: Position | undefined
  for (let batch = spool.read('a', 41, from); batch.records.length > 0; batch = spool.read('a', 41, from)) {
    ahead.push([batch.records.map((r) => recordEnvelope(r)?.id ?? '?'), batch.next])
    from = batch.next
  }
  t.same(ahead.flatMap(([ids]) => ids), Array.from({ length: 3000 }, (_, i) => `ev-${i}`), 'every record once, in order')
  for (const [, next] of ahead) spool.ack('a', next)
  t.equal(spool.stats().backlog.a, 0, 'acknowledging the positions given leaves nothing for a')
  spool.close()
  const again = Spool.open(dir, { sinks: ['a', 'b'], segmentBytes: 50_000 })
  const files: Array<[string[], Position]> = []
  for (let batch = again.read('b', 41); batch.records.length > 0; batch = again.read('b', 41)) {
    files.push([batch.records.map((r) => recordEnvelope(r)?.id ?? '?'), batch.next])
    again.ack('b', batch.next)
  }
  t.same(files.map(([ids]) => ids), ahead.map(([ids]) => ids), 'the same batches')
  again.close()
})

t.test('the tail\'s ring wraps many times: readers that keep up, lag and reuse their buffers get every record intact', async (t) => {
  const dir = t.testdir()
  const spool = Spool.open(dir, { sinks: ['near', 'far', 'plain'], segmentBytes: 1024 * 1024, maxBytes: 256 * 1024 * 1024 })
  const sized = (i: number): SidewatchEvent => ({ ...event(i), exec: { method: 'spawn', file: '/bin/echo', args: [String(i).repeat(1 + (i * 37) % 400)], shell: false } } as unknown as SidewatchEvent)
  const expected = (i: number): string => JSON.stringify(sized(i))
  // Two buffers each, used in turn, as a pump with two batches in flight does.
  const buffers: Record<string, ReadBuffer[]> = { near: [{ buf: Buffer.alloc(0) }, { buf: Buffer.alloc(0) }], far: [{ buf: Buffer.alloc(0) }, { buf: Buffer.alloc(0) }] }
  const got: Record<string, number[]> = { near: [], far: [], plain: [] }
  const bad: string[] = []
  let turn = 0
  const drain = (sink: string, max: number): void => {
    for (;;) {
      const into = buffers[sink]?.[turn++ % 2]
      const batch = spool.read(sink, max, undefined, into)
      if (batch.records.length === 0) return
      for (const r of batch.records) {
        const e = recordEnvelope(r)
        const i = Number(e?.id.slice(3))
        if (e === undefined || e.json.toString() !== expected(i)) bad.push(`${sink}: ${r.toString().slice(0, 40)}`)
        got[sink]?.push(i)
      }
      spool.ack(sink, batch.next)
    }
  }
  // About 50 MiB through a 4 MiB ring, in appends of 1 to 200 records.
  let n = 0
  for (let round = 0; n < 120_000; round++) {
    const size = 1 + (round * 53) % 200
    spool.append(Array.from({ length: size }, (_, k) => encodeSpoolRecord(sized(n + k))))
    n += size
    drain('near', 1000) // keeps up: from the ring
    if (round % 50 === 49) drain('far', 777) // behind: from the files, then the ring
    if (round % 211 === 0) drain('plain', 500) // no read buffer of its own
  }
  drain('far', 777)
  drain('plain', 500)
  t.same(bad, [], 'every record read equals what was appended')
  for (const sink of ['near', 'far', 'plain']) t.ok(got[sink]?.every((v, i) => v === i) && got[sink]?.length === n, `${sink}: all ${n} records once, in order`)
  spool.close()
})

t.test('records read stay as they were while later appends overwrite the ring', async (t) => {
  const dir = t.testdir()
  const spool = Spool.open(dir, { sinks: ['a'], segmentBytes: 8 * 1024 * 1024, maxBytes: 256 * 1024 * 1024 })
  spool.append(Array.from({ length: 100 }, (_, i) => encodeSpoolRecord(event(i))))
  const into: ReadBuffer = { buf: Buffer.alloc(0) }
  const held = spool.read('a', 100, undefined, into).records
  const before = held.map((r) => r.toString())
  const filler = encodeSpoolRecord({ ...event(0), exec: { method: 'spawn', file: '/bin/echo', args: ['z'.repeat(60_000)], shell: false } } as unknown as SidewatchEvent)
  for (let k = 0; k < 200; k++) spool.append([filler]) // 12 MiB: the ring is overwritten three times
  t.same(held.map((r) => r.toString()), before, 'the batch still reads the same')
  spool.close()
})

t.test('an append larger than the ring is written and read in order with those around it', async (t) => {
  const dir = t.testdir()
  const spool = Spool.open(dir, { sinks: ['a'], segmentBytes: 64 * 1024 * 1024, maxBytes: 512 * 1024 * 1024 })
  const huge = (i: number): Buffer => encodeSpoolRecord({ ...event(i), exec: { method: 'spawn', file: '/bin/echo', args: ['h'.repeat(1024 * 1024)], shell: false } } as unknown as SidewatchEvent)
  const into: ReadBuffer = { buf: Buffer.alloc(0) }
  const got: string[] = []
  const drain = (): void => {
    for (let batch = spool.read('a', 3, undefined, into); batch.records.length > 0; batch = spool.read('a', 3, undefined, into)) {
      got.push(...batch.records.map((r) => recordEnvelope(r)?.id ?? '?'))
      spool.ack('a', batch.next)
    }
  }
  spool.append([encodeSpoolRecord(event(0)), encodeSpoolRecord(event(1))])
  spool.append([2, 3, 4, 5, 6].map(huge)) // 5 MiB in one append
  spool.append([encodeSpoolRecord(event(7))])
  drain()
  spool.append([encodeSpoolRecord(event(8))])
  drain()
  t.same(got, Array.from({ length: 9 }, (_, i) => `ev-${i}`))
  spool.close()
})
