import { HttpsSink } from './https'
import { JsonlSink } from './jsonl'
import { NatsSink } from './nats'
import { OtlpSink } from './otlp'
import { WebhookSink } from './webhook'
import { formatSinkSpec, type SinkSpec } from './parse'
import type { Sink, SinkContext } from './sink'
import { SqliteSink } from './sqlite'

/** Opens the sink a spec names. Throws SW_ERR_SINK when its target cannot be opened. */
export function openSink (spec: SinkSpec, ctx: SinkContext): Promise<Sink> {
  switch (spec.type) {
    case 'jsonl': return JsonlSink.open(spec.path, ctx)
    case 'sqlite': return SqliteSink.open(spec.path, ctx)
    case 'nats': return NatsSink.open(spec.url, ctx)
    case 'https': return HttpsSink.open(spec.url, ctx)
    case 'otlp': return OtlpSink.open(spec.url, ctx)
    case 'webhook': return WebhookSink.open(spec.url, ctx)
    default: throw new Error(`no sink for ${formatSinkSpec(spec)}`)
  }
}
