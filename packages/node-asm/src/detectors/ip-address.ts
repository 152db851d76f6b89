/**
 * Where a host name or IP literal points, without DNS. IPv4 literals are read the way the WHATWG
 * URL parser (and so `new URL`, fetch and undici) reads them — `2852039166`, `0251.0376.0251.0376`,
 * `0xa9fea9fe` and `169.254.43518` are all 169.254.169.254 — and IPv6 literals are expanded so
 * that IPv4-mapped, NAT64 and 6to4 forms are judged by the IPv4 address they carry.
 */

export type Destination = 'loopback' | 'link-local' | 'private' | 'metadata' | 'public' | 'unspecified'

/** Credential endpoints: EC2 IMDS, ECS task credentials (Fargate), EKS pod identity. */
const METADATA_V4 = new Set([0xa9fea9fe /* 169.254.169.254 */, 0xa9feaa02 /* 169.254.170.2 */, 0xa9feaa17 /* 169.254.170.23 */])
const HEX_GROUP = /^[0-9a-f]{1,4}$/i
const DECIMAL_OCTET = /^\d{1,3}$/
const METADATA_NAMES = new Set(['metadata', 'metadata.google.internal', 'instance-data', 'instance-data.ec2.internal', 'metadata.azure.internal'])

export function classifyDestination (host: string): Destination {
  let h = host.toLowerCase()
  if (h.startsWith('[') && h.endsWith(']')) {
    const v6 = parseIPv6(h.slice(1, -1))
    return v6 === undefined ? 'public' : classifyIPv6(v6)
  }
  // A fully qualified name (`localhost.`, `169.254.169.254.`) resolves like the name without the dot.
  while (h.endsWith('.')) h = h.slice(0, -1)
  if (h === '') return 'unspecified'
  if (h === 'localhost' || h.endsWith('.localhost')) return 'loopback'
  if (METADATA_NAMES.has(h)) return 'metadata'
  const v4 = parseIPv4(h)
  if (v4 !== undefined) return classifyIPv4(v4)
  if (h.includes(':')) {
    const v6 = parseIPv6(h)
    if (v6 !== undefined) return classifyIPv6(v6)
  }
  return 'public'
}

export function classifyIPv4 (ip: number): Destination {
  const a = ip >>> 24
  const b = (ip >>> 16) & 0xff
  if (METADATA_V4.has(ip)) return 'metadata'
  if (a === 0) return 'unspecified' // 0.0.0.0/8: "this host"; Linux connects 0.0.0.0 to loopback
  if (a === 127) return 'loopback'
  if (a === 169 && b === 254) return 'link-local'
  if (a === 10 || (a === 172 && b >= 16 && b <= 31) || (a === 192 && b === 168)) return 'private'
  if (a === 100 && b >= 64 && b <= 127) return 'private' // 100.64.0.0/10, carrier-grade NAT, used by VPC peering setups
  return 'public'
}

/**
 * WHATWG "IPv4 parser": one to four dot-separated numbers, each decimal, octal (leading 0) or hex
 * (0x); the last fills all remaining bytes. A trailing empty part (`127.0.0.1.`) is allowed.
 * Returns the address as an unsigned 32-bit number, or undefined when the host is not an IPv4.
 * Scans in place, without split or parseInt: this runs on every outbound request's host.
 */
export function parseIPv4 (host: string): number | undefined {
  let end = host.length
  if (end > 1 && host.charCodeAt(end - 1) === 46 /* . */) end--
  let ip = 0
  let parts = 0
  for (let start = 0; start <= end;) {
    let dot = host.indexOf('.', start)
    if (dot === -1 || dot > end) dot = end
    const n = parseIPv4Number(host, start, dot)
    if (n === undefined) return undefined
    parts++
    if (dot === end) return parts > 4 || n >= 256 ** (5 - parts) ? undefined : ip + n
    if (n > 255 || parts === 4) return undefined
    ip += n * 256 ** (4 - parts)
    start = dot + 1
  }
  return undefined
}

export function formatIPv4 (ip: number): string {
  return `${ip >>> 24}.${(ip >>> 16) & 255}.${(ip >>> 8) & 255}.${ip & 255}`
}

