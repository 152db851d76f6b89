/**
 * One sink fed from the spool: read a batch at the sink's cursor, write it, flush it, then
 * acknowledge it, so that a record is acknowledged only once the sink holds it for good. A
 * failing sink is retried with exponential backoff and full jitter (the same batch again: at
 * least once), and never blocks the others or the sources: they only append to the spool.
 *
 * `notify()` after appends wakes an idle pump; a slow timer also checks, so nothing waits on a
 * lost wake-up.
 */
import type { SidewatchEvent } from '@sidewatch/proto'
import type { Logger } from '../log'
import type { Sink } from '../sinks/sink'
import type { Position, ReadBuffer, Spool } from './spool'
import { recordEnvelope, recordJson } from './spool-record'

export interface SinkPumpOptions {
  /** Records per write (default 1000). */
  batch?: number
  /** First retry delay (default 100 ms); it doubles up to maxBackoffMs (default 30 s). */
  minBackoffMs?: number
  maxBackoffMs?: number
  /** An idle pump looks at the spool at least this often (default 1 s). */
  idleCheckMs?: number
  log: Logger
  /** A write, flush or decode failed (for metrics); the pump retries. */
  onError?: (sink: string, err: unknown) => void
}

/** How long a stop waits for a batch in flight, at least, when its drain time is up. */
const MIN_GRACE_MS = 500
/** A read buffer grown past this (a batch of very large records) is let go after its batch. */
const MAX_KEPT_READ_BUFFER = 4 * 1024 * 1024

const EMPTY = Buffer.alloc(0)

/** A batch's write or flush failed. */
interface Failed { err: unknown }

export interface SinkPumpStats { sent: number, batches: number, failures: number, undecodable: number }

export class SinkPump {
  readonly sink: Sink
  readonly #spool: Spool
  readonly #options: Required<Omit<SinkPumpOptions, 'onError'>> & Pick<SinkPumpOptions, 'onError'>
  readonly stats: SinkPumpStats = { sent: 0, batches: 0, failures: 0, undecodable: 0 }
  #running = false
  #loop: Promise<void> | undefined
  #wake: (() => void) | undefined
  #timer: NodeJS.Timeout | undefined
  #backoffMs = 0
  /**
   * Read buffers for the batches in flight: a batch's records are views into one, lent to the
   * sink until its write settles, then it is read into again (no new buffer per batch).
   */
  readonly #readBuffers: ReadBuffer[] = []

