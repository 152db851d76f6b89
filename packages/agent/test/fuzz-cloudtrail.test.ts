// Fuzzing the CloudTrail reader (issue 12): JsonArraySplitter on record arrays cut anywhere,
// readRecordSlices on files of every shape it reads (`{"Records":[…]}`, a bare array, JSON lines,
// EventBridge events, a pretty-printed record, gzipped) mutated, and every record that comes out
// taken the way `sidewatch-agent cloudtrail` and the EventBridge listener take it: parsed, unwrapped,
// checked by recordProblem, made an event by cloudTrailEvent and evaluated by the shipped rules. For
// any input the reader reports problems instead of rejecting, the splitter finds the same elements
// however its input is cut, and a record recordProblem accepts becomes an event the event schema
// accepts. Budget and reproduction: test/helpers/fuzz.ts.
import t from 'tap'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { gzipSync } from 'node:zlib'
import * as fc from 'fast-check'
import { validateEvent } from '@sidewatch/proto/schema'
import { cloudTrailEvent, recordProblem } from '../src/cloudtrail/cloudtrail-event'
import { JsonArraySplitter } from '../src/cloudtrail/json-array-splitter'
import { unwrap } from '../src/cloudtrail/read-records'
import { readRecordSlices } from '../src/cloudtrail/record-slices'
import { loadRules } from '../src/rules/load-rules'
import { RuleEngine } from '../src/rules/rule-engine'
import type { AnyEvent } from '../src/rules/fields'
import { filesIn, fuzzTargets, holds, returnsOrThrows, jsonCodec } from '../../../test/helpers/fuzz'
import { cutsOf, mutatedBytes, piecesOf } from '../../../test/helpers/mutator'

const REGRESSIONS = join(__dirname, 'fixtures', 'fuzz-regressions')
const fixtures = filesIn(join(__dirname, 'fixtures', 'cloudtrail'), (name) => name.endsWith('.json')).map((b) => JSON.parse(b.toString('utf8')) as { Records: Array<Record<string, unknown>> })
const RECORDS = fixtures.flatMap((f) => f.Records)
const few = (i: number): Array<Record<string, unknown>> => RECORDS.slice(i * 3, i * 3 + 3)
const bridge = (r: Record<string, unknown>): unknown => ({ version: '0', id: 'e1', 'detail-type': 'AWS API Call via CloudTrail', source: 'aws.ecs', detail: r })

// Files of every shape, a few records each.
const FILE_SEEDS: Buffer[] = [
  Buffer.from(JSON.stringify({ Records: few(0) })),
  Buffer.from(JSON.stringify({ Records: few(1) }, null, 2)),
  Buffer.from(JSON.stringify(few(2))),
  Buffer.from(few(3).map((r) => JSON.stringify(r)).join('\n') + '\n'),
  Buffer.from(few(4).map((r) => JSON.stringify(bridge(r))).join('\r\n')),
  Buffer.from(JSON.stringify(few(5)[0], null, 2)),
  Buffer.from(`${JSON.stringify({ Records: few(6) })}\n${JSON.stringify({ Records: few(7) })}\n`),
  gzipSync(Buffer.from(JSON.stringify({ Records: few(8) }))),
]
const DICTIONARY = ['{"Records":[', '[', ']', '{', '}', '"', '\\"', '\\\\', ',', ':', '\n', ' ', '"eventTime":', '"eventID":"x"', '"detail-type":"x","detail":', 'null', '1e999', '"\\ud800"', '\u00e9', Buffer.from([0x1f, 0x8b, 8, 0]), Buffer.from([0xff, 0xfe])]

// The shipped rules, CloudTrail ones included, for every event that comes out.
const rules = loadRules([])
const isSyntaxError = (err: unknown): boolean => err instanceof SyntaxError

/** A record's text taken as the cloudtrail command takes it. */
function take (text: string, engine: RuleEngine): void {
  const parsed = returnsOrThrows(() => JSON.parse(text) as unknown, isSyntaxError)
  if (!('value' in parsed)) return
  const value = parsed.value
  const items = Array.isArray(value) ? value : value !== null && typeof value === 'object' && (value as { eventID?: unknown }).eventID === undefined && Array.isArray((value as { Records?: unknown }).Records) ? (value as { Records: unknown[] }).Records : [value]
  for (const item of items) takeRecord(item, engine)
}

function takeRecord (item: unknown, engine: RuleEngine): void {
  const record = unwrap(item)
  const problem = returnsOrThrows(() => recordProblem(record), () => false)
  if (!('value' in problem) || problem.value !== undefined) return
  const event = returnsOrThrows(() => cloudTrailEvent(record as Record<string, any>), () => false)
  if (!('value' in event)) return
  const issue = validateEvent(JSON.parse(JSON.stringify(event.value)))
  holds(issue === undefined, () => `recordProblem accepts the record, but its event is invalid: ${issue?.message ?? ''}`)
  returnsOrThrows(() => engine.evaluate(event.value as unknown as AnyEvent), () => false)
}

const dir = mkdtempSync(join(tmpdir(), 'sidewatch-fuzz-cloudtrail-'))
t.teardown(() => rmSync(dir, { recursive: true, force: true }))
const file = join(dir, 'records.json')

