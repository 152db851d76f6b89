/**
 * Capture files → PacketSink: classic pcap and pcapng, read synchronously and fast.
 *
 * `readCaptureFile` reads the file with `fs.readSync` into one buffer, 4 MiB at a time; every
 * complete record in the buffer is decoded in place (decodeFrameAt, one reused PacketMeta) and the
 * incomplete tail is moved to the front before the next read, so a record may cross any read
 * border and nothing is allocated per packet. A record longer than the buffer grows it.
 * `readCaptureFileAsync` is the same with two buffers: the next chunk is read in libuv's thread
 * pool while this one is parsed, taking the copy out of the page cache off the critical path
 * (`flows` uses it). `CaptureStream` is the same parser fed by pushed chunks.
 *
 * Formats:
 * - pcap: both byte orders, microsecond (a1b2c3d4) and nanosecond (a1b23c4d) timestamps.
 * - pcapng: sections in either byte order (several per file; each resets the interfaces),
 *   Interface Description Blocks (link type, snaplen, if_tsresol as a power of 10 or of 2,
 *   if_tsoffset), Enhanced, Simple (interface 0, stamped with the last timestamp seen) and
 *   obsolete Packet Blocks; other blocks are skipped by their length.
 * Timestamps become integer microseconds since the epoch (rounded down).
 *
 * A file that ends inside a record stops there and reports `truncatedRecord`; a file that is
 * not pcap/pcapng, cannot be read, or has an impossible length field throws SW_ERR_PCAP.
 */
import { closeSync, openSync, read, readSync } from 'node:fs'
import { AgentError } from '../errors'
import { decodeFrameAt } from './decode-frame'
import { SKIP_REASONS, newPacketMeta, type PacketMeta, type PacketSink, type SkipReason } from './packet'

export type CaptureFormat = 'pcap' | 'pcapng'

export interface CaptureFileSummary {
  format: CaptureFormat
  /** Packet records read (pcap records; pcapng Enhanced, Simple and obsolete Packet Blocks). */
  packets: number
  /** Records that became a PacketMeta. */
  decoded: number
  /** Records skipped, by reason: `decoded` + the sum of these = `packets`. */
  skipped: Record<SkipReason, number>
  /** The capture ended inside a record or block (not counted in `packets`). */
  truncatedRecord: boolean
  /** Bytes of capture data read: the whole file, headers included. */
  bytes: number
}

export interface CaptureReadOptions {
  /** Bytes per read; default 4 MiB. Records longer than this are still read whole. */
  chunkSize?: number
}

export interface CaptureStreamOptions {
  /** What to call the capture in error messages; default 'the capture'. */
  name?: string
}

const DEFAULT_CHUNK_SIZE = 4 * 1024 * 1024
/** The longest record or block believed: a longer length field means a corrupt file. */
const MAX_BLOCK = 64 * 1024 * 1024
/** libpcap's largest snapshot length; a classic record may be this long whatever snaplen says. */
const MAX_SNAPLEN = 262144

const PCAP_US = 0xa1b2c3d4
const PCAP_NS = 0xa1b23c4d
const PCAP_US_SWAPPED = 0xd4c3b2a1
const PCAP_NS_SWAPPED = 0x4d3cb2a1
const PCAP_HEADER = 24
const PCAP_RECORD_HEADER = 16

const SHB = 0x0a0d0d0a
const BYTE_ORDER_MAGIC = 0x1a2b3c4d
const IDB = 1
const OPB = 2
const SPB = 3
const EPB = 6
const OPT_TSRESOL = 9
const OPT_TSOFFSET = 14

const TWO_32 = 4294967296

/** A pcapng interface: its link type and how its timestamp units become microseconds. */
interface Interface {
  linkType: number
  snaplen: number
  /** µs = units * mul when div is 1; units / div (exactly) when div > 1; BigInt maths when div is 0. */
  mul: number
  div: number
  unitsPerSecond: bigint
  offsetUs: number
  /** The last high word seen when div > 1, and its split (see unitsToUs). */
  high: number
  highUs: number
  highRest: number
}

