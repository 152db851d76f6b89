/**
 * The contract between packet sources (the pcap/pcapng file reader, live capture) and the flow
 * tracker: one decoded TCP or UDP packet's metadata, and the stable reasons a frame is skipped.
 *
 * Sources decode into ONE reused PacketMeta object per stream (no allocation per packet): the
 * tracker copies what it keeps. Addresses stay in the frame's buffer (`buf` at `srcOffset` /
 * `dstOffset`, 4 bytes for IPv4, 16 for IPv6) so that the tracker can key flows without making
 * strings; it formats them only for a new flow.
 */

export const TCP = 6
export const UDP = 17

/** TCP flag bits as in the header's 14th byte. */
export const FIN = 0x01
export const SYN = 0x02
export const RST = 0x04
export const PSH = 0x08
export const ACK = 0x10
export const URG = 0x20
export const ECE = 0x40
export const CWR = 0x80

export interface PacketMeta {
  /** Capture time, microseconds since the Unix epoch (an integer). */
  tsUs: number
  ipVersion: 4 | 6
  /** TCP (6) or UDP (17). */
  proto: 6 | 17
  /** Holds both addresses; valid only until the next packet. */
  buf: Buffer
  srcOffset: number
  dstOffset: number
  sport: number
  dport: number
  /** IP-layer bytes: the IPv4 total length, or 40 + the IPv6 payload length (never the frame length). */
  ipBytes: number
  /** The TCP flags byte; 0 for UDP. */
  tcpFlags: number
  /** L4 payload bytes by the headers' lengths (not what was captured). */
  payloadBytes: number
}

/** A fresh PacketMeta for a source to decode into, again and again. */
export function newPacketMeta (): PacketMeta {
  return { tsUs: 0, ipVersion: 4, proto: TCP, buf: Buffer.alloc(0), srcOffset: 0, dstOffset: 0, sport: 0, dport: 0, ipBytes: 0, tcpFlags: 0, payloadBytes: 0 }
}

/**
 * Why a frame made no packet. Stable names: they are counter names in the `flows` summary and
 * in agent.stats (`capture.skipped.<reason>`).
 */
export const SKIP_REASONS = [
  /** The captured bytes end inside the link-layer header (Ethernet, VLAN tag, SLL, SLL2). */
  'truncated_link',
  /** Not IPv4 or IPv6: ARP, LLDP, any other EtherType or SLL protocol. */
  'not_ip',
  /** The captured bytes end inside the IP header. */
  'truncated_ip',
  /** The IP version nibble disagrees with the link layer's type, or is neither 4 nor 6. */
  'bad_ip_version',
  /** IPv4 header length under 20 bytes. */
  'bad_ihl',
  /** IPv4 total length smaller than its header (or IPv6 extension headers longer than the payload). */
  'bad_ip_length',
  /** A non-first IPv4 fragment or an IPv6 fragment with a non-zero offset: no L4 header to read. */
  'fragment',
  /** IP carrying something other than TCP or UDP (ICMP, ESP, ...). Not an error; counted. */
  'not_tcp_udp',
  /** The captured bytes end inside the TCP (20 bytes) or UDP (8 bytes) header. */
  'truncated_l4',
  /** TCP data offset under 5 words. */
  'bad_l4',
  /** A link type the reader does not decode. */
  'unsupported_link',
] as const

export type SkipReason = typeof SKIP_REASONS[number]

/** Where a source delivers what it decoded. */
export interface PacketSink {
  packet: (packet: PacketMeta) => void
  skip: (reason: SkipReason) => void
}
