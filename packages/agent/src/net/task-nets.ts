/**
 * Which addresses belong to the task: flows between two of them are `intra-task`, and the
 * initiator's side decides `inbound` / `outbound`. Live, these are the ENI's addresses and
 * loopback; offline, the `--task-net CIDR` ranges, or — when none is given — the ranges a task
 * ENI is numbered from: RFC 1918, shared (100.64/10), link-local (169.254/16, fe80::/10),
 * loopback and unique-local IPv6 (fc00::/7).
 */
import { AgentError } from '../errors'
import { parseIP } from './ip-text'

export interface Cidr { bytes: Uint8Array, prefix: number }

export const DEFAULT_TASK_NETS = ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', '100.64.0.0/10', '169.254.0.0/16',
  '127.0.0.0/8', '::1/128', 'fc00::/7', 'fe80::/10']

export class TaskNets {
  readonly #v4: Cidr[] = []
  readonly #v6: Cidr[] = []
  /** The ranges as given, for messages. */
  readonly ranges: readonly string[]

  /** Throws SW_ERR_USAGE naming the bad range. */
  constructor (ranges: readonly string[]) {
    this.ranges = ranges
    for (const range of ranges) {
      const cidr = parseCidr(range)
      if (cidr === undefined) throw new AgentError('SW_ERR_USAGE', `--task-net ${JSON.stringify(range)} is not an IPv4 or IPv6 address or CIDR range (like 169.254.170.0/24 or fd00::/64)`)
      ;(cidr.bytes.length === 4 ? this.#v4 : this.#v6).push(cidr)
    }
  }

  /**
   * True when the address (text, as flow records print it) is in one of the ranges. When its
   * bytes are at hand (`bytes[at]`: 4, or 16 for an address with a colon) they are used instead
   * of parsing the text.
   */
  contains (address: string, bytes?: Uint8Array, at = 0): boolean {
    const v6 = address.includes(':')
    let b = bytes
    if (b === undefined) {
      b = parseIP(address)
      if (b === undefined) return false
      at = 0
    }
    for (const cidr of v6 ? this.#v6 : this.#v4) if (inCidr(b, cidr, at)) return true
    return false
  }
}

/** `A.B.C.D/N`, `X::Y/N` or a bare address (all bits); undefined when malformed. */
export function parseCidr (text: string): Cidr | undefined {
  const slash = text.indexOf('/')
  const bytes = parseIP(slash === -1 ? text : text.slice(0, slash))
  if (bytes === undefined) return undefined
  const bits = bytes.length * 8
  if (slash === -1) return { bytes, prefix: bits }
  const prefixText = text.slice(slash + 1)
  if (!/^\d{1,3}$/.test(prefixText) || Number(prefixText) > bits) return undefined
  return { bytes, prefix: Number(prefixText) }
}

/** Whether address bytes (`bytes[at]`, 4 or 16, the same family as the range) lie in the range. */
export function inCidr (bytes: Uint8Array, cidr: Cidr, at = 0): boolean {
  let left = cidr.prefix
  for (let i = 0; left > 0; i++, left -= 8) {
    const mask = left >= 8 ? 0xff : (0xff << (8 - left)) & 0xff
    if (((bytes[at + i] as number) & mask) !== ((cidr.bytes[i] as number) & mask)) return false
  }
  return true
}
