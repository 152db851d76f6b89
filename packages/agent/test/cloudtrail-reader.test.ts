// The streaming CloudTrail reader: records cut out of the text wherever the chunks end, put back
// in time order within a window, and every shape of file a user points the command at (S3 log
// files, arrays, JSON lines, a pretty-printed record, a file cut short) read without holding the
// whole document.
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { gzipSync } from 'node:zlib'
import t from 'tap'
import { JsonArraySplitter } from '../src/cloudtrail/json-array-splitter'
import { readRecordSlices } from '../src/cloudtrail/record-slices'
import { RecordReader, type RecordText } from '../src/cloudtrail/record-reader'
import { TimeOrder } from '../src/cloudtrail/time-order'
import { jsonLines, runCli, tempDir } from './helpers/agent'

/** Feeds `text` (after its array's `[`) to a splitter in pieces cut at `cuts`; the elements' texts. */
function split (text: string, cuts: number[]): { elements: string[], closed: boolean } {
  const bytes = Buffer.from(text)
  const splitter = new JsonArraySplitter()
  const elements: string[] = []
  const sink = (buf: Buffer, start: number, end: number): void => { elements.push(buf.toString('utf8', start, end)) }
  let at = 0
  for (const cut of [...cuts, bytes.length]) {
    splitter.push(Buffer.from(bytes.subarray(at, cut)), sink)
    at = cut
  }
  splitter.end(sink)
  return { elements, closed: splitter.closed }
}

t.test('the splitter cuts elements exactly, wherever the chunks end', async (t) => {
  const values: unknown[] = [
    { eventID: 'a', s: 'quote " and backslash \\ and } ] { [ , inside', nested: [[1, { x: '\\"' }], []] },
    'a string element with "quotes" and ]',
    12.5e3, null, true, -7,
    { emoji: 'żółw 🐢', esc: '\u0001\n\t' },
    [],
    {},
  ]
  const body = values.map((v) => JSON.stringify(v)).join(' ,\n  ') + ' ] trailing text is not looked at'
  const whole = split(body, [])
  t.same(whole.elements.map((e) => JSON.parse(e)), values, 'in one chunk')
  t.ok(whole.closed)
  // Every cut point, one at a time, then byte by byte.
  const size = Buffer.byteLength(body)
  for (let cut = 1; cut < size; cut++) {
    const got = split(body, [cut])
    if (JSON.stringify(got.elements.map((e) => JSON.parse(e))) !== JSON.stringify(values)) {
      t.fail(`cut at byte ${cut}: ${JSON.stringify(got.elements)}`)
      return
    }
  }
  t.pass('every single cut point gives the same elements')
  const bytewise = split(body, Array.from({ length: size - 1 }, (_, i) => i + 1))
  t.same(bytewise.elements.map((e) => JSON.parse(e)), values, 'one byte at a time')
  t.ok(bytewise.closed)
})

t.test('the splitter reports an array that never closes', async (t) => {
  const cut = split('{"eventID":"a"},{"eventID":"b", "x": [1, 2', [5, 20])
  t.same(cut.elements, ['{"eventID":"a"}'], 'the complete element only')
  t.notOk(cut.closed)
  const bare = split(' 1, 2', [])
  t.same(bare.elements, ['1', '2'], 'a bare value at the end is complete at the end of input')
  t.notOk(bare.closed)
})

t.test('time order: sorted within the window, stable, and late items counted', async (t) => {
  // Items at most 50 places from where they belong, released by a window of 64: exact order.
  let seed = 3
  const random = (): number => { seed = (Math.imul(seed, 1103515245) + 12345) >>> 0; return seed / 2 ** 32 }
  const items = Array.from({ length: 5000 }, (_, i) => ({ time: Math.floor(i / 3), id: i }))
  const shuffled = items.map((item, i) => ({ item, key: i + random() * 50 })).sort((a, b) => a.key - b.key).map((x) => x.item)
  const order = new TimeOrder<{ time: number, id: number }>(64)
  const out: Array<{ time: number, id: number }> = []
  for (const item of shuffled) order.push(item.time, item, (x) => out.push(x))
  t.equal(order.size, 64)
  order.drain((x) => out.push(x))
  t.equal(out.length, items.length)
  t.equal(order.late, 0)
  const sorted = [...shuffled].sort((a, b) => a.time - b.time) // stable: equal times keep arrival order
  t.same(out.map((x) => x.id), sorted.map((x) => x.id), 'by time, ties in arrival order')

  // An item later than the window: released at once and counted.
  const small = new TimeOrder<number>(2)
  const got: number[] = []
  for (const time of [10, 11, 12, 13, 5, 14]) small.push(time, time, (x) => got.push(x))
  small.drain((x) => got.push(x))
  t.same(got, [10, 11, 5, 12, 13, 14])
  t.equal(small.late, 1)
  t.throws(() => new TimeOrder(0), RangeError)
})