/** Read a classic pcap or pcapng file, decode every record into `sink`, and summarise. */
export function readCaptureFile (path: string, sink: PacketSink, options: CaptureReadOptions = {}): CaptureFileSummary {
  const chunkSize = Math.max(1, Math.floor(options.chunkSize ?? DEFAULT_CHUNK_SIZE))
  let fd: number
  try {
    fd = openSync(path, 'r')
  } catch (err) {
    throw new AgentError('SW_ERR_PCAP', `cannot open capture file ${path}: ${(err as Error).message}`, { cause: err })
  }
  try {
    const stream = new CaptureStream(sink, { name: `capture file ${path}` })
    let buf = Buffer.allocUnsafe(chunkSize)
    let filled = 0
    for (;;) {
      let n: number
      try {
        n = readSync(fd, buf, filled, Math.min(chunkSize, buf.length - filled), null)
      } catch (err) {
        throw new AgentError('SW_ERR_PCAP', `cannot read capture file ${path}: ${(err as Error).message}`, { cause: err })
      }
      if (n === 0) break
      filled += n
      const pos = stream.consume(buf, 0, filled)
      if (pos > 0) {
        buf.copy(buf, 0, pos, filled)
        filled -= pos
      }
      if (stream.need > buf.length || filled === buf.length) {
        const bigger = Buffer.allocUnsafe(Math.max(stream.need, 2 * buf.length))
        buf.copy(bigger, 0, 0, filled)
        buf = bigger
      }
    }
    if (filled > 0) stream.push(buf.subarray(0, filled))
    return stream.end()
  } finally {
    closeSync(fd)
  }
}

/**
 * readCaptureFile, reading ahead: while one buffer is parsed the next chunk is read into the
 * other. Each read lands after a reserved space, where the incomplete record at the end of the
 * buffer just parsed is moved so that it continues into the new data; the reserve grows for a
 * record longer than it.
 */
export async function readCaptureFileAsync (path: string, sink: PacketSink, options: CaptureReadOptions = {}): Promise<CaptureFileSummary> {
  const chunkSize = Math.max(1, Math.floor(options.chunkSize ?? DEFAULT_CHUNK_SIZE))
  let fd: number
  try {
    fd = openSync(path, 'r')
  } catch (err) {
    throw new AgentError('SW_ERR_PCAP', `cannot open capture file ${path}: ${(err as Error).message}`, { cause: err })
  }
  const readChunk = (buf: Buffer, at: number): Promise<number> => new Promise((resolve, reject) => {
    read(fd, buf, at, chunkSize, null, (err, n) => {
      if (err === null) resolve(n)
      else reject(new AgentError('SW_ERR_PCAP', `cannot read capture file ${path}: ${err.message}`, { cause: err }))
    })
  })
  try {
    const stream = new CaptureStream(sink, { name: `capture file ${path}` })
    let reserve = Math.min(chunkSize, 256 * 1024)
    let current = Buffer.allocUnsafe(reserve + chunkSize)
    let spare = Buffer.allocUnsafe(reserve + chunkSize)
    let start = reserve
    let end = reserve + await readChunk(current, reserve)
    while (end > start) {
      const reading = readChunk(spare, reserve)
      let pos: number
      try {
        pos = stream.consume(current, start, end)
      } catch (err) {
        await reading.catch(() => {}) // the read into `spare` must finish before fd is closed
        throw err
      }
      const n = await reading
      const tail = end - pos
      if (n === 0) {
        if (tail > 0) stream.push(current.subarray(pos, end))
        break
      }
      const parsed = current
      if (tail > reserve) {
        // An incomplete record longer than the reserve: wider buffers, keeping what was just read.
        const wider = Math.max(2 * reserve, tail, stream.need)
        const next = Buffer.allocUnsafe(wider + chunkSize)
        spare.copy(next, wider, reserve, reserve + n)
        spare = next
        reserve = wider
      }
      parsed.copy(spare, reserve - tail, pos, end)
      current = spare
      spare = parsed.length === current.length ? parsed : Buffer.allocUnsafe(current.length)
      start = reserve - tail
      end = reserve + n
    }
    return stream.end()
  } finally {
    closeSync(fd)
  }
}

/** The capture parser, fed chunk by chunk: push() what arrives, end() for the summary. */
export class CaptureStream {
  readonly #name: string
  readonly #sink: PacketSink
  readonly #meta: PacketMeta = newPacketMeta()
  readonly #skipped = Object.fromEntries(SKIP_REASONS.map((reason) => [reason, 0])) as Record<SkipReason, number>
  #format: CaptureFormat | undefined
  #packets = 0
  #decoded = 0
  #bytes = 0
  /** Where byte 0 of the buffer being consumed is in the capture (for error messages). */
  #origin = 0
  #need = 4
  #pending: Buffer[] = []
  #pendingLength = 0
  // classic pcap
  #le = true
  #nanos = false
  #linkType = 0
  #maxRecord = MAX_SNAPLEN
  // pcapng
  #interfaces: Interface[] = []
  #lastTsUs = 0

