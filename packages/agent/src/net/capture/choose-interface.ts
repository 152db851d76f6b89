/**
 * Which interface live capture listens on, and which addresses are the task's (for `scope` and
 * for finding the local end of a flow).
 *
 * - `--capture IFACE`: that interface; the task's addresses are its addresses.
 * - `--capture auto`: with ECS_CONTAINER_METADATA_URI_V4 set, the host interface holding one of
 *   the task's addresses from the task metadata (the task ENI); else the interface of the default
 *   route (/proc/net/route); else none, and the agent polls /proc/net instead.
 * - `--capture off`: none.
 *
 * Loopback is always the task's. Addresses are whole-address ranges (/32, /128) for TaskNets.
 */
import { networkInterfaces, type NetworkInterfaceInfo } from 'node:os'
import { parseIP } from '../ip-text'
import { readDefaultRoute } from './default-route'
import { fetchTaskAddresses, METADATA_TIMEOUT_MS } from './task-metadata'

export type Interfaces = NodeJS.Dict<NetworkInterfaceInfo[]>

export interface InterfaceChoice {
  /** The interface to capture on; undefined for none. */
  iface: string | undefined
  /** Why this interface, or why none: said once in the agent's log. */
  reason: string
  /** The task's addresses as /32 and /128 ranges, loopback included. */
  taskNets: string[]
}

export interface ChooseOptions {
  env?: NodeJS.ProcessEnv
  /** Defaults to os.networkInterfaces(). */
  interfaces?: Interfaces
  procRoot?: string
  timeoutMs?: number
}

export const LOOPBACK_NETS = ['127.0.0.0/8', '::1/128']

export async function chooseInterface (capture: string, options: ChooseOptions = {}): Promise<InterfaceChoice> {
  const interfaces = options.interfaces ?? networkInterfaces()
  const env = options.env ?? process.env
  if (capture === 'off') return { iface: undefined, reason: 'capture is off', taskNets: withLoopback(allAddresses(interfaces)) }
  if (capture !== 'auto') {
    return { iface: capture, reason: 'named by --capture', taskNets: withLoopback(addressesOf(interfaces, capture)) }
  }

  let metadataNote = 'ECS_CONTAINER_METADATA_URI_V4 is not set'
  let taskAddresses: string[] | undefined
  const uri = env.ECS_CONTAINER_METADATA_URI_V4
  if (uri !== undefined && uri !== '') {
    try {
      taskAddresses = await fetchTaskAddresses(uri, options.timeoutMs ?? METADATA_TIMEOUT_MS)
      const held = interfaceHolding(interfaces, taskAddresses)
      if (held !== undefined) {
        return { iface: held.iface, reason: `it holds the task address ${held.address} (ECS task metadata)`, taskNets: withLoopback(taskAddresses) }
      }
      metadataNote = taskAddresses.length === 0
        ? 'the ECS task metadata lists no task address'
        : `no interface holds a task address (${taskAddresses.join(', ')}) from the ECS task metadata`
      if (taskAddresses.length === 0) taskAddresses = undefined
    } catch (err) {
      metadataNote = (err as Error).message
    }
  }
  const route = readDefaultRoute(options.procRoot)
  if (route !== undefined) {
    return {
      iface: route,
      reason: `${metadataNote}; it carries the default route`,
      taskNets: withLoopback(taskAddresses ?? addressesOf(interfaces, route)),
    }
  }
  return {
    iface: undefined,
    reason: `${metadataNote}, and there is no default route`,
    taskNets: withLoopback(taskAddresses ?? allAddresses(interfaces)),
  }
}

function interfaceHolding (interfaces: Interfaces, addresses: readonly string[]): { iface: string, address: string } | undefined {
  const wanted = new Set(addresses.map((a) => a.toLowerCase()))
  for (const [name, infos] of Object.entries(interfaces)) {
    if (infos === undefined) continue
    for (const info of infos) if (!info.internal && wanted.has(info.address.toLowerCase())) return { iface: name, address: info.address }
  }
  return undefined
}

function addressesOf (interfaces: Interfaces, name: string): string[] {
  return (interfaces[name] ?? []).map((info) => info.address)
}

function allAddresses (interfaces: Interfaces): string[] {
  return Object.values(interfaces).flatMap((infos) => (infos ?? []).map((info) => info.address))
}

/** Addresses as whole-address ranges, plus loopback; zone ids (fe80::1%eth0) and non-addresses dropped. */
function withLoopback (addresses: readonly string[]): string[] {
  const nets: string[] = []
  for (const a of addresses) {
    const bare = a.split('%')[0] as string
    const bytes = parseIP(bare)
    if (bytes !== undefined) nets.push(`${bare}/${bytes.length === 16 ? 128 : 32}`)
  }
  return [...new Set([...nets, ...LOOPBACK_NETS])]
}
