/**
 * Live capture: libpcap (through node-pcap's native session) on one interface, each frame
 * decoded by decodeFrame and fed to a FlowTracker whose timeouts run on the clock.
 *
 * Headers only: a 128-byte snaplen holds Ethernet + VLAN + IPv6 + extension headers + TCP, and
 * decodeFrame counts bytes from the IP header's lengths, never from what was captured.
 * Promiscuous mode is off (the task's own traffic is addressed to it). The BPF filter defaults
 * to `ip or ip6`, so ARP and the like never reach JavaScript.
 *
 * The kernel hands packets over in blocks (TPACKET_V3) at most `bufferTimeoutMs` late; an
 * unref'd timer drains them every `dispatchEveryMs`, so the capture never holds the process
 * open and closes at once (see pcap-module.ts). Every packet lands in the same buffer;
 * decodeFrame reads it in place and the tracker copies what it keeps. The per-packet work runs
 * inside libpcap's callback and must not throw (node-pcap makes that fatal), so it is guarded.
 * A capture that fails while running (a read error, the interface down or gone) closes itself,
 * flushes its flows and reports through `onError`.
 */
import { readFileSync } from 'node:fs'
import { AgentError } from '../../errors'
import { decodeFrame } from '../decode-frame'
import { FlowTracker, type FlowRecord, type FlowTrackerOptions } from '../flow-tracker'
import { newPacketMeta, SKIP_REASONS, SYN, TCP, type SkipReason } from '../packet'
import { linkTypeNumber, loadPcapBinding, type NativePcapSession, type PcapBinding, type PcapStats } from './pcap-module'

export const DEFAULT_SNAPLEN = 128
export const DEFAULT_FILTER = 'ip or ip6'
export const DEFAULT_BUFFER_SIZE = 8 * 1024 * 1024
/** How long the kernel may hold packets before handing a block over. */
export const DEFAULT_BUFFER_TIMEOUT_MS = 50
/** How often what the kernel handed over is read (at once again while packets keep coming). */
export const DEFAULT_DISPATCH_EVERY_MS = 25
/** A read that found at least this many packets is followed by another right away. */
const BUSY_PACKETS = 256
/** Flows are swept for timeouts, and the interface checked, this often. */
const EXPIRE_EVERY_MS = 1000
/** After close(), libpcap releases its handle at the next packet: looked for this often. */
const RELEASE_EVERY_MS = 1000

const IFF_UP = 0x1

/** Link types decodeFrame reads. */
const DECODED_LINK_TYPES = new Set([0, 1, 12, 14, 101, 108, 113, 228, 229, 276])

export interface LiveCaptureOptions {
  iface: string
  filter?: string
  snapLen?: number
  bufferSize?: number
  bufferTimeoutMs?: number
  dispatchEveryMs?: number
  tracker: FlowTrackerOptions
  onRecord: (record: FlowRecord) => void
  /** A TCP SYN went by: a new connection, whose socket exists now (a moment to look up owners). */
  onSyn?: () => void
  /** The capture failed while running; it has closed itself and flushed its flows. */
  onError: (err: AgentError) => void
  /** node-pcap's binding, or a stand-in in tests. */
  binding?: PcapBinding
  /** Where the interface's flags are read (default /sys/class/net). */
  sysNet?: string
}

export class LiveCapture {
  readonly iface: string
  /** The LINKTYPE number of the interface (1 for Ethernet). */
  #linkType = -1
  readonly #meta = newPacketMeta()
  readonly #native: NativePcapSession
  readonly #buf: Buffer
  readonly #header: Buffer
  readonly #tracker: FlowTracker
  readonly #options: LiveCaptureOptions
  readonly #timers: NodeJS.Timeout[] = []
  readonly #slackMs: number
  readonly #skipped: Record<SkipReason, number>
  #packets = 0
  #decoded = 0
  #errors = 0
  #kernel: PcapStats = { ps_recv: 0, ps_drop: 0, ps_ifdrop: 0 }
  #closed = false