const fileTarget = {
  name: 'agent.cloudtrail-file',
  arbitrary: mutatedBytes(FILE_SEEDS, { dictionary: DICTIONARY }),
  async: true,
  cases: 400,
  weight: 2,
  corpus: join(REGRESSIONS, 'cloudtrail-file'),
  toBytes: (b: Buffer) => b,
  fromBytes: (b: Buffer) => b,
  async check (bytes: Buffer) {
    writeFileSync(file, bytes)
    const texts: string[] = []
    const problems: string[] = []
    await readRecordSlices(file, (buf, start, end) => {
      holds(start >= 0 && start <= end && end <= buf.length, `a slice [${start}, ${end}) of a ${buf.length}-byte buffer`)
      texts.push(buf.toString('utf8', start, end))
    }, (p) => {
      holds(p.file === file && typeof p.message === 'string', 'a problem without its file or message')
      problems.push(p.message)
    }).catch((err: unknown) => { returnsOrThrows(() => { throw err }, () => false) })
    holds(texts.length > 0 || problems.length > 0, 'no records and no problem')
    const engine = new RuleEngine(rules)
    for (const text of texts) take(text, engine)
    returnsOrThrows(() => engine.flush(), () => false)
  },
}

// The splitter alone: the same elements (and over-long ones) however the text is cut.
interface SplitInput { bytes: Buffer, cutSeed: number, pieces: number, max: number }
const splitArb: fc.Arbitrary<SplitInput> = fc.record({
  bytes: mutatedBytes([...FILE_SEEDS.slice(0, 3).map((b) => b.subarray(b.indexOf(0x5b) + 1)), Buffer.from('1, "a\\"]", [[]], {"]":"["}, null, -0.5e3 ]')], { dictionary: DICTIONARY }),
  cutSeed: fc.nat(),
  pieces: fc.nat({ max: 16 }),
  max: fc.constantFrom(16 * 1024 * 1024, 64),
})

function split (pieces: Buffer[], max: number): { elements: string[], closed: boolean, rest: string } {
  const elements: string[] = []
  const splitter = new JsonArraySplitter({ maxElementBytes: max, onTooLarge: () => elements.push('<too large>') })
  const sink = (buf: Buffer, start: number, end: number): void => {
    holds(start >= 0 && start < end && end <= buf.length, `an element [${start}, ${end}) of a ${buf.length}-byte buffer`)
    elements.push(buf.toString('latin1', start, end))
  }
  for (const piece of pieces) returnsOrThrows(() => { splitter.push(piece, sink) }, () => false)
  returnsOrThrows(() => { splitter.end(sink) }, () => false)
  return { elements, closed: splitter.closed, rest: splitter.rest.toString('latin1') }
}

const splitTarget = {
  name: 'agent.cloudtrail-splitter',
  arbitrary: splitArb,
  cases: 2000,
  corpus: join(REGRESSIONS, 'cloudtrail-splitter'),
  toBytes: (s: SplitInput) => s.bytes,
  fromBytes: (bytes: Buffer): SplitInput => ({ bytes, cutSeed: 3, pieces: 7, max: 16 * 1024 * 1024 }),
  check (s: SplitInput) {
    const whole = split([s.bytes], s.max)
    const cut = split(piecesOf(s.bytes, cutsOf(s.bytes.length, s.cutSeed, s.pieces)), s.max)
    holds(cut.closed === whole.closed, 'closed differs with the cutting')
    // Over the limit is decided per push (an element whole in one chunk is kept): only the count
    // of elements must agree then; under a large limit, the elements themselves.
    holds(cut.elements.length === whole.elements.length, () => `${cut.elements.length} elements cut, ${whole.elements.length} whole`)
    if (s.max > s.bytes.length) holds(cut.elements.every((e, i) => e === whole.elements[i]), 'other elements when cut')
  },
}

// Records edited field by field: the values CloudTrail and a forger might put there.
const TIMES = ['2026-11-27T10:00:00Z', '2026-11-27T10:00:00.123456789Z', '2026-11-27T10:00:00+05:30', '2026-11-27', 'Fri, 27 Nov 2026 10:00:00 GMT', '275760-09-13T00:00:00Z', '+275760-09-13', '-271821-04-20', '0', '1e3', ' 2026', '2026-02-30T25:61:61Z', '']
const recordArb = fc.record({
  record: fc.constantFrom(...RECORDS),
  edits: fc.array(fc.record({
    key: fc.constantFrom('eventID', 'eventName', 'eventSource', 'eventTime', 'awsRegion', 'sourceIPAddress', 'errorCode', 'userIdentity', 'requestParameters', 'responseElements', 'detail-type', 'detail'),
    value: fc.oneof(fc.constantFrom(...TIMES), fc.jsonValue({ maxDepth: 2 }), fc.string({ maxLength: 300 }), fc.constantFrom('x'.repeat(121), 'a b', 'ok-1:2.3_4', { arn: 'x'.repeat(5000) }, { type: '' }, null)),
  }), { minLength: 1, maxLength: 4 }),
  wrap: fc.boolean(),
}).map(({ record, edits, wrap }) => {
  const r: Record<string, unknown> = JSON.parse(JSON.stringify(record))
  for (const e of edits) r[e.key] = e.value
  return wrap ? bridge(r) : r
})

const recordTarget = {
  name: 'agent.cloudtrail-record',
  arbitrary: recordArb,
  cases: 1500,
  corpus: join(REGRESSIONS, 'cloudtrail-record'),
  ...jsonCodec<unknown>(),
  check (r: unknown) {
    const engine = new RuleEngine(rules)
    takeRecord(r, engine)
    returnsOrThrows(() => engine.flush(), () => false)
  },
}

t.ok(rules.problems.length === 0 && RECORDS.length > 30, 'seeds: the shipped rules load and the fixtures have records')
fuzzTargets(t, [fileTarget, splitTarget, recordTarget])