/** host[start, end) as one part: `0x` hex, `0` octal, else decimal; `0x` alone is 0. */
function parseIPv4Number (host: string, start: number, end: number): number | undefined {
  if (start === end) return undefined
  let radix = 10
  let i = start
  if (end - start >= 2 && host.charCodeAt(start) === 48 /* 0 */) {
    const x = host.charCodeAt(start + 1) | 0x20
    radix = x === 120 /* x */ ? 16 : 8
    i += radix === 16 ? 2 : 1
  }
  let n = 0
  for (; i < end; i++) {
    const d = digitValue(host.charCodeAt(i))
    if (d >= radix) return undefined
    n = n * radix + d
  }
  return n
}

/** 0-15 for 0-9, a-f, A-F; 99 for anything else. */
function digitValue (c: number): number {
  if (c >= 48 && c <= 57) return c - 48
  const lower = c | 0x20
  return lower >= 97 && lower <= 102 ? lower - 87 : 99
}

export function classifyIPv6 (groups: readonly number[]): Destination {
  const [g0, g1, g2, g3, g4, g5, g6, g7] = groups as [number, number, number, number, number, number, number, number]
  const v4 = (g6 << 16 | g7) >>> 0
  const zeroPrefix = g0 === 0 && g1 === 0 && g2 === 0 && g3 === 0 && g4 === 0
  if (zeroPrefix && g5 === 0 && g6 === 0) return g7 === 0 ? 'unspecified' : g7 === 1 ? 'loopback' : classifyIPv4(v4)
  if (zeroPrefix && (g5 === 0xffff || g5 === 0)) return classifyIPv4(v4) // ::ffff:a.b.c.d mapped, ::a.b.c.d compatible
  if (g0 === 0x64 && g1 === 0xff9b && g2 === 0 && g3 === 0 && g4 === 0 && g5 === 0) return classifyIPv4(v4) // NAT64
  if (g0 === 0x2002) return classifyIPv4((g1 << 16 | g2) >>> 0) // 6to4 carries its IPv4 in bits 16..47
  if (g0 === 0xfd00 && g1 === 0x0ec2 && g2 === 0 && g3 === 0 && g4 === 0 && g5 === 0 && g6 === 0 && (g7 === 0x254 || g7 === 0x23)) return 'metadata'
  if ((g0 & 0xffc0) === 0xfe80) return 'link-local'
  if ((g0 & 0xfe00) === 0xfc00 || (g0 & 0xffc0) === 0xfec0) return 'private' // ULA, old site-local
  return 'public'
}

/** Eight 16-bit groups, with `::` and a dotted IPv4 tail; a `%zone` is ignored. */
export function parseIPv6 (text: string): number[] | undefined {
  const zone = text.indexOf('%')
  const address = zone === -1 ? text : text.slice(0, zone)
  const halves = address.split('::')
  if (halves.length > 2) return undefined
  const head = parseGroups(halves[0] as string)
  const tail = halves.length === 2 ? parseGroups(halves[1] as string) : []
  if (head === undefined || tail === undefined) return undefined
  const missing = 8 - head.length - tail.length
  if (halves.length === 2 ? missing < 1 : missing !== 0) return undefined
  return [...head, ...new Array<number>(missing).fill(0), ...tail]
}

function parseGroups (text: string): number[] | undefined {
  if (text === '') return []
  const groups: number[] = []
  const parts = text.split(':')
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i] as string
    if (i === parts.length - 1 && part.includes('.')) {
      const v4 = strictDottedIPv4(part)
      if (v4 === undefined) return undefined
      groups.push(v4 >>> 16, v4 & 0xffff)
    } else {
      if (!HEX_GROUP.test(part)) return undefined
      groups.push(parseInt(part, 16))
    }
  }
  return groups
}

/** Inside IPv6 only plain dotted decimal is allowed (RFC 4291, WHATWG). */
function strictDottedIPv4 (text: string): number | undefined {
  const parts = text.split('.')
  if (parts.length !== 4) return undefined
  let ip = 0
  for (const part of parts) {
    if (!DECIMAL_OCTET.test(part) || Number(part) > 255) return undefined
    ip = ip * 256 + Number(part)
  }
  return ip
}
