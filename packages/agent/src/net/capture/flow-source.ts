/**
 * The agent's network flows, from the best source it can have: live capture on the chosen
 * interface, else (no interface, no right to capture, capture off, or a capture that failed
 * while running) connection records polled from /proc/net — said once, with a stable code.
 * `--proc off` turns the polling off too (it reads /proc); then there are no flows.
 *
 * Records become `net.flow` events through one FlowEventWriter, attributed to the owning local
 * process by SocketOwners; a SYN asks for an owner-table refresh (coalesced, off the packet path).
 * Nothing here throws into the agent: failures are logged with a code and counted.
 */
import { hostname } from 'node:os'
import type { NetFlowEvent } from '@sidewatch/proto'
import { isAgentError, type AgentError } from '../../errors'
import type { Logger } from '../../log'
import { TaskNets } from '../task-nets'
import { chooseInterface, type ChooseOptions } from './choose-interface'
import { FlowEventWriter } from './flow-event-writer'
import { interfaceDown, LiveCapture } from './live-capture'
import type { PcapBinding } from './pcap-module'
import { ProcNetPoller } from './proc-net-poller'
import { SocketOwners } from './socket-owners'

/** At a stop, the capture waits at most this long for the packets the kernel still holds. */
const DRAIN_AT_CLOSE_MS = 1000
/** After a capture failed, the interface is looked at this often, to capture again once it is back. */
const RESUME_CHECK_MS = 2000
/** At most one owner scan per this many milliseconds on behalf of new connections. */
const OWNER_REFRESH_MS = 50

export interface FlowSourceOptions {
  /** `auto`, `off` or an interface name. */
  capture: string
  proc: 'on' | 'off'
  idleTimeoutS: number
  activeTimeoutS?: number
  maxFlows?: number
  /** How often /proc/net is polled without capture (default 1 s). */
  pollIntervalMs?: number
  write: (events: NetFlowEvent[]) => Promise<void>
  log: Logger
  choose?: ChooseOptions
  /** node-pcap's binding, or a stand-in in tests. */
  binding?: PcapBinding
  /** After a capture failed, how often the interface is looked at to resume capturing (default 2 s). */
  resumeCheckMs?: number
}

export interface FlowSource {
  /** `capture`, `poll`, or `none`: what produces flows now. */
  readonly mode: 'capture' | 'poll' | 'none'
  /** The capture interface, while capturing. */
  readonly iface: string | undefined
  /** Counters by agent.stats component: `capture` while capturing, `net.poll` while polling. */
  counters (): Record<string, Record<string, number>>
  /** Stops the source and writes every flow it still holds. */
  close (): Promise<void>
}