  constructor (sink: PacketSink, options: CaptureStreamOptions = {}) {
    this.#sink = sink
    this.#name = options.name ?? 'the capture'
  }

  /**
   * Bytes the next record (or header or block) needs, counted from where consume() last
   * stopped. For callers that manage their own buffer with consume().
   */
  get need (): number {
    return this.#need
  }

  /** Parse what `chunk` completes; keeps a copy of any incomplete tail, so `chunk` may be reused. */
  push (chunk: Buffer): void {
    let buf = chunk
    if (this.#pendingLength > 0) {
      if (this.#pendingLength + chunk.length < this.#need) {
        this.#pending.push(Buffer.from(chunk))
        this.#pendingLength += chunk.length
        return
      }
      buf = Buffer.concat([...this.#pending, chunk], this.#pendingLength + chunk.length)
    }
    const pos = this.consume(buf, 0, buf.length)
    this.#pending = pos < buf.length ? [Buffer.from(buf.subarray(pos))] : []
    this.#pendingLength = buf.length - pos
  }

  /** The capture is over: the summary. Throws SW_ERR_PCAP when it never got past its header. */
  end (): CaptureFileSummary {
    if (this.#format === undefined || this.#bytes === 0) {
      throw this.#error(this.#pendingLength === 0 ? 'is empty' : 'ends inside its file header')
    }
    return {
      format: this.#format,
      packets: this.#packets,
      decoded: this.#decoded,
      skipped: { ...this.#skipped },
      truncatedRecord: this.#pendingLength > 0,
      bytes: this.#bytes + this.#pendingLength,
    }
  }

  /**
   * Parse every complete unit in `buf[start, end)` in place and return where the first
   * incomplete one starts (`need` then says how many bytes it needs). The PacketMeta handed to
   * the sink points into `buf`. Lower level than push(): for callers that own the buffer.
   */
  consume (buf: Buffer, start: number, end: number): number {
    let pos = start
    this.#origin = this.#bytes - start
    if (this.#format === undefined) {
      pos = this.#consumeFileHeader(buf, pos, end)
      if (pos === start && this.#format !== 'pcapng') return pos
    }
    pos = this.#format === 'pcap' ? this.#consumePcap(buf, pos, end) : this.#consumePcapng(buf, pos, end)
    this.#bytes += pos - start
    return pos
  }

  #consumeFileHeader (buf: Buffer, pos: number, end: number): number {
    if (end - pos < 4) {
      this.#need = 4
      return pos
    }
    const magic = u32(buf, pos, false)
    if (magic === SHB) {
      this.#format = 'pcapng'
      return pos
    }
    if (magic !== PCAP_US && magic !== PCAP_NS && magic !== PCAP_US_SWAPPED && magic !== PCAP_NS_SWAPPED) {
      throw this.#error(`is not a pcap or pcapng file: it starts with 0x${buf.toString('hex', pos, pos + 4)}, not a pcap magic number (a1b2c3d4, a1b23c4d, either byte order) or a pcapng Section Header Block (0a0d0d0a)`)
    }
    if (end - pos < PCAP_HEADER) {
      this.#need = PCAP_HEADER
      return pos
    }
    const le = magic === PCAP_US_SWAPPED || magic === PCAP_NS_SWAPPED
    const snaplen = u32(buf, pos + 16, le)
    this.#le = le
    this.#nanos = magic === PCAP_NS || magic === PCAP_NS_SWAPPED
    this.#linkType = u32(buf, pos + 20, le) & 0xffff // the high bits may carry FCS information
    this.#maxRecord = Math.min(Math.max(snaplen, MAX_SNAPLEN), MAX_BLOCK)
    this.#format = 'pcap'
    return pos + PCAP_HEADER
  }

  #consumePcap (buf: Buffer, pos: number, end: number): number {
    const sink = this.#sink
    const meta = this.#meta
    const linkType = this.#linkType
    const le = this.#le
    const nanos = this.#nanos
    const maxRecord = this.#maxRecord
    let packets = 0
    let decoded = 0
    while (end - pos >= PCAP_RECORD_HEADER) {
      const capLen = u32(buf, pos + 8, le)
      if (capLen > maxRecord) {
        throw this.#error(`is corrupt: the record at byte ${this.#origin + pos} claims ${capLen} captured bytes, more than the snapshot length allows (${maxRecord})`)
      }
      const next = pos + PCAP_RECORD_HEADER + capLen
      if (next > end) {
        this.#need = PCAP_RECORD_HEADER + capLen
        break
      }
      const fraction = u32(buf, pos + 4, le)
      const tsUs = u32(buf, pos, le) * 1e6 + (nanos ? Math.floor(fraction / 1000) : fraction)
      const reason = decodeFrameAt(linkType, buf, pos + PCAP_RECORD_HEADER, capLen, meta)
      if (reason === undefined) {
        decoded++
        meta.tsUs = tsUs
        sink.packet(meta)
      } else {
        this.#skipped[reason]++
        sink.skip(reason)
      }
      packets++
      pos = next
    }
    if (end - pos < PCAP_RECORD_HEADER) this.#need = PCAP_RECORD_HEADER
    this.#packets += packets
    this.#decoded += decoded
    return pos
  }

  #consumePcapng (buf: Buffer, pos: number, end: number): number {
    const sink = this.#sink
    const meta = this.#meta
    let le = this.#le
    let packets = 0
    let decoded = 0
    for (;;) {
      if (end - pos < 12) {
        this.#need = 12
        break
      }
      const type = u32(buf, pos, le) // a Section Header Block reads the same in both orders
      if (type === SHB) le = this.#sectionByteOrder(buf, pos)
      const length = u32(buf, pos + 4, le)
      if (length < (type === SHB ? 28 : 12) || (length & 3) !== 0 || length > MAX_BLOCK) {
        throw this.#error(`is corrupt: the block at byte ${this.#origin + pos} (type 0x${type.toString(16)}) has length ${length}, not a multiple of 4 between ${type === SHB ? 28 : 12} and ${MAX_BLOCK}`)
      }
      if (end - pos < length) {
        this.#need = length
        break
      }
      if (u32(buf, pos + length - 4, le) !== length) {
        throw this.#error(`is corrupt: the block at byte ${this.#origin + pos} (type 0x${type.toString(16)}) starts with length ${length} but ends with ${u32(buf, pos + length - 4, le)}`)
      }
      let data: number
      let capLen: number
      let tsUs: number
      let iface: Interface
      if (type === EPB || type === OPB) {
        if (length < 32) throw this.#error(`is corrupt: the packet block at byte ${this.#origin + pos} is ${length} bytes, shorter than its 32-byte header`)
        iface = this.#interface(type === EPB ? u32(buf, pos + 8, le) : u16(buf, pos + 8, le), pos)
        capLen = u32(buf, pos + 20, le)
        if (capLen > length - 32) throw this.#error(`is corrupt: the packet block at byte ${this.#origin + pos} claims ${capLen} captured bytes in a ${length}-byte block`)
        tsUs = this.#lastTsUs = unitsToUs(u32(buf, pos + 12, le), u32(buf, pos + 16, le), iface)
        data = pos + 28
      } else if (type === SPB) {
        if (length < 16) throw this.#error(`is corrupt: the Simple Packet Block at byte ${this.#origin + pos} is ${length} bytes, shorter than its 16-byte header`)
        iface = this.#interface(0, pos)
        capLen = Math.min(u32(buf, pos + 8, le), length - 16, iface.snaplen === 0 ? Infinity : iface.snaplen)
        tsUs = this.#lastTsUs
        data = pos + 12
      } else {
        if (type === IDB) this.#interfaces.push(this.#readInterface(buf, pos, length, le))
        else if (type === SHB) this.#interfaces = []
        pos += length
        continue
      }
      const reason = decodeFrameAt(iface.linkType, buf, data, capLen, meta)
      if (reason === undefined) {
        decoded++
        meta.tsUs = tsUs
        sink.packet(meta)
      } else {
        this.#skipped[reason]++
        sink.skip(reason)
      }
      packets++
      pos += length
    }
    this.#packets += packets
    this.#decoded += decoded
    return pos
  }

  /** A Section Header Block's byte order, from its byte-order magic; it becomes the stream's. */
  #sectionByteOrder (buf: Buffer, pos: number): boolean {
    const magic = u32(buf, pos + 8, true)
    if (magic !== BYTE_ORDER_MAGIC && magic !== 0x4d3c2b1a) {
      throw this.#error(`is corrupt: the Section Header Block at byte ${this.#origin + pos} has byte-order magic 0x${buf.toString('hex', pos + 8, pos + 12)}, not 1a2b3c4d`)
    }
    this.#le = magic === BYTE_ORDER_MAGIC
    return this.#le
  }