const record = (id: number, time: string, extra: Record<string, unknown> = {}): Record<string, unknown> => ({
  eventVersion: '1.08',
  userIdentity: { type: 'IAMUser', arn: 'arn:aws:iam::123456789012:user/alice' },
  eventTime: time,
  eventSource: 'ecs.amazonaws.com',
  eventName: 'ExecuteCommand',
  awsRegion: 'eu-west-1',
  sourceIPAddress: '203.0.113.9',
  requestParameters: { cluster: 'prod', container: 'app', command: '/bin/sh', note: `"]}{[ ${'x'.repeat(id % 7)}` },
  eventID: `00000000-0000-4000-8000-${String(id).padStart(12, '0')}`,
  ...extra,
})

async function slicesOf (file: string): Promise<{ texts: Array<{ text: string, line?: number }>, problems: string[] }> {
  const texts: Array<{ text: string, line?: number }> = []
  const problems: string[] = []
  await readRecordSlices(file, (buf, start, end, line) => { texts.push({ text: buf.toString('utf8', start, end), line }) }, (p) => problems.push(`${p.index ?? '-'}: ${p.message}`))
  return { texts, problems }
}

t.test('every shape of file, gzip or not, big enough to span many chunks', async (t) => {
  const dir = tempDir(t)
  const records = Array.from({ length: 3000 }, (_, i) => record(i, `2026-11-27T10:${String(Math.floor(i / 60) % 60).padStart(2, '0')}:00Z`))
  const files: Record<string, Buffer> = {
    's3.json.gz': gzipSync(JSON.stringify({ Records: records })),
    's3-pretty.json': Buffer.from(JSON.stringify({ Records: records }, null, 2)),
    'array.json': Buffer.from(JSON.stringify(records.map((r) => ({ 'detail-type': 'AWS API Call via CloudTrail', detail: r })))),
    'lines.jsonl.gz': gzipSync(records.map((r) => JSON.stringify(r)).join('\n') + '\n'),
    // Log files one per line, as `zcat *.json.gz` gives them.
    'zcat.jsonl': Buffer.from([records.slice(0, 1000), records.slice(1000)].map((Records) => JSON.stringify({ Records })).join('\n') + '\n'),
  }
  for (const [name, bytes] of Object.entries(files)) {
    writeFileSync(join(dir, name), bytes)
    const { texts, problems } = await slicesOf(join(dir, name))
    t.same(problems, [], `${name}: no problems`)
    t.equal(texts.length, records.length, `${name}: every record`)
    const ids = texts.map((x) => { const v = JSON.parse(x.text); return (v.detail ?? v).eventID })
    t.same(ids, records.map((r) => r.eventID), `${name}: each record whole, in file order`)
    if (name === 'lines.jsonl.gz') t.same(texts.slice(0, 3).map((x) => x.line), [1, 2, 3], 'JSON lines carry their line numbers')
  }
  // One pretty-printed record (the first line is not JSON on its own).
  writeFileSync(join(dir, 'one.json'), JSON.stringify(records[0], null, 2))
  const one = await slicesOf(join(dir, 'one.json'))
  t.same(one.texts.map((x) => JSON.parse(x.text).eventID), [records[0]?.eventID])
})

t.test('a file cut short: the records before the cut are read, the cut is reported', async (t) => {
  const dir = tempDir(t)
  const text = JSON.stringify({ Records: Array.from({ length: 200 }, (_, i) => record(i, '2026-11-27T10:00:00Z')) })
  writeFileSync(join(dir, 'cut.json'), text.slice(0, Math.floor(text.length * 0.75)))
  const { texts, problems } = await slicesOf(join(dir, 'cut.json'))
  t.ok(texts.length > 100 && texts.length < 200, `the complete records before the cut (${texts.length})`)
  for (const x of texts) JSON.parse(x.text)
  t.same(problems, ['-: ends inside its array of records (a truncated file?); the records before the cut were read'])
  const gz = gzipSync(text)
  writeFileSync(join(dir, 'cut.json.gz'), gz.subarray(0, gz.length - 20))
  const cutGz = await slicesOf(join(dir, 'cut.json.gz'))
  t.ok(cutGz.texts.length > 150, `records before the cut of the gzip stream (${cutGz.texts.length})`)
  t.match(cutGz.problems, [/^-: cannot read: /])
  writeFileSync(join(dir, 'empty.json'), '{"Records":[]}')
  t.same((await slicesOf(join(dir, 'empty.json'))).problems, ['-: holds no records'])
  t.match((await slicesOf(join(dir, 'missing.json'))).problems, [/^-: cannot read: ENOENT/])
})

