import type * as HttpsModule from './https'
import type * as JsonlModule from './jsonl'
import type * as NatsModule from './nats'
import type * as OtlpModule from './otlp'
import type * as SqliteModule from './sqlite'
import type * as WebhookModule from './webhook'
import { formatSinkSpec, type SinkSpec } from './parse'
import type { Sink, SinkContext } from './sink'

/**
 * Opens the sink a spec names. Throws SW_ERR_SINK when its target cannot be opened.
 * Each sink's module (and what it needs: undici, nats, better-sqlite3) is loaded only when a spec
 * names it, so an agent pays in memory only for the sinks it was given.
 */
export function openSink (spec: SinkSpec, ctx: SinkContext): Promise<Sink> {
  switch (spec.type) {
    case 'jsonl': return (require('./jsonl') as typeof JsonlModule).JsonlSink.open(spec.path, ctx)
    case 'sqlite': return (require('./sqlite') as typeof SqliteModule).SqliteSink.open(spec.path, ctx)
    case 'nats': return (require('./nats') as typeof NatsModule).NatsSink.open(spec.url, ctx)
    case 'https': return (require('./https') as typeof HttpsModule).HttpsSink.open(spec.url, ctx)
    case 'otlp': return (require('./otlp') as typeof OtlpModule).OtlpSink.open(spec.url, ctx)
    case 'webhook': return (require('./webhook') as typeof WebhookModule).WebhookSink.open(spec.url, ctx)
    default: throw new Error(`no sink for ${formatSinkSpec(spec)}`)
  }
}
