/**
 * Flow records to the agent's sinks as `net.flow` events, in batches: records queue up and are
 * written every `flushMs` or once `maxBatch` have queued, one sink write at a time. Owners are
 * looked up when a batch is written, off the packet path; the owner table remembers sockets
 * it saw open, so a connection closed by then still attributes.
 *
 * Memory is bounded: while the sinks are slower than the records come, past `maxQueue` records
 * are dropped and counted (`events_dropped`).
 */
import type { NetFlowEvent } from '@sidewatch/proto'
import { flowEvent, localEnd, type FlowEnvelope, type FlowEventRecord } from './flow-event'
import type { SocketOwner } from './socket-owners'

export interface FlowEventWriterOptions {
  write: (events: NetFlowEvent[]) => Promise<void>
  envelope: FlowEnvelope
  /** The owner of a flow's local socket, when it can be found. */
  ownerOf?: (proto: 'tcp' | 'udp', local: string, localPort: number, remote: string, remotePort: number) => SocketOwner | undefined
  onError: (err: unknown) => void
  flushMs?: number
  maxBatch?: number
  maxQueue?: number
}

export class FlowEventWriter {
  readonly #options: FlowEventWriterOptions
  readonly #flushMs: number
  readonly #maxBatch: number
  readonly #maxQueue: number
  #queue: FlowEventRecord[] = []
  #timer: NodeJS.Timeout | undefined
  #writing: Promise<void> | undefined
  #counters = { events_written: 0, events_dropped: 0, events_failed: 0, owners_found: 0 }

  constructor (options: FlowEventWriterOptions) {
    this.#options = options
    this.#flushMs = options.flushMs ?? 250
    this.#maxBatch = options.maxBatch ?? 500
    this.#maxQueue = options.maxQueue ?? 50_000
  }

  add (record: FlowEventRecord): void {
    if (this.#queue.length >= this.#maxQueue) {
      this.#counters.events_dropped++
      return
    }
    this.#queue.push(record)
    if (this.#queue.length >= this.#maxBatch && this.#writing === undefined) {
      void this.flush()
    } else {
      this.#timer ??= setTimeout(() => { this.#timer = undefined; void this.flush() }, this.#flushMs).unref()
    }
  }

  /** Writes everything queued (waiting for a write in progress first). Never rejects. */
  async flush (): Promise<void> {
    while (this.#writing !== undefined) await this.#writing
    if (this.#queue.length === 0) return
    const records = this.#queue
    this.#queue = []
    this.#writing = this.#write(records).finally(() => { this.#writing = undefined })
    await this.#writing
    if (this.#queue.length > 0) await this.flush()
  }

  counters (): Record<string, number> {
    return { ...this.#counters }
  }

  async #write (records: FlowEventRecord[]): Promise<void> {
    const events: NetFlowEvent[] = []
    for (const record of records) {
      let owner: SocketOwner | undefined
      try {
        owner = this.#options.ownerOf?.(record.proto, ...localEnd(record))
      } catch {
        owner = undefined
      }
      if (owner !== undefined) this.#counters.owners_found++
      events.push(flowEvent(record, owner, this.#options.envelope))
    }
    try {
      await this.#options.write(events)
      this.#counters.events_written += events.length
    } catch (err) {
      this.#counters.events_failed += events.length
      this.#options.onError(err)
    }
  }
}
