/**
 * The flow tracker: turns a stream of TCP/UDP packet metadata into bidirectional flow records,
 * one per connection (or per UDP conversation) and per idle-separated piece of it.
 *
 * - A flow is keyed by its 5-tuple in a canonical order (the lower address/port first), so both
 *   directions find it with one Map lookup on a 7-character (IPv4) or 19-character (IPv6)
 *   string made of 16-bit units; addresses become text only when a flow is created.
 * - `src` is the initiator: the sender of a SYN without ACK (the receiver of a SYN-ACK when the
 *   SYN was missed). Without either — a flow picked up mid-stream or any UDP flow — the initiator
 *   of the same 5-tuple's previous record when it idled out, else the side whose port looks like
 *   a client's (ephemeral ≥ 32768 against a lower one; registered against well-known), else the
 *   sender of the first packet seen.
 * - A record ends:
 *     fin     both FINs seen and the last one acknowledged (a bare ACK from the side that sent
 *             the first FIN); the flow then absorbs stragglers (a retransmitted FIN or ACK) for
 *             `closeGraceS` before the record is emitted. Until that ACK comes the flow is
 *             still open and times out like any other: a final ACK seconds late is part of
 *             the connection, not a new flow; one that comes after an idle split closes the
 *             new record (the old one ended `idle`). A new SYN on the 5-tuple, or any packet
 *             after the grace, starts a new record at once.
 *     rst     an RST; the same grace.
 *     idle    no packet for more than `idleTimeoutS`: the record is emitted and later packets of
 *             the 5-tuple start a new one.
 *     active  the flow has lasted `activeTimeoutS`: a record is emitted at its next packet and
 *             the flow goes on in a new record.
 *     evicted the table was full (`maxFlows`) when a new flow arrived: the least recently active
 *             flow made room.
 *     eof     `flush()`: end of the input.
 * - Time is the packets' own (offline, the capture's; live, the clock's): `add()` sweeps for
 *   expired flows whenever packet time passes the next whole second, and `expire(nowUs)` lets a
 *   live source sweep while no packets come.
 * - Memory is bounded: at most `maxFlows` flows and as many remembered idled-out flows (their
 *   initiator, and whether their close was waiting for its last ACK).
 *
 * Per packet the work is a key, a Map lookup, a few counters and a move to the tail of the
 * recency list (a doubly linked list, so the idle sweep only ever looks at expired flows).
 */
import { formatIPv4, formatIPv6 } from './ip-text'
import { ACK, CWR, ECE, FIN, PSH, RST, SYN, TCP, URG, type PacketMeta } from './packet'

export type FlowEnd = 'fin' | 'rst' | 'idle' | 'active' | 'eof' | 'evicted'
export type FlowScope = 'intra-task' | 'inbound' | 'outbound'

/** One flow record. The field names are a contract: external checks compare them exactly. */
export interface FlowRecord {
  proto: 'tcp' | 'udp'
  /** The initiator's address and port. */
  src: string
  sport: number
  dst: string
  dport: number
  /** Epoch seconds, microsecond precision. */
  first: number
  last: number
  src_pkts: number
  /** IP-layer bytes from the initiator. */
  src_bytes: number
  dst_pkts: number
  dst_bytes: number
  end: FlowEnd
  scope: FlowScope
  /** TCP flags seen in either direction, as letters in the order S A F R P U E C; '' for UDP. */
  tcp_flags: string
}

export interface FlowTrackerOptions {
  /** Seconds without a packet after which a flow's record is emitted (default 60). */
  idleTimeoutS?: number
  /** Seconds after which a long flow emits a record and goes on in a new one (default 1800). */
  activeTimeoutS?: number
  /** Flows held at once; past it the least recently active is evicted (default 100,000). */
  maxFlows?: number
  /** Seconds a closed TCP flow keeps absorbing stragglers before its record is emitted (default 2). */
  closeGraceS?: number
  /** Whether an address (as printed in records) belongs to the task. */
  isTaskAddress: (address: string) => boolean
}