  constructor (spool: Spool, sink: Sink, options: SinkPumpOptions) {
    this.#spool = spool
    this.sink = sink
    this.#options = {
      batch: options.batch ?? 1000,
      minBackoffMs: options.minBackoffMs ?? 100,
      maxBackoffMs: options.maxBackoffMs ?? 30_000,
      idleCheckMs: options.idleCheckMs ?? 1000,
      log: options.log,
      onError: options.onError,
    }
  }

  start (): void {
    if (this.#running) return
    this.#running = true
    this.#timer = setInterval(() => this.notify(), this.#options.idleCheckMs).unref()
    this.#loop = this.#run()
  }

  /** Something was appended. */
  notify (): void {
    const wake = this.#wake
    this.#wake = undefined
    wake?.()
  }

  /**
   * Stops after the batch in flight. With `drainMs`, keeps sending until the spool is empty for
   * this sink or the time is up (what is left stays spooled for the next start). A batch still
   * waiting for its sink when the time is up (at least MIN_GRACE_MS more: a receiver that took the
   * connection and went quiet) is left unacknowledged, so it is spooled too: the stop never waits
   * out the sink's timeout.
   */
  async stop (drainMs = 0): Promise<void> {
    const deadline = performance.now() + drainMs
    while (drainMs > 0 && performance.now() < deadline && this.#backoffMs === 0 && this.#spool.stats().backlog[this.sink.name] !== 0) {
      this.notify()
      await new Promise((resolve) => setTimeout(resolve, 10))
    }
    this.#running = false
    clearInterval(this.#timer)
    this.notify()
    let timer: NodeJS.Timeout | undefined
    const finished = await Promise.race([
      (this.#loop ?? Promise.resolve()).then(() => true),
      new Promise<boolean>((resolve) => { timer = setTimeout(() => resolve(false), Math.max(MIN_GRACE_MS, deadline - performance.now())) }),
    ])
    clearTimeout(timer)
    if (!finished) {
      this.#options.log.warn({ code: 'SW_ERR_SINK', sink: this.sink.name, backlog: this.#spool.stats().backlog[this.sink.name] },
        'the sink did not answer before the stop; what it has not acknowledged stays in the spool for the next start')
    }
  }

  async #run (): Promise<void> {
    // Up to maxInFlight batches at once (a sink that says it takes concurrent writes), each read
    // from where the one before ended; acknowledged in order, so the cursor only ever passes
    // records the sink holds.
    const most = Math.max(1, this.sink.maxInFlight ?? 1)
    const inFlight: Array<{ next: Position, done: Promise<number | Failed>, into: ReadBuffer }> = []
    let from: Position | undefined
    while (this.#running) {
      while (inFlight.length < most) {
        const into = this.#readBuffers.pop() ?? { buf: EMPTY }
        const { records, next } = this.#spool.read(this.sink.name, this.#options.batch, from, into)
        if (records.length === 0) {
          this.#release(into)
          break
        }
        from = next
        inFlight.push({ next, done: this.#send(records), into })
      }
      const oldest = inFlight.shift()
      if (oldest === undefined) {
        await new Promise<void>((resolve) => { this.#wake = resolve })
        continue
      }
      const sent = await oldest.done
      this.#release(oldest.into)
      if (typeof sent === 'number') {
        if (this.#backoffMs > 0) this.#options.log.info({ sink: this.sink.name }, 'sink writes again')
        this.#backoffMs = 0
        this.#spool.ack(this.sink.name, oldest.next)
        this.stats.sent += sent
        this.stats.batches++
        continue
      }
      // The later batches are not acknowledged either (at least once: they are sent again).
      for (const batch of inFlight.splice(0)) {
        await batch.done
        this.#release(batch.into)
      }
      from = undefined
      const err = sent.err
      this.stats.failures++
      this.#options.onError?.(this.sink.name, err)
      this.#backoffMs = Math.min(this.#options.maxBackoffMs, this.#backoffMs === 0 ? this.#options.minBackoffMs : this.#backoffMs * 2)
      // Full jitter, but never sooner than a receiver's Retry-After.
      const retryAfter = (err as { retryAfterMs?: unknown }).retryAfterMs
      const delay = Math.max(Math.round(Math.random() * this.#backoffMs), typeof retryAfter === 'number' ? retryAfter : 0)
      this.#options.log.warn({ code: 'SW_ERR_SINK', sink: this.sink.name, err, retry_in_ms: delay, backlog: this.#spool.stats().backlog[this.sink.name] }, 'sink write failed; retrying')
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, delay)
        this.#wake = () => { if (!this.#running) { clearTimeout(timer); resolve() } }
      })
    }
    // Stopping: what is still in flight finishes; what the sink took is acknowledged, in order.
    for (const batch of inFlight) {
      const sent = await batch.done
      this.#release(batch.into)
      if (typeof sent !== 'number') break
      this.#spool.ack(this.sink.name, batch.next)
      this.stats.sent += sent
      this.stats.batches++
    }
  }

  /** A read buffer whose batch's write has settled: the sink is done with it. */
  #release (into: ReadBuffer): void {
    if (into.buf.length <= MAX_KEPT_READ_BUFFER) this.#readBuffers.push(into)
  }

  /** Writes and flushes one batch; resolves with how many were written, or with the failure. */
  async #send (records: readonly Buffer[]): Promise<number | Failed> {
    try {
      const sent = this.sink.writeRaw !== undefined ? await this.#writeRaw(records) : await this.#writeParsed(records)
      await this.sink.flush()
      return sent
    } catch (err) {
      return { err }
    }
  }

  /** Records as events, for sinks that need them; returns how many were written. */
  async #writeParsed (records: readonly Buffer[]): Promise<number> {
    const events: SidewatchEvent[] = []
    for (const r of records) {
      try {
        events.push(JSON.parse(recordJson(r).toString('utf8')) as SidewatchEvent)
      } catch (err) {
        this.#undecodable(err)
      }
    }
    await this.sink.write(events)
    return events.length
  }

  /** Records as they are, with the id and kind read off their first bytes (parsed only when not). */
  async #writeRaw (records: readonly Buffer[]): Promise<number> {
    const json: Buffer[] = []
    const ids: string[] = []
    const kinds: string[] = []
    for (const r of records) {
      let envelope = recordEnvelope(r)
      if (envelope === undefined) {
        try {
          const event = JSON.parse(r.toString('utf8')) as SidewatchEvent
          envelope = { id: event.id, kind: event.kind, json: r }
        } catch (err) {
          this.#undecodable(err)
          continue
        }
      }
      json.push(envelope.json)
      ids.push(envelope.id)
      kinds.push(envelope.kind)
    }
    await (this.sink.writeRaw as NonNullable<Sink['writeRaw']>)({ json, ids, kinds })
    return json.length
  }

  /** Checked by CRC when spooled: only a bug writes a record that does not parse. Skipped, so the sink goes on. */
  #undecodable (err: unknown): void {
    this.stats.undecodable++
    this.#options.onError?.(this.sink.name, err)
  }
}