  #interface (id: number, pos: number): Interface {
    const iface = this.#interfaces[id]
    if (iface === undefined) throw this.#error(`is corrupt: the packet block at byte ${this.#origin + pos} names interface ${id}, but its section describes ${this.#interfaces.length}`)
    return iface
  }

  #readInterface (buf: Buffer, pos: number, length: number, le: boolean): Interface {
    if (length < 20) throw this.#error(`is corrupt: the Interface Description Block at byte ${this.#origin + pos} is ${length} bytes, shorter than 20`)
    const iface: Interface = { linkType: u16(buf, pos + 8, le), snaplen: u32(buf, pos + 12, le), mul: 1, div: 1, unitsPerSecond: 0n, offsetUs: 0, high: -1, highUs: 0, highRest: 0 }
    const optionsEnd = pos + length - 4
    for (let p = pos + 16; p + 4 <= optionsEnd;) {
      const code = u16(buf, p, le)
      const optionLength = u16(buf, p + 2, le)
      if (code === 0 || p + 4 + optionLength > optionsEnd) break
      if (code === OPT_TSRESOL && optionLength >= 1) setResolution(iface, buf[p + 4] as number)
      if (code === OPT_TSOFFSET && optionLength >= 8) iface.offsetUs = Number(le ? buf.readBigInt64LE(p + 4) : buf.readBigInt64BE(p + 4)) * 1e6
      p += 4 + ((optionLength + 3) & ~3)
    }
    return iface
  }

  #error (what: string): AgentError {
    return new AgentError('SW_ERR_PCAP', `${this.#name} ${what}`)
  }
}

