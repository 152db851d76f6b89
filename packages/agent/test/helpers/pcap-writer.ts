// Capture fixtures for tests: build frames layer by layer, then write them as a classic pcap or
// a pcapng file in memory. Each builder returns the bytes of its layer with the next layer's
// bytes (`payload`) appended, so a frame reads inside out:
//   ethernet(ETH_IPV4, ipv4({ src: '192.0.2.1', dst: '198.51.100.2', proto: TCP, payload: tcp({ sport: 40000, dport: 443, flags: SYN, payloadLength: 0 }) }))
// Lengths and checksums are filled in unless a test overrides them to make a broken packet.
// Use TEST-NET addresses (192.0.2.0/24, 198.51.100.0/24, 203.0.113.0/24, 2001:db8::/32).
import { isIPv4, isIPv6 } from 'node:net'

export const ETH_IPV4 = 0x0800
export const ETH_IPV6 = 0x86dd
export const ETH_ARP = 0x0806
export const ETH_VLAN = 0x8100
export const ETH_QINQ = 0x88a8

export const LINKTYPE_NULL = 0
export const LINKTYPE_ETHERNET = 1
export const LINKTYPE_RAW = 101
export const LINKTYPE_LINUX_SLL = 113
export const LINKTYPE_IPV4 = 228
export const LINKTYPE_IPV6 = 229
export const LINKTYPE_LINUX_SLL2 = 276

export type ByteOrder = 'le' | 'be'

/** A 802.1Q/802.1ad tag: `id` is the whole 16-bit TCI (priority, DEI and VLAN id). */
export interface VlanTag { tpid: number, id: number }

/**
 * An Ethernet II frame. `vlan` lists tags outermost first: a bare number is a tag with TPID
 * 0x8100, or 0x88a8 for the outer tags of a stack. Padded with zeros to the 60-byte Ethernet
 * minimum (as on the wire, without FCS) unless `pad: false`.
 */
export function ethernet (ethertype: number, payload: Buffer, options: { vlan?: Array<number | VlanTag>, pad?: boolean } = {}): Buffer {
  const tags = options.vlan ?? []
  const header = Buffer.alloc(14 + 4 * tags.length)
  Buffer.from('020000000002' + '020000000001', 'hex').copy(header, 0)
  tags.forEach((tag, i) => {
    const { tpid, id } = typeof tag === 'number' ? { tpid: i < tags.length - 1 ? ETH_QINQ : ETH_VLAN, id: tag } : tag
    header.writeUInt16BE(tpid, 12 + 4 * i)
    header.writeUInt16BE(id, 14 + 4 * i)
  })
  header.writeUInt16BE(ethertype, 12 + 4 * tags.length)
  const frame = Buffer.concat([header, payload])
  return options.pad === false || frame.length >= 60 ? frame : Buffer.concat([frame, Buffer.alloc(60 - frame.length)])
}

/** A Linux cooked (SLL, link type 113) frame: 16-byte header, `protocol` an EtherType. */
export function sll (protocol: number, payload: Buffer, options: { packetType?: number, arphrd?: number } = {}): Buffer {
  const header = Buffer.alloc(16)
  header.writeUInt16BE(options.packetType ?? 0, 0)
  header.writeUInt16BE(options.arphrd ?? 1, 2)
  header.writeUInt16BE(6, 4)
  Buffer.from('020000000001', 'hex').copy(header, 6)
  header.writeUInt16BE(protocol, 14)
  return Buffer.concat([header, payload])
}

/** A Linux cooked v2 (SLL2, link type 276) frame: 20-byte header, `protocol` an EtherType. */
export function sll2 (protocol: number, payload: Buffer, options: { ifindex?: number, packetType?: number, arphrd?: number } = {}): Buffer {
  const header = Buffer.alloc(20)
  header.writeUInt16BE(protocol, 0)
  header.writeUInt32BE(options.ifindex ?? 2, 4)
  header.writeUInt16BE(options.arphrd ?? 1, 8)
  header[10] = options.packetType ?? 0
  header[11] = 6
  Buffer.from('020000000001', 'hex').copy(header, 12)
  return Buffer.concat([header, payload])
}

