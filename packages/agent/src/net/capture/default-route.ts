/**
 * The interface of the default IPv4 route, from /proc/net/route: the `auto` capture's choice
 * when there is no ECS task metadata to name the task ENI. Among default routes (destination
 * 00000000, mask 00000000, the route up) the one with the lowest metric wins, as the kernel's.
 *
 * /proc/net/route is the reader's network namespace, like every /proc/net file.
 */
import { readFileSync } from 'node:fs'

const RTF_UP = 0x0001

/** The default route's interface in the text of /proc/net/route, or undefined when there is none. */
export function parseDefaultRoute (text: string): string | undefined {
  let best: string | undefined
  let bestMetric = Infinity
  const lines = text.split('\n')
  for (let i = 1; i < lines.length; i++) {
    const f = (lines[i] as string).trim().split(/\s+/)
    if (f.length < 8) continue
    const [iface, destination, , flags, , , metric, mask] = f as [string, string, string, string, string, string, string, string]
    if (destination !== '00000000' || mask !== '00000000') continue
    if ((parseInt(flags, 16) & RTF_UP) === 0) continue
    const m = Number(metric)
    if (Number.isFinite(m) && m < bestMetric) {
      best = iface
      bestMetric = m
    }
  }
  return best
}

/** The default route's interface of this network namespace; undefined when none or unreadable. */
export function readDefaultRoute (procRoot = '/proc'): string | undefined {
  try {
    return parseDefaultRoute(readFileSync(`${procRoot}/net/route`, 'latin1'))
  } catch {
    return undefined
  }
}
