// Fuzzing the wire protocol (issue 12): the streaming frame decoder, decodeFrame, checkMessage and
// validateEvent, on the shared vectors mutated and cut into random pieces, and on messages and
// events whose JSON is edited field by field. For any input they return or throw a ProtocolError
// (framing errors fatal), deliver the same frames however the stream is cut, never buffer more
// than one frame, and what they accept survives a re-encoding. Budget and reproduction:
// test/helpers/fuzz.ts; regression inputs: test/fuzz-regressions/<target>/.
import t from 'tap'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import * as fc from 'fast-check'
import { DEFAULT_MAX_FRAME_SIZE, FrameDecoder, HEADER_SIZE, ProtocolError, decodeFrame, encodeFrame, encodeMessage, type Frame, type Message } from '../src/index'
import { checkMessage, validateEvent } from '../src/schema/index'
import { fuzzTargets, holds, returnsOrThrows, jsonCodec } from '../../../test/helpers/fuzz'
import { cutsOf, mutatedBytes, piecesOf } from '../../../test/helpers/mutator'

const REGRESSIONS = join(__dirname, 'fuzz-regressions')
const isProtocolError = (err: unknown): boolean => err instanceof ProtocolError

interface VectorCase { hex: string, max_frame_size?: number, decoded: unknown[], result: string }
const cases = (JSON.parse(readFileSync(join(__dirname, '..', 'vectors', 'frames.json'), 'utf8')) as { cases: VectorCase[] }).cases

// Seeds: every vector's byte stream, and one stream of every valid message, plain and gzipped.
const validMessages = cases.filter((c) => c.result === 'valid').flatMap((c) => c.decoded as Message[])
const seeds = [
  ...cases.map((c) => Buffer.from(c.hex, 'hex')),
  Buffer.concat(validMessages.map((m, i) => encodeMessage(m, { compress: i % 4 === 0 }))),
]
const DICTIONARY = [
  Buffer.from([0, 0, 0, 0, 0]), Buffer.from([1, 0, 0, 0, 0]), Buffer.from([0x1f, 0x8b, 8, 0]),
  '{"type":"events","seq":1,"events":[', '{"type":"hello","version":"1.0",', '"kind":"', '"type":"', '\\u0000', '\\ud800', '1e999', '-0', '[', ']', '{', '}', '"', ',', ':', 'null',
]

/** A stream, where to cut it, and the maximum frame size to decode it with. */
interface StreamInput { bytes: Buffer, cutSeed: number, pieces: number, maxFrameSize: number }

const streamArb: fc.Arbitrary<StreamInput> = fc.record({
  bytes: mutatedBytes(seeds, { dictionary: DICTIONARY, maxMutations: 5 }),
  cutSeed: fc.nat(),
  pieces: fc.nat({ max: 12 }),
  maxFrameSize: fc.constantFrom(DEFAULT_MAX_FRAME_SIZE, 64, 300, 4096),
})

/** Frames out of `pieces`, and the error that stopped the stream (always a fatal ProtocolError). */
function frames (pieces: Buffer[], maxFrameSize: number): { frames: Frame[], error: string | undefined, buffered: number } {
  const decoder = new FrameDecoder({ maxFrameSize })
  const out: Frame[] = []
  let fed = 0
  let delivered = 0
  for (const piece of pieces) {
    const r = returnsOrThrows(() => decoder.push(piece, (f) => { out.push(f); delivered += HEADER_SIZE + f.payload.length }), isProtocolError)
    fed += piece.length
    if ('error' in r) return stopped(decoder, r.error as ProtocolError, out)
    holds(decoder.bufferedBytes === fed - delivered, () => `buffered ${decoder.bufferedBytes} bytes, but ${fed} were fed and ${delivered} delivered`)
    holds(decoder.bufferedBytes < HEADER_SIZE + maxFrameSize, 'buffers more than one frame')
  }
  const buffered = decoder.bufferedBytes
  const r = returnsOrThrows(() => decoder.end(), isProtocolError)
  if ('error' in r) return stopped(decoder, r.error as ProtocolError, out)
  return { frames: out, error: undefined, buffered }
}

function stopped (decoder: FrameDecoder, err: ProtocolError, out: Frame[]): { frames: Frame[], error: string, buffered: number } {
  holds(err.fatal, `framing error ${err.code} is not fatal`)
  holds(decoder.bufferedBytes === 0, 'keeps bytes after failing')
  const again = returnsOrThrows(() => decoder.push(Buffer.from([0]), () => { throw new Error('a frame after the stream failed') }), isProtocolError)
  holds('error' in again && (again.error as ProtocolError).code === err.code, 'does not stay failed with the same error')
  return { frames: out, error: err.code, buffered: 0 }
}