/** A BSD loopback (NULL, link type 0) frame: the address family (2 = IPv4, 24/28/30 = IPv6) in the capturing host's byte order. */
export function nullLoop (family: number, payload: Buffer, options: { byteOrder?: ByteOrder } = {}): Buffer {
  const header = Buffer.alloc(4)
  if (options.byteOrder === 'be') header.writeUInt32BE(family, 0)
  else header.writeUInt32LE(family, 0)
  return Buffer.concat([header, payload])
}

export interface Ipv4Options {
  src: string
  dst: string
  proto: number
  payload: Buffer
  /** Default: the header plus the payload. */
  totalLength?: number
  /** Header length in 32-bit words; default 5 (more adds zeroed options). */
  ihl?: number
  version?: number
  /** In 8-byte units. */
  fragOffset?: number
  /** More fragments. */
  mf?: boolean
}

/** An IPv4 packet with a correct header checksum. */
export function ipv4 (o: Ipv4Options): Buffer {
  const ihl = o.ihl ?? 5
  const header = Buffer.alloc(Math.max(20, ihl * 4))
  header[0] = (o.version ?? 4) << 4 | (ihl & 0x0f)
  header.writeUInt16BE(o.totalLength ?? header.length + o.payload.length, 2)
  header.writeUInt16BE(0x1234, 4)
  header.writeUInt16BE((o.mf === true ? 0x2000 : 0) | ((o.fragOffset ?? 0) & 0x1fff), 6)
  header[8] = 64
  header[9] = o.proto
  address(o.src, 4).copy(header, 12)
  address(o.dst, 4).copy(header, 16)
  header.writeUInt16BE(checksum(header), 10)
  return Buffer.concat([header, o.payload])
}

/**
 * An IPv6 extension header. Hop-by-hop (0), routing (43) and destination options (60) are
 * `bytes` long (a multiple of 8, default 8); AH (51) is `bytes` long (a multiple of 4, default
 * 12); a fragment header (44) is 8 bytes with `fragOffset` (8-byte units) and `mf`.
 */
export interface Ipv6ExtHeader { type: 0 | 43 | 44 | 51 | 60, bytes?: number, fragOffset?: number, mf?: boolean }

export interface Ipv6Options {
  src: string
  dst: string
  /** The upper-layer protocol after any extension headers. */
  nextHeader: number
  payload: Buffer
  extHeaders?: Ipv6ExtHeader[]
  /** Default: the extension headers plus the payload. */
  payloadLength?: number
  version?: number
}

/** An IPv6 packet, with its extension headers chained in order before `payload`. */
export function ipv6 (o: Ipv6Options): Buffer {
  const exts = o.extHeaders ?? []
  const extBuffers = exts.map((ext, i) => {
    const next = i + 1 < exts.length ? (exts[i + 1] as Ipv6ExtHeader).type : o.nextHeader
    const bytes = ext.type === 44 ? 8 : ext.bytes ?? (ext.type === 51 ? 12 : 8)
    const b = Buffer.alloc(bytes)
    b[0] = next
    if (ext.type === 44) b.writeUInt16BE(((ext.fragOffset ?? 0) << 3) | (ext.mf === true ? 1 : 0), 2)
    else b[1] = ext.type === 51 ? bytes / 4 - 2 : bytes / 8 - 1
    return b
  })
  const rest = Buffer.concat([...extBuffers, o.payload])
  const header = Buffer.alloc(40)
  header.writeUInt32BE(((o.version ?? 6) << 28) >>> 0, 0)
  header.writeUInt16BE(o.payloadLength ?? rest.length, 4)
  header[6] = exts.length > 0 ? (exts[0] as Ipv6ExtHeader).type : o.nextHeader
  header[7] = 64
  address(o.src, 6).copy(header, 8)
  address(o.dst, 6).copy(header, 24)
  return Buffer.concat([header, rest])
}