export interface FlowTrackerStats {
  /** Flows in the table now. */
  flows: number
  /** Records emitted, by how they ended. */
  records: Record<FlowEnd, number>
}

export const DEFAULT_IDLE_TIMEOUT_S = 60
export const DEFAULT_ACTIVE_TIMEOUT_S = 1800
export const DEFAULT_MAX_FLOWS = 100_000
export const DEFAULT_CLOSE_GRACE_S = 2

/** Sweep for expired flows at most once per this much packet time. */
const SWEEP_US = 1_000_000

/**
 * Flow states. OPEN and FIN_WAIT flows end by time (idle, eof, evicted); only OPEN ones split on
 * the active timeout; CLOSED_* ones end 'fin' or 'rst' when their grace is over.
 */
const OPEN = 0
/** Both FINs seen; waiting for the ACK of the second one (on the recency list like an open flow). */
const FIN_WAIT = 1
/** Closed by FINs (acknowledged) or an RST: in the grace, on the closed queue. */
const CLOSED_FIN = 2
const CLOSED_RST = 3

/** What is remembered of a flow that idled out, for the next record of its 5-tuple. */
const REMEMBER_INIT_A = 1
const REMEMBER_FIN_WAIT = 2
const REMEMBER_FIRST_FIN_A = 4

class Flow {
  /** The canonical key; side A is the lower endpoint. */
  readonly key: string
  readonly tcp: boolean
  readonly aAddr: string
  readonly aPort: number
  readonly bAddr: string
  readonly bPort: number
  /** True when side A initiated the flow. */
  readonly initA: boolean
  readonly scope: FlowScope
  firstUs: number
  lastUs: number
  aPkts = 0
  aBytes = 0
  bPkts = 0
  bBytes = 0
  flags = 0
  finA = false
  finB = false
  /** Which side sent the first FIN: the side whose bare ACK acknowledges the second one. */
  firstFinA = false
  state = OPEN
  closeAtUs = 0
  /** Set once the flow has left the table (its record emitted for good). */
  removed = false
  prev: Flow | null = null
  next: Flow | null = null

  constructor (key: string, tcp: boolean, aAddr: string, aPort: number, bAddr: string, bPort: number,
    initA: boolean, scope: FlowScope, firstUs: number) {
    this.key = key
    this.tcp = tcp
    this.aAddr = aAddr
    this.aPort = aPort
    this.bAddr = bAddr
    this.bPort = bPort
    this.initA = initA
    this.scope = scope
    this.firstUs = firstUs
    this.lastUs = firstUs
  }
}

export class FlowTracker {
  readonly #idleUs: number
  readonly #activeUs: number
  readonly #graceUs: number
  readonly #maxFlows: number
  readonly #isTask: (address: string) => boolean
  readonly #onRecord: (record: FlowRecord) => void
  readonly #flows = new Map<string, Flow>()
  /** Flows that idled out, by key, oldest first (Map order); at most maxFlows. REMEMBER_* bits. */
  readonly #idledOut = new Map<string, number>()
  /** Least recently active first. */
  #head: Flow | null = null
  #tail: Flow | null = null
  /** Closed flows in the order they closed, waiting for their grace to end. */
  #closed: Flow[] = []
  #closedHead = 0
  #clockUs = 0
  #nextSweepUs = 0
  readonly #records: Record<FlowEnd, number> = { fin: 0, rst: 0, idle: 0, active: 0, eof: 0, evicted: 0 }

