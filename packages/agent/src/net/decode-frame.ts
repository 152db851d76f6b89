/**
 * One captured frame → one TCP/UDP PacketMeta, or the SkipReason why not.
 *
 * This is the per-packet hot path of `flows` (millions of calls a second), so it is one flat
 * function: no allocation, no subarray, no closures, integers read with `buf[i]` arithmetic. It
 * reads the frame where it lies in the reader's buffer (`offset`, `capLen` captured bytes) and
 * fills the caller's reused `out`; the addresses stay in `buf` (see packet.ts).
 *
 * Layers, each bounded by what was captured:
 * - link: Ethernet (802.1Q / 802.1ad tags, stacked), raw IP (101, and DLT 12 / 14), IPv4-only
 *   (228), IPv6-only (229), Linux SLL (113) and SLL2 (276), NULL/loopback (0, host-order family,
 *   read in whichever order makes sense) and OpenBSD LOOP (108, network order).
 * - IP: the version nibble must match what the link layer declared. Lengths come from the IP
 *   header, never from the frame, so Ethernet padding and FCS never count and a snaplen-cut
 *   frame with complete headers still counts its real size. The L4 header must lie inside both
 *   the captured bytes and the IP payload.
 * - L4: ports, the TCP flags and the payload length by the headers (clamped at 0).
 */
import type { PacketMeta, SkipReason } from './packet'

const ETHERTYPE_IPV4 = 0x0800
const ETHERTYPE_IPV6 = 0x86dd
const ETHERTYPE_VLAN = 0x8100
const ETHERTYPE_QINQ = 0x88a8
const ETHERTYPE_QINQ_OLD = 0x9100

/** What the link layer says the IP version is; 0 = read it from the IP header (raw IP). */
const ANY_IP = 0

/**
 * Decode the frame of `capLen` captured bytes at `buf[offset]`, captured on a link of
 * `linkType` (a LINKTYPE_ value) at `tsUs`. Fills `out` and returns undefined for a TCP or UDP
 * packet; returns why otherwise (and `out` is then unspecified).
 */
export function decodeFrame (linkType: number, buf: Buffer, offset: number, capLen: number, tsUs: number, out: PacketMeta): SkipReason | undefined {
  out.tsUs = tsUs
  return decodeFrameAt(linkType, buf, offset, capLen, out)
}

/**
 * decodeFrame without the timestamp: fills everything in `out` but `tsUs`, which the caller sets.
 * For the file reader's loop: a timestamp passed to a function that is not inlined is boxed into
 * a new heap number on every call (a million allocations per million packets).
 */