/** A TCP segment: header (`dataOffset` words, default 5) and `payloadLength` zero bytes. */
export function tcp (o: { sport: number, dport: number, flags: number, payloadLength: number, dataOffset?: number, seq?: number }): Buffer {
  const dataOffset = o.dataOffset ?? 5
  const b = Buffer.alloc(Math.max(20, dataOffset * 4) + o.payloadLength)
  b.writeUInt16BE(o.sport, 0)
  b.writeUInt16BE(o.dport, 2)
  b.writeUInt32BE(o.seq ?? 1, 4)
  b[12] = (dataOffset & 0x0f) << 4
  b[13] = o.flags
  b.writeUInt16BE(65535, 14)
  return b
}

/** A UDP datagram: 8-byte header and `payloadLength` zero bytes. */
export function udp (o: { sport: number, dport: number, payloadLength: number }): Buffer {
  const b = Buffer.alloc(8 + o.payloadLength)
  b.writeUInt16BE(o.sport, 0)
  b.writeUInt16BE(o.dport, 2)
  b.writeUInt16BE(8 + o.payloadLength, 4)
  return b
}

/** One captured frame: when, the bytes, and the length on the wire (default: the frame's). */
export interface CaptureRecord {
  tsUs: number
  frame: Buffer
  origLen?: number
  /** pcapng only: the interface index (default 0). */
  interface?: number
  /** pcapng only: the raw timestamp in the interface's units, instead of one made from tsUs. */
  tsUnits?: bigint
}

/** A classic pcap file. Frames longer than `snaplen` are cut to it (their origLen kept). */
export function classicPcap (records: CaptureRecord[], o: { byteOrder: ByteOrder, nanos?: boolean, linkType: number, snaplen: number }): Buffer {
  const w = new Writer(o.byteOrder)
  w.u32(o.nanos === true ? 0xa1b23c4d : 0xa1b2c3d4).u16(2).u16(4).u32(0).u32(0).u32(o.snaplen).u32(o.linkType)
  for (const r of records) {
    const captured = r.frame.subarray(0, o.snaplen)
    const seconds = Math.floor(r.tsUs / 1e6)
    const micros = r.tsUs - seconds * 1e6
    w.u32(seconds).u32(o.nanos === true ? micros * 1000 : micros).u32(captured.length).u32(r.origLen ?? r.frame.length).bytes(captured)
  }
  return w.done()
}

/**
 * A pcapng interface. `tsresol` is the if_tsresol option byte: 10^-n seconds, or 2^-n with
 * the top bit set (0x80 | n); absent means microseconds. `tsoffset` is if_tsoffset, seconds.
 */
export interface PcapngInterface { linkType: number, snaplen?: number, tsresol?: number, tsoffset?: number }

/**
 * One pcapng section: a Section Header Block, an Interface Description Block per interface,
 * then an Enhanced Packet Block per record, or Simple Packet Blocks (no timestamp, interface
 * 0) when `simple`. Several sections make a file by concatenation.
 */
export function pcapng (records: CaptureRecord[], o: { interfaces: PcapngInterface[], byteOrder?: ByteOrder, simple?: boolean }): Buffer {
  const order = o.byteOrder ?? 'le'
  const blocks = [sectionHeaderBlock(order)]
  for (const iface of o.interfaces) blocks.push(interfaceDescriptionBlock(iface, order))
  for (const r of records) {
    const iface = o.interfaces[r.interface ?? 0] as PcapngInterface
    const snaplen = iface.snaplen ?? 0
    const captured = snaplen > 0 ? r.frame.subarray(0, snaplen) : r.frame
    const body = new Writer(order)
    if (o.simple === true) {
      body.u32(r.origLen ?? r.frame.length).bytes(captured).pad()
      blocks.push(pcapngBlock(3, body.done(), order))
    } else {
      const units = r.tsUnits ?? timestampUnits(r.tsUs - (iface.tsoffset ?? 0) * 1e6, iface.tsresol ?? 6)
      body.u32(r.interface ?? 0).u32(Number(units >> 32n)).u32(Number(units & 0xffffffffn))
        .u32(captured.length).u32(r.origLen ?? r.frame.length).bytes(captured).pad()
      blocks.push(pcapngBlock(6, body.done(), order))
    }
  }
  return Buffer.concat(blocks)
}

