/**
 * The durable spool between the agent's sources and its sinks: every event and alert is appended
 * here before any sink sees it, and each sink reads it back at its own pace from its own cursor.
 *
 * On disk (one directory):
 *   00000001.seg, 00000002.seg, ...   append-only segments of records:
 *                                     [u32 length][u32 CRC-32 of the payload][payload]
 *                                     (little-endian; the payload is one event: a line
 *                                     `ID\tKIND`, then its JSON; see spool-record.ts)
 *   cursors.json                      per sink, the first record it has not acknowledged:
 *                                     {"sqlite:/data/x.db": [segment, offset], ...}, replaced
 *                                     atomically (write to a temporary file, then rename)
 *
 * - A write goes to the operating system before append() returns, so a SIGKILLed agent loses
 *   nothing it appended; what a sink had not acknowledged is read again after a restart (at
 *   least once: event ids let receivers drop repeats).
 * - Opening checks the last segment record by record: a torn last record (a short length, a
 *   short payload, a checksum that does not match) is cut off and counted, never fatal.
 * - A segment is deleted once every sink's cursor is past it.
 * - The spool is bounded in bytes: when an append would pass `maxBytes`, the oldest segments are
 *   dropped whether sinks read them or not; the records lost are counted per sink, for
 *   `agent.stats` and an alert.
 */
import { closeSync, fstatSync, ftruncateSync, mkdirSync, openSync, readdirSync, readFileSync, readSync, renameSync, unlinkSync, writeFileSync, writeSync } from 'node:fs'
import { join } from 'node:path'
import { crc32 } from 'node:zlib'
import { AgentError } from '../errors'

export interface SpoolOptions {
  /** The spool stops growing here: past it the oldest segments are dropped (default 256 MiB). */
  maxBytes?: number
  /** A segment is closed and a new one begun past this size (default maxBytes / 16, at most 8 MiB). */
  segmentBytes?: number
  /** The sinks that read the spool, by name; a new name starts at the oldest record kept. */
  sinks: readonly string[]
}

/** Where a sink is: the segment number and the byte offset of its next record. */
export type Position = readonly [segment: number, offset: number]

export interface SpoolBatch {
  /** The payloads, oldest first (views into the ReadBuffer when one was given). */
  records: Buffer[]
  /** The position after the last of them: pass it to ack() once the sink has them. */
  next: Position
}

/**
 * A buffer a reader lends to read() again and again: the records read are views into it, valid
 * until it is given to read() again. The spool puts a larger one in `buf` when a batch needs it.
 * A reader that keeps one per batch in flight makes no new buffer per batch.
 */
export interface ReadBuffer { buf: Buffer }

export interface SpoolStats {
  bytes: number
  segments: number
  appended: number
  /** Records dropped because the spool was full, by sink that had not read them. */
  dropped: Record<string, number>
  /** Torn or corrupt records cut off at open. */
  torn: number
  /** Times the cursors file could not be written (a full disk); saved again at the next chance. */
  cursor_save_failures: number
  /** Records waiting, by sink. */
  backlog: Record<string, number>
}

const HEADER = 8
/**
 * The cursors file is rewritten at most this often while sinks acknowledge (a write and a rename,
 * ~2 ms each on a small VM's disk); after a crash a sink gets up to this much again.
 */
const CURSOR_SAVE_MS = 1000
/** Bytes read from a segment at a time. */
const READ_CHUNK = 1024 * 1024
const MIN_READ = 16 * 1024
const MAX_RECORD = 64 * 1024 * 1024
/**
 * The newest records are also kept in memory, in a ring of this many bytes: a sink that keeps up
 * reads them from there instead of from the file. Appends are encoded straight into the ring and
 * written to the file from it, so the spool makes no buffer per append: memory that lives as long
 * as the tail holds it would otherwise be promoted and wait for a full collection (tens of MiB of
 * RSS at 50,000 events/s).
 */