  constructor (options: FlowTrackerOptions, onRecord: (record: FlowRecord) => void) {
    this.#idleUs = Math.round((options.idleTimeoutS ?? DEFAULT_IDLE_TIMEOUT_S) * 1e6)
    this.#activeUs = Math.round((options.activeTimeoutS ?? DEFAULT_ACTIVE_TIMEOUT_S) * 1e6)
    this.#graceUs = Math.round((options.closeGraceS ?? DEFAULT_CLOSE_GRACE_S) * 1e6)
    this.#maxFlows = options.maxFlows ?? DEFAULT_MAX_FLOWS
    if (!(this.#maxFlows >= 1)) throw new RangeError(`maxFlows must be at least 1, got ${this.#maxFlows}`)
    this.#isTask = options.isTaskAddress
    this.#onRecord = onRecord
  }

  /** Flows in the table now. */
  get size (): number {
    return this.#flows.size
  }

  stats (): FlowTrackerStats {
    return { flows: this.#flows.size, records: { ...this.#records } }
  }

  /** Accounts one packet. `packet` may be reused by the caller afterwards. */
  add (packet: PacketMeta): void {
    const ts = packet.tsUs
    if (ts > this.#clockUs) {
      this.#clockUs = ts
      if (ts >= this.#nextSweepUs) {
        this.expire(ts)
        this.#nextSweepUs = ts + SWEEP_US
      }
    }
    const buf = packet.buf
    const s = packet.srcOffset
    const d = packet.dstOffset
    const v4 = packet.ipVersion === 4
    // Side A is the lower (address, port): compare the addresses byte by byte, then the ports.
    let order = 0
    if (v4) {
      order = (buf.readUInt32BE(s) - buf.readUInt32BE(d))
    } else {
      for (let i = 0; i < 16 && order === 0; i++) order = (buf[s + i] as number) - (buf[d + i] as number)
    }
    if (order === 0) order = packet.sport - packet.dport
    const fromA = order <= 0
    const aAt = fromA ? s : d
    const bAt = fromA ? d : s
    const aPort = fromA ? packet.sport : packet.dport
    const bPort = fromA ? packet.dport : packet.sport
    const key = v4 ? keyV4(packet.proto, buf, aAt, aPort, bAt, bPort) : keyV6(packet.proto, buf, aAt, aPort, bAt, bPort)
    const tcp = packet.proto === TCP
    const flags = packet.tcpFlags

    let flow = this.#flows.get(key)
    if (flow !== undefined) {
      const state = flow.state
      if (state >= CLOSED_FIN) {
        // A closed connection: stragglers within the grace belong to it; a new SYN or anything later starts anew.
        if (ts > flow.closeAtUs || (flags & (SYN | ACK)) === SYN) {
          this.#remove(flow, closedEnd(state))
          flow = undefined
        }
      } else if (ts - flow.lastUs > this.#idleUs) {
        this.#remove(flow, 'idle')
        flow = undefined
      } else if (state === FIN_WAIT) {
        if ((flags & (SYN | ACK)) === SYN) {
          this.#remove(flow, 'fin')
          flow = undefined
        }
      } else if (ts - flow.firstUs > this.#activeUs) {
        this.#emit(flow, 'active')
        flow.firstUs = ts
        flow.aPkts = flow.aBytes = flow.bPkts = flow.bBytes = flow.flags = 0
      }
    }
    if (flow === undefined) flow = this.#create(key, tcp, v4, buf, aAt, aPort, bAt, bPort, fromA, flags, ts)

    if (fromA) {
      flow.aPkts++
      flow.aBytes += packet.ipBytes
    } else {
      flow.bPkts++
      flow.bBytes += packet.ipBytes
    }
    if (ts > flow.lastUs) flow.lastUs = ts
    if (tcp) {
      flow.flags |= flags
      if (flow.state === OPEN) {
        if ((flags & (RST | FIN)) !== 0) this.#closing(flow, flags, fromA, ts)
      } else if (flow.state === FIN_WAIT && ((flags & (SYN | FIN)) === 0 && fromA === flow.firstFinA)) {
        // The last FIN acknowledged (or answered with an RST): closed.
        this.#startGrace(flow, CLOSED_FIN, ts)
      }
    }
    this.#touch(flow)
  }

  /** Emits the records of flows whose idle timeout or close grace has passed at `nowUs`. */
  expire (nowUs: number): void {
    const closed = this.#closed
    while (this.#closedHead < closed.length) {
      const flow = closed[this.#closedHead] as Flow
      if (!flow.removed) {
        if (flow.closeAtUs > nowUs) break
        this.#remove(flow, closedEnd(flow.state))
      }
      closed[this.#closedHead++] = undefined as unknown as Flow
    }
    if (this.#closedHead > 1024 && this.#closedHead * 2 > closed.length) {
      this.#closed = closed.slice(this.#closedHead)
      this.#closedHead = 0
    }
    const idleBefore = nowUs - this.#idleUs
    while (this.#head !== null && this.#head.lastUs < idleBefore) {
      const flow = this.#head
      this.#remove(flow, flow.state < CLOSED_FIN ? 'idle' : closedEnd(flow.state))
    }
  }

  /** End of input: every flow still held is emitted (closed ones as fin/rst, the rest as eof). */
  flush (): void {
    while (this.#head !== null) {
      const flow = this.#head
      this.#remove(flow, flow.state < CLOSED_FIN ? 'eof' : closedEnd(flow.state))
    }
    this.#closed = []
    this.#closedHead = 0
  }

  #create (key: string, tcp: boolean, v4: boolean, buf: Buffer, aAt: number, aPort: number, bAt: number, bPort: number,
    fromA: boolean, flags: number, ts: number): Flow {
    if (this.#flows.size >= this.#maxFlows && this.#head !== null) {
      const oldest = this.#head
      this.#remove(oldest, oldest.state < CLOSED_FIN ? 'evicted' : closedEnd(oldest.state))
    }
    let initA: boolean
    let remembered = this.#idledOut.size === 0 ? undefined : this.#idledOut.get(key)
    if (remembered !== undefined) this.#idledOut.delete(key)
    const synAck = flags & (SYN | ACK)
    if (tcp && (synAck & SYN) !== 0) {
      initA = synAck === SYN ? fromA : !fromA
      remembered = undefined // a new connection: nothing carries over
    } else if (remembered !== undefined) {
      initA = (remembered & REMEMBER_INIT_A) !== 0
    } else {
      const rankA = portRank(aPort)
      const rankB = portRank(bPort)
      initA = rankA === rankB ? fromA : rankA > rankB
    }
    const aAddr = v4 ? formatIPv4(buf, aAt) : formatIPv6(buf, aAt)
    const bAddr = v4 ? formatIPv4(buf, bAt) : formatIPv6(buf, bAt)
    const aTask = this.#isTask(aAddr)
    const bTask = this.#isTask(bAddr)
    const scope: FlowScope = aTask && bTask ? 'intra-task' : (initA ? aTask : bTask) ? 'outbound' : 'inbound'
    const flow = new Flow(key, tcp, aAddr, aPort, bAddr, bPort, initA, scope, ts)
    if (remembered !== undefined && (remembered & REMEMBER_FIN_WAIT) !== 0) {
      // Both FINs were seen before the idle split: this record is the close's last ACK.
      flow.finA = flow.finB = true
      flow.firstFinA = (remembered & REMEMBER_FIRST_FIN_A) !== 0
      flow.state = FIN_WAIT
    }
    this.#flows.set(key, flow)
    return flow
  }

  /** An OPEN flow's FIN or RST. */
  #closing (flow: Flow, flags: number, fromA: boolean, ts: number): void {
    if ((flags & RST) !== 0) {
      this.#startGrace(flow, CLOSED_RST, ts)
      return
    }
    if (!flow.finA && !flow.finB) flow.firstFinA = fromA
    if (fromA) flow.finA = true
    else flow.finB = true
    if (flow.finA && flow.finB) flow.state = FIN_WAIT
  }

  /** Into the close grace: the record is emitted when it ends (or at once by a new SYN). */
  #startGrace (flow: Flow, state: number, ts: number): void {
    flow.state = state
    flow.closeAtUs = ts + this.#graceUs
    this.#closed.push(flow)
  }

  /** Moves a flow to the tail of the recency list (appends it when new). */
  #touch (flow: Flow): void {
    if (this.#tail === flow) return
    const { prev, next } = flow
    if (prev !== null) prev.next = next
    if (next !== null) next.prev = prev
    if (this.#head === flow) this.#head = next
    flow.prev = this.#tail
    flow.next = null
    if (this.#tail !== null) this.#tail.next = flow
    this.#tail = flow
    if (this.#head === null) this.#head = flow
  }

  /** Emits a flow's record and takes it out of the table (remembering the initiator of an idled-out flow). */
  #remove (flow: Flow, end: FlowEnd): void {
    this.#emit(flow, end)
    flow.removed = true
    this.#flows.delete(flow.key)
    const { prev, next } = flow
    if (prev !== null) prev.next = next
    else this.#head = next
    if (next !== null) next.prev = prev
    else this.#tail = prev
    flow.prev = flow.next = null
    if (end === 'idle') {
      const idledOut = this.#idledOut
      idledOut.delete(flow.key)
      idledOut.set(flow.key, (flow.initA ? REMEMBER_INIT_A : 0) |
        (flow.state === FIN_WAIT ? REMEMBER_FIN_WAIT | (flow.firstFinA ? REMEMBER_FIRST_FIN_A : 0) : 0))
      if (idledOut.size > this.#maxFlows) idledOut.delete(idledOut.keys().next().value as string)
    }
  }

  #emit (flow: Flow, end: FlowEnd): void {
    this.#records[end]++
    const a = flow.initA
    this.#onRecord({
      proto: flow.tcp ? 'tcp' : 'udp',
      src: a ? flow.aAddr : flow.bAddr,
      sport: a ? flow.aPort : flow.bPort,
      dst: a ? flow.bAddr : flow.aAddr,
      dport: a ? flow.bPort : flow.aPort,
      first: flow.firstUs / 1e6,
      last: flow.lastUs / 1e6,
      src_pkts: a ? flow.aPkts : flow.bPkts,
      src_bytes: a ? flow.aBytes : flow.bBytes,
      dst_pkts: a ? flow.bPkts : flow.aPkts,
      dst_bytes: a ? flow.bBytes : flow.aBytes,
      end,
      scope: flow.scope,
      tcp_flags: flow.tcp ? flagLetters(flow.flags) : '',
    })
  }
}

function keyV4 (proto: number, buf: Buffer, a: number, aPort: number, b: number, bPort: number): string {
  return String.fromCharCode(proto, buf.readUInt16BE(a), buf.readUInt16BE(a + 2), aPort,
    buf.readUInt16BE(b), buf.readUInt16BE(b + 2), bPort)
}

function keyV6 (proto: number, buf: Buffer, a: number, aPort: number, b: number, bPort: number): string {
  return String.fromCharCode(proto,
    buf.readUInt16BE(a), buf.readUInt16BE(a + 2), buf.readUInt16BE(a + 4), buf.readUInt16BE(a + 6),
    buf.readUInt16BE(a + 8), buf.readUInt16BE(a + 10), buf.readUInt16BE(a + 12), buf.readUInt16BE(a + 14), aPort,
    buf.readUInt16BE(b), buf.readUInt16BE(b + 2), buf.readUInt16BE(b + 4), buf.readUInt16BE(b + 6),
    buf.readUInt16BE(b + 8), buf.readUInt16BE(b + 10), buf.readUInt16BE(b + 12), buf.readUInt16BE(b + 14), bPort)
}

/** 0 well-known (< 1024), 1 registered (< 32768), 2 ephemeral: the higher side looks like the client. */
function portRank (port: number): number {
  return port < 1024 ? 0 : port < 32768 ? 1 : 2
}

const FLAG_LETTERS: ReadonlyArray<[number, string]> = [[SYN, 'S'], [ACK, 'A'], [FIN, 'F'], [RST, 'R'], [PSH, 'P'], [URG, 'U'], [ECE, 'E'], [CWR, 'C']]
const flagStrings: string[] = []
for (let bits = 0; bits < 256; bits++) {
  let text = ''
  for (const [bit, letter] of FLAG_LETTERS) if ((bits & bit) !== 0) text += letter
  flagStrings.push(text)
}

function flagLetters (flags: number): string {
  return flagStrings[flags & 0xff] as string
}

/** How a flow that is not OPEN ends: 'rst' after an RST, else 'fin'. */
function closedEnd (state: number): FlowEnd {
  return state === CLOSED_RST ? 'rst' : 'fin'
}
