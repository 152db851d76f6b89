/**
 * The contract between ingest and storage. Later sinks (durable spool, https, nats, otlp) plug in
 * here; ingest only ever sees a Sink (or the SinkSet fanning out to several).
 */
import type { SidewatchEvent } from '@sidewatch/proto'
import type { Logger } from '../log'

export interface Sink {
  /** The spec it was opened from, for logs and metrics labels (`sqlite:/data/sidewatch.db`). */
  readonly name: string
  /**
   * Takes a batch of valid events. Resolves once the sink owns them (buffered or stored); the
   * agent acknowledges the batch to the client after that. Rejects when it cannot take them.
   */
  write (events: readonly SidewatchEvent[]): Promise<void>
  /**
   * For sinks that send the events' JSON on as it is: the same as write() for events given as
   * their JSON (what the spool holds), with each one's id and kind. The spool's pumps use it when
   * a sink has it, and then nothing is parsed. The buffers are lent: the pump reads later
   * batches into the same memory once this write and the flush after it have settled, so a sink
   * that holds on to them longer (a send queue that outlives a failed write) copies them.
   */
  writeRaw?: (batch: RawBatch) => Promise<void>
  /**
   * How many batches the spool's pump may have in flight at once (default 1). A sink whose
   * writes are independent and safe to overlap (each resolves only once that batch is stored)
   * says more, so that sending one batch overlaps the receiver's work on the one before.
   */
  readonly maxInFlight?: number
  /** Resolves once everything written so far has left memory (file written, rows committed). */
  flush (): Promise<void>
  /** Flushes, then releases the target. No writes after. */
  close (): Promise<void>
}

/** Events as JSON, with the two fields a sink routes by. */
export interface RawBatch {
  json: readonly Buffer[]
  ids: readonly string[]
  kinds: readonly string[]
}

/** What a sink gets from the agent. */
export interface SinkContext {
  log: Logger
  /** Called when a background flush fails; the sink keeps running. */
  onError: (sink: string, err: unknown) => void
}

/** Background flushes run at least this often, and on shutdown. */
export const FLUSH_INTERVAL_MS = 200
