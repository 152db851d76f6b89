// Two network namespaces joined by a veth pair, 192.0.2.1/24 (first) and 192.0.2.2/24 (second),
// made for one test and always removed after it, whatever happens: teardown is registered before
// anything is created, creation cleans up after itself when a step fails, and a process 'exit'
// hook removes what a killed test run left. IPv6 is disabled inside, so the only IP traffic on
// the link is what the test makes. Names are unique per test process and call.
import { execFileSync, spawn, type ChildProcess, type SpawnOptions } from 'node:child_process'
import { cleanEnv } from './agent'

export interface NetnsPair {
  /** Namespace names. */
  ns1: string
  ns2: string
  /** The veth ends: veth1 in ns1, veth2 in ns2. */
  veth1: string
  veth2: string
  addr1: '192.0.2.1'
  addr2: '192.0.2.2'
  /** Spawns `cmd args` inside a namespace (`ip netns exec` execs it: the child's pid is the command's). */
  spawnIn: (ns: string, cmd: string, args: string[], options?: SpawnOptions) => ChildProcess
  /** Runs a command inside a namespace to completion; its stdout. */
  execIn: (ns: string, cmd: string, args: string[]) => string
}

type Teardown = { teardown: (fn: () => unknown) => void }

let seq = 0
const live = new Set<string>()
process.once('exit', () => { for (const ns of live) removeNamespace(ns) })

/** Why namespaces cannot be made here (a reason for t.skip), or undefined when they can. */
export function netnsUnavailable (): string | undefined {
  if (process.getuid?.() !== 0) return 'network namespaces need root'
  try {
    execFileSync('ip', ['netns', 'list'], { stdio: 'pipe' })
  } catch (err) {
    return `ip netns is not available: ${(err as Error).message.split('\n')[0] ?? ''}`
  }
  return undefined
}

export function createNetnsPair (t: Teardown): NetnsPair {
  const id = `${process.pid}${String.fromCharCode(97 + (seq++ % 26))}`
  const pair: NetnsPair = {
    ns1: `swtest${id}1`,
    ns2: `swtest${id}2`,
    veth1: `swv${id}1`.slice(-15),
    veth2: `swv${id}2`.slice(-15),
    addr1: '192.0.2.1',
    addr2: '192.0.2.2',
    spawnIn: (ns, cmd, args, options = {}) => spawn('ip', ['netns', 'exec', ns, cmd, ...args], { env: cleanEnv(), ...options }),
    execIn: (ns, cmd, args) => execFileSync('ip', ['netns', 'exec', ns, cmd, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }),
  }
  // Registered first, so a failure anywhere below still removes whatever was made.
  t.teardown(() => { removeNamespace(pair.ns1); removeNamespace(pair.ns2) })
  const ip = (...args: string[]): void => { execFileSync('ip', args, { stdio: 'pipe' }) }
  try {
    for (const ns of [pair.ns1, pair.ns2]) {
      live.add(ns)
      ip('netns', 'add', ns)
      // IPv6 off before the link exists: no router solicitations or DAD on the wire.
      pair.execIn(ns, 'sh', ['-c', 'echo 1 > /proc/sys/net/ipv6/conf/all/disable_ipv6; echo 1 > /proc/sys/net/ipv6/conf/default/disable_ipv6'])
      ip('-n', ns, 'link', 'set', 'lo', 'up')
    }
    ip('link', 'add', pair.veth1, 'netns', pair.ns1, 'type', 'veth', 'peer', 'name', pair.veth2, 'netns', pair.ns2)
    ip('-n', pair.ns1, 'addr', 'add', `${pair.addr1}/24`, 'dev', pair.veth1)
    ip('-n', pair.ns2, 'addr', 'add', `${pair.addr2}/24`, 'dev', pair.veth2)
    ip('-n', pair.ns1, 'link', 'set', pair.veth1, 'up')
    ip('-n', pair.ns2, 'link', 'set', pair.veth2, 'up')
  } catch (err) {
    removeNamespace(pair.ns1)
    removeNamespace(pair.ns2)
    throw err
  }
  return pair
}

/** Deletes a namespace (and with it its end of the veth, which takes the peer along). */
function removeNamespace (ns: string): void {
  live.delete(ns)
  try {
    execFileSync('ip', ['netns', 'del', ns], { stdio: 'pipe' })
  } catch {
    // already gone
  }
}

/** IPv4 packets and IP-layer octets a namespace received and sent, from its own SNMP counters. */
export interface IpCounters { inPkts: number, outPkts: number, inOctets: number, outOctets: number }

export function ipCounters (pair: NetnsPair, ns: string): IpCounters {
  const text = pair.execIn(ns, 'cat', ['/proc/net/snmp', '/proc/net/netstat'])
  const read = (prefix: string, field: string): number => {
    const lines = text.split('\n').filter((l) => l.startsWith(`${prefix}:`))
    const names = (lines[0] ?? '').split(/\s+/)
    const values = (lines[1] ?? '').split(/\s+/)
    const at = names.indexOf(field)
    if (at < 0) throw new Error(`no ${prefix} ${field} in /proc/net of ${ns}`)
    return Number(values[at])
  }
  return {
    inPkts: read('Ip', 'InReceives'),
    outPkts: read('Ip', 'OutRequests'),
    inOctets: read('IpExt', 'InOctets'),
    outOctets: read('IpExt', 'OutOctets'),
  }
}
