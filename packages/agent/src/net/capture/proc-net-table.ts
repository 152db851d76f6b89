/**
 * Reads the kernel's socket tables, /proc/net/{tcp,tcp6,udp,udp6}: one entry per socket with its
 * local and remote endpoint, TCP state and inode (0 for sockets no process holds, e.g. TIME_WAIT).
 *
 * The kernel prints each address as 32-bit words in hex, each word the network-order bytes read
 * as a native integer (so `0100007F` is 127.0.0.1 on a little-endian host); ports are plain hex.
 * Addresses come out as the flow tracker writes them: dotted IPv4, compressed IPv6, and an
 * IPv4-mapped IPv6 address (a dual-stack socket talking IPv4) as the plain IPv4 address.
 *
 * /proc/net is the reader's network namespace: run this inside the namespace that is captured.
 */
import { readFileSync } from 'node:fs'
import { endianness } from 'node:os'

export type ProcNetTable = 'tcp' | 'tcp6' | 'udp' | 'udp6'
export const PROC_NET_TABLES: readonly ProcNetTable[] = ['tcp', 'tcp6', 'udp', 'udp6']

export interface ProcNetEntry {
  proto: 'tcp' | 'udp'
  local: string
  localPort: number
  remote: string
  remotePort: number
  /** The kernel's state number (TCP: 1 ESTABLISHED ... 10 LISTEN; UDP: 7 unconnected, 1 connected). */
  state: number
  inode: number
}

export const TCP_LISTEN = 0x0a
export const TCP_CLOSE = 0x07

const LITTLE = endianness() === 'LE'
const word = Buffer.alloc(16)

/** A /proc/net address (8 or 32 hex digits) as a string. */
export function decodeHexAddress (hex: string): string {
  const words = hex.length / 8
  for (let i = 0; i < words; i++) {
    const v = parseInt(hex.slice(i * 8, i * 8 + 8), 16)
    if (LITTLE) word.writeUInt32LE(v, i * 4)
    else word.writeUInt32BE(v, i * 4)
  }
  return words === 1 ? ipv4(word, 0) : ipv6(word)
}

function ipv4 (b: Buffer, o: number): string {
  return `${b[o]}.${b[o + 1]}.${b[o + 2]}.${b[o + 3]}`
}

/** RFC 5952 form: lower case, no leading zeros, the longest run (2+) of zero groups as `::`. */
function ipv6 (b: Buffer): string {
  const groups: number[] = []
  for (let i = 0; i < 8; i++) groups.push(b.readUInt16BE(i * 2))
  if (groups[0] === 0 && groups[1] === 0 && groups[2] === 0 && groups[3] === 0 && groups[4] === 0 && groups[5] === 0xffff) {
    return ipv4(b, 12)
  }
  let bestAt = -1
  let bestLen = 1
  for (let i = 0; i < 8;) {
    if (groups[i] !== 0) { i++; continue }
    let j = i
    while (j < 8 && groups[j] === 0) j++
    if (j - i > bestLen) { bestAt = i; bestLen = j - i }
    i = j
  }
  const hex = groups.map((g) => g.toString(16))
  if (bestAt < 0) return hex.join(':')
  return `${hex.slice(0, bestAt).join(':')}::${hex.slice(bestAt + bestLen).join(':')}`
}

/** Parses the text of one table (header line first). Lines that do not parse are ignored. */
export function parseProcNet (text: string, proto: 'tcp' | 'udp'): ProcNetEntry[] {
  const entries: ProcNetEntry[] = []
  const lines = text.split('\n')
  for (let i = 1; i < lines.length; i++) {
    const f = lines[i]!.trim().split(/\s+/)
    if (f.length < 10) continue
    const [la, lp] = f[1]!.split(':')
    const [ra, rp] = f[2]!.split(':')
    if (la === undefined || lp === undefined || ra === undefined || rp === undefined) continue
    if ((la.length !== 8 && la.length !== 32) || la.length !== ra.length) continue
    entries.push({
      proto,
      local: decodeHexAddress(la),
      localPort: parseInt(lp, 16),
      remote: decodeHexAddress(ra),
      remotePort: parseInt(rp, 16),
      state: parseInt(f[3]!, 16),
      inode: Number(f[9]),
    })
  }
  return entries
}

/** One table of this network namespace; empty when the file is missing (no IPv6, say). */
export function readProcNet (table: ProcNetTable, procRoot = '/proc'): ProcNetEntry[] {
  let text: string
  try {
    text = readFileSync(`${procRoot}/net/${table}`, 'latin1')
  } catch {
    return []
  }
  return parseProcNet(text, table.startsWith('tcp') ? 'tcp' : 'udp')
}