t.test('the reader thread hands over every record of every file, in order, with problems in place', async (t) => {
  const dir = tempDir(t)
  mkdirSync(join(dir, 'd'))
  const a = Array.from({ length: 20000 }, (_, i) => record(i, '2026-11-27T10:00:00Z'))
  writeFileSync(join(dir, 'd', 'a.json.gz'), gzipSync(JSON.stringify({ Records: a })))
  writeFileSync(join(dir, 'd', 'b.jsonl'), `${JSON.stringify(record(99999, '2026-11-27T10:00:01Z'))}\nnot json\n`)
  const reader = new RecordReader([join(dir, 'd', 'a.json.gz'), join(dir, 'missing'), join(dir, 'd', 'b.jsonl')])
  const seen: RecordText[] = []
  const problems: string[] = []
  await reader.run((r) => seen.push(r), (p) => problems.push(`${p.file}: ${p.message}`))
  t.equal(seen.length, 20002)
  t.same(seen.slice(0, 20000).map((r) => JSON.parse(r.text).eventID), a.map((r) => r.eventID))
  t.same(seen.slice(0, 20000).map((r) => r.index), a.map((_, i) => i), 'indexes within the file')
  t.match(seen.slice(20000), [{ file: join(dir, 'd', 'b.jsonl'), index: 0, line: 1 }, { index: 1, line: 2, text: 'not json' }])
  t.match(problems, [new RegExp(`^${join(dir, 'missing')}: cannot read: ENOENT`)])
})

t.test('the command: records out of order in and across files are evaluated in time order', async (t) => {
  const dir = tempDir(t)
  // Three successful ExecuteCommand calls from one principal, shuffled across two files; the rule
  // folds repeats, so the order shows in which record is the alert's first evidence.
  const rules = join(dir, 'rules.yaml')
  writeFileSync(rules, `
- rule: ECS Exec
  desc: ECS Exec into a container
  condition: evt.kind = cloudtrail and ct.name = ExecuteCommand
  output: "%ct.principal ran %ct.request.command"
  priority: warning
`)
  writeFileSync(join(dir, '1.json'), JSON.stringify({ Records: [record(3, '2026-11-27T10:00:03Z'), record(1, '2026-11-27T10:00:01Z')] }))
  writeFileSync(join(dir, '2.json'), JSON.stringify({ Records: [record(2, '2026-11-27T10:00:02Z')] }))
  const { code, stdout, stderr } = await runCli(['cloudtrail', join(dir, '1.json'), join(dir, '2.json'), '--rules', rules, '--no-defaults'])
  t.equal(code, 0, stderr)
  const id = (n: number): string => `ct-00000000-0000-4000-8000-${String(n).padStart(12, '0')}`
  t.same(jsonLines(stdout).map((a) => a.alert.evidence), [[id(1)], [id(2), id(3)]], 'the earliest alerts, its repeats fold in time order')
  t.match(stderr, /^2 files, 3 records, 0 skipped, 2 alerts\n$/)

  // A log file on one line with other keys first, and a bare list: their records.
  writeFileSync(join(dir, '3.json'), JSON.stringify({ digest: 'x', Records: [record(4, '2026-11-27T10:05:00Z')] }) + '\n' + JSON.stringify([record(5, '2026-11-27T10:06:00Z')]))
  const more = await runCli(['cloudtrail', join(dir, '3.json'), '--rules', rules, '--no-defaults'])
  t.same(jsonLines(more.stdout).map((a) => a.alert.evidence), [[id(4)], [id(5)]])
})

t.test('a record over the size limit is skipped and reported, not kept; the others are read', async (t) => {
  const over = new JsonArraySplitter({ maxElementBytes: 100, onTooLarge: () => got.push('TOO LARGE') })
  const got: string[] = []
  const sink = (buf: Buffer, start: number, end: number): void => { got.push(buf.toString('utf8', start, end)) }
  const huge = JSON.stringify({ s: 'x'.repeat(1000), a: [1, 2, '"]'] })
  const text = Buffer.from(`{"a":1}, ${huge} ,{"b":2}]`)
  for (let i = 0; i < text.length; i += 7) over.push(Buffer.from(text.subarray(i, i + 7)), sink)
  t.same(got, ['{"a":1}', 'TOO LARGE', '{"b":2}'])
  t.ok(over.closed)

  // Through a file, with the real limit (16 MiB): in an S3 log file and as a JSON line.
  const dir = tempDir(t)
  const big = record(1, '2026-11-27T10:00:00Z', { requestParameters: { blob: 'z'.repeat(17 * 1024 * 1024) } })
  writeFileSync(join(dir, 'big.json'), JSON.stringify({ Records: [record(0, '2026-11-27T10:00:00Z'), big, record(2, '2026-11-27T10:00:00Z')] }))
  const s3 = await slicesOf(join(dir, 'big.json'))
  t.same(s3.texts.map((x) => JSON.parse(x.text).eventID), [record(0, '').eventID, record(2, '').eventID])
  t.same(s3.problems, ['1: is over 16777216 bytes; skipped'])
  writeFileSync(join(dir, 'big.jsonl'), [record(0, '2026-11-27T10:00:00Z'), big, record(2, '2026-11-27T10:00:00Z')].map((r) => JSON.stringify(r)).join('\n'))
  const lines = await slicesOf(join(dir, 'big.jsonl'))
  t.same(lines.texts.map((x) => x.line), [1, 3])
  t.same(lines.problems, ['1: is over 16777216 bytes; skipped'])
})
