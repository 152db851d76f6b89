/**
 * The flow tracker: turns a stream of TCP/UDP packet metadata into bidirectional flow records,
 * one per connection (or per UDP conversation) and per idle-separated piece of it.
 *
 * - A flow is keyed by its 5-tuple in a canonical order (the lower address/port first), so both
 *   directions find the same flow. The table is an open-addressing hash table (linear probing,
 *   backward-shift deletion) over the addresses as 32-bit words read straight from the frame:
 *   no key string or other allocation per packet. Addresses become text only for a new flow.
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
 *             flow (to within a second) made room.
 *     eof     `flush()`: end of the input.
 * - Time is the packets' own (offline, the capture's; live, the clock's): `add()` sweeps for
 *   expired flows whenever packet time passes the next whole second, and `expire(nowUs)` lets a
 *   live source sweep while no packets come.
 * - Memory is bounded: at most `maxFlows` flows and as many remembered idled-out flows (their
 *   initiator, and whether their close was waiting for its last ACK).
 *
 * Per packet the work is a hash of the 5-tuple's words, a probe or two and a few counters; at most
 * once a second per flow, a move to the tail of the recency list (a doubly linked list, so the
 * idle sweep and eviction look only at its head).
 */
import { formatIPv4, formatIPv6 } from './ip-text'
import { ACK, CWR, ECE, FIN, PSH, RST, SYN, TCP, UDP, URG, type PacketMeta } from './packet'

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
  /**
   * Whether an address belongs to the task: given as records print it, and as its bytes in the
   * packet (`bytes[at]`, 4 or 16 of them) for checks that need not parse the text.
   */
  isTaskAddress: (address: string, bytes: Uint8Array, at: number) => boolean
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

/** The hash table's smallest size (slots); it doubles when half full. */
const MIN_SLOTS = 1024

/** Sweep for expired flows at most once per this much packet time. */
const SWEEP_US = 1_000_000
/** A flow moves to the tail of the recency list at most once per this much time. */
const TOUCH_US = 1_000_000

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
  // The canonical 5-tuple: side A is the lower (address, port). Addresses as big-endian 32-bit
  // words (IPv4: a0/b0 only, the rest 0); `kind` is the protocol, plus 256 for IPv6; `ports`
  // is aPort << 16 | bPort; `hash` is the table hash of all of them. All are signed 32-bit
  // integers on purpose: V8 keeps those inline in the object (Smis), where an unsigned word
  // above 2^31 would be a separate heap number, one more cache miss per probe.
  readonly kind: number
  readonly a0: number
  readonly a1: number
  readonly a2: number
  readonly a3: number
  readonly b0: number
  readonly b1: number
  readonly b2: number
  readonly b3: number
  readonly ports: number
  readonly hash: number
  readonly tcp: boolean
  readonly aAddr: string
  readonly aPort: number
  readonly bAddr: string
  readonly bPort: number
  /** True when side A initiated the flow. */
  initA = false
  scope: FlowScope = 'outbound'
  // Times are initialised with numbers, never left undefined: a field that starts undefined is
  // stored as a pointer, and every double written to it is then a new heap number (one per packet).
  firstUs = 0
  lastUs = 0
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
  /** When the flow last moved to the tail of the recency list (tracker clock). */
  touchedUs = -Infinity
  /** Set once the flow has left the table (its record emitted for good). */
  removed = false
  prev: Flow | null = null
  next: Flow | null = null

  constructor (kind: number, a0: number, a1: number, a2: number, a3: number, b0: number, b1: number, b2: number, b3: number,
    ports: number, hash: number, aAddr: string, bAddr: string, firstUs: number) {
    this.kind = kind
    this.a0 = a0
    this.a1 = a1
    this.a2 = a2
    this.a3 = a3
    this.b0 = b0
    this.b1 = b1
    this.b2 = b2
    this.b3 = b3
    this.ports = ports
    this.hash = hash
    this.tcp = (kind & 0xff) === TCP
    this.aAddr = aAddr
    this.aPort = ports >>> 16
    this.bAddr = bAddr
    this.bPort = ports & 0xffff
    this.firstUs = firstUs
    this.lastUs = firstUs
  }
}

