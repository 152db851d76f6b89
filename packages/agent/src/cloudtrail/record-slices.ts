/**
 * The records of one CloudTrail file as slices of text, streamed: gunzipped when the file starts
 * with gzip's magic bytes, then cut into one JSON text per record without building the whole
 * document. Three shapes:
 *
 * - `{"Records":[…]}`, as CloudTrail delivers to S3, and a top-level array (EventBridge events
 *   saved as a list): each element, cut by JsonArraySplitter;
 * - JSON lines (of records or of EventBridge events): each non-empty line;
 * - anything else, e.g. one pretty-printed record: the whole text, parsed at the end (the first
 *   line was not JSON on its own); if that fails too, the lines one by one.
 *
 * Nothing here parses a record: the reader does, so a record is an object only while it is being
 * evaluated. Records are numbered from 0 in their file.
 */
import { createReadStream } from 'node:fs'
import { pipeline, Readable } from 'node:stream'
import { createGunzip } from 'node:zlib'
import { JsonArraySplitter } from './json-array-splitter'
import type { RecordProblem } from './read-records'

/** One record's text: bytes [start, end) of `buf`; `line` for JSON lines. */
export type SliceSink = (buf: Buffer, start: number, end: number, line?: number) => void

/** The start of a document whose records are an array: `{"Records":[` or `[`. */
const ARRAY_START = /^\s*(?:\{\s*"Records"\s*:\s*)?\[/
/** A head that could still grow into `{"Records":[`. */
const MAYBE_RECORDS = /^\s*\{?\s*(?:"(?:R(?:e(?:c(?:o(?:r(?:ds?)?)?)?)?)?)?)?(?:"\s*:?\s*)?$/
/** Enough of the head to tell the shapes apart. */
const HEAD_BYTES = 256
/**
 * A record longer than this is skipped and reported, not kept: CloudTrail's own are at most a few
 * hundred KiB, and a runaway one (a file that is not what it seems) must not take the memory.
 */
export const MAX_RECORD_BYTES = 16 * 1024 * 1024

interface Shape {
  push: (chunk: Buffer) => void
  end: () => void
}

/**
 * Calls `onSlice` for each record of `file` in file order and `onProblem` for what cannot be
 * read; resolves with the number of records when the file is done. A file that cannot be opened
 * or decompressed is one problem (records already handed on stay handed on). A slice's bytes stay
 * as they are until the next chunk is read; `afterChunk` is awaited after each chunk (the reader
 * thread hands the slices on there, and waits when the evaluator is behind).
 */
export async function readRecordSlices (file: string, onSlice: SliceSink, onProblem: (p: RecordProblem) => void, afterChunk?: () => Promise<void>): Promise<number> {
  let count = 0
  let reported = false
  const emit: SliceSink = (buf, start, end, line) => { count++; onSlice(buf, start, end, line) }
  const problem = (p: RecordProblem): void => { reported = true; onProblem(p) }
  const tooLarge = (): void => { problem({ file, index: count++, message: `is over ${MAX_RECORD_BYTES} bytes; skipped` }) }
  let shape: Shape | undefined
  let head: Buffer = Buffer.alloc(0)
  try {
    for await (const chunk of decompressed(file)) {
      if (shape !== undefined) { shape.push(chunk); if (afterChunk !== undefined) await afterChunk(); continue }
      head = head.length === 0 ? chunk : Buffer.concat([head, chunk])
      if (head.length < HEAD_BYTES && MAYBE_RECORDS.test(head.toString('latin1'))) continue
      shape = shapeOf(head, file, emit, problem, tooLarge)
      shape.push(head)
      if (afterChunk !== undefined) await afterChunk()
    }
    if (shape === undefined && head.length > 0) { shape = shapeOf(head, file, emit, problem, tooLarge); shape.push(head) }
  } catch (err) {
    onProblem({ file, message: `cannot read: ${(err as Error).message}` })
    return count
  }
  shape?.end()
  if (count === 0 && !reported) onProblem({ file, message: 'holds no records' })
  return count
}

function shapeOf (head: Buffer, file: string, emit: SliceSink, problem: (p: RecordProblem) => void, tooLarge: () => void): Shape {
  const m = ARRAY_START.exec(head.toString('latin1', 0, HEAD_BYTES))
  return m === null ? linesShape(file, emit, problem, tooLarge) : arrayShape(Buffer.byteLength(m[0], 'latin1'), file, emit, problem, tooLarge)
}

/**
 * A document whose records are an array. What follows its end (more log files, one per line, as
 * `zcat *.json.gz` gives them) is read as JSON lines.
 */
function arrayShape (skip: number, file: string, emit: SliceSink, problem: (p: RecordProblem) => void, tooLarge: () => void): Shape {
  const splitter = new JsonArraySplitter({ maxElementBytes: MAX_RECORD_BYTES, onTooLarge: tooLarge })
  let first = true
  let after: Shape | undefined
  const follow = (rest: Buffer): void => {
    // The `}` that closes `{"Records":[…]`, then whatever comes next.
    let i = 0
    while (i < rest.length && isSpace(rest[i] as number)) i++
    if (rest[i] === 0x7d) i++
    after = linesShape(file, emit, problem, tooLarge)
    if (i < rest.length) after.push(rest.subarray(i))
  }
  return {
    push (chunk) {
      if (after !== undefined) { after.push(chunk); return }
      if (first) { first = false; chunk = chunk.subarray(skip) }
      splitter.push(chunk, emit)
      if (splitter.closed) follow(splitter.rest)
    },
    end () {
      if (after !== undefined) { after.end(); return }
      splitter.end(emit)
      if (!splitter.closed) problem({ file, message: 'ends inside its array of records (a truncated file?); the records before the cut were read' })
    },
  }
}

/**
 * JSON lines, one record (or EventBridge event) per line. When the first line is not JSON on its
 * own, the file may be one document over several lines (a pretty-printed record): then the lines
 * are kept and parsed whole at the end; if that fails too, each line is handed on (and the reader
 * reports the ones that do not parse, with their numbers).
 */
function linesShape (file: string, emit: SliceSink, problem: (p: RecordProblem) => void, tooLarge: () => void): Shape {
  /** The unfinished line, in the pieces it came in (joined once its newline arrives). */
  let pending: Buffer[] = []
  let pendingBytes = 0
  /** The line being read is over MAX_RECORD_BYTES: its bytes are let go until its newline. */
  let dropping = false
  let lineNo = 0
  let whole: Array<{ line: number, text: Buffer }> | undefined
  let first = true
  const take = (buf: Buffer, start: number, end: number): void => {
    lineNo++
    let s = start
    while (s < end && isSpace(buf[s] as number)) s++
    if (s === end) return
    if (first) {
      first = false
      if (!ARRAY_START.test(buf.toString('latin1', start, Math.min(end, start + HEAD_BYTES))) && !isJson(buf.toString('utf8', start, end))) whole = []
    }
    if (whole !== undefined) { whole.push({ line: lineNo, text: Buffer.from(buf.subarray(start, end)) }); return }
    // A line that is itself a log file (`zcat *.json.gz` puts each on a line of its own): its
    // records, cut out as from a file.
    const m = ARRAY_START.exec(buf.toString('latin1', start, Math.min(end, start + HEAD_BYTES)))
    if (m === null) { emit(buf, start, end, lineNo); return }
    const splitter = new JsonArraySplitter({ maxElementBytes: MAX_RECORD_BYTES, onTooLarge: tooLarge })
    const line = lineNo
    const sink = (b: Buffer, s: number, e: number): void => { emit(b, s, e, line) }
    splitter.push(buf.subarray(start + Buffer.byteLength(m[0], 'latin1'), end), sink)
    splitter.end(sink)
    if (!splitter.closed) problem({ file, message: `line ${line} ends inside its array of records` })
  }
  return {
    push (chunk) {
      let nl = chunk.indexOf(0x0a)
      if (nl < 0) {
        if (dropping) return
        pending.push(chunk)
        pendingBytes += chunk.length
        // A line past the limit is skipped to its newline, unless it is a whole log file (its
        // records are cut out of it once it is complete) or part of one multi-line document.
        if (pendingBytes > MAX_RECORD_BYTES && whole === undefined && !ARRAY_START.test(Buffer.concat(pending.slice(0, 4)).toString('latin1', 0, HEAD_BYTES))) {
          dropping = true
          pending = []
          pendingBytes = 0
        }
        return
      }
      if (dropping) {
        dropping = false
        lineNo++
        tooLarge()
      } else if (pending.length > 0) {
        const line = Buffer.concat([...pending, chunk.subarray(0, nl)])
        pending = []
        pendingBytes = 0
        take(line, 0, line.length)
      } else {
        take(chunk, 0, nl)
      }
      let start = nl + 1
      for (nl = chunk.indexOf(0x0a, start); nl >= 0; nl = chunk.indexOf(0x0a, start)) {
        take(chunk, start, nl)
        start = nl + 1
      }
      if (start < chunk.length) { pending.push(chunk.subarray(start)); pendingBytes = chunk.length - start }
    },
    end () {
      if (dropping) { dropping = false; lineNo++; tooLarge() }
      if (pending.length > 0) { const line = Buffer.concat(pending); pending = []; take(line, 0, line.length) }
      if (whole === undefined) return
      let value: unknown
      try {
        value = JSON.parse(Buffer.concat(whole.flatMap((l, i) => i === 0 ? [l.text] : [NEWLINE, l.text])).toString('utf8'))
      } catch {
        for (const l of whole) emit(l.text, 0, l.text.length, l.line)
        return
      }
      const list = Array.isArray(value) ? value : Array.isArray((value as { Records?: unknown } | null)?.Records) ? (value as { Records: unknown[] }).Records : [value]
      for (const item of list) { const text = Buffer.from(JSON.stringify(item)); emit(text, 0, text.length) }
    },
  }
}

const NEWLINE = Buffer.from('\n')

function isSpace (b: number): boolean {
  return b === 0x20 || b === 0x09 || b === 0x0d || b === 0x0a
}

function isJson (text: string): boolean {
  try {
    JSON.parse(text)
    return true
  } catch {
    return false
  }
}

/** The file's bytes, gunzipped (on the thread pool) when it starts with gzip's magic bytes. */
async function * decompressed (file: string): AsyncGenerator<Buffer> {
  const input = createReadStream(file, { highWaterMark: 1 << 20 })
  const chunks = input[Symbol.asyncIterator]()
  const first = await chunks.next()
  if (first.done === true) return
  const head = first.value as Buffer
  const all = async function * (): AsyncGenerator<Buffer> {
    yield head
    for (let next = await chunks.next(); next.done !== true; next = await chunks.next()) yield next.value as Buffer
  }
  if (head[0] !== 0x1f || head[1] !== 0x8b) { yield * all(); return }
  const gunzip = createGunzip({ chunkSize: 1 << 18 })
  pipeline(Readable.from(all()), gunzip, () => {}) // an error reaches the loop below through gunzip
  for await (const chunk of gunzip) yield chunk as Buffer
}