/** A pcapng block of any type around `body` (padded to 4 bytes), lengths filled in. */
export function pcapngBlock (type: number, body: Buffer, byteOrder: ByteOrder = 'le'): Buffer {
  const padded = Buffer.concat([body, Buffer.alloc((4 - body.length % 4) % 4)])
  const length = 12 + padded.length
  return new Writer(byteOrder).u32(type).u32(length).bytes(padded).u32(length).done()
}

function sectionHeaderBlock (order: ByteOrder): Buffer {
  return pcapngBlock(0x0a0d0d0a, new Writer(order).u32(0x1a2b3c4d).u16(1).u16(0).u32(0xffffffff).u32(0xffffffff).done(), order)
}

function interfaceDescriptionBlock (iface: PcapngInterface, order: ByteOrder): Buffer {
  const body = new Writer(order).u16(iface.linkType).u16(0).u32(iface.snaplen ?? 0)
  if (iface.tsresol !== undefined) body.u16(9).u16(1).bytes(Buffer.from([iface.tsresol])).pad()
  if (iface.tsoffset !== undefined) {
    const offset = Buffer.alloc(8)
    if (order === 'le') offset.writeBigInt64LE(BigInt(iface.tsoffset))
    else offset.writeBigInt64BE(BigInt(iface.tsoffset))
    body.u16(14).u16(8).bytes(offset)
  }
  if (iface.tsresol !== undefined || iface.tsoffset !== undefined) body.u16(0).u16(0)
  return pcapngBlock(1, body.done(), order)
}

/** µs → if_tsresol units, rounded up so that reading back (rounding down) gives the µs again. */
function timestampUnits (tsUs: number, tsresol: number): bigint {
  const us = BigInt(tsUs)
  const n = BigInt(tsresol & 0x7f)
  const perSecond = (tsresol & 0x80) !== 0 ? 1n << n : 10n ** n
  return (us * perSecond + 999999n) / 1000000n
}

function address (text: string, version: 4 | 6): Buffer {
  if (version === 4) {
    if (!isIPv4(text)) throw new Error(`not an IPv4 address: ${text}`)
    return Buffer.from(text.split('.').map(Number))
  }
  if (!isIPv6(text)) throw new Error(`not an IPv6 address: ${text}`)
  const [head = '', tail] = text.split('::')
  const words = (part: string): string[] => part === '' ? [] : part.split(':')
  const left = words(head)
  const right = tail === undefined ? [] : words(tail)
  const all = [...left, ...Array(8 - left.length - right.length).fill('0'), ...right]
  const b = Buffer.alloc(16)
  all.forEach((word, i) => b.writeUInt16BE(parseInt(word, 16), 2 * i))
  return b
}

function checksum (header: Buffer): number {
  let sum = 0
  for (let i = 0; i < header.length; i += 2) sum += header.readUInt16BE(i)
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16)
  return ~sum & 0xffff
}

/** Appends integers in one byte order. */
class Writer {
  readonly #parts: Buffer[] = []
  readonly #le: boolean
  #length = 0

  constructor (order: ByteOrder) {
    this.#le = order === 'le'
  }

  u16 (value: number): this {
    const b = Buffer.alloc(2)
    if (this.#le) b.writeUInt16LE(value)
    else b.writeUInt16BE(value)
    return this.bytes(b)
  }

  u32 (value: number): this {
    const b = Buffer.alloc(4)
    if (this.#le) b.writeUInt32LE(value >>> 0)
    else b.writeUInt32BE(value >>> 0)
    return this.bytes(b)
  }

  bytes (b: Buffer): this {
    this.#parts.push(b)
    this.#length += b.length
    return this
  }

  /** Zeros up to a multiple of 4 bytes. */
  pad (): this {
    return this.bytes(Buffer.alloc((4 - this.#length % 4) % 4))
  }

  done (): Buffer {
    return Buffer.concat(this.#parts, this.#length)
  }
}
