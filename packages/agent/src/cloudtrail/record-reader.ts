/**
 * Reads CloudTrail files on a thread of their own: reading, gunzipping and cutting the text into
 * records (record-slices.ts) runs there, beside the thread that parses and evaluates each record,
 * which is where the time goes. Records arrive as text, in file order, the files in the order
 * given; problems in their place among them.
 */
import { extname, join } from 'node:path'
import { Worker } from 'node:worker_threads'
import type { RecordProblem } from './read-records'
import type { ReaderMessage } from './record-reader-thread'

export interface RecordText {
  file: string
  /** The record's place in its file, from 0. */
  index: number
  /** Its line, for JSON lines. */
  line?: number
  text: string
}

/**
 * Starts reading at once (so the files are being read while the rules load); `run` takes the
 * records and problems as they come and resolves when all files are read. `stop` ends the thread
 * (for a command that fails before it runs).
 */
export class RecordReader {
  readonly #files: readonly string[]
  readonly #worker: Worker | undefined
  readonly #early: ReaderMessage[] = []
  #take: ((m: ReaderMessage) => void) | undefined
  #finished = false
  #resolve: (() => void) | undefined

  constructor (files: readonly string[]) {
    this.#files = files
    if (files.length === 0) { this.#finished = true; return }
    // The thread's script sits beside this one (dist/…/*.js, or src/…/*.ts under the tests'
    // TypeScript loader, which the thread inherits through execArgv).
    const worker = new Worker(join(__dirname, `record-reader-thread${extname(__filename)}`), { workerData: { files } })
    this.#worker = worker
    worker.on('message', (m: ReaderMessage) => { if (this.#take !== undefined) this.#take(m); else this.#early.push(m) })
    worker.on('error', (err) => { this.#fail(`the reader thread failed: ${err.message}`) })
    worker.on('exit', () => { this.#fail('the reader thread stopped before the end') })
  }

  run (onRecord: (r: RecordText) => void, onProblem: (p: RecordProblem) => void): Promise<void> {
    const files = this.#files
    this.#take = (m) => {
      if (this.#finished) return
      if (m.t === 'done') { this.#finish(); return }
      if (m.t === 'problem') { onProblem(m.problem); return }
      const file = files[m.file] as string
      const { text, offsets, lines } = m
      for (let k = 0; k < lines.length; k++) {
        const line = lines[k] as number
        onRecord({ file, index: m.first + k, line: line < 0 ? undefined : line, text: typeof text === 'string' ? text.slice(offsets[2 * k], offsets[2 * k + 1]) : text[k] as string })
      }
      this.#worker?.postMessage(0) // taken: the reader may go on
    }
    this.#onProblem = onProblem
    const done = new Promise<void>((resolve) => { this.#resolve = resolve })
    for (const m of this.#early.splice(0)) this.#take(m)
    if (this.#finished) this.#resolve?.()
    return done
  }

  stop (): void {
    this.#finish()
  }

  #onProblem: ((p: RecordProblem) => void) | undefined

  #fail (message: string): void {
    if (this.#finished) return
    if (this.#take === undefined) { this.#early.push({ t: 'problem', problem: { file: this.#files[0] as string, message } }, { t: 'done' }); return }
    this.#onProblem?.({ file: this.#files[0] as string, message })
    this.#finish()
  }

  #finish (): void {
    if (this.#finished) return
    this.#finished = true
    void this.#worker?.terminate()
    this.#resolve?.()
  }
}
