/**
 * The reporter: a bounded queue of events, sent in batches over one connection to the agent,
 * kept until acknowledged (at least once: event ids let the agent drop duplicates).
 *
 *   idle ──connect──► connecting ──socket up, hello──► handshaking ──welcome──► ready
 *     ▲                                                                          │
 *     └──────── backoff (100 ms doubling to 10 s, jittered) ◄── close/error ─────┘
 *
 * - The application's side is `enqueue`: an array push, plus arming a timer the first time.
 * - A batch goes out as soon as `batchEvents` events are queued, or `flushIntervalMs` after its
 *   first event, and is cut at `batchBytes`; at most `maxInflightBatches` wait for their ack.
 * - On a lost connection the unacknowledged batches go back to the front of the queue (oldest
 *   dropped if that overflows) and are resent after the next handshake.
 * - Drops are counted exactly. After a handshake with drops outstanding, the hello carries
 *   `dropped: N` and an `agent.stats` event with `dropped_events: N` goes first; N is forgotten
 *   only when that event is acknowledged.
 * - Nothing here keeps the process alive; on 'beforeExit' the socket is held open, once, for at
 *   most `flushTimeoutMs` to deliver what is queued; on 'exit' what is queued is written if the
 *   connection is up.
 * - If the agent refuses the handshake (SW_ERR_AUTH, SW_ERR_UNSUPPORTED_VERSION) one line goes to
 *   stderr and the reporter keeps trying at the capped backoff, so fixing the agent's token or
 *   upgrading it brings events back without restarting the app.
 */
import { encodeFrame, isProtocolError, PROTOCOL_VERSION,
  type HelloMessage, type Message, type Mode, type SidewatchEvent } from '@sidewatch/proto'
import type { Config } from '../config'
import { VERSION } from '../version'
import { internalError, warnOnce } from '../warn'
import { formatAgentAddress } from './address'
import { Backoff } from './backoff'
import { BatchCutter, eventsFrame } from './batch'
import { Connection } from './connection'
import { statsEvent, type Identity } from './events'
import { BoundedQueue } from './queue'

export type ReporterConfig = Pick<Config, 'agent' | 'token' | 'mode' | 'modePinned' | 'queueSize' | 'batchEvents' | 'batchBytes' |
  'flushIntervalMs' | 'flushTimeoutMs' | 'handshakeTimeoutMs' | 'reconnectMinMs' | 'reconnectMaxMs' | 'maxInflightBatches'>

export interface ReporterStats {
  /** Events waiting to be sent. */
  queued: number
  /** Events sent and not yet acknowledged. */
  inflight: number
  /** Events written to the agent (a resent event counts again). */
  sent: number
  /** Events in batches the agent acknowledged. */
  acked: number
  /** Of those, events the agent rejected as invalid. */
  rejected: number
  /** Events lost: queue overflow, or too large to send. */
  dropped: number
  /** Reconnection attempts after a failed or lost connection. */
  reconnects: number
  connected: boolean
}

type State = 'idle' | 'connecting' | 'handshaking' | 'ready' | 'stopped'

interface Inflight {
  seq: number
  events: SidewatchEvent[]
  /** For the agent.stats batch: how many drops it reports. */
  reportsDrops?: number
}

/** Consecutive failed attempts before "agent unreachable" is worth a line on stderr. */
const UNREACHABLE_WARN_AFTER = 5