const TAIL_BYTES = 4 * 1024 * 1024
const SEGMENT_NAME = /^(\d{8})\.seg$/
const DROPPED: TailChunk = { seg: -1, off: 0, buf: Buffer.alloc(0), ringAt: -1 }

interface Segment { n: number, bytes: number, records: number }
/** One append in the memory tail: its bytes as written at `off` in segment `seg`, at `ringAt` in the ring. */
interface TailChunk { seg: number, off: number, buf: Buffer, ringAt: number }

export class Spool {
  readonly #dir: string
  readonly #maxBytes: number
  readonly #segmentBytes: number
  readonly #segments: Segment[] = []
  readonly #cursors = new Map<string, [number, number]>()
  #fd = -1
  #bytes = 0
  #appended = 0
  #cursorSaveFailures = 0
  #torn = 0
  readonly #dropped: Record<string, number> = {}
  #closed = false
  #cursorsSavedAt = -Infinity
  #cursorsDirty = false
  /**
   * The memory tail: the newest appends as written (headers and payloads), oldest first from
   * #tailHead, each a view into #ring. The chunks are always consecutive records of the spool.
   */
  #tail: TailChunk[] = []
  #tailHead = 0
  #ring: Buffer | undefined
  /** Where the next append goes in the ring. */
  #ringAt = 0

  private constructor (dir: string, options: SpoolOptions) {
    this.#dir = dir
    this.#maxBytes = options.maxBytes ?? 256 * 1024 * 1024
    // Whole segments are what the bound drops: keep them a small part of it.
    this.#segmentBytes = options.segmentBytes ?? Math.max(64 * 1024, Math.min(8 * 1024 * 1024, Math.floor(this.#maxBytes / 16)))
  }

  /** Opens (or creates) the spool in `dir`. Throws SW_ERR_SPOOL when the directory cannot be used. */
  static open (dir: string, options: SpoolOptions): Spool {
    const spool = new Spool(dir, options)
    try {
      mkdirSync(dir, { recursive: true, mode: 0o700 })
      spool.#lock()
      spool.#load(options.sinks)
    } catch (err) {
      if (err instanceof AgentError) throw err
      throw new AgentError('SW_ERR_SPOOL', `cannot open the spool in ${dir}: ${(err as Error).message}`, { cause: err })
    }
    return spool
  }