  /** Opens the capture. Throws SW_ERR_CAPTURE (no such interface, no CAP_NET_RAW, bad filter, link type). */
  static open (options: LiveCaptureOptions): LiveCapture {
    const binding = options.binding ?? loadPcapBinding()
    const native = new binding.PcapSession()
    const capture = new LiveCapture(options, native)
    let linkName: string
    try {
      linkName = native.open_live(options.iface, options.filter ?? DEFAULT_FILTER, options.bufferSize ?? DEFAULT_BUFFER_SIZE,
        options.snapLen ?? DEFAULT_SNAPLEN, '', () => capture.#onPacket(), false,
        options.bufferTimeoutMs ?? DEFAULT_BUFFER_TIMEOUT_MS, () => { /* pcap_lookupnet: no IPv4 netmask, harmless */ }, false)
    } catch (err) {
      throw new AgentError('SW_ERR_CAPTURE', `cannot capture on ${options.iface}: ${(err as Error).message}`, { cause: err })
    }
    const linkType = linkTypeNumber(linkName)
    if (!DECODED_LINK_TYPES.has(linkType)) {
      capture.#release()
      throw new AgentError('SW_ERR_CAPTURE', `cannot capture on ${options.iface}: link type ${linkName} is not one the decoder reads (Ethernet, raw IP, Linux cooked, loopback)`)
    }
    capture.#start(linkType)
    return capture
  }

  private constructor (options: LiveCaptureOptions, native: NativePcapSession) {
    this.iface = options.iface
    this.#options = options
    this.#native = native
    this.#buf = Buffer.alloc(options.snapLen ?? DEFAULT_SNAPLEN)
    this.#header = Buffer.alloc(16)
    this.#slackMs = 2 * (options.bufferTimeoutMs ?? DEFAULT_BUFFER_TIMEOUT_MS)
    this.#tracker = new FlowTracker(options.tracker, options.onRecord)
    this.#skipped = Object.fromEntries(SKIP_REASONS.map((r) => [r, 0])) as Record<SkipReason, number>
  }

  get linkType (): number {
    return this.#linkType
  }