export class Reporter {
  readonly #config: ReporterConfig
  readonly #identity: Identity
  readonly #queue: BoundedQueue<SidewatchEvent>
  readonly #backoff: Backoff
  readonly #inflight = new Map<number, Inflight>()
  #state: State = 'idle'
  #conn: Connection | undefined
  #mode: Mode
  #seq = 0
  readonly #cutter: BatchCutter
  #flushTimer: NodeJS.Timeout | undefined
  #flushImmediate: NodeJS.Immediate | undefined
  #reconnectTimer: NodeJS.Timeout | undefined
  #handshakeTimer: NodeJS.Timeout | undefined
  #exitFlush: 'none' | 'running' | 'done' = 'none'
  #exitDeadline: NodeJS.Timeout | undefined
  #failures = 0
  /** The agent answered this connection's hello with an error: it is there, but refused us. */
  #refused = false
  /** Drops not yet reported in an acknowledged agent.stats event. */
  #unreportedDrops = 0
  #statsInflight = false
  #counters = { sent: 0, acked: 0, rejected: 0, dropped: 0, reconnects: 0 }

  constructor (config: ReporterConfig, identity: Identity) {
    this.#config = config
    this.#identity = identity
    this.#mode = config.mode
    this.#queue = new BoundedQueue(config.queueSize)
    this.#cutter = new BatchCutter(config.batchEvents, config.batchBytes)
    this.#backoff = new Backoff({ minMs: config.reconnectMinMs, maxMs: config.reconnectMaxMs })
  }

  /** The mode detectors apply: SIDEWATCH_MODE when the app set it, else the agent's (monitor until a welcome). */
  get mode (): Mode {
    return this.#mode
  }