  /**
   * Appends payloads (one record each; a string is written as its UTF-8 bytes); written to the
   * file before this returns.
   */
  append (payloads: ReadonlyArray<Buffer | string>): void {
    if (this.#closed) throw new AgentError('SW_ERR_SPOOL', 'the spool is closed')
    if (payloads.length === 0) return
    const lengths = new Array<number>(payloads.length)
    let size = 0
    for (let i = 0; i < payloads.length; i++) {
      const p = payloads[i] as Buffer | string
      const length = typeof p === 'string' ? Buffer.byteLength(p) : p.length
      if (length > MAX_RECORD) throw new AgentError('SW_ERR_SPOOL', `a record of ${length} bytes is over the spool's limit of ${MAX_RECORD}`)
      lengths[i] = length
      size += HEADER + length
    }
    let current = this.#segments[this.#segments.length - 1] as Segment
    if (current.bytes > 0 && current.bytes + size > this.#segmentBytes) current = this.#roll()
    this.#makeRoom(size)
    const ringAt = this.#ringSpace(size)
    const buf = ringAt < 0 ? Buffer.allocUnsafe(size) : (this.#ring as Buffer).subarray(ringAt, ringAt + size)
    let at = 0
    for (let i = 0; i < payloads.length; i++) {
      const p = payloads[i] as Buffer | string
      const length = lengths[i] as number
      if (typeof p === 'string') buf.write(p, at + HEADER, length, 'utf8')
      else p.copy(buf, at + HEADER)
      buf.writeUInt32LE(length, at)
      buf.writeUInt32LE(crc32(buf.subarray(at + HEADER, at + HEADER + length)), at + 4)
      at += HEADER + length
    }
    let failed = this.#write(buf, current)
    if (failed !== undefined && current.bytes > 0 && this.#everySinkRead(current)) {
      // The disk is full, but every sink has everything this segment holds: start a new segment,
      // let this one go, and try once more.
      current = this.#roll()
      for (const [sink, [segment]] of this.#cursors) if (segment < current.n) this.#cursors.set(sink, [current.n, 0])
      this.#cursorsDirty = true
      this.#deleteRead()
      failed = this.#write(buf, current)
    }
    if (failed !== undefined) {
      const code = (failed as NodeJS.ErrnoException).code
      throw new AgentError('SW_ERR_SPOOL', `cannot write to the spool in ${this.#dir}${code === 'ENOSPC' ? ': the disk is full' : ''}: ${(failed as Error).message}`, { cause: failed })
    }
    if (ringAt >= 0) {
      this.#tail.push({ seg: current.n, off: current.bytes, buf, ringAt })
      this.#ringAt = ringAt + size
    }
    current.bytes += size
    current.records += payloads.length
    this.#bytes += size
    this.#appended += payloads.length
    this.#trimTail()
  }

  /**
   * Up to `max` records for `sink` from its cursor, or from `from` (a position this spool gave
   * out as a batch's `next`, for a sink that has batches in flight); fewer at the end of what is
   * spooled. The records are copied into `into` when given (views valid until it is read into
   * again), else into a buffer of their own.
   */
  read (sink: string, max: number, from?: Position, into?: ReadBuffer): SpoolBatch {
    let [segment, offset] = from ?? this.#cursor(sink)
    const last = this.#segments[this.#segments.length - 1] as Segment
    // The end of a closed segment is the start of the next one.
    if (segment < last.n && offset >= (this.#segments.find((s) => s.n === segment)?.bytes ?? 0)) {
      const later = this.#segments.find((s) => s.n > segment)
      if (later !== undefined) { segment = later.n; offset = 0 }
    }
    const fromTail = this.#readTail(segment, offset, max, into)
    if (fromTail !== undefined) return fromTail
    const records: Buffer[] = []
    const out = into ?? { buf: EMPTY }
    let w = 0 // where the next read goes in out.buf
    for (const seg of this.#segments) {
      if (records.length >= max) break
      if (seg.n < segment) continue
      if (seg.n > segment) { segment = seg.n; offset = 0 }
      while (offset < seg.bytes && records.length < max) {
        // A chunk at a time; a record longer than the chunk is read whole on its own.
        // As many bytes as the records still wanted take on average in this segment (plus a
        // little), not a fixed chunk: the buffer lives as long as the sink holds the batch.
        const want = Math.ceil((max - records.length) * (seg.bytes / Math.max(1, seg.records)) * 1.1) + HEADER
        const size = Math.min(seg.bytes, offset + Math.min(READ_CHUNK, Math.max(want, MIN_READ))) - offset
        w = room(out, w, size, into !== undefined)
        let data = out.buf.subarray(w, w + this.#readInto(seg.n, offset, out.buf, w, size))
        if (data.length >= HEADER && HEADER + data.readUInt32LE(0) > data.length) {
          const whole = HEADER + data.readUInt32LE(0)
          w = room(out, w, whole, into !== undefined)
          data = out.buf.subarray(w, w + this.#readInto(seg.n, offset, out.buf, w, whole))
        }
        let at = 0
        while (at + HEADER <= data.length && records.length < max) {
          const length = data.readUInt32LE(at)
          if (at + HEADER + length > data.length) break
          records.push(data.subarray(at + HEADER, at + HEADER + length))
          at += HEADER + length
        }
        if (at === 0) break // cannot happen for a checked segment; never loop on it
        offset += at
        w += at
      }
    }
    return { records, next: [segment, offset] }
  }

  /** `sink` has the records before `next`; segments every sink is past are deleted. */
  ack (sink: string, next: Position): void {
    this.#cursors.set(sink, [next[0], next[1]])
    // The cursors file is written at most every CURSOR_SAVE_MS (and at close and before a
    // segment goes): after a crash a sink gets up to that much again, which at-least-once allows.
    // Elapsed time on the monotonic clock: a wall clock set back would otherwise stop the saves.
    if (performance.now() - this.#cursorsSavedAt >= CURSOR_SAVE_MS) this.#saveCursors()
    else this.#cursorsDirty = true
    this.#deleteRead()
  }

  /** Records dropped so far because the spool was full, summed over the sinks (cheap: no reads). */
  get droppedTotal (): number {
    let n = 0
    for (const v of Object.values(this.#dropped)) n += v
    return n
  }

  /** Records dropped so far, by sink (cheap: no reads). */
  get dropped (): Record<string, number> {
    return { ...this.#dropped }
  }

  stats (): SpoolStats {
    const backlog: Record<string, number> = {}
    for (const sink of this.#cursors.keys()) backlog[sink] = this.#backlog(sink)
    return { bytes: this.#bytes, segments: this.#segments.length, appended: this.#appended, dropped: { ...this.#dropped }, torn: this.#torn, cursor_save_failures: this.#cursorSaveFailures, backlog }
  }

  close (): void {
    if (this.#closed) return
    this.#closed = true
    if (this.#cursorsDirty) this.#saveCursors()
    closeSync(this.#fd)
    try { unlinkSync(join(this.#dir, 'lock')) } catch { /* gone already */ }
  }

  /**
   * One agent per spool: a `lock` file holds the owner's pid. A lock whose process is gone (a
   * killed agent) is taken over; a live one is refused with SW_ERR_SPOOL.
   */
  #lock (): void {
    const path = join(this.#dir, 'lock')
    for (let attempt = 0; attempt < 2; attempt++) {
      try {
        writeFileSync(path, String(process.pid), { flag: 'wx' })
        return
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err
      }
      const owner = Number(readFileSync(path, 'utf8'))
      if (Number.isInteger(owner) && owner > 0 && owner !== process.pid && alive(owner)) {
        throw new AgentError('SW_ERR_SPOOL', `the spool in ${this.#dir} is in use by another agent (pid ${owner}); give each agent its own --data-dir`)
      }
      unlinkSync(path) // left by an agent that is gone
    }
  }

  #load (sinks: readonly string[]): void {
    const numbers = readdirSync(this.#dir).map((name) => SEGMENT_NAME.exec(name)?.[1]).filter((n): n is string => n !== undefined).map(Number).sort((a, b) => a - b)
    for (const n of numbers) {
      const { bytes, records } = this.#check(n, n === numbers[numbers.length - 1])
      this.#segments.push({ n, bytes, records })
      this.#bytes += bytes
    }
    let saved: Record<string, unknown> = {}
    try {
      saved = JSON.parse(readFileSync(join(this.#dir, 'cursors.json'), 'utf8')) as Record<string, unknown>
    } catch {
      // none yet, or torn: every sink starts from the oldest record kept (at least once)
    }
    const oldest = this.#segments[0]?.n ?? 1
    for (const sink of sinks) {
      const c = saved[sink]
      const ok = Array.isArray(c) && typeof c[0] === 'number' && typeof c[1] === 'number'
      this.#cursors.set(sink, ok ? this.#clamp([c[0] as number, c[1] as number]) : [oldest, 0])
      this.#dropped[sink] = 0
    }
    if (this.#segments.length === 0) this.#segments.push({ n: 1, bytes: 0, records: 0 })
    const last = this.#segments[this.#segments.length - 1] as Segment
    this.#fd = openSync(this.#path(last.n), 'a')
    this.#deleteRead()
  }

  /**
   * Walks a segment's records; in the last segment a bad record (torn by a kill mid-write, or
   * corrupt) and everything after it is cut off. Earlier segments were complete when closed.
   */
  #check (n: number, last: boolean): { bytes: number, records: number } {
    const data = readFileSync(this.#path(n))
    let at = 0
    let records = 0
    while (at + HEADER <= data.length) {
      const length = data.readUInt32LE(at)
      if (length > MAX_RECORD || at + HEADER + length > data.length) break
      if (crc32(data.subarray(at + HEADER, at + HEADER + length)) !== data.readUInt32LE(at + 4)) break
      at += HEADER + length
      records++
    }
    if (at < data.length) {
      this.#torn++
      if (last) {
        const fd = openSync(this.#path(n), 'r+')
        try { ftruncateSync(fd, at) } finally { closeSync(fd) }
      }
    }
    return { bytes: at, records }
  }

  #roll (): Segment {
    const next: Segment = { n: (this.#segments[this.#segments.length - 1] as Segment).n + 1, bytes: 0, records: 0 }
    let fd: number
    try {
      fd = openSync(this.#path(next.n), 'a') // first: a disk that cannot take a new file leaves the spool as it was
    } catch (err) {
      throw new AgentError('SW_ERR_SPOOL', `cannot start a new spool segment in ${this.#dir}: ${(err as Error).message}`, { cause: err })
    }
    closeSync(this.#fd)
    this.#fd = fd
    this.#segments.push(next)
    return next
  }

  /** Drops the oldest closed segments until `size` more bytes fit under maxBytes. */
  #makeRoom (size: number): void {
    if (this.#bytes + size <= this.#maxBytes || this.#segments.length <= 1) return
    while (this.#bytes + size > this.#maxBytes && this.#segments.length > 1) {
      const oldest = this.#segments.shift() as Segment
      for (const [sink, cursor] of this.#cursors) {
        if (cursor[0] > oldest.n) continue
        this.#dropped[sink] = (this.#dropped[sink] ?? 0) + this.#recordsFrom(oldest, cursor[0] === oldest.n ? cursor[1] : 0)
        this.#cursors.set(sink, [oldest.n + 1, 0])
      }
      this.#bytes -= oldest.bytes
      unlinkSync(this.#path(oldest.n))
    }
    this.#saveCursors()
    this.#trimTail()
  }

  /** Keeps the memory tail within the segments there are. */
  #trimTail (): void {
    const first = (this.#segments[0] as Segment).n
    let head = this.#tailHead
    while (head < this.#tail.length && (this.#tail[head] as TailChunk).seg < first) head++
    this.#dropTail(head)
  }

  /** Drops the tail's chunks before `head`. */
  #dropTail (head: number): void {
    const n = this.#tail.length
    if (head >= n) {
      this.#tail = []
      head = 0
    } else if (head > 0 && head * 2 >= n) {
      this.#tail = this.#tail.slice(head)
      head = 0
    } else {
      for (let i = this.#tailHead; i < head; i++) this.#tail[i] = DROPPED
    }
    this.#tailHead = head
  }

  /**
   * Where in the ring an append of `size` bytes goes, after dropping the tail's chunks it would
   * overwrite (the oldest: the ring is filled in order, wrapping to its start). -1 when it is
   * larger than the ring: the tail is emptied then (it holds consecutive records only).
   */
  #ringSpace (size: number): number {
    if (size > TAIL_BYTES) {
      this.#dropTail(this.#tail.length)
      return -1
    }
    this.#ring ??= Buffer.allocUnsafeSlow(TAIL_BYTES)
    let at = this.#ringAt
    let head = this.#tailHead
    if (at + size > TAIL_BYTES) {
      // Wrapping: the chunks from here to the ring's end are older than those at its start.
      while (head < this.#tail.length && (this.#tail[head] as TailChunk).ringAt >= at) head++
      at = 0
    }
    while (head < this.#tail.length) {
      const c = this.#tail[head] as TailChunk
      if (c.ringAt >= at + size || c.ringAt + c.buf.length <= at) break
      head++
    }
    this.#dropTail(head)
    return at
  }

  /**
   * Up to `max` records from the memory tail, from the record at (segment, offset), copied out of
   * the ring (which later appends overwrite); undefined when that record is not in the tail (read
   * the files then).
   */
  #readTail (segment: number, offset: number, max: number, into: ReadBuffer | undefined): SpoolBatch | undefined {
    let lo = this.#tailHead
    let hi = this.#tail.length
    // The last chunk that starts at or before the position.
    while (lo < hi) {
      const mid = (lo + hi) >>> 1
      const c = this.#tail[mid] as TailChunk
      if (c.seg < segment || (c.seg === segment && c.off <= offset)) lo = mid + 1
      else hi = mid
    }
    let i = lo - 1
    if (i < this.#tailHead) return undefined
    let chunk = this.#tail[i] as TailChunk
    if (chunk.seg !== segment || offset >= chunk.off + chunk.buf.length) return undefined
    // Where the batch ends (chunk `i`, byte `at`) and how many bytes it takes, then one copy per chunk.
    const first = i
    const start = offset - chunk.off
    let at = start
    let count = 0
    let bytes = 0
    for (;;) {
      const buf = chunk.buf
      const from = at
      while (at < buf.length && count < max) {
        at += HEADER + buf.readUInt32LE(at)
        count++
      }
      bytes += at - from
      if (count >= max || i + 1 >= this.#tail.length) break
      chunk = this.#tail[++i] as TailChunk
      at = 0
    }
    const out = into ?? { buf: EMPTY }
    const w = room(out, 0, bytes, into !== undefined)
    let copied = w
    for (let k = first; k <= i; k++) {
      const buf = (this.#tail[k] as TailChunk).buf
      copied += buf.copy(out.buf, copied, k === first ? start : 0, k === i ? at : buf.length)
    }
    const records: Buffer[] = new Array<Buffer>(count)
    for (let r = 0, p = w; r < count; r++) {
      const length = out.buf.readUInt32LE(p)
      records[r] = out.buf.subarray(p + HEADER, p + HEADER + length)
      p += HEADER + length
    }
    return { records, next: at < chunk.buf.length ? [chunk.seg, chunk.off + at] : this.#after(chunk) }
  }

  /**
   * Writes one append's bytes to the current segment; the error, if it failed. A disk that filled
   * up mid-write: what made it to the file is cut, so the segment still ends on a whole record
   * (the file is opened for appending: the next write goes where this one started).
   */
  #write (buf: Buffer, current: Segment): Error | undefined {
    try {
      for (let done = 0; done < buf.length;) done += writeSync(this.#fd, buf, done, buf.length - done)
      return undefined
    } catch (err) {
      try { ftruncateSync(this.#fd, current.bytes) } catch { /* the next open finds the torn end */ }
      return err as Error
    }
  }

  /** Every sink's cursor is at the end of `segment` (or past it). */
  #everySinkRead (segment: Segment): boolean {
    for (const [s, offset] of this.#cursors.values()) if (s < segment.n || (s === segment.n && offset < segment.bytes)) return false
    return true
  }

  /** The position after a tail chunk: the start of the next chunk, or the end of the spool. */
  #after (chunk: TailChunk): Position {
    const last = this.#segments[this.#segments.length - 1] as Segment
    return chunk.seg === last.n && chunk.off + chunk.buf.length === last.bytes ? [last.n, last.bytes] : [chunk.seg, chunk.off + chunk.buf.length]
  }

  #deleteRead (): void {
    const lowest = Math.min(...[...this.#cursors.values()].map(([segment]) => segment))
    if (this.#segments.length > 1 && (this.#segments[0] as Segment).n < lowest && this.#cursorsDirty) this.#saveCursors() // saved before what they point past goes
    while (this.#segments.length > 1 && (this.#segments[0] as Segment).n < lowest) {
      const done = this.#segments.shift() as Segment
      this.#bytes -= done.bytes
      unlinkSync(this.#path(done.n))
    }
  }

  #cursor (sink: string): [number, number] {
    let c = this.#cursors.get(sink)
    if (c === undefined) {
      c = [this.#segments[0]?.n ?? 1, 0]
      this.#cursors.set(sink, c)
      this.#dropped[sink] = 0
    }
    return c
  }

  /** A saved cursor made valid for the segments there are now. */
  #clamp (c: [number, number]): [number, number] {
    const first = this.#segments[0]
    if (first === undefined || c[0] < first.n) return [first?.n ?? 1, 0]
    const seg = this.#segments.find((s) => s.n === c[0])
    if (seg === undefined) return c[0] > (this.#segments[this.#segments.length - 1] as Segment).n ? [(this.#segments[this.#segments.length - 1] as Segment).n, (this.#segments[this.#segments.length - 1] as Segment).bytes] : [first.n, 0]
    return [c[0], Math.min(c[1], seg.bytes)]
  }

  #backlog (sink: string): number {
    const [segment, offset] = this.#cursor(sink)
    let n = 0
    for (const seg of this.#segments) {
      if (seg.n < segment) continue
      n += seg.n === segment ? this.#recordsFrom(seg, offset) : seg.records
    }
    return n
  }

  /** Records in a segment from `offset` on. */
  #recordsFrom (seg: Segment, offset: number): number {
    if (offset === 0) return seg.records
    if (offset >= seg.bytes) return 0
    const data = this.#readSegment(seg.n, offset, seg.bytes)
    let n = 0
    for (let at = 0; at + HEADER <= data.length; at += HEADER + data.readUInt32LE(at)) n++
    return n
  }

  /** Reads up to `size` bytes of segment `n` from `from` into `buf` at `at`; how many were read. */
  #readInto (n: number, from: number, buf: Buffer, at: number, size: number): number {
    const fd = openSync(this.#path(n), 'r')
    try {
      let got = 0
      while (got < size) {
        const r = readSync(fd, buf, at + got, size - got, from + got)
        if (r === 0) break
        got += r
      }
      return got
    } finally {
      closeSync(fd)
    }
  }

  #readSegment (n: number, from: number, to: number): Buffer {
    const fd = openSync(this.#path(n), 'r')
    try {
      const size = Math.max(0, Math.min(to, fstatSync(fd).size) - from)
      const buf = Buffer.allocUnsafe(size)
      let got = 0
      while (got < size) {
        const r = readSync(fd, buf, got, size - got, from + got)
        if (r === 0) break
        got += r
      }
      return buf.subarray(0, got)
    } finally {
      closeSync(fd)
    }
  }

  /**
   * Writes the cursors file. A failure (a full disk) leaves the cursors to be saved later and is
   * counted: after a crash the sinks would then get some records again, which at-least-once allows.
   */
  #saveCursors (): void {
    this.#cursorsSavedAt = performance.now()
    const path = join(this.#dir, 'cursors.json')
    const tmp = `${path}.tmp`
    try {
      writeFileSync(tmp, JSON.stringify(Object.fromEntries(this.#cursors)))
      renameSync(tmp, path)
      this.#cursorsDirty = false
    } catch {
      this.#cursorsDirty = true
      this.#cursorSaveFailures++
    }
  }

  #path (n: number): string {
    return join(this.#dir, `${String(n).padStart(8, '0')}.seg`)
  }
}

const EMPTY = Buffer.alloc(0)

/**
 * Where `size` more bytes go in `out.buf` from `at`: `at` when they fit, else 0 in a new buffer put
 * in `out` (the records already taken keep the old one alive). A reader's buffer grows to twice
 * what it was, so it settles at what a batch takes; a one-off read gets exactly what it needs.
 */
function room (out: ReadBuffer, at: number, size: number, reused: boolean): number {
  if (out.buf.length - at >= size) return at
  out.buf = Buffer.allocUnsafeSlow(reused ? Math.max(size, out.buf.length * 2) : size)
  return 0
}

/** Whether a process exists (signal 0; EPERM means it exists but is not ours). */
function alive (pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM'
  }
}
