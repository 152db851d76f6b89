/**
 * IP addresses between bytes and text: IPv4 dotted quads, IPv6 in the RFC 5952 canonical form
 * (lower case, leading zeros dropped, the longest run of two or more zero groups — the first of
 * equal runs — as `::`, IPv4-mapped addresses as `::ffff:a.b.c.d`). Flow records print
 * addresses this way so that they compare as strings.
 */

export function formatIPv4 (buf: Uint8Array, at: number): string {
  return `${buf[at] as number}.${buf[at + 1] as number}.${buf[at + 2] as number}.${buf[at + 3] as number}`
}

export function formatIPv6 (buf: Uint8Array, at: number): string {
  // The longest run of two or more zero groups (the first of equal runs) becomes '::'.
  let bestStart = -1
  let bestLength = 1
  for (let i = 0; i < 8;) {
    if (group(buf, at, i) !== 0) { i++; continue }
    let j = i
    while (j < 8 && group(buf, at, j) === 0) j++
    if (j - i > bestLength) { bestStart = i; bestLength = j - i }
    i = j
  }
  if (bestStart === 0 && (bestLength === 5 && group(buf, at, 5) === 0xffff)) return `::ffff:${formatIPv4(buf, at + 12)}`
  let out = ''
  for (let i = 0; i < 8; i++) {
    if (i === bestStart) {
      out += '::'
      i += bestLength - 1
      continue
    }
    if (out !== '' && !out.endsWith(':')) out += ':'
    out += group(buf, at, i).toString(16)
  }
  return out
}

function group (buf: Uint8Array, at: number, i: number): number {
  return ((buf[at + 2 * i] as number) << 8) | (buf[at + 2 * i + 1] as number)
}

/** The bytes of an IPv4 or IPv6 address in text form (IPv6 with `::`, embedded IPv4 allowed); undefined if it is not one. */
export function parseIP (text: string): Uint8Array | undefined {
  return text.includes(':') ? parseIPv6(text) : parseIPv4(text)
}

function parseIPv4 (text: string): Uint8Array | undefined {
  // By character codes: this runs for every new flow (task address checks).
  const out = new Uint8Array(4)
  let part = 0
  let value = 0
  let digits = 0
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i)
    if (c === 46) { // '.'
      if (digits === 0 || part === 3) return undefined
      out[part++] = value
      value = 0
      digits = 0
    } else if (c >= 48 && c <= 57 && digits < 3) {
      value = value * 10 + (c - 48)
      digits++
      if (value > 255) return undefined
    } else {
      return undefined
    }
  }
  if (digits === 0 || part !== 3) return undefined
  out[3] = value
  return out
}

function parseIPv6 (text: string): Uint8Array | undefined {
  const zone = text.indexOf('%')
  const bare = zone === -1 ? text : text.slice(0, zone)
  const halves = bare.split('::')
  if (halves.length > 2) return undefined
  const groups = (half: string): number[] | undefined => {
    if (half === '') return []
    const out: number[] = []
    const parts = half.split(':')
    for (let i = 0; i < parts.length; i++) {
      const part = parts[i] as string
      if (i === parts.length - 1 && part.includes('.')) {
        const v4 = parseIPv4(part)
        if (v4 === undefined) return undefined
        out.push(((v4[0] as number) << 8) | (v4[1] as number), ((v4[2] as number) << 8) | (v4[3] as number))
      } else {
        if (!/^[0-9a-fA-F]{1,4}$/.test(part)) return undefined
        out.push(parseInt(part, 16))
      }
    }
    return out
  }
  const head = groups(halves[0] as string)
  const tail = halves.length === 2 ? groups(halves[1] as string) : []
  if (head === undefined || tail === undefined) return undefined
  const missing = 8 - head.length - tail.length
  if (halves.length === 1 ? missing !== 0 : missing < 1) return undefined
  const all = [...head, ...new Array<number>(halves.length === 2 ? missing : 0).fill(0), ...tail]
  const out = new Uint8Array(16)
  for (let i = 0; i < 8; i++) { out[2 * i] = (all[i] as number) >> 8; out[2 * i + 1] = (all[i] as number) & 0xff }
  return out
}
