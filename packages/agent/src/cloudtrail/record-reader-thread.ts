/**
 * The reader thread of `sidewatch-agent cloudtrail` (see record-reader.ts): reads, gunzips and
 * cuts the files into records, and posts them in batches, one batch per chunk read, as text
 * decoded here (so the thread that evaluates them only parses). It stays at most CREDITS batches
 * ahead of that thread.
 */
import { parentPort, workerData } from 'node:worker_threads'
import type { RecordProblem } from './read-records'
import { readRecordSlices } from './record-slices'

/** Batches posted and not yet taken by the evaluator. */
const CREDITS = 8

export interface RecordBatch {
  t: 'records'
  /** Index into the files list. */
  file: number
  /** Index in its file of the first record of the batch. */
  first: number
  /**
   * The batch's text, decoded here: one string holding every record, each at [start, end) of
   * `offsets` (character offsets), or, when the text is not all ASCII, one string per record.
   */
  text: string | string[]
  offsets: Int32Array
  /** Each record's line in its file (JSON lines), or -1. */
  lines: Int32Array
}

export type ReaderMessage = RecordBatch | { t: 'problem', problem: RecordProblem } | { t: 'done' }

const port = parentPort
if (port === null) throw new Error('record-reader-thread runs as a worker thread')
const files = (workerData as { files: string[] }).files

let credits = CREDITS
let wake: (() => void) | undefined
port.on('message', () => {
  credits++
  if (wake !== undefined) { const w = wake; wake = undefined; w() }
})

let fileIndex = 0
let first = 0
let cur: Buffer | undefined
let offsets: number[] = []
let lines: number[] = []

/**
 * Posts what has been cut from `cur`: its text decoded here, off the evaluating thread. All
 * ASCII (CloudTrail's files nearly always are): one string, byte offsets being character offsets.
 */
function post (): void {
  if (cur === undefined || offsets.length === 0) return
  const lo = offsets[0] as number
  const hi = offsets[offsets.length - 1] as number
  const all = cur.toString('utf8', lo, hi)
  let text: string | string[] = all
  const rebased = new Int32Array(offsets.length)
  if (all.length === hi - lo) {
    for (let i = 0; i < offsets.length; i++) rebased[i] = (offsets[i] as number) - lo
  } else {
    text = []
    for (let i = 0; i < offsets.length; i += 2) text.push(cur.toString('utf8', offsets[i], offsets[i + 1]))
  }
  const message: RecordBatch = { t: 'records', file: fileIndex, first, text, offsets: rebased, lines: Int32Array.from(lines) }
  port?.postMessage(message, [rebased.buffer])
  first += lines.length
  credits--
  offsets = []
  lines = []
}

async function afterChunk (): Promise<void> {
  post()
  cur = undefined
  while (credits <= 0) await new Promise<void>((resolve) => { wake = resolve })
}

async function main (): Promise<void> {
  for (fileIndex = 0; fileIndex < files.length; fileIndex++) {
    first = 0
    await readRecordSlices(files[fileIndex] as string, (buf, start, end, line) => {
      if (buf !== cur) { post(); cur = buf }
      offsets.push(start, end)
      lines.push(line ?? -1)
    }, (problem) => {
      post() // keep records and problems in file order
      port?.postMessage({ t: 'problem', problem } satisfies ReaderMessage)
    }, afterChunk)
    await afterChunk()
  }
  port?.postMessage({ t: 'done' } satisfies ReaderMessage)
}

main().catch((err: Error) => {
  port.postMessage({ t: 'problem', problem: { file: files[fileIndex] ?? '', message: `cannot read: ${err.message}` } } satisfies ReaderMessage)
  port.postMessage({ t: 'done' } satisfies ReaderMessage)
})