  stats (): ReporterStats {
    let inflight = 0
    for (const batch of this.#inflight.values()) if (batch.reportsDrops === undefined) inflight += batch.events.length
    return { queued: this.#queue.length, inflight, ...this.#counters, connected: this.#state === 'ready' }
  }

  start (): void {
    if (this.#state === 'idle' && this.#conn === undefined && this.#reconnectTimer === undefined) this.#connect()
  }

  /** Queues an event; never throws, never waits. */
  enqueue (event: SidewatchEvent): void {
    this.#drop(this.#queue.push(event))
    if (this.#state !== 'ready') return
    if (this.#queue.length >= this.#config.batchEvents) {
      this.#flushImmediate ??= setImmediate(() => {
        this.#flushImmediate = undefined
        guard('sending a batch', () => { this.#pump(false) })
      }).unref()
    } else {
      this.#armFlushTimer()
    }
  }

  /**
   * 'beforeExit': the loop is about to end with events undelivered. Hold the socket open (once) to
   * connect, send and wait for the acks, for at most flushTimeoutMs. A refused connection ends it.
   */
  beforeExit (): void {
    if (this.#exitFlush !== 'none' || this.#state === 'stopped') return
    if (this.#queue.length === 0 && this.#inflight.size === 0) return
    if (this.#config.flushTimeoutMs === 0) return
    this.#exitFlush = 'running'
    this.#exitDeadline = setTimeout(() => { guard('exit flush', () => { this.#endExitFlush() }) }, this.#config.flushTimeoutMs).unref()
    if (this.#reconnectTimer !== undefined) {
      clearTimeout(this.#reconnectTimer)
      this.#reconnectTimer = undefined
    }
    if (this.#conn === undefined) this.#connect()
    this.#conn?.ref()
    this.#pump()
  }

  /** 'exit': last chance, synchronous. If the connection is up, write everything queued. */
  exit (): void {
    if (this.#state === 'ready') this.#pump(true, true)
  }

  /** Stops for good: writes what is queued if connected, closes the socket, clears every timer. */
  stop (): void {
    if (this.#state === 'stopped') return
    if (this.#state === 'ready') this.#pump(true, true)
    this.#state = 'stopped'
    for (const timer of [this.#flushTimer, this.#reconnectTimer, this.#handshakeTimer, this.#exitDeadline]) clearTimeout(timer)
    if (this.#flushImmediate !== undefined) clearImmediate(this.#flushImmediate)
    this.#conn?.end()
    this.#conn = undefined
  }

  #connect (): void {
    this.#state = 'connecting'
    this.#refused = false
    const conn = new Connection(this.#config.agent, {
      onConnect: () => { guard('agent connect', () => { this.#onConnect(conn) }) },
      onMessage: (message) => { guard('agent message', () => { this.#onMessage(conn, message) }) },
      onClose: (error) => { guard('agent close', () => { this.#onClose(conn, error) }) },
    }, { ref: this.#exitFlush === 'running' })
    this.#conn = conn
    this.#handshakeTimer = setTimeout(() => {
      guard('handshake timeout', () => { conn.destroy(new Error(`no welcome within ${this.#config.handshakeTimeoutMs} ms`)) })
    }, this.#config.handshakeTimeoutMs).unref()
  }

  #onConnect (conn: Connection): void {
    if (conn !== this.#conn) return
    this.#state = 'handshaking'
    const hello: HelloMessage = {
      type: 'hello',
      version: PROTOCOL_VERSION,
      runtime: this.#identity.runtime,
      sdk: { name: '@sidewatch/node-asm', version: VERSION },
      service: this.#identity.service,
      pid: this.#identity.pid,
    }
    if (this.#config.token !== undefined) hello.token = this.#config.token
    if (this.#identity.host !== undefined) hello.host = this.#identity.host
    if (this.#unreportedDrops > 0) hello.dropped = this.#unreportedDrops
    conn.send(encodeFrame(Buffer.from(JSON.stringify(hello), 'utf8')))
  }

  #onMessage (conn: Connection, message: Message): void {
    if (conn !== this.#conn) return
    switch (message.type) {
      case 'welcome':
        if (this.#state !== 'handshaking') return
        clearTimeout(this.#handshakeTimer)
        this.#state = 'ready'
        this.#failures = 0
        this.#backoff.reset()
        if (this.#config.modePinned !== true && (message.config?.mode === 'monitor' || message.config?.mode === 'block')) this.#mode = message.config.mode
        this.#pump()
        return
      case 'ack':
        this.#onAck(message.seq, message.rejected)
        return
      case 'error':
        if (this.#state === 'handshaking') {
          // The agent refused us and will close the connection: retrying fast would not help.
          this.#backoff.toCap()
          this.#refused = true
          warnOnce('SW_ERR_AGENT_REJECTED', `agent at ${formatAgentAddress(this.#config.agent)} refused the handshake ` +
            `(${String(message.code)}: ${String(message.message)}); events are not delivered, retrying about every ` +
            `${Math.max(1, Math.round(this.#config.reconnectMaxMs / 1000))} s`)
        }
        // Errors about one event of a batch are counted through the batch's ack.
        return
      case 'ping':
        conn.send(encodeFrame(Buffer.from(JSON.stringify(message.id === undefined ? { type: 'pong' } : { type: 'pong', id: message.id }))))
    }
  }

  #onAck (seq: number, rejected: number): void {
    const batch = this.#inflight.get(seq)
    if (batch === undefined) return
    this.#inflight.delete(seq)
    if (batch.reportsDrops !== undefined) {
      this.#unreportedDrops = Math.max(0, this.#unreportedDrops - batch.reportsDrops)
      this.#statsInflight = false
    } else {
      this.#counters.acked += batch.events.length
      if (Number.isSafeInteger(rejected) && rejected > 0) this.#counters.rejected += rejected
    }
    // Room in the window: full batches go now, a partial one on its timer (or now, when exiting).
    this.#pump(this.#exitFlush === 'running')
  }

  #onClose (conn: Connection, error: Error | undefined): void {
    if (conn !== this.#conn) return
    this.#conn = undefined
    clearTimeout(this.#handshakeTimer)
    const wasReady = this.#state === 'ready'
    if (this.#state !== 'stopped') this.#state = 'idle'
    // Unacknowledged events go back to the front, oldest first. The stats batch does not: the
    // drops it reported are still unreported and the next hello counts them again.
    const back: SidewatchEvent[] = []
    for (const batch of this.#inflight.values()) if (batch.reportsDrops === undefined) back.push(...batch.events)
    this.#inflight.clear()
    this.#statsInflight = false
    this.#drop(this.#queue.unshiftMany(back))
    if (this.#state === 'stopped') return
    if (isProtocolError(error)) {
      warnOnce('SW_ERR_AGENT_PROTOCOL', `agent at ${formatAgentAddress(this.#config.agent)} sent an invalid frame ` +
        `(${error.code}: ${error.message}); reconnecting`)
    }
    if (!wasReady && !this.#refused && ++this.#failures === UNREACHABLE_WARN_AFTER) {
      const why = (error as NodeJS.ErrnoException | undefined)?.code ?? error?.message ?? 'connection closed'
      warnOnce('SW_ERR_AGENT_UNREACHABLE', `agent at ${formatAgentAddress(this.#config.agent)} is unreachable (${why}); ` +
        `keeping up to ${this.#config.queueSize} events and retrying`)
    }
    // On the way out, one attempt is all there is: a refused or lost connection ends the flush
    // (the retry below is unref'd, so it does not hold the exit).
    this.#endExitFlush()
    this.#counters.reconnects++
    this.#reconnectTimer = setTimeout(() => {
      this.#reconnectTimer = undefined
      guard('reconnect', () => { if (this.#state === 'idle') this.#connect() })
    }, this.#backoff.next()).unref()
  }

  /**
   * Sends batches while the window allows. Only full batches (batchEvents) unless `partial`: the
   * rest waits for the flush timer, re-armed here. `all` ignores the window, for exit paths
   * that cannot wait for acks.
   */
  #pump (partial = true, all = false): void {
    if (this.#state !== 'ready' || this.#conn === undefined) return
    if (this.#unreportedDrops > 0 && !this.#statsInflight) {
      this.#statsInflight = true
      const count = this.#unreportedDrops
      const event = statsEvent(this.#identity, count)
      this.#send([event], [JSON.stringify(event)], count)
    }
    if (partial && this.#flushTimer !== undefined) {
      clearTimeout(this.#flushTimer)
      this.#flushTimer = undefined
    }
    while (this.#queue.length > 0 && (all || this.#inflight.size < this.#config.maxInflightBatches)) {
      if (!partial && this.#queue.length < this.#config.batchEvents) break
      if (!this.#sendBatch()) break
    }
    if (this.#queue.length > 0) this.#armFlushTimer()
    if (this.#exitFlush === 'running' && this.#queue.length === 0 && this.#inflight.size === 0) this.#endExitFlush()
  }

  #armFlushTimer (): void {
    this.#flushTimer ??= setTimeout(() => {
      this.#flushTimer = undefined
      guard('sending a batch', () => { this.#pump() })
    }, this.#config.flushIntervalMs).unref()
  }

  /** Takes one batch off the queue and sends it; false when the queue is empty. */
  #sendBatch (): boolean {
    const batch = this.#cutter.take(this.#queue, () => { this.#drop(1) })
    if (batch === undefined) return false
    this.#send(batch.events, batch.json)
    return true
  }

  #send (events: SidewatchEvent[], json: string[], reportsDrops?: number): void {
    const seq = ++this.#seq
    this.#inflight.set(seq, reportsDrops === undefined ? { seq, events } : { seq, events, reportsDrops })
    if (reportsDrops === undefined) this.#counters.sent += events.length
    this.#conn?.send(eventsFrame(seq, json))
  }

  #drop (count: number): void {
    if (count === 0) return
    this.#counters.dropped += count
    this.#unreportedDrops += count
  }

  #endExitFlush (): void {
    if (this.#exitFlush !== 'running') return
    this.#exitFlush = 'done'
    clearTimeout(this.#exitDeadline)
    this.#conn?.unref()
  }
}

function guard (where: string, fn: () => void): void {
  try {
    fn()
  } catch (err) {
    internalError(where, err)
  }
}
