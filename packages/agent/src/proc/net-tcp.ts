/**
 * /proc/PID/net/tcp and tcp6, parsed: one socket per line with its local and remote address, TCP
 * state and inode. The inode is what /proc/PID/fd/N links to (`socket:[INODE]`), which is how a
 * socket is tied to the process that holds it (the sshd session's client address, the process
 * listening on a port). Addresses are hex in host byte order (little-endian here), per 32-bit word.
 * IPv4-mapped IPv6 addresses (`::ffff:a.b.c.d`, a v4 client of a `::` listener) are given as v4.
 */

export interface TcpSocket {
  local: { address: string, port: number }
  remote: { address: string, port: number }
  /** The kernel's TCP state number: 1 ESTABLISHED, 10 LISTEN, ... */
  state: number
  uid: number
  inode: number
}

export const TCP_ESTABLISHED = 1
export const TCP_LISTEN = 10

/** The sockets of a tcp or tcp6 table (the header line is skipped; malformed lines too). */
export function parseNetTcp (text: string): TcpSocket[] {
  const sockets: TcpSocket[] = []
  for (const line of text.split('\n')) {
    const f = line.trim().split(/\s+/)
    if (f.length < 10 || !f[0]?.endsWith(':')) continue
    const local = endpoint(f[1] ?? '')
    const remote = endpoint(f[2] ?? '')
    const state = parseInt(f[3] ?? '', 16)
    const uid = Number(f[7])
    const inode = Number(f[9])
    if (local === undefined || remote === undefined || !Number.isInteger(state) || !Number.isSafeInteger(inode)) continue
    sockets.push({ local, remote, state, uid, inode })
  }
  return sockets
}

function endpoint (text: string): { address: string, port: number } | undefined {
  const colon = text.indexOf(':')
  if (colon === -1) return undefined
  const address = hexAddress(text.slice(0, colon))
  const port = parseInt(text.slice(colon + 1), 16)
  if (address === undefined || !(port >= 0 && port <= 65535)) return undefined
  return { address, port }
}

/** `0100007F` → `127.0.0.1`; 32 hex digits → compressed IPv6. */
export function hexAddress (hex: string): string | undefined {
  if (!/^[0-9A-Fa-f]+$/.test(hex)) return undefined
  if (hex.length === 8) return v4(wordBytes(hex))
  if (hex.length !== 32) return undefined
  const bytes: number[] = []
  for (let i = 0; i < 32; i += 8) bytes.push(...wordBytes(hex.slice(i, i + 8)))
  if (bytes.slice(0, 10).every((b) => b === 0) && bytes[10] === 0xff && bytes[11] === 0xff) return v4(bytes.slice(12))
  return v6(bytes)
}

/** The bytes of one 32-bit word written in little-endian hex, in network order. */
function wordBytes (hex8: string): number[] {
  const out: number[] = []
  for (let i = 6; i >= 0; i -= 2) out.push(parseInt(hex8.slice(i, i + 2), 16))
  return out
}

function v4 (bytes: number[]): string {
  return bytes.join('.')
}

/** RFC 5952 text: lower case, the longest run of two or more zero groups as `::`. */
function v6 (bytes: number[]): string {
  const groups: number[] = []
  for (let i = 0; i < 16; i += 2) groups.push(((bytes[i] ?? 0) << 8) | (bytes[i + 1] ?? 0))
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
  if (bestAt === -1) return hex.join(':')
  return `${hex.slice(0, bestAt).join(':')}::${hex.slice(bestAt + bestLen).join(':')}`
}