export class FlowTracker {
  readonly #idleUs: number
  readonly #activeUs: number
  readonly #graceUs: number
  readonly #maxFlows: number
  readonly #isTask: (address: string, bytes: Uint8Array, at: number) => boolean
  readonly #onRecord: (record: FlowRecord) => void
  /** The hash table: a power-of-two array of flows and nulls, at most half full. */
  #slots: Array<Flow | null> = new Array<Flow | null>(MIN_SLOTS).fill(null)
  #mask = MIN_SLOTS - 1
  #size = 0
  /** Flows that idled out, by key, oldest first (Map order); at most maxFlows. REMEMBER_* bits. */
  readonly #idledOut = new Map<string, number>()
  /** Least recently active first, to within TOUCH_US (see add()). */
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
    return this.#size
  }

  stats (): FlowTrackerStats {
    return { flows: this.#size, records: { ...this.#records } }
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
    const v6 = packet.ipVersion === 6
    // The addresses as big-endian words, read from the frame where they lie.
    const s0 = word(buf, s)
    const d0 = word(buf, d)
    let s1 = 0; let s2 = 0; let s3 = 0; let d1 = 0; let d2 = 0; let d3 = 0
    if (v6) {
      s1 = word(buf, s + 4); s2 = word(buf, s + 8); s3 = word(buf, s + 12)
      d1 = word(buf, d + 4); d2 = word(buf, d + 8); d3 = word(buf, d + 12)
    }
    const sport = packet.sport
    const dport = packet.dport
    // Side A is the lower (address, port), comparing words as signed integers: any total order
    // does, as long as both directions agree.
    const fromA = s0 !== d0
      ? s0 < d0
      : s1 !== d1 ? s1 < d1 : s2 !== d2 ? s2 < d2 : s3 !== d3 ? s3 < d3 : sport <= dport
    const kind = v6 ? packet.proto | 256 : packet.proto
    let a0, a1, a2, a3, b0, b1, b2, b3, ports
    if (fromA) {
      a0 = s0; a1 = s1; a2 = s2; a3 = s3; b0 = d0; b1 = d1; b2 = d2; b3 = d3; ports = sport << 16 | dport
    } else {
      a0 = d0; a1 = d1; a2 = d2; a3 = d3; b0 = s0; b1 = s1; b2 = s2; b3 = s3; ports = dport << 16 | sport
    }
    let h = mix(mix(mix(kind, a0), b0), ports)
    if (v6) h = mix(mix(mix(mix(mix(mix(h, a1), a2), a3), b1), b2), b3)
    h ^= h >>> 16
    const tcp = packet.proto === TCP
    const flags = packet.tcpFlags

    // Probe until the flow or an empty slot.
    const slots = this.#slots
    const mask = this.#mask
    let flow: Flow | undefined
    for (let i = h & mask, f = slots[i] as Flow | null; f !== null; i = (i + 1) & mask, f = slots[i] as Flow | null) {
      if (f.hash === h && f.a0 === a0 && f.b0 === b0 && f.ports === ports && f.kind === kind &&
        (!v6 || (f.a1 === a1 && f.a2 === a2 && f.a3 === a3 && f.b1 === b1 && f.b2 === b2 && f.b3 === b3))) {
        flow = f
        break
      }
    }
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
    if (flow === undefined) {
      const aAt = fromA ? s : d
      const bAt = fromA ? d : s
      flow = new Flow(kind, a0, a1, a2, a3, b0, b1, b2, b3, ports, h,
        v6 ? formatIPv6(buf, aAt) : formatIPv4(buf, aAt), v6 ? formatIPv6(buf, bAt) : formatIPv4(buf, bAt), ts)
      this.#create(flow, tcp, fromA, flags, buf, aAt, bAt)
    }

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
    // The recency list moves a flow at most once per TOUCH_US: it is ordered by when each flow
    // was last moved, within TOUCH_US of its last packet (moving on every packet cost more than
    // the hash lookup: three objects written, each a likely cache miss).
    if (this.#clockUs - flow.touchedUs >= TOUCH_US) {
      flow.touchedUs = this.#clockUs
      this.#touch(flow)
    }
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
    while (this.#head !== null && this.#head.touchedUs < idleBefore) {
      const flow = this.#head
      if (flow.lastUs < idleBefore) {
        this.#remove(flow, flow.state < CLOSED_FIN ? 'idle' : closedEnd(flow.state))
      } else {
        flow.touchedUs = nowUs > this.#clockUs ? nowUs : this.#clockUs // active since it was last moved
        this.#touch(flow)
      }
    }
  }

  /** End of input: every flow still held is emitted (closed ones as fin/rst, the rest as eof). */
  flush (): void {
    // Least recently active first (the recency list is only ordered to within TOUCH_US).
    const flows: Flow[] = []
    for (let flow = this.#head; flow !== null; flow = flow.next) flows.push(flow)
    flows.sort((x, y) => x.lastUs - y.lastUs)
    for (const flow of flows) this.#remove(flow, flow.state < CLOSED_FIN ? 'eof' : closedEnd(flow.state))
    this.#closed = []
    this.#closedHead = 0
  }

  /** Decides a new flow's initiator and scope and puts it in the table (evicting if full). */
  #create (flow: Flow, tcp: boolean, fromA: boolean, flags: number, buf: Buffer, aAt: number, bAt: number): void {
    if (this.#size >= this.#maxFlows && this.#head !== null) {
      const oldest = this.#head
      this.#remove(oldest, oldest.state < CLOSED_FIN ? 'evicted' : closedEnd(oldest.state))
    }
    let remembered: number | undefined
    if (this.#idledOut.size > 0) {
      const key = tupleKey(flow)
      remembered = this.#idledOut.get(key)
      if (remembered !== undefined) this.#idledOut.delete(key)
    }
    const synAck = flags & (SYN | ACK)
    if (tcp && (synAck & SYN) !== 0) {
      flow.initA = synAck === SYN ? fromA : !fromA
      remembered = undefined // a new connection: nothing carries over
    } else if (remembered !== undefined) {
      flow.initA = (remembered & REMEMBER_INIT_A) !== 0
    } else {
      const rankA = portRank(flow.aPort)
      const rankB = portRank(flow.bPort)
      flow.initA = rankA === rankB ? fromA : rankA > rankB
    }
    const aTask = this.#isTask(flow.aAddr, buf, aAt)
    const bTask = this.#isTask(flow.bAddr, buf, bAt)
    flow.scope = aTask && bTask ? 'intra-task' : (flow.initA ? aTask : bTask) ? 'outbound' : 'inbound'
    if (remembered !== undefined && (remembered & REMEMBER_FIN_WAIT) !== 0) {
      // Both FINs were seen before the idle split: this record is the close's last ACK.
      flow.finA = flow.finB = true
      flow.firstFinA = (remembered & REMEMBER_FIRST_FIN_A) !== 0
      flow.state = FIN_WAIT
    }
    this.#insert(flow)
  }

  #insert (flow: Flow): void {
    if ((this.#size + 1) * 2 > this.#slots.length) this.#grow()
    const slots = this.#slots
    const mask = this.#mask
    let i = flow.hash & mask
    while (slots[i] !== null) i = (i + 1) & mask
    slots[i] = flow
    this.#size++
  }

  #grow (): void {
    const old = this.#slots
    const size = old.length * 2
    const slots = new Array<Flow | null>(size).fill(null)
    const mask = size - 1
    for (const flow of old) {
      if (flow === null) continue
      let i = flow.hash & mask
      while (slots[i] !== null) i = (i + 1) & mask
      slots[i] = flow
    }
    this.#slots = slots
    this.#mask = mask
  }

  /** Takes a flow out of the hash table, shifting the rest of its cluster back so no probe breaks. */
  #unlink (flow: Flow): void {
    const slots = this.#slots
    const mask = this.#mask
    let i = flow.hash & mask
    while (slots[i] !== flow) i = (i + 1) & mask
    slots[i] = null
    this.#size--
    for (let j = (i + 1) & mask; ; j = (j + 1) & mask) {
      const f = slots[j] as Flow | null
      if (f === null) return
      const home = f.hash & mask
      // f moves into the hole at i unless its home lies cyclically in (i, j].
      if (i <= j ? (home <= i || home > j) : (home <= i && home > j)) {
        slots[i] = f
        slots[j] = null
        i = j
      }
    }
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
    this.#unlink(flow)
    const { prev, next } = flow
    if (prev !== null) prev.next = next
    else this.#head = next
    if (next !== null) next.prev = prev
    else this.#tail = prev
    flow.prev = flow.next = null
    if (end === 'idle') {
      const idledOut = this.#idledOut
      const key = tupleKey(flow)
      idledOut.delete(key)
      idledOut.set(key, (flow.initA ? REMEMBER_INIT_A : 0) |
        (flow.state === FIN_WAIT ? REMEMBER_FIN_WAIT | (flow.firstFinA ? REMEMBER_FIRST_FIN_A : 0) : 0))
      if (idledOut.size > this.#maxFlows) idledOut.delete(idledOut.keys().next().value as string)
    }
  }

  #emit (flow: Flow, end: FlowEnd): void {
    this.#records[end]++
    const a = flow.initA
    // Keys in the contract's order, so that a record serialised as is reads like the contract.
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

/** The big-endian 32-bit word at buf[at], as a signed integer. */
function word (buf: Buffer, at: number): number {
  return (buf[at] as number) << 24 | (buf[at + 1] as number) << 16 | (buf[at + 2] as number) << 8 | (buf[at + 3] as number)
}

/** One round of the table hash (multiply, then xor-shift). */
function mix (h: number, w: number): number {
  h = Math.imul(h ^ w, 0x9e3779b1)
  return h ^ (h >>> 15)
}

/** A flow's 5-tuple as a string of 16-bit units, for the (rare) remembered idled-out flows. */
function tupleKey (f: Flow): string {
  const ports = f.ports
  return f.kind === TCP || f.kind === UDP
    ? String.fromCharCode(f.kind, f.a0 >>> 16, f.a0 & 0xffff, f.b0 >>> 16, f.b0 & 0xffff, ports >>> 16, ports & 0xffff)
    : String.fromCharCode(f.kind, f.a0 >>> 16, f.a0 & 0xffff, f.a1 >>> 16, f.a1 & 0xffff, f.a2 >>> 16, f.a2 & 0xffff, f.a3 >>> 16, f.a3 & 0xffff,
      f.b0 >>> 16, f.b0 & 0xffff, f.b1 >>> 16, f.b1 & 0xffff, f.b2 >>> 16, f.b2 & 0xffff, f.b3 >>> 16, f.b3 & 0xffff, ports >>> 16, ports & 0xffff)
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
