/**
 * What the agent may see, from its effective capabilities (/proc/self/status `CapEff`), said once
 * at start-up: which sources work fully and which lose what for want of which right. The agent
 * runs as a non-root user with only what it needs (packages/agent/Dockerfile, `inject`):
 *
 *   CAP_NET_RAW     live packet capture (without it: connections polled from /proc/net, no bytes)
 *   CAP_SYS_PTRACE  the executable, its hash, the open sockets and the environment-free details
 *                   of processes of other users (the app containers' processes); without it the
 *                   scanner reports those processes with what /proc shows everyone
 */
const CAP_NET_RAW = 13
const CAP_SYS_PTRACE = 19

export interface Rights {
  uid: number
  netRaw: boolean
  sysPtrace: boolean
}

/** The rights in a /proc/PID/status text; undefined when it has no CapEff line. */
export function rightsFromStatus (status: string, uid: number): Rights | undefined {
  const hex = /^CapEff:\s*([0-9a-f]+)$/im.exec(status)?.[1]
  if (hex === undefined) return undefined
  const caps = BigInt(`0x${hex}`)
  const has = (bit: number): boolean => (caps & (1n << BigInt(bit))) !== 0n
  return { uid, netRaw: has(CAP_NET_RAW), sysPtrace: has(CAP_SYS_PTRACE) }
}

/** What each source loses for want of a right, for the start-up log; empty when nothing is missing. */
export function missingRights (rights: Rights, sources: { capture: boolean, proc: boolean }): Array<{ source: string, right: string, effect: string }> {
  const out: Array<{ source: string, right: string, effect: string }> = []
  if (sources.capture && !rights.netRaw) {
    out.push({ source: 'capture', right: 'CAP_NET_RAW', effect: 'no live packet capture: connections are polled from /proc/net, without packet or byte counts' })
  }
  if (sources.proc && !rights.sysPtrace) {
    out.push({ source: 'proc', right: 'CAP_SYS_PTRACE', effect: 'processes of other users (the app containers\' when they run as another user) are reported without their executable path, hash and open sockets' })
  }
  return out
}