/** Everything a receiver does with one frame; what it accepted must survive a re-encoding. */
function receive (frame: Frame, maxFrameSize: number): void {
  holds(frame.payload.length <= maxFrameSize, `a ${frame.payload.length}-byte frame passed a ${maxFrameSize}-byte maximum`)
  const decoded = returnsOrThrows(() => decodeFrame(frame, { maxFrameSize }), isProtocolError)
  if (!('value' in decoded)) return
  const message = decoded.value
  const checked = returnsOrThrows(() => { checkMessage(message) }, isProtocolError)
  if (!('value' in checked)) return
  const again = decodeFrame({ compressed: false, payload: encodeMessage(message).subarray(HEADER_SIZE) })
  holds(JSON.stringify(again) === JSON.stringify(message), 'a checked message changes when encoded and decoded again')
  checkMessage(again)
  if (message.type === 'events') {
    for (const event of message.events) {
      const issue = validateEvent(event)
      if (issue === undefined) holds(validateEvent(JSON.parse(JSON.stringify(event))) === undefined, 'a valid event is invalid after a JSON round trip')
      else holds(issue.code === 'SW_ERR_INVALID_EVENT' && typeof issue.field === 'string', 'an issue without its code and field')
    }
  }
}

const streamTarget = {
  name: 'proto.frame-stream',
  arbitrary: streamArb,
  cases: 1500,
  weight: 2,
  corpus: join(REGRESSIONS, 'frame-stream'),
  toBytes: (s: StreamInput) => s.bytes,
  fromBytes: (bytes: Buffer): StreamInput => ({ bytes, cutSeed: 1, pieces: 3, maxFrameSize: DEFAULT_MAX_FRAME_SIZE }),
  check (s: StreamInput) {
    const whole = frames([s.bytes], s.maxFrameSize)
    const cut = frames(piecesOf(s.bytes, cutsOf(s.bytes.length, s.cutSeed, s.pieces)), s.maxFrameSize)
    holds(cut.error === whole.error && cut.frames.length === whole.frames.length &&
      cut.frames.every((f, i) => f.compressed === whole.frames[i]?.compressed && f.payload.equals(whole.frames[i]?.payload ?? Buffer.alloc(0))),
    () => `cut into pieces the stream gives ${cut.frames.length} frames and ${cut.error ?? 'no error'}; whole, ${whole.frames.length} and ${whole.error ?? 'no error'}`)
    for (const frame of whole.frames) {
      receive(frame, s.maxFrameSize)
      holds(encodeFrame(frame.payload).subarray(HEADER_SIZE).equals(frame.payload), 'a frame does not re-encode to its payload')
    }
  },
}

// Messages and events as JSON, edited: a value replaced by any JSON value, a key removed, a key
// added, an array element repeated. Decoded from a frame like any other message.
interface Edit { path: number, op: number, value: unknown }
interface EditedMessage { message: unknown, edits: Edit[] }

const editArb: fc.Arbitrary<Edit> = fc.record({
  path: fc.nat(),
  op: fc.nat({ max: 3 }),
  value: fc.oneof(
    fc.jsonValue({ maxDepth: 3 }),
    fc.constantFrom(-1, 0, 1.5, 2 ** 53, -(2 ** 53), 1e308, '', 'x'.repeat(70000), '2026-02-30T25:61:61Z', 'SW_ERR_X', null, [], {}, '\u0000', '\ud800'),
  ),
})

const messageSeeds: unknown[] = [...validMessages, ...validMessages.flatMap((m) => m.type === 'events' ? m.events : [])]

function edited (m: EditedMessage): unknown {
  const root = JSON.parse(JSON.stringify(m.message)) as unknown
  for (const edit of m.edits) {
    const spots: Array<{ parent: Record<string, unknown> | unknown[], key: string | number }> = []
    const walk = (v: unknown): void => {
      if (Array.isArray(v)) v.forEach((x, i) => { spots.push({ parent: v, key: i }); walk(x) })
      else if (v !== null && typeof v === 'object') for (const [k, x] of Object.entries(v)) { spots.push({ parent: v as Record<string, unknown>, key: k }); walk(x) }
    }
    walk(root)
    const spot = spots[edit.path % Math.max(1, spots.length)]
    if (spot === undefined) continue
    const parent = spot.parent as Record<string | number, unknown>
    if (edit.op === 0) parent[spot.key] = edit.value
    else if (edit.op === 1) { if (Array.isArray(parent)) parent.splice(spot.key as number, 1); else delete parent[spot.key] }
    else if (edit.op === 2 && !Array.isArray(parent)) parent[`${String(spot.key)}_${edit.path % 7}`] = edit.value
    else if (Array.isArray(parent)) parent.push(parent[spot.key as number])
    else parent[spot.key] = [parent[spot.key]]
  }
  return root
}

const messageTarget = {
  name: 'proto.message-check',
  arbitrary: fc.record({ message: fc.constantFrom(...messageSeeds), edits: fc.array(editArb, { minLength: 1, maxLength: 4 }) }).map(edited),
  cases: 1500,
  corpus: join(REGRESSIONS, 'message-check'),
  ...jsonCodec<unknown>(),
  check (value: unknown) {
    const text = JSON.stringify(value)
    const payload = Buffer.from(text, 'utf8')
    if (payload.length > DEFAULT_MAX_FRAME_SIZE) return
    receive({ compressed: false, payload }, DEFAULT_MAX_FRAME_SIZE)
    // The same value as an event, whatever its type.
    const issue = returnsOrThrows(() => validateEvent(value), () => false)
    if ('value' in issue && issue.value === undefined) holds(validateEvent(JSON.parse(text)) === undefined, 'a valid event is invalid after a JSON round trip')
  },
}

fuzzTargets(t, [streamTarget, messageTarget])
