/**
 * Cuts the elements out of a JSON array that arrives in chunks, without parsing them: CloudTrail's
 * S3 log files are one `{"Records":[…]}` document of up to hundreds of MiB, and parsing it whole
 * keeps every record alive at once (most of the reader's time went to the collector). Here each
 * element is handed on as its own slice of text, to be parsed, evaluated and let go, so memory is
 * bounded by the largest record, not the file.
 *
 * The scan tracks only strings (with escapes) and nesting; it does not check the JSON itself:
 * the parse of each element does. Feed it the text after the array's `[`; it stops at the `]`
 * that closes the array.
 */
const QUOTE = 0x22
const BACKSLASH = 0x5c
const COMMA = 0x2c

export interface ElementSink {
  /** One element's text, bytes [start, end) of `buf` (valid only during the call). */
  (buf: Buffer, start: number, end: number): void
}

export interface SplitterOptions {
  /** An element longer than this is not kept: it is scanned to its end and reported (default 16 MiB). */
  maxElementBytes?: number
  /** Called, in the element's place, for each element over maxElementBytes. */
  onTooLarge?: () => void
}

export class JsonArraySplitter {
  readonly #max: number
  readonly #onTooLarge: () => void
  #buf: Buffer = Buffer.alloc(0)
  /** The element being read is over the limit: its bytes are let go as they are scanned. */
  #dropping = false
  /** Where the next scan starts in #buf. */
  #pos = 0
  /** Nesting inside the array: 1 between elements, more inside one. */
  #depth = 1
  /** Start of the element being read, or -1 between elements. */
  #start = -1
  /** The element being read is a bare scalar (number, literal or junk): it ends at `,`, `]` or space. */
  #bare = false
  #closed = false

  constructor (options: SplitterOptions = {}) {
    this.#max = options.maxElementBytes ?? 16 * 1024 * 1024
    this.#onTooLarge = options.onTooLarge ?? (() => {})
  }

  /** True once the array's closing `]` has been read; what follows it is not looked at. */
  get closed (): boolean { return this.#closed }

  /** What came after the closing `]` in the chunk that held it (empty before). */
  get rest (): Buffer { return this.#closed ? this.#buf.subarray(this.#pos) : Buffer.alloc(0) }

  /** True when the input so far ends inside an element (not between elements). */
  get inElement (): boolean { return this.#start >= 0 }

  /** Scans one more chunk, calling `sink` for every element it completes. */
  push (chunk: Buffer, sink: ElementSink): void {
    if (this.#closed) return
    // Keep only what is still needed: the unfinished element (or the unscanned tail).
    const keep = this.#start >= 0 && !this.#dropping ? this.#start : this.#pos
    const rest = this.#buf.length - keep
    if (rest === 0) {
      this.#buf = chunk
    } else {
      const joined = Buffer.allocUnsafe(rest + chunk.length)
      this.#buf.copy(joined, 0, keep)
      chunk.copy(joined, rest)
      this.#buf = joined
    }
    if (this.#start >= 0) this.#start = this.#dropping ? 0 : this.#start - keep
    this.#pos -= keep
    this.#scan(sink)
    if (!this.#dropping && this.#start >= 0 && this.#buf.length - this.#start > this.#max) this.#dropping = true
  }

  /** The input ended: a bare scalar still open is complete now; anything else open is not. */
  end (sink: ElementSink): void {
    if (this.#start >= 0 && this.#bare && this.#depth === 1) {
      this.#complete(sink, this.#buf, this.#start, this.#buf.length)
      this.#start = -1
    }
  }

  #scan (sink: ElementSink): void {
    const buf = this.#buf
    const n = buf.length
    let i = this.#pos
    let depth = this.#depth
    let start = this.#start
    let bare = this.#bare
    while (i < n) {
      const b = buf[i] as number
      if (b === QUOTE) {
        // A string: jump to its closing quote. When the chunk ends inside it, the scan resumes
        // at this opening quote next time (the bytes are kept), so no escape state is carried.
        let j = i + 1
        while (j < n) {
          const c = buf[j] as number
          if (c === QUOTE) break
          j += c === BACKSLASH ? 2 : 1
        }
        if (j >= n) break
        if (depth === 1 && start < 0) { start = i; bare = false }
        i = j + 1
        if (depth === 1 && start >= 0 && !bare) { this.#complete(sink, buf, start, i); start = -1 }
        continue
      }
      if (b === 0x7b || b === 0x5b) { // { [
        if (depth === 1 && start < 0) { start = i; bare = false }
        depth++
      } else if (b === 0x7d || b === 0x5d) { // } ]
        depth--
        if (depth === 1) {
          if (start >= 0 && !bare) { this.#complete(sink, buf, start, i + 1); start = -1 }
        } else if (depth === 0) {
          if (start >= 0) { this.#complete(sink, buf, start, i); start = -1 } // a bare scalar before the ]
          this.#closed = true
          i++
          break
        }
      } else if (depth === 1) {
        if (b === COMMA || b === 0x20 || b === 0x0a || b === 0x0d || b === 0x09) {
          if (start >= 0 && bare) { this.#complete(sink, buf, start, i); start = -1 }
        } else if (start < 0) {
          start = i
          bare = true
        }
      }
      i++
    }
    this.#pos = i
    this.#depth = depth
    this.#start = start
    this.#bare = bare
  }

  #complete (sink: ElementSink, buf: Buffer, start: number, end: number): void {
    if (this.#dropping) {
      this.#dropping = false
      this.#onTooLarge()
      return
    }
    sink(buf, start, end)
  }
}
