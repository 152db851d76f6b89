/**
 * The agent's counters, kept twice: in a prom-client registry for /metrics, and as plain totals
 * for the periodic agent.stats event (prom-client reads are async and per label set).
 *
 * Labels only ever take values from fixed sets (event kinds, protocol error codes) so a client
 * cannot grow the label space: an unknown kind is counted as `unknown`.
 */
import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client'
import { EVENT_KINDS } from '@sidewatch/proto/schema'

const knownKinds = new Set<string>(EVENT_KINDS)

/** The `kind` label of anything a client sent as an event. */
export function kindLabel (event: unknown): string {
  const kind = typeof event === 'object' && event !== null ? (event as { kind?: unknown }).kind : undefined
  return typeof kind === 'string' && knownKinds.has(kind) ? kind : 'unknown'
}

/** Counts per kind label, so a batch costs one increment per kind rather than per event. */
export function countByKind (events: readonly unknown[]): Map<string, number> {
  const counts = new Map<string, number>()
  for (const event of events) {
    const kind = kindLabel(event)
    counts.set(kind, (counts.get(kind) ?? 0) + 1)
  }
  return counts
}

type EventCounter = 'received' | 'accepted' | 'rejected' | 'dropped'

export class AgentMetrics {
  readonly registry = new Registry()
  #connections = new Gauge({ name: 'sidewatch_connections', help: 'Client connections open now', registers: [this.registry] })
  #connectionsTotal = new Counter({ name: 'sidewatch_connections_total', help: 'Client connections accepted', registers: [this.registry] })
  #events: Record<EventCounter, Counter<'kind'>> = {
    received: this.#eventCounter('received', 'Events received from clients'),
    accepted: this.#eventCounter('accepted', 'Events valid and handed to the sinks'),
    rejected: this.#eventCounter('rejected', 'Events that failed validation'),
    dropped: this.#eventCounter('dropped', 'Events refused without validation (batch too large) or lost by a sink'),
  }

  #protocolErrors = new Counter({
    name: 'sidewatch_protocol_errors_total', help: 'Protocol errors, by code', labelNames: ['code'] as const, registers: [this.registry],
  })

  #sdkDropped = new Counter({
    name: 'sidewatch_sdk_dropped_events_total', help: 'Events SDKs reported dropping before they reached the agent', registers: [this.registry],
  })

  #sinkErrors = new Counter({
    name: 'sidewatch_sink_errors_total', help: 'Failed sink writes and flushes', labelNames: ['sink'] as const, registers: [this.registry],
  })

  #totals = {
    connections: 0,
    connections_total: 0,
    events_received: 0,
    events_accepted: 0,
    events_rejected: 0,
    events_dropped: 0,
    protocol_errors: 0,
    sdk_dropped_events: 0,
    sink_errors: 0,
  }

  #errorsByCode = new Map<string, number>()

  constructor (options: { processMetrics?: boolean } = {}) {
    if (options.processMetrics !== false) collectDefaultMetrics({ register: this.registry })
  }

  get connections (): number {
    return this.#totals.connections
  }

  connectionOpened (): void {
    this.#totals.connections++
    this.#totals.connections_total++
    this.#connections.inc()
    this.#connectionsTotal.inc()
  }

  connectionClosed (): void {
    this.#totals.connections--
    this.#connections.dec()
  }

  /** Adds per-kind counts (from countByKind) to one of the event counters. */
  events (which: EventCounter, counts: Map<string, number>): void {
    for (const [kind, n] of counts) {
      this.#events[which].inc({ kind }, n)
      this.#totals[`events_${which}`] += n
    }
  }

  protocolError (code: string, n = 1): void {
    this.#protocolErrors.inc({ code }, n)
    this.#totals.protocol_errors += n
    this.#errorsByCode.set(code, (this.#errorsByCode.get(code) ?? 0) + n)
  }

  sdkDropped (n: number): void {
    this.#sdkDropped.inc(n)
    this.#totals.sdk_dropped_events += n
  }

  sinkError (sink: string): void {
    this.#sinkErrors.inc({ sink })
    this.#totals.sink_errors++
  }

  /**
   * Serves a flow source's counters (see FlowSource.counters) on /metrics, read at each scrape:
   * packets, skips by reason, kernel drops, records by end, flows held, events dropped.
   * Label values come from fixed sets (skip reasons, record ends).
   */
  flowSource (read: () => Record<string, Record<string, number>>): void {
    const merged = (): Record<string, number> => {
      const all = read()
      return { ...all['net.poll'], ...all.capture }
    }
    const counter = (name: string, help: string, key: string): void => {
      new Counter({
        name, help, registers: [this.registry],
        collect () { const v = merged()[key]; this.reset(); if (v !== undefined) this.inc(v) },
      })
    }
    counter('sidewatch_capture_packets_total', 'Packets captured', 'packets')
    counter('sidewatch_capture_kernel_received_total', 'Packets the kernel passed to the capture (libpcap ps_recv)', 'ps_recv')
    counter('sidewatch_capture_kernel_dropped_total', 'Packets the kernel dropped for lack of buffer space (libpcap ps_drop)', 'ps_drop')
    counter('sidewatch_capture_interface_dropped_total', 'Packets the interface dropped (libpcap ps_ifdrop)', 'ps_ifdrop')
    counter('sidewatch_flow_events_dropped_total', 'net.flow events dropped because the sinks could not keep up', 'events_dropped')
    const labelled = (name: string, help: string, label: string, prefix: string): void => {
      new Counter({
        name, help, labelNames: [label], registers: [this.registry],
        collect () {
          this.reset()
          for (const [key, v] of Object.entries(merged())) if (key.startsWith(prefix)) this.inc({ [label]: key.slice(prefix.length) }, v)
        },
      })
    }
    labelled('sidewatch_capture_skipped_total', 'Captured frames that made no packet, by reason', 'reason', 'skipped.')
    labelled('sidewatch_flow_records_total', 'Flow records, by how they ended', 'end', 'records.')
    new Gauge({
      name: 'sidewatch_flows', help: 'Flows (or polled connections) held now', registers: [this.registry],
      collect () { this.set(merged().flows ?? 0) },
    })
  }

  /** Totals for the agent.stats event, plus `protocol_errors.CODE` per code seen. */
  snapshot (): Record<string, number> {
    const out: Record<string, number> = { ...this.#totals }
    for (const [code, n] of this.#errorsByCode) out[`protocol_errors.${code}`] = n
    return out
  }

  #eventCounter (which: EventCounter, help: string): Counter<'kind'> {
    return new Counter({ name: `sidewatch_events_${which}_total`, help, labelNames: ['kind'] as const, registers: [this.registry] })
  }
}
