/**
 * The agent's counters: plain totals, read by the periodic agent.stats event, and served as a
 * prom-client registry on /metrics. The registry (and prom-client, ~12 MB of RSS) exists only
 * once something asks for it — the metrics server — and reads the same totals at each scrape.
 *
 * Labels only ever take values from fixed sets (event kinds, protocol error codes) so a client
 * cannot grow the label space: an unknown kind is counted as `unknown`.
 */
import type * as PromClient from 'prom-client'
import type { Registry } from 'prom-client'
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

type EventCounter = 'received' | 'accepted' | 'rejected' | 'dropped' | 'refused'

const EVENT_HELP: Record<EventCounter, string> = {
  received: 'Events received from clients',
  accepted: 'Events valid and handed to the sinks',
  rejected: 'Events that failed validation',
  dropped: 'Events refused without validation (batch too large) or lost by a sink',
  refused: 'Events not acknowledged because they could not be stored (the client sends them again)',
}

type FlowCounters = () => Record<string, Record<string, number>>

export class AgentMetrics {
  #registry: Registry | undefined
  readonly #processMetrics: boolean
  readonly #byKind: Record<EventCounter, Map<string, number>> = { received: new Map(), accepted: new Map(), rejected: new Map(), dropped: new Map(), refused: new Map() }
  readonly #sinkErrors = new Map<string, number>()
  readonly #flowSources: FlowCounters[] = []

  #totals = {
    connections: 0,
    connections_total: 0,
    events_received: 0,
    events_accepted: 0,
    events_rejected: 0,
    events_dropped: 0,
    events_refused: 0,
    protocol_errors: 0,
    sdk_dropped_events: 0,
    sink_errors: 0,
  }

  #errorsByCode = new Map<string, number>()

  constructor (options: { processMetrics?: boolean } = {}) {
    this.#processMetrics = options.processMetrics !== false
  }

  /** The prom-client registry for /metrics, made (and prom-client loaded) on first use. */
  get registry (): Registry {
    this.#registry ??= this.#makeRegistry()
    return this.#registry
  }

  get connections (): number {
    return this.#totals.connections
  }

  connectionOpened (): void {
    this.#totals.connections++
    this.#totals.connections_total++
  }

  connectionClosed (): void {
    this.#totals.connections--
  }

  /** Adds per-kind counts (from countByKind) to one of the event counters. */
  events (which: EventCounter, counts: Map<string, number>): void {
    const byKind = this.#byKind[which]
    for (const [kind, n] of counts) {
      byKind.set(kind, (byKind.get(kind) ?? 0) + n)
      this.#totals[`events_${which}`] += n
    }
  }

  protocolError (code: string, n = 1): void {
    this.#totals.protocol_errors += n
    this.#errorsByCode.set(code, (this.#errorsByCode.get(code) ?? 0) + n)
  }

  sdkDropped (n: number): void {
    this.#totals.sdk_dropped_events += n
  }

  sinkError (sink: string): void {
    this.#sinkErrors.set(sink, (this.#sinkErrors.get(sink) ?? 0) + 1)
    this.#totals.sink_errors++
  }

  /**
   * Serves a flow source's counters (see FlowSource.counters) on /metrics, read at each scrape:
   * packets, skips by reason, kernel drops, records by end, flows held, events dropped.
   * Label values come from fixed sets (skip reasons, record ends).
   */
  flowSource (read: FlowCounters): void {
    this.#flowSources.push(read)
    if (this.#registry !== undefined) this.#registerFlowSource(this.#registry, read)
  }

  /** Totals for the agent.stats event, plus `protocol_errors.CODE` per code seen. */
  snapshot (): Record<string, number> {
    const out: Record<string, number> = { ...this.#totals }
    for (const [code, n] of this.#errorsByCode) out[`protocol_errors.${code}`] = n
    return out
  }

  #makeRegistry (): Registry {
    const prom = require('prom-client') as typeof PromClient
    const registry = new prom.Registry()
    const registers = [registry]
    /** A counter whose values are read from `values` at each scrape. */
    const counter = (name: string, help: string, label: string | undefined, values: () => Iterable<[string, number]> | number): void => {
      new prom.Counter({
        name, help, labelNames: label === undefined ? [] : [label], registers,
        collect () {
          this.reset()
          const v = values()
          if (typeof v === 'number') { if (v > 0) this.inc(v); return }
          for (const [key, n] of v) if (n > 0) this.inc({ [label as string]: key }, n)
        },
      })
    }
    const totals = this.#totals
    new prom.Gauge({ name: 'sidewatch_connections', help: 'Client connections open now', registers, collect () { this.set(totals.connections) } })
    counter('sidewatch_connections_total', 'Client connections accepted', undefined, () => totals.connections_total)
    for (const which of Object.keys(EVENT_HELP) as EventCounter[]) {
      counter(`sidewatch_events_${which}_total`, EVENT_HELP[which], 'kind', () => this.#byKind[which])
    }
    counter('sidewatch_protocol_errors_total', 'Protocol errors, by code', 'code', () => this.#errorsByCode)
    counter('sidewatch_sdk_dropped_events_total', 'Events SDKs reported dropping before they reached the agent', undefined, () => totals.sdk_dropped_events)
    counter('sidewatch_sink_errors_total', 'Failed sink writes and flushes', 'sink', () => this.#sinkErrors)
    for (const read of this.#flowSources) this.#registerFlowSource(registry, read)
    if (this.#processMetrics) prom.collectDefaultMetrics({ register: registry })
    return registry
  }

  #registerFlowSource (registry: Registry, read: FlowCounters): void {
    const prom = require('prom-client') as typeof PromClient
    const registers = [registry]
    const merged = (): Record<string, number> => {
      const all = read()
      return { ...all['net.poll'], ...all.capture }
    }
    const counter = (name: string, help: string, key: string): void => {
      new prom.Counter({
        name, help, registers,
        collect () { const v = merged()[key]; this.reset(); if (v !== undefined) this.inc(v) },
      })
    }
    counter('sidewatch_capture_packets_total', 'Packets captured', 'packets')
    counter('sidewatch_capture_kernel_received_total', 'Packets the kernel passed to the capture (libpcap ps_recv)', 'ps_recv')
    counter('sidewatch_capture_kernel_dropped_total', 'Packets the kernel dropped for lack of buffer space (libpcap ps_drop)', 'ps_drop')
    counter('sidewatch_capture_interface_dropped_total', 'Packets the interface dropped (libpcap ps_ifdrop)', 'ps_ifdrop')
    counter('sidewatch_flow_events_dropped_total', 'net.flow events dropped because the sinks could not keep up', 'events_dropped')
    const labelled = (name: string, help: string, label: string, prefix: string): void => {
      new prom.Counter({
        name, help, labelNames: [label], registers,
        collect () {
          this.reset()
          for (const [key, v] of Object.entries(merged())) if (key.startsWith(prefix)) this.inc({ [label]: key.slice(prefix.length) }, v)
        },
      })
    }
    labelled('sidewatch_capture_skipped_total', 'Captured frames that made no packet, by reason', 'reason', 'skipped.')
    labelled('sidewatch_flow_records_total', 'Flow records, by how they ended', 'end', 'records.')
    new prom.Gauge({
      name: 'sidewatch_flows', help: 'Flows (or polled connections) held now', registers,
      collect () { this.set(merged().flows ?? 0) },
    })
  }
}