export async function startFlowSource (options: FlowSourceOptions): Promise<FlowSource> {
  const { log } = options
  const choice = await chooseInterface(options.capture, options.choose)
  const taskNets = new TaskNets(choice.taskNets)
  const isTaskAddress = (address: string, bytes?: Uint8Array, at?: number): boolean => taskNets.contains(address, bytes, at)
  const owners = new SocketOwners()
  const writer = new FlowEventWriter({
    write: options.write,
    envelope: { host: hostname(), pid: process.pid },
    ownerOf: (proto, local, localPort, remote, remotePort) => owners.lookup(proto, local, localPort, remote, remotePort),
    onError: (err) => log.error({ code: 'SW_ERR_SINK', err }, 'could not write net.flow events'),
  })

  let mode: FlowSource['mode'] = 'none'
  let capture: LiveCapture | undefined
  let poller: ProcNetPoller | undefined
  // A SYN asks for a scan right after the current batch of packets, at most one per
  // OWNER_REFRESH_MS: soon enough to see the socket of all but the shortest connections.
  let refreshPending = false
  let lastRefresh = 0
  const refreshOwners = (): void => {
    if (refreshPending) return
    refreshPending = true
    const run = (): void => {
      refreshPending = false
      lastRefresh = performance.now()
      try { owners.refresh(true) } catch { /* a later lookup misses; nothing else to do */ }
    }
    const wait = lastRefresh + OWNER_REFRESH_MS - performance.now()
    if (wait <= 0) setImmediate(run)
    else setTimeout(run, wait).unref()
  }

  const poll = (why: string, level: 'info' | 'warn', cause?: AgentError): void => {
    const fields = { code: 'SW_ERR_NO_CAPTURE', capture: options.capture, reason: why, ...(cause !== undefined ? { cause: { code: cause.code, message: cause.message } } : {}) }
    if (options.proc === 'off') {
      log[level](fields, 'no network flows: no live capture, and /proc polling is off (--proc off)')
      mode = 'none'
      return
    }
    log[level]({ ...fields, interval_ms: options.pollIntervalMs ?? 1000 },
      'no live capture: polling /proc/net/tcp and tcp6 for connections instead (net.flow end "poll", no packet or byte counts)')
    poller = new ProcNetPoller({
      isTaskAddress,
      intervalMs: options.pollIntervalMs,
      onRecord: (record) => writer.add(record),
      onNew: () => { try { owners.refresh(true) } catch { /* ignore */ } },
    })
    poller.start()
    mode = 'poll'
  }

  // Counters of the captures that ended (failed, and maybe resumed since; or closed): undefined
  // while none has. The capture component's counters are these plus the running capture's.
  let ended: Record<string, number> | undefined
  const retire = (c: LiveCapture): void => {
    ended ??= {}
    for (const [k, v] of Object.entries(c.counters())) ended[k] = (ended[k] ?? 0) + v
  }
  const captureTotals = (): Record<string, number> | undefined => {
    if (capture === undefined) return ended
    const out: Record<string, number> = { ...ended }
    for (const [k, v] of Object.entries(capture.counters())) out[k] = (out[k] ?? 0) + v
    return out
  }
  let resumes = 0
  let resumeTimer: NodeJS.Timeout | undefined
  const openCapture = (iface: string): LiveCapture => LiveCapture.open({
    iface,
    binding: options.binding,
    tracker: { idleTimeoutS: options.idleTimeoutS, activeTimeoutS: options.activeTimeoutS, maxFlows: options.maxFlows, isTaskAddress },
    onRecord: (record) => writer.add(record),
    onSyn: refreshOwners,
    onError: (err) => {
      log.error({ code: err.code, iface, err: { message: err.message } }, 'live capture failed; the agent goes on without it')
      if (capture !== undefined) retire(capture)
      capture = undefined
      poll(err.message, 'warn', err)
      watchForResume(iface)
    },
  })
  // After a failure (the interface went down, or away), capture again once the interface is back.
  const watchForResume = (iface: string): void => {
    clearInterval(resumeTimer)
    resumeTimer = setInterval(() => {
      if (capture !== undefined || interfaceDown('/sys/class/net', iface) !== undefined) return
      try {
        capture = openCapture(iface)
      } catch (err) {
        log.debug({ iface, err }, 'the interface is back, but capture could not open yet')
        return
      }
      clearInterval(resumeTimer)
      resumes++
      poller?.close()
      poller = undefined
      mode = 'capture'
      owners.refresh(true)
      log.info({ code: 'SW_CAPTURE_RESUMED', iface, resumes }, `the interface ${iface} is back: capturing packet headers again`)
    }, options.resumeCheckMs ?? RESUME_CHECK_MS).unref()
  }

  if (choice.iface === undefined) {
    poll(choice.reason, options.capture === 'off' ? 'info' : 'warn')
  } else {
    try {
      capture = openCapture(choice.iface)
      mode = 'capture'
      log.info({ iface: choice.iface, reason: choice.reason, task_nets: choice.taskNets, link_type: capture.linkType },
        `capturing packet headers on ${choice.iface}`)
      owners.refresh(true)
    } catch (err) {
      if (!isAgentError(err)) throw err
      poll(err.message, 'warn', err)
    }
  }

  return {
    get mode () { return mode },
    get iface () { return capture !== undefined ? choice.iface : undefined },
    counters () {
      const out: Record<string, Record<string, number>> = {}
      const captured = captureTotals()
      if (captured !== undefined) out.capture = { ...captured, ...writer.counters(), ...(resumes > 0 ? { resumed: resumes } : {}) }
      if (poller !== undefined) out['net.poll'] = { ...poller.counters(), ...(captured === undefined ? writer.counters() : {}) }
      return out
    },
    async close () {
      clearInterval(resumeTimer)
      if (capture !== undefined) {
        await capture.drain(DRAIN_AT_CLOSE_MS)
        retire(capture)
        capture.close()
        capture = undefined
      }
      poller?.close()
      await writer.flush()
    },
  }
}