/** if_tsresol: 10^-n seconds, or 2^-n when the top bit is set. */
function setResolution (iface: Interface, tsresol: number): void {
  const exponent = tsresol & 0x7f
  if ((tsresol & 0x80) === 0 && exponent <= 6) {
    iface.mul = 10 ** (6 - exponent)
  } else if ((tsresol & 0x80) === 0 && exponent <= 12) {
    iface.div = 10 ** (exponent - 6) // small enough for the exact split in unitsToUs
  } else {
    iface.div = 0
    iface.unitsPerSecond = (tsresol & 0x80) === 0 ? 10n ** BigInt(exponent) : 1n << BigInt(exponent)
  }
}

/** A 64-bit timestamp (high, low words) in the interface's units → integer µs, exactly. */
function unitsToUs (high: number, low: number, iface: Interface): number {
  const div = iface.div
  if (div === 1) return (high * TWO_32 + low) * iface.mul + iface.offsetUs
  if (div > 1) {
    // high * 2^32 = (q * div + rest) * 2^32: q * 2^32 µs plus (rest * 2^32 + low) / div, which
    // stays exact below 2^53 for div <= 2^21. The high word changes rarely: cache its split.
    if (high !== iface.high) {
      const q = Math.floor(high / div)
      iface.high = high
      iface.highUs = q * TWO_32 + iface.offsetUs
      iface.highRest = (high - q * div) * TWO_32
    }
    return iface.highUs + Math.floor((iface.highRest + low) / div)
  }
  return Number((BigInt(high) << 32n | BigInt(low)) * 1000000n / iface.unitsPerSecond) + iface.offsetUs
}

function u32 (buf: Buffer, p: number, le: boolean): number {
  return le
    ? ((buf[p + 3] as number) * 0x1000000) + ((buf[p + 2] as number) << 16 | (buf[p + 1] as number) << 8 | (buf[p] as number))
    : ((buf[p] as number) * 0x1000000) + ((buf[p + 1] as number) << 16 | (buf[p + 2] as number) << 8 | (buf[p + 3] as number))
}

function u16 (buf: Buffer, p: number, le: boolean): number {
  return le ? (buf[p + 1] as number) << 8 | (buf[p] as number) : (buf[p] as number) << 8 | (buf[p + 1] as number)
}