  #onPacket (): void {
    if (this.#closed) return
    try {
      this.#packets++
      const header = this.#header
      const capLen = header.readUInt32LE(8)
      const tsUs = header.readUInt32LE(0) * 1e6 + header.readUInt32LE(4)
      const meta = this.#meta
      const reason = decodeFrame(this.#linkType, this.#buf, 0, capLen, tsUs, meta)
      if (reason !== undefined) {
        this.#skipped[reason]++
        return
      }
      this.#decoded++
      this.#tracker.add(meta)
      if (meta.proto === TCP && (meta.tcpFlags & SYN) !== 0) this.#options.onSyn?.()
    } catch {
      this.#errors++
    }
  }

  #start (linkType: number): void {
    this.#linkType = linkType
    const every = this.#options.dispatchEveryMs ?? DEFAULT_DISPATCH_EVERY_MS
    // Under load, read again as soon as the event loop has had its turn; else sleep. Timers,
    // not immediates: an unref'd immediate does not wake a sleeping loop. A read pending at
    // close() finds the capture closed and stops the chain.
    const tick = (): void => {
      const before = this.#packets
      this.#dispatch()
      if (this.#closed) return
      setTimeout(tick, this.#packets - before >= BUSY_PACKETS ? 1 : every).unref()
    }
    setTimeout(tick, every).unref()
    this.#timers.push(setInterval(() => {
      if (this.#closed) return
      const down = interfaceDown(this.#options.sysNet ?? '/sys/class/net', this.iface)
      if (down !== undefined) {
        this.#dispatch() // what was captured before it went down still counts
        this.#fail(down)
        return
      }
      try {
        // Packets wait in the kernel up to the buffer timeout: do not idle out a flow whose next packet is on its way.
        this.#tracker.expire((Date.now() - this.#slackMs) * 1000)
      } catch {
        this.#errors++
      }
    }, EXPIRE_EVERY_MS).unref())
  }

  #dispatch (): void {
    if (this.#closed) return
    let n: number
    try {
      n = this.#native.dispatch(this.#buf, this.#header)
    } catch (err) {
      this.#fail(`reading packets failed: ${(err as Error).message}`)
      return
    }
    if (n === -1) this.#fail('libpcap reported an error reading packets')
  }

  /** Counters for agent.stats (`capture` component) and /metrics. */
  counters (): Record<string, number> {
    this.#readKernelStats()
    const stats = this.#tracker.stats()
    const out: Record<string, number> = {
      packets: this.#packets,
      decoded: this.#decoded,
      errors: this.#errors,
      flows: stats.flows,
      ps_recv: this.#kernel.ps_recv,
      ps_drop: this.#kernel.ps_drop,
      ps_ifdrop: this.#kernel.ps_ifdrop,
    }
    for (const [reason, n] of Object.entries(this.#skipped)) out[`skipped.${reason}`] = n
    for (const [end, n] of Object.entries(stats.records)) out[`records.${end}`] = n
    return out
  }

  get closed (): boolean {
    return this.#closed
  }

  /**
   * Before a close: waits, up to `maxMs`, until every packet the kernel has counted is read. The
   * kernel hands packets over a block at a time, and a block can stay its own for a while after
   * its last packet (more than the buffer timeout, seen under load), so what the kernel counted
   * (ps_recv, less its drops) is the goal, not what is visible now. Without it the bytes of a
   * transfer that ended just before a stop would be cut short.
   */
  async drain (maxMs: number): Promise<void> {
    const deadline = performance.now() + maxMs
    const stepMs = Math.max(5, Math.floor((this.#options.bufferTimeoutMs ?? DEFAULT_BUFFER_TIMEOUT_MS) / 2))
    for (;;) {
      if (this.#closed) return
      this.#dispatch()
      this.#readKernelStats()
      if (this.#packets >= this.#kernel.ps_recv - this.#kernel.ps_drop || performance.now() >= deadline) return
      await new Promise((resolve) => setTimeout(resolve, stepMs))
    }
  }

  /** Reads what is pending, stops capturing and emits every flow still held (closed ones fin/rst, the rest eof). */
  close (): void {
    if (this.#closed) return
    this.#dispatch()
    this.#readKernelStats()
    this.#closed = true
    for (const timer of this.#timers) clearInterval(timer)
    this.#release()
    this.#tracker.flush()
  }

  #fail (why: string): void {
    if (this.#closed) return
    this.#errors++
    this.close()
    this.#options.onError(new AgentError('SW_ERR_CAPTURE_FAILED', `capture on ${this.iface} failed: ${why}`))
  }

  #readKernelStats (): void {
    if (this.#closed) return
    try {
      this.#kernel = this.#native.stats()
    } catch {
      // keep the last numbers read
    }
  }

  /**
   * Breaks libpcap's loop; the handle is freed by the first dispatch that sees a packet after
   * that (it returns -2). An unref'd timer keeps trying, without holding the process open.
   */
  #release (): void {
    const native = this.#native
    const buf = this.#buf
    const header = this.#header
    const tryRelease = (): boolean => {
      try {
        return native.dispatch(buf, header) < 0
      } catch {
        return true
      }
    }
    try {
      native.close()
    } catch {
      return
    }
    if (tryRelease()) return
    const timer = setInterval(() => { if (tryRelease()) clearInterval(timer) }, RELEASE_EVERY_MS).unref()
  }
}

/** Why the interface cannot carry packets (down, or gone), or undefined when it is up. */
export function interfaceDown (sysNet: string, iface: string): string | undefined {
  let flags: number
  try {
    flags = parseInt(readFileSync(`${sysNet}/${iface}/flags`, 'latin1'), 16)
  } catch {
    return `the interface ${iface} is gone`
  }
  return (flags & IFF_UP) === 0 ? `the interface ${iface} went down` : undefined
}