export function decodeFrameAt (linkType: number, buf: Buffer, offset: number, capLen: number, out: PacketMeta): SkipReason | undefined {
  const capEnd = offset + capLen
  let ip: number // where the IP header starts
  let version: number // 4, 6 or ANY_IP, as the link layer declares it
  switch (linkType) {
    case 1: { // Ethernet
      let p = offset + 12
      if (p + 2 > capEnd) return 'truncated_link'
      let type = (buf[p] as number) << 8 | (buf[p + 1] as number)
      // VLAN tags, stacked any number deep (each is 4 bytes; the capture bounds the loop).
      while (type === ETHERTYPE_VLAN || type === ETHERTYPE_QINQ || type === ETHERTYPE_QINQ_OLD) {
        p += 4
        if (p + 2 > capEnd) return 'truncated_link'
        type = (buf[p] as number) << 8 | (buf[p + 1] as number)
      }
      ip = p + 2
      version = etherTypeVersion(type)
      break
    }
    case 101: case 12: case 14: // raw IP
      ip = offset
      version = ANY_IP
      break
    case 228:
      ip = offset
      version = 4
      break
    case 229:
      ip = offset
      version = 6
      break
    case 113: // Linux cooked v1: protocol (EtherType) at 14, 16-byte header
      if (capLen < 16) return 'truncated_link'
      ip = offset + 16
      version = etherTypeVersion((buf[offset + 14] as number) << 8 | (buf[offset + 15] as number))
      break
    case 276: // Linux cooked v2: protocol (EtherType) at 0, 20-byte header
      if (capLen < 20) return 'truncated_link'
      ip = offset + 20
      version = etherTypeVersion((buf[offset] as number) << 8 | (buf[offset + 1] as number))
      break
    case 0: { // BSD loopback: address family in the capturing host's byte order
      if (capLen < 4) return 'truncated_link'
      let family = ((buf[offset + 3] as number) << 24 | (buf[offset + 2] as number) << 16 | (buf[offset + 1] as number) << 8 | (buf[offset] as number)) >>> 0
      if (family > 0xffff) family = ((buf[offset] as number) << 24 | (buf[offset + 1] as number) << 16 | (buf[offset + 2] as number) << 8 | (buf[offset + 3] as number)) >>> 0
      ip = offset + 4
      version = familyVersion(family)
      break
    }
    case 108: // OpenBSD loopback: address family in network byte order
      if (capLen < 4) return 'truncated_link'
      ip = offset + 4
      version = familyVersion(((buf[offset] as number) << 24 | (buf[offset + 1] as number) << 16 | (buf[offset + 2] as number) << 8 | (buf[offset + 3] as number)) >>> 0)
      break
    default:
      return 'unsupported_link'
  }
  if (version < 0) return 'not_ip'
  if (ip >= capEnd) return 'truncated_ip'

  const nibble = (buf[ip] as number) >> 4
  if (version === ANY_IP ? nibble !== 4 && nibble !== 6 : nibble !== version) return 'bad_ip_version'

  let proto: number
  let l4: number // where the L4 header starts
  let ipEnd: number // where the IP packet ends by its own length fields
  if (nibble === 4) {
    const hl = ((buf[ip] as number) & 0x0f) << 2
    if (hl < 20) return 'bad_ihl'
    if (ip + hl > capEnd) return 'truncated_ip'
    const total = (buf[ip + 2] as number) << 8 | (buf[ip + 3] as number)
    if (total < hl) return 'bad_ip_length'
    if ((((buf[ip + 6] as number) & 0x1f) << 8 | (buf[ip + 7] as number)) !== 0) return 'fragment'
    proto = buf[ip + 9] as number
    out.ipVersion = 4
    out.srcOffset = ip + 12
    out.dstOffset = ip + 16
    out.ipBytes = total
    l4 = ip + hl
    ipEnd = ip + total
  } else {
    if (ip + 40 > capEnd) return 'truncated_ip'
    const payloadLength = (buf[ip + 4] as number) << 8 | (buf[ip + 5] as number)
    ipEnd = ip + 40 + payloadLength
    proto = buf[ip + 6] as number
    l4 = ip + 40
    // Extension headers: each at least 8 bytes, inside the payload and the capture.
    while (proto === 0 || proto === 43 || proto === 60 || proto === 44 || proto === 51) {
      if (l4 + 8 > ipEnd) return 'bad_ip_length'
      if (l4 + 8 > capEnd) return 'truncated_ip'
      let extLength: number
      if (proto === 44) {
        if ((((buf[l4 + 2] as number) << 8 | (buf[l4 + 3] as number)) & 0xfff8) !== 0) return 'fragment'
        extLength = 8
      } else if (proto === 51) {
        extLength = ((buf[l4 + 1] as number) + 2) << 2
      } else {
        extLength = ((buf[l4 + 1] as number) + 1) << 3
      }
      if (l4 + extLength > ipEnd) return 'bad_ip_length'
      if (l4 + extLength > capEnd) return 'truncated_ip'
      proto = buf[l4] as number
      l4 += extLength
    }
    out.ipVersion = 6
    out.srcOffset = ip + 8
    out.dstOffset = ip + 24
    out.ipBytes = 40 + payloadLength
  }

  // The L4 header must be both captured and inside the IP packet (not in link-layer padding).
  const l4Avail = (ipEnd < capEnd ? ipEnd : capEnd) - l4
  const l4Length = ipEnd - l4
  if (proto === 6) {
    if (l4Avail < 20) return 'truncated_l4'
    const headerLength = ((buf[l4 + 12] as number) >> 4) << 2
    if (headerLength < 20) return 'bad_l4'
    out.proto = 6
    out.tcpFlags = buf[l4 + 13] as number
    out.payloadBytes = l4Length > headerLength ? l4Length - headerLength : 0
  } else if (proto === 17) {
    if (l4Avail < 8) return 'truncated_l4'
    out.proto = 17
    out.tcpFlags = 0
    out.payloadBytes = l4Length - 8
  } else {
    return 'not_tcp_udp'
  }
  out.sport = (buf[l4] as number) << 8 | (buf[l4 + 1] as number)
  out.dport = (buf[l4 + 2] as number) << 8 | (buf[l4 + 3] as number)
  out.buf = buf
  return undefined
}

/** 4, 6, or -1 for an EtherType that is not IP. */
function etherTypeVersion (type: number): number {
  return type === ETHERTYPE_IPV4 ? 4 : type === ETHERTYPE_IPV6 ? 6 : -1
}

/** 4, 6, or -1 for a BSD address family that is not IP (AF_INET6 is 24, 28 or 30 by OS). */
function familyVersion (family: number): number {
  return family === 2 ? 4 : family === 24 || family === 28 || family === 30 ? 6 : -1
}
